"""`steward feasibility` on the bundled real data: a reasoned go, the gate evaluated, evidence recorded."""

from __future__ import annotations

import json

import pytest
from sklearn.metrics import roc_auc_score

from mlsteward.datasets import gss_wages_with_target
from mlsteward.lifecycle.datasets import add_dataset
from mlsteward.lifecycle.feasibility import run_feasibility
from mlsteward.spec import Spec
from mlsteward.workspace import Workspace


def _spec(feasibility_gate: list) -> Spec:
    return Spec.model_validate({
        "project": "wages",
        "charter": {"problem": "p", "decision": "d", "prediction_target": "t",
                    "kpis": {"ml": [{"name": "roc_auc", "target": 0.8, "timeframe": "now"}]},
                    "baseline": {"description": "rule", "rule": "prestg10 > 50"},
                    "constraints": {"p95_latency_ms": 1000},
                    "stakeholders": [{"name": "Dana", "role": "product_owner"}]},
        "data": {"target": "high_income", "time_column": "year", "sensitive_attributes": ["gender", "age"]},
        "feasibility": {"sample_rows": 4000, "label_cost_per_row": 0.5},
        "gates": {"feasibility": feasibility_gate},
    })


@pytest.fixture
def gss(workspace: Workspace) -> str:
    return add_dataset(workspace, gss_wages_with_target(), name="gss")[0].ref


def test_a_reasoned_go_recorded_as_evidence(workspace: Workspace, gss: str) -> None:
    gate = [{"metric": "roc_auc", "min": 0.7}, {"uplift_over_baseline": {"metric": "roc_auc", "min": 0.05}},
            {"signoff": ["product_owner"]}]
    outcome = run_feasibility(workspace, _spec(gate), gss)
    result = outcome.result
    assert result.decision == "go" and result.sample.rows == 4000
    assert set(result.baselines) == {"majority", "charter_rule"} and result.baselines["majority"] == 0.5
    best = max(p.metric_value for p in result.prototypes.values())
    metric_check, uplift_check, signoff = result.gate_checks
    assert metric_check.observed == best and metric_check.passed
    assert uplift_check.observed == pytest.approx(best - max(result.baselines.values()), abs=1e-12)
    assert signoff.passed is None  # sign-offs are recorded separately
    assert result.learning_curve is not None and result.learning_curve.points
    assert result.compute_viability.checks and result.error_taxonomy.rows == 1000
    evidence = workspace.store.evidence.of(gss)["feasibility"]
    assert evidence.passed and evidence.summary["decision"] == "go"
    stored = json.loads(workspace.artifacts.get_bytes(evidence.digest))
    assert stored["decision"] == "go" and "gender" not in json.dumps(stored["error_taxonomy"]["columns_used"])
    assert open(outcome.report_path, encoding="utf-8").read().startswith("<!DOCTYPE html>")
    run = workspace.store.runs.get(outcome.run_id)
    assert run.tags["decision"] == "go" and run.metrics["baseline_majority"] == 0.5


def test_an_unreachable_gate_is_a_no_go_with_its_reason(workspace: Workspace, gss: str) -> None:
    result = run_feasibility(workspace, _spec([{"metric": "roc_auc", "min": 0.99}]), gss).result
    assert result.decision == "no-go"
    assert any("not met" in reason for reason in result.reasons)
    assert workspace.store.evidence.of(gss)["feasibility"].passed is False


def test_the_rule_baseline_equals_scoring_the_rule_by_hand(workspace: Workspace, gss: str) -> None:
    result = run_feasibility(workspace, _spec([]), gss).result
    assert result.decision == "go" and any("no feasibility gate" in r for r in result.reasons)
    assert 0.5 < result.baselines["charter_rule"] < 1
    data = gss_wages_with_target()
    overall = roc_auc_score(data["high_income"], (data["prestg10"] > 50).astype(int))
    assert result.baselines["charter_rule"] == pytest.approx(overall, abs=0.03)  # a 1,000-row holdout of it
