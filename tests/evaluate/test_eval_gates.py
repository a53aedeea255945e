"""The promotion gate decided from measured values: each check's required and observed value, pass /
fail, pending when nothing measured it; the gate fails on any failed check."""

from __future__ import annotations

import pytest

from mlsteward.evaluate.gates import GateEvidence, decide_gate
from mlsteward.spec_gates import parse_gate_check

GATE = [parse_gate_check(item) for item in (
    {"metric": "roc_auc", "min": 0.8},
    {"metric": "expected_calibration_error", "max": 0.05},
    {"uplift_over_baseline": {"metric": "roc_auc", "min": 0.05}},
    {"fairness": {"metric": "demographic_parity_difference", "by": "sex", "max": 0.1}},
)]


def _evidence(auc: float = 0.85, ece: float = 0.02, uplift: float = 0.2, dpd: float = 0.05) -> GateEvidence:
    return GateEvidence(metrics={"roc_auc": auc, "expected_calibration_error": ece}, uplift={"roc_auc": uplift},
                        fairness={"sex": {"demographic_parity_difference": dpd}})


def test_every_check_met_passes_the_gate() -> None:
    result = decide_gate("promotion", GATE, _evidence())
    assert result.decision == "pass"
    assert [c.observed for c in result.checks] == [0.85, 0.02, 0.2, 0.05]
    assert all(c.passed for c in result.checks) and result.failed == []


@pytest.mark.parametrize(("evidence", "failing"), [
    (_evidence(auc=0.79), "roc_auc >= 0.8"),
    (_evidence(ece=0.0501), "expected_calibration_error <= 0.05"),
    (_evidence(uplift=0.04), "roc_auc uplift over baseline >= 0.05"),
    (_evidence(dpd=0.11), "demographic_parity_difference by sex <= 0.1"),
])
def test_one_check_not_met_fails_the_gate(evidence: GateEvidence, failing: str) -> None:
    result = decide_gate("promotion", GATE, evidence)
    assert result.decision == "fail"
    assert [c.check for c in result.failed] == [failing]


def test_bounds_are_inclusive() -> None:
    assert decide_gate("promotion", GATE, _evidence(auc=0.8, ece=0.05, uplift=0.05, dpd=0.1)).decision == "pass"


def test_unmeasured_checks_and_sign_offs_leave_the_gate_pending() -> None:
    gate = [*GATE, parse_gate_check({"signoff": ["product_owner"]})]
    evidence = GateEvidence(metrics={"roc_auc": 0.9, "expected_calibration_error": 0.01}, uplift={"roc_auc": 0.3})
    result = decide_gate("promotion", gate, evidence)
    assert result.decision == "pending"
    fairness, signoff = result.checks[3], result.checks[4]
    assert fairness.passed is None and "no fairness audit by 'sex'" in fairness.note
    assert signoff.passed is None and signoff.kind == "signoff"
    failed = decide_gate("promotion", gate, GateEvidence(metrics={"roc_auc": 0.5}))
    assert failed.decision == "fail"  # a failure outweighs pending checks


def test_no_checks_is_no_gate() -> None:
    assert decide_gate("promotion", [], _evidence()).decision == "no gate"


@pytest.mark.parametrize(("drop", "broken", "passed", "note"), [
    (0.03, 0, True, None),
    (0.06, 0, False, "observed drop 0.06"),
    (0.01, 2, False, "2 invalid-row probe(s) broke scoring"),
])
def test_the_robustness_check_bounds_the_mildest_drop_and_needs_every_probe(drop: float, broken: int,
                                                                            passed: bool, note: str | None) -> None:
    check = parse_gate_check({"robustness": {"max_drop": 0.05}})
    evidence = GateEvidence(robustness={"mildest_drop": drop, "probes_failed": broken})
    (outcome,) = decide_gate("promotion", [check], evidence).checks
    assert (outcome.passed, outcome.observed) == (passed, drop)
    assert (outcome.note is None) if note is None else note in outcome.note
    (pending,) = decide_gate("promotion", [check], GateEvidence()).checks
    assert pending.passed is None and "did not run" in pending.note


def test_robustness_evidence_is_the_worst_drop_at_each_curves_mildest_level() -> None:
    from types import SimpleNamespace as NS

    from mlsteward.evaluate.checks import gate_evidence

    curves = [NS(points=[NS(degradation=0.02), NS(degradation=0.3)]), NS(points=[NS(degradation=0.04)]),
              NS(points=[NS(degradation=None)])]
    probes = [NS(passed=True), NS(passed=False)]
    report = NS(result=NS(curves=curves, probes=probes))
    evidence = gate_evidence(NS(), {"robustness": report})
    assert evidence.robustness == {"mildest_drop": 0.04, "probes_failed": 1.0}
