"""`steward deploy` and `steward rollback`: change what an endpoint serves, recorded and audited.

A live deploy (blue-green switch) serves a version the promotion gate let into production; a canary or
a shadow may be any registered version that is not archived (that is how a challenger is tried). Only
an identity holding a role of ``governance.promoter_roles`` (default: any stakeholder) may change an
endpoint. The running prediction service reads the endpoint's state from the store within a second,
so a change needs no restart; the rollback target is always the version live before.
"""

from __future__ import annotations

from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.board import note_stage
from mlsteward.lifecycle.signoffs import require_promoter
from mlsteward.serving.rollout import Endpoint, Mode, deploy, roll_back
from mlsteward.spec import Spec
from mlsteward.stages import Stage, StageStatus
from mlsteward.store.deployments import EndpointRecord
from mlsteward.workspace import Workspace


def endpoint_of(workspace: Workspace, model: str) -> tuple[Endpoint | None, int | None]:
    """The endpoint's rollout state and revision (None, None before its first deploy)."""
    record = workspace.store.deployments.endpoint(model)
    return (Endpoint.model_validate(record.state), record.revision) if record else (None, None)


def deploy_model(workspace: Workspace, spec: Spec, model: str, version: str, mode: Mode = "live",
                 share: float = 0.1, reason: str = "") -> EndpointRecord:
    """Serve ``model@version`` as ``mode`` (live, canary with ``share`` of the traffic, or shadow)."""
    store = workspace.store
    target = store.models.get(model, version)
    require_promoter(spec, store.actor, f"deploy {target.ref}")
    if mode == "live" and target.status != "production":
        raise InvalidInput(f"{target.ref} is in {target.status}, not production: a live deploy serves what the "
                           f"promotion gate let through (`steward models promote {model} {target.version}`); try it "
                           "first as --mode canary or --mode shadow")
    if target.status == "archived":
        raise InvalidInput(f"{target.ref} is archived: move it back to staging first")
    if target.status == "retired":
        raise InvalidInput(f"{target.ref} is retired: a retired version never serves again; deploy another version")
    current, revision = endpoint_of(workspace, model)
    after = deploy(current, model, target.version, mode, share)
    what = {"live": "live", "canary": f"canary at {share:.0%} of traffic", "shadow": "shadow"}[mode]
    record = store.deployments.change(spec.project, after.model_dump(mode="json"), action=mode,
                                      version=target.version, expected_revision=revision, reason=reason,
                                      summary=f"{target.ref} deployed as {what}")
    note_stage(store, spec.project, Stage.DEPLOYMENT, StageStatus.IN_PROGRESS, f"{target.ref} deployed as {what}")
    return record


def rollback_deployment(workspace: Workspace, spec: Spec, model: str, reason: str = "") -> EndpointRecord:
    """Serve the endpoint's previous live version again (canary and shadow cleared)."""
    store = workspace.store
    require_promoter(spec, store.actor, f"roll back the endpoint {model}")
    current, revision = endpoint_of(workspace, model)
    if current is None:
        raise InvalidInput(f"{model} has never been deployed: there is nothing to roll back "
                           f"(`steward deploy {model} --version V`)")
    after = roll_back(current)
    return store.deployments.change(spec.project, after.model_dump(mode="json"), action="rollback",
                                    version=after.live, expected_revision=revision, reason=reason,
                                    summary=f"{model} rolled back from version {current.live} to {after.live}")


__all__ = ["deploy_model", "endpoint_of", "rollback_deployment"]
