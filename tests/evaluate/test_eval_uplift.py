"""Uplift over baselines and against the KPI: hand-worked numbers."""

import math

import pytest

from mlsteward.errors import InvalidInput
from mlsteward.evaluate._uplift import KPITarget, uplift
from mlsteward.spec import KPI


def test_higher_is_better_against_two_baselines():
    r = uplift(0.82, {"majority": 0.5, "rule": 0.7}, metric="roc_auc", greater_is_better=True)
    by = {c.name: c for c in r.baselines}
    assert by["majority"].difference == pytest.approx(0.32)
    assert by["majority"].relative_improvement == pytest.approx(0.64)  # 0.32 / 0.5
    assert by["rule"].improvement == pytest.approx(0.12)
    assert by["rule"].relative_improvement == pytest.approx(0.12 / 0.7)
    assert r.best_baseline == "rule" and r.best_baseline_value == 0.7
    assert r.uplift == pytest.approx(0.12)
    assert r.beats_all_baselines is True


def test_lower_is_better_flips_the_sign_and_the_best():
    r = uplift(0.30, {"mean": 0.50, "last_value": 0.25}, metric="rmse", greater_is_better=False)
    by = {c.name: c for c in r.baselines}
    assert by["mean"].difference == pytest.approx(-0.20)
    assert by["mean"].improvement == pytest.approx(0.20) and by["mean"].better is True
    assert by["last_value"].improvement == pytest.approx(-0.05) and by["last_value"].better is False
    assert by["last_value"].relative_improvement == pytest.approx(-0.2)  # -0.05 / 0.25
    assert r.best_baseline == "last_value"
    assert r.uplift == pytest.approx(-0.05)
    assert r.beats_all_baselines is False


def test_zero_and_missing_baselines():
    r = uplift(0.1, {"zero": 0.0, "missing": float("nan"), "none": None}, metric="r2", greater_is_better=True)
    by = {c.name: c for c in r.baselines}
    assert by["zero"].improvement == pytest.approx(0.1) and by["zero"].relative_improvement is None
    assert by["missing"].better is None and by["none"].improvement is None
    assert r.best_baseline == "zero"
    assert uplift(0.5, {}, metric="accuracy", greater_is_better=True).best_baseline is None


def test_tie_is_not_better():
    r = uplift(0.7, {"rule": 0.7}, metric="accuracy", greater_is_better=True)
    assert r.baselines[0].better is False and r.uplift == 0.0


def test_kpi_higher_is_better_partly_closed():
    # baseline 0.60, target 0.80, model 0.75: 0.15 of the 0.20 gap closed, 0.05 short
    kpi = KPITarget(name="recall_at_top_decile", baseline=0.60, target=0.80)
    k = uplift(0.75, {}, metric="recall", greater_is_better=True, kpi=kpi).kpi
    assert k.reaches_target is False
    assert k.gap_to_target == pytest.approx(0.05)
    assert k.change_from_baseline == pytest.approx(0.15)
    assert k.share_of_gap_closed == pytest.approx(0.75)


def test_kpi_lower_is_better_reached():
    # churn: baseline 0.10, target 0.08, model 0.07: reached, 0.03 better, 150 % of the gap closed
    k = uplift(0.07, {}, metric="churn", greater_is_better=False,
               kpi={"name": "churn", "baseline": 0.10, "target": 0.08, "direction": "lower_is_better"}).kpi
    assert k.reaches_target is True and k.gap_to_target == 0.0
    assert k.change_from_baseline == pytest.approx(-0.03)
    assert k.improvement_over_baseline == pytest.approx(0.03)
    assert k.share_of_gap_closed == pytest.approx(1.5)


def test_kpi_from_the_charter_without_baseline():
    charter_kpi = KPI(name="auc", target=0.8, timeframe="Q3")
    k = uplift(0.85, {}, metric="roc_auc", greater_is_better=True, kpi=charter_kpi).kpi
    assert k.reaches_target is True and k.baseline is None and k.share_of_gap_closed is None


def test_bad_inputs():
    with pytest.raises(InvalidInput, match="value is missing"):
        uplift(math.nan, {"a": 0.1}, metric="accuracy", greater_is_better=True)
    with pytest.raises(InvalidInput, match="must be a number"):
        uplift(0.5, {"a": "high"}, metric="accuracy", greater_is_better=True)
    with pytest.raises(InvalidInput, match="direction"):
        uplift(0.5, {}, metric="accuracy", greater_is_better=True, kpi={"name": "x", "target": 1, "direction": "up"})
