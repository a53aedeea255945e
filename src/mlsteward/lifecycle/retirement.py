"""`steward models retire`: take a model version out of service deliberately, and keep its evidence.

The seed's retirement triggers are checked and recorded (each observed or not, with what was found):
superseded (another version is in production), sustained decay (open alerts on the model's monitors), not
serving (the version answers no traffic), data unavailable (a dataset it was trained on can no longer be read)
and a business decision (the reason given). A version live on its endpoint is refused: deploy its successor
first. Otherwise, in one transaction: the version leaves its endpoint (canary or shadow arm), the API tokens
scoped to it are revoked, its aliases are dropped, it becomes ``retired`` (read-only for good: no promotion,
alias or deployment) and the sunset record goes to the change log and the audit trail. The final artifacts
(model, ONNX, feature set pipeline, evaluations with their reports and model cards, the sunset record) are
archived first as one content-addressed tar file, so the retired version stays audit-verifiable.
"""

from __future__ import annotations

import io
import json
import tarfile
import time

from pydantic import BaseModel

from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.deployment import endpoint_of
from mlsteward.lifecycle.signoffs import require_promoter
from mlsteward.spec import Spec
from mlsteward.store.models import ModelVersion
from mlsteward.workspace import Workspace


class TriggerCheck(BaseModel):
    trigger: str
    observed: bool
    detail: str


class RetirementOutcome(BaseModel):
    version: ModelVersion
    triggers: list[TriggerCheck]
    archive: str  # digest of the tar file of the final artifacts
    archived_files: list[str]
    left_endpoint: str | None  # canary or shadow, when it was serving there
    revoked_tokens: list[str]
    monitors: list[str]  # the monitors of the model: they watch the live version, never this one again


def retirement_triggers(workspace: Workspace, spec: Spec, version: ModelVersion, reason: str) -> list[TriggerCheck]:
    """The seed's retirement triggers for ``version``, each observed or not."""
    store = workspace.store
    production = [v.ref for v in store.models.versions(version.name, status="production") if v.ref != version.ref]
    endpoint, _ = endpoint_of(workspace, version.name)
    arms = [arm for arm in ("live", "canary", "shadow") if endpoint and getattr(endpoint, arm) == version.version]
    alerts = [a for a in store.monitoring.alerts(status="open") if a.model == version.name]
    unreadable = [ref for ref in (version.lineage or {}).get("datasets", {}).values()
                  if not workspace.artifacts.exists(store.datasets.get(ref).digest)]
    return [
        TriggerCheck(trigger="superseded", observed=bool(production),
                     detail=f"{', '.join(production)} in production" if production else "no other version in "
                                                                                        "production"),
        TriggerCheck(trigger="sustained_decay", observed=bool(alerts),
                     detail=f"{len(alerts)} open alert(s): " + ", ".join(sorted({a.signal for a in alerts}))
                     if alerts else "no open alert on the model's monitors"),
        TriggerCheck(trigger="not_serving", observed=not arms,
                     detail=f"serving as {', '.join(arms)}" if arms else "answers no traffic"),
        TriggerCheck(trigger="data_unavailable", observed=bool(unreadable),
                     detail=f"{', '.join(unreadable)} can no longer be read" if unreadable
                     else "its training data is still readable"),
        TriggerCheck(trigger="business_decision", observed=True, detail=reason),
    ]


def retire_model(workspace: Workspace, spec: Spec, name: str, version: str, reason: str) -> RetirementOutcome:
    """Retire ``name@version`` (see the module docstring)."""
    store = workspace.store
    if not reason.strip():
        raise InvalidInput("a retirement needs its reason: --reason 'superseded by v3; the product is closing'")
    target = store.models.get(name, version)
    require_promoter(spec, store.actor, f"retire {target.ref}")
    endpoint, revision = endpoint_of(workspace, name)
    if endpoint is not None and endpoint.live == target.version:
        raise InvalidInput(f"{target.ref} is live on its endpoint: deploy its successor first (`steward deploy {name} "
                           "--version V`) or roll back (`steward rollback`), then retire it")
    left = None
    after = None
    if endpoint is not None and target.version in (endpoint.canary, endpoint.shadow):
        left = "canary" if endpoint.canary == target.version else "shadow"
        cleared = {"canary": None, "canary_share": 0.0} if left == "canary" else {"shadow": None}
        after = endpoint.model_copy(update=cleared).model_dump(mode="json")
    triggers = retirement_triggers(workspace, spec, target, reason.strip())
    monitors = [m.name for m in spec.monitoring.monitors if m.model == name]
    sunset = {"model": target.ref, "reason": reason.strip(), "retired_by": store.actor,
              "retired_at_ms": int(time.time() * 1000), "status_before": target.status,
              "triggers": [t.model_dump() for t in triggers], "left_endpoint": left, "monitors": monitors}
    archive, files = _archive(workspace, target, sunset)
    sunset["archive"] = archive
    retired, revoked = store.models.retire(name, target.version, sunset=sunset, endpoint_after=after,
                                           endpoint_revision=revision)
    return RetirementOutcome(version=retired, triggers=triggers, archive=archive, archived_files=files,
                             left_endpoint=left, revoked_tokens=revoked, monitors=monitors)


def _archive(workspace: Workspace, version: ModelVersion, sunset: dict) -> tuple[str, list[str]]:
    """One deterministic tar of the version's final artifacts (each read hash-verified), stored by digest."""
    store, artifacts = workspace.store, workspace.artifacts
    members: dict[str, bytes] = {f"model.{version.format}": artifacts.get_bytes(version.artifact_digest)}
    if version.onnx_digest:
        members["model.onnx"] = artifacts.get_bytes(version.onnx_digest)
    feature_set = (version.lineage or {}).get("feature_set")
    if feature_set:
        name, _, number = feature_set.partition("@")
        record = next((f for f in store.feature_sets.list(name) if str(f.version) == number), None)
        if record is not None:
            members["feature-set.skops"] = artifacts.get_bytes(record.digest)
    for n, evaluation in enumerate(store.evaluations.list(model_run_id=version.run_id)):
        for label, digest in (("results.json", evaluation.results_digest), ("report.html", evaluation.report_digest),
                              ("model-card.md", evaluation.card_digest)):
            members[f"evaluations/{n + 1}-{evaluation.id[:8]}/{label}"] = artifacts.get_bytes(digest)
    members["version.json"] = version.model_dump_json(indent=2).encode()
    members["sunset.json"] = json.dumps(sunset, indent=2, sort_keys=True).encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(members):
            info = tarfile.TarInfo(f"{version.name}-{version.version}/{path}")
            info.size, info.mtime, info.mode = len(members[path]), 0, 0o644
            tar.addfile(info, io.BytesIO(members[path]))
    return artifacts.put_bytes(buffer.getvalue()).digest, sorted(members)


__all__ = ["RetirementOutcome", "TriggerCheck", "retire_model", "retirement_triggers"]
