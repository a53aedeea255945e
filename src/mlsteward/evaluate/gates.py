"""A gate of steward.yaml evaluated against measured values: per check the required and the observed
value and pass / fail, or pending when nothing measured it yet (a sign-off, a metric not computed).

Pure: the caller hands in what was measured (``GateEvidence``); the feasibility study and the
evaluation suite both decide their gates through ``decide_gate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from mlsteward.spec_gates import (
    Bounds,
    FairnessThreshold,
    GateCheck,
    MetricThreshold,
    RobustnessThreshold,
    SignOff,
    UpliftOverBaseline,
    format_number,
)


class GateEvidence(BaseModel):
    """What was measured, by the names gate checks use."""

    metrics: dict[str, float] = Field({}, description="metric name -> observed value")
    uplift: dict[str, float] = Field({}, description="metric name -> model minus best baseline (positive = better)")
    fairness: dict[str, dict[str, float]] = Field({}, description="column -> fairness metric -> value")
    robustness: dict[str, float] = Field({}, description="mildest_drop: the metric's largest drop at the mildest "
                                                         "perturbation level; probes_failed: invalid rows that broke it")
    sources: dict[str, str] = Field({}, description="what each kind of value was read from, e.g. metrics: 'test set'")
    pending_notes: dict[str, str] = Field({}, description="check kind -> why it is not measured here")


class GateCheckOutcome(BaseModel):
    check: str  # the check as written, e.g. "roc_auc >= 0.8"
    kind: str
    required: str
    observed: float | None = None
    passed: bool | None = None  # None: pending (not measured here, or a sign-off)
    note: str | None = None


class GateResult(BaseModel):
    gate: str
    checks: list[GateCheckOutcome]
    decision: Literal["pass", "fail", "pending", "no gate"]

    @property
    def failed(self) -> list[GateCheckOutcome]:
        return [c for c in self.checks if c.passed is False]


def decide_gate(gate: str, checks: Sequence[GateCheck], evidence: GateEvidence) -> GateResult:
    """Each check against ``evidence``; the gate fails if any check fails, is pending if any is unmeasured."""
    outcomes = [_outcome(check, evidence) for check in checks]
    if not outcomes:
        decision = "no gate"
    elif any(o.passed is False for o in outcomes):
        decision = "fail"
    elif any(o.passed is None for o in outcomes):
        decision = "pending"
    else:
        decision = "pass"
    return GateResult(gate=gate, checks=outcomes, decision=decision)


def within(bounds: Bounds, value: float) -> bool:
    return (bounds.min is None or value >= bounds.min) and (bounds.max is None or value <= bounds.max)


def _outcome(check: GateCheck, evidence: GateEvidence) -> GateCheckOutcome:
    text = check.describe()
    if isinstance(check, MetricThreshold):
        return _bounded(check, check, evidence.metrics.get(check.metric),
                        f"{check.metric} was not measured ({_measured(evidence.metrics)})")
    if isinstance(check, UpliftOverBaseline):
        bounds = check.uplift_over_baseline
        return _bounded(check, bounds, evidence.uplift.get(bounds.metric),
                        f"no uplift of {bounds.metric} was measured ({_measured(evidence.uplift)})")
    if isinstance(check, FairnessThreshold):
        bounds = check.fairness
        by_column = evidence.fairness.get(bounds.by)
        why = evidence.pending_notes.get("fairness") or (
            f"no fairness audit by {bounds.by!r}" if by_column is None
            else f"{bounds.metric} was not computed (computed: {', '.join(sorted(by_column))})")
        return _bounded(check, bounds, by_column.get(bounds.metric) if by_column else None, why)
    if isinstance(check, RobustnessThreshold):
        return _robust(check, evidence)
    if isinstance(check, SignOff):
        return GateCheckOutcome(check=text, kind=check.kind, required="a sign-off in each role",
                                note=evidence.pending_notes.get("signoff", "sign-offs are recorded separately"))
    return GateCheckOutcome(check=text, kind=check.kind, required=text,
                            note=f"no evidence of kind {check.kind!r} here")


def _bounded(check: GateCheck, bounds: Bounds, observed: float | None, why_not: str) -> GateCheckOutcome:
    required = bounds.bounded("value")
    if observed is None:
        return GateCheckOutcome(check=check.describe(), kind=check.kind, required=required, note=why_not)
    passed = within(bounds, observed)
    note = None if passed else f"observed {format_number(round(observed, 6))}, required {required}"
    return GateCheckOutcome(check=check.describe(), kind=check.kind, required=required, observed=float(observed),
                            passed=passed, note=note)


def _robust(check: RobustnessThreshold, evidence: GateEvidence) -> GateCheckOutcome:
    found = evidence.robustness
    required = f"drop <= {format_number(check.robustness.max_drop)}, no invalid-row probe failed"
    if "mildest_drop" not in found:
        return GateCheckOutcome(check=check.describe(), kind=check.kind, required=required,
                                note=evidence.pending_notes.get("robustness", "the robustness check did not run"))
    drop, broken = found["mildest_drop"], int(found.get("probes_failed", 0))
    passed = drop <= check.robustness.max_drop and broken == 0
    note = None if passed else (f"{broken} invalid-row probe(s) broke scoring" if broken
                                else f"observed drop {format_number(round(drop, 6))}, required {required}")
    return GateCheckOutcome(check=check.describe(), kind=check.kind, required=required, observed=float(drop),
                            passed=passed, note=note)


def _measured(values: dict[str, float]) -> str:
    return "measured: " + ", ".join(sorted(values)) if values else "nothing measured"


__all__ = ["GateCheckOutcome", "GateEvidence", "GateResult", "decide_gate", "within"]
