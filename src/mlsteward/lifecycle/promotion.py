"""`steward models promote`: a version moves to production only through the promotion gate.

The gate of ``steward.yaml`` (``gates.promotion``) is decided again at promotion time against the
version's latest recorded evaluation (metrics, calibration, fairness, uplift, robustness) and the
sign-offs recorded for it; a failing check passes only with a recorded waiver. Every decision is
stored as a gate result (refusals too) and audited; a promotion also archives the previous production
version, moves the ``champion`` alias and writes the change log with the metric deltas. The model's
revision is read before deciding and checked when writing, so of two concurrent promotions one wins.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from mlsteward.errors import GateRefused, InvalidInput, NotFound
from mlsteward.evaluate.gates import GateCheckOutcome, GateEvidence, decide_gate
from mlsteward.evaluate.suite import SuiteResult
from mlsteward.lifecycle.signoffs import require_promoter, waive
from mlsteward.spec import Spec
from mlsteward.spec_gates import SignOff
from mlsteward.store.models import Change, ModelVersion, RecordedGate, metric_deltas
from mlsteward.store.signoffs import SignOffRecord, WaiverRecord, standing_signoffs
from mlsteward.workspace import Workspace

Target = Literal["staging", "production", "archived"]


class PromotionCheck(GateCheckOutcome):
    waived_by: str | None = None
    waiver_reason: str | None = None


class PromotionGate(BaseModel):
    model: str  # NAME@VERSION
    evaluation: str | None  # the evaluation the gate read
    dataset: str | None
    decision: Literal["pass", "fail", "pending", "no gate"]
    checks: list[PromotionCheck]
    revision: int  # the model's revision the decision was made at

    @property
    def blocking(self) -> list[PromotionCheck]:
        return [c for c in self.checks if c.passed is not True]


def promotion_gate(workspace: Workspace, spec: Spec, version: ModelVersion) -> PromotionGate:
    """Decide ``gates.promotion`` for ``version`` against its recorded evaluation, sign-offs and waivers."""
    revision = workspace.store.models.model(version.name).revision
    evaluations = workspace.store.evaluations.list(model_run_id=version.run_id)
    evidence = GateEvidence(pending_notes={"fairness": "no evaluation recorded for this model: run `steward "
                                                        "evaluate` first"})
    if evaluations:
        suite = SuiteResult.model_validate_json(workspace.artifacts.get_bytes(evaluations[0].results_digest))
        evidence = suite.evidence or GateEvidence(pending_notes={
            "fairness": "the evaluation predates recorded gate evidence: run `steward evaluate` again"})
    checks = list(spec.gates.get("promotion", []))
    decided = decide_gate("promotion", checks, evidence)
    signoffs = workspace.store.signoffs.signoffs(version.subject)
    waivers = {w.check: w for w in workspace.store.signoffs.waivers(version.subject)}
    outcomes = [_signoff_outcome(check, outcome, spec, signoffs) if isinstance(check, SignOff)
                else _waived(PromotionCheck(**outcome.model_dump()), waivers)
                for check, outcome in zip(checks, decided.checks, strict=True)]
    if not outcomes:
        decision = "no gate"
    elif any(c.passed is False for c in outcomes):
        decision = "fail"
    elif any(c.passed is None for c in outcomes):
        decision = "pending"
    else:
        decision = "pass"
    latest = evaluations[0] if evaluations else None
    return PromotionGate(model=version.ref, evaluation=latest.id if latest else None,
                         dataset=latest.dataset if latest else None, decision=decision, checks=outcomes,
                         revision=revision)


def promote(workspace: Workspace, spec: Spec, ref: str, to: Target = "production") -> ModelVersion:
    """Move version ``ref`` to ``to``; to production only when its promotion gate passes (``GateRefused``
    otherwise, with every check), and only if no one else changed the model meanwhile (``Conflict``)."""
    store = workspace.store
    version = store.models.resolve(ref)
    if version.project != spec.project:
        raise NotFound(f"{version.ref} belongs to project {version.project!r}, not {spec.project!r}")
    if to not in ("staging", "production", "archived"):
        raise InvalidInput(f"--to {to!r}: a version moves to staging, production or archived")
    if version.status == to:
        raise InvalidInput(f"{version.ref} is already in {to}")
    require_promoter(spec, store.actor, f"move {version.ref} to {to}")
    if to != "production":
        revision = store.models.model(version.name).revision
        return store.models.set_status(version.name, version.version, to, expected_revision=revision,
                                       change=Change(kind="archived" if to == "archived" else "staged",
                                                     summary=f"{version.ref} moved to {to}"), move_champion=False)
    gate = promotion_gate(workspace, spec, version)
    recorded = RecordedGate(gate="promotion", decision=gate.decision, checks=[c.model_dump() for c in gate.checks],
                            evidence={"evaluation": gate.evaluation, "dataset": gate.dataset})
    if gate.decision not in ("pass", "no gate"):
        store.models.record_refusal(spec.project, version.subject, recorded)
        blocking = "; ".join(f"{c.check}: {c.note or 'failed'}" for c in gate.blocking)
        raise GateRefused(f"{version.ref} may not be promoted to production: the promotion gate is {gate.decision} "
                          f"({blocking})", gate)
    current = next(iter(store.models.versions(version.name, status="production")), None)
    deltas = metric_deltas(current.metrics if current else {}, version.metrics)
    summary = f"{version.ref} promoted to production" + (f", replacing {current.ref}" if current else "")
    return store.models.set_status(version.name, version.version, "production", expected_revision=gate.revision,
                                   change=Change(kind="promoted", summary=summary,
                                                 details={"metric_deltas": deltas,
                                                          "replaced": current.ref if current else None,
                                                          "evaluation": gate.evaluation}),
                                   gate=recorded)


def rollback(workspace: Workspace, spec: Spec, name: str, reason: str) -> ModelVersion:
    """Put back in production the version that was there before the current one (no gate: it passed
    before); the current one is archived. Logged with the metric deltas and the reason."""
    if not reason.strip():
        raise InvalidInput("a rollback needs a reason (--reason): say what went wrong")
    store = workspace.store
    require_promoter(spec, store.actor, f"roll back {name}")
    current = next(iter(store.models.versions(name, status="production")), None)
    if current is None:
        raise InvalidInput(f"no version of {name!r} is in production: there is nothing to roll back")
    previous = _previous_production(workspace, name, current)
    deltas = metric_deltas(current.metrics, previous.metrics)
    revision = store.models.model(name).revision
    return store.models.set_status(
        name, previous.version, "production", expected_revision=revision,
        change=Change(kind="rolled_back", summary=f"rolled back from {current.ref} to {previous.ref}: {reason.strip()}",
                      details={"metric_deltas": deltas, "replaced": current.ref, "reason": reason.strip()}))


def _previous_production(workspace: Workspace, name: str, current: ModelVersion) -> ModelVersion:
    """The latest version, other than ``current``, that was promoted to production and is not there now."""
    events = workspace.store.audit.list(limit=10_000, entity_type="model")
    promoted = [e.entity_id for e in events if e.action in ("model.promoted", "model.rolled_back")
                and e.entity_id.startswith(f"{name}@") and e.entity_id != current.ref]
    for ref in promoted:  # newest first
        version = workspace.store.models.resolve(ref)
        if version.status == "archived":
            return version
    raise InvalidInput(f"no earlier production version of {name!r} to roll back to")


def _signoff_outcome(check: SignOff, outcome: GateCheckOutcome, spec: Spec,
                     signoffs: list[SignOffRecord]) -> PromotionCheck:
    standing = standing_signoffs(signoffs)
    missing, rejected, approved = [], [], []
    for role in check.signoff:
        record = standing.get(role)
        if record is None:
            holders = ", ".join(p.name for p in spec.charter.stakeholders if p.role == role)
            missing.append(f"{role} ({holders})")
        elif record.decision == "reject":
            rejected.append(f"{role} {record.person} rejected" + (f": {record.comment}" if record.comment else ""))
        else:
            approved.append(f"{role} {record.person}")
    passed = False if rejected else (None if missing else True)
    parts = rejected + ([f"missing sign-off by {', '.join(missing)}"] if missing else [])
    note = "; ".join(parts) if parts else "approved by " + ", ".join(approved)
    return PromotionCheck(**(outcome.model_dump() | {"passed": passed, "note": note}))


def _waived(check: PromotionCheck, waivers: dict[str, WaiverRecord]) -> PromotionCheck:
    waiver = waivers.get(check.check)
    if check.passed is not False or waiver is None:
        return check
    return check.model_copy(update={"passed": True, "waived_by": f"{waiver.person} ({waiver.role})",
                                    "waiver_reason": waiver.reason,
                                    "note": f"waived by {waiver.person} ({waiver.role}): {waiver.reason} "
                                            f"[{check.note}]"})


def waive_check(workspace: Workspace, spec: Spec, ref: str, check: str, reason: str) -> WaiverRecord:
    """Waive one failing check of ``ref``'s promotion gate: ``check`` is its text or a unique part of it
    (e.g. its kind, ``fairness``). Sign-offs cannot be waived; a passing check needs no waiver."""
    version = workspace.store.models.resolve(ref)
    gate = promotion_gate(workspace, spec, version)
    failing = [c for c in gate.checks if c.passed is False and c.kind != "signoff"]
    matches = ([c.check for c in failing if check in (c.check, c.kind)]
               or [c.check for c in failing if check.lower() in c.check.lower()])
    if len(matches) != 1:
        listed = "; ".join(c.check for c in failing) or "none"
        what = "matches several" if matches else "matches no"
        raise InvalidInput(f"{check!r} {what} failing check of {version.ref}'s promotion gate (failing, waivable: "
                           f"{listed}); sign-offs cannot be waived")
    return waive(workspace, spec, version.ref, matches[0], reason)


__all__ = ["PromotionCheck", "PromotionGate", "promote", "promotion_gate", "rollback", "waive_check"]
