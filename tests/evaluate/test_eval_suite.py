"""The evaluation suite: bad input refused before any check runs; on real data with the real model
path (feature set + estimator) the numbers equal scikit-learn's; checks registered by name; a check
that cannot apply is skipped with its reason, or refused when asked for by name; a broken check does
not lose the others."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score

from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput
from mlsteward.evaluate.suite import CHECKS, CheckReport, SuiteInputs, register_check, run_suite
from mlsteward.features.definitions import FeatureDefinition
from mlsteward.features.feature_set import FeatureSet
from mlsteward.spec_evaluation import EvaluationSpec
from mlsteward.spec_gates import parse_gate_check
from mlsteward.train.scoring import scoring_model

DEFINITIONS = [FeatureDefinition(name="prestige", transform="impute", inputs=["prestg10"]),
               FeatureDefinition(name="education", transform="one_hot", inputs=["educcat"]),
               FeatureDefinition(name="work", transform="one_hot", inputs=["wrkstat"]),
               FeatureDefinition(name="children", transform="impute", inputs=["childs"])]
FAST = EvaluationSpec(bootstrap=100, cv_folds=3, explain={"max_rows": 500, "repeats": 2, "shap": False},
                      robustness={"max_rows": 500}, ablation={"repeats": 1})


@pytest.fixture(scope="module")
def data() -> dict:
    df = gss_wages_with_target().sample(4000, random_state=1).reset_index(drop=True)
    train = df.iloc[:2400]
    valid, test = df.iloc[2400:3000].reset_index(drop=True), df.iloc[3000:].reset_index(drop=True)
    fs, features = FeatureSet.fit(DEFINITIONS, train, "high_income")
    model = scoring_model(fs, LogisticRegression(max_iter=500).fit(features, train["high_income"]))
    return {"model": model, "train": train, "valid": valid, "test": test, "fs": fs}


def _inputs(data: dict, **changes: object) -> SuiteInputs:
    test = data["test"]
    values = dict(model=data["model"], frame=test.drop(columns=["high_income"]), y=test["high_income"],
                  metric_name="roc_auc", config=FAST, sensitive=["gender"],
                  train=(data["train"].drop(columns=["high_income"]), data["train"]["high_income"]),
                  calibration_rows=(data["valid"].drop(columns=["high_income"]), data["valid"]["high_income"]),
                  baselines={"majority": 0.5},
                  gate=[parse_gate_check({"metric": "roc_auc", "min": 0.6}),
                        parse_gate_check({"fairness": {"metric": "demographic_parity_difference", "by": "gender",
                                                       "max": 0.5}})])
    return SuiteInputs(**(values | changes))


def test_the_default_suite_on_real_data_equals_the_references(data: dict) -> None:
    seen = []
    result = run_suite(_inputs(data), progress=lambda title, i, n: seen.append(title))
    assert [c.name for c in result.checks] == list(CHECKS)
    assert {c.name: c.status for c in result.checks if c.status in ("error", "skipped")} == {}
    test = data["test"]
    proba = data["model"].estimator.predict_proba(data["fs"].transform(test))[:, 1]
    metrics = result.result("metrics")["values"]
    assert metrics["roc_auc"]["value"] == pytest.approx(roc_auc_score(test["high_income"], proba), abs=1e-12)
    assert metrics["roc_auc"]["ci_low"] < metrics["roc_auc"]["value"] < metrics["roc_auc"]["ci_high"]
    before = result.result("calibration")["before"]
    assert before["brier_score"] == pytest.approx(brier_score_loss(test["high_income"], proba), abs=1e-12)
    assert result.gate.decision in ("pass", "fail") and len(result.gate.checks) == 2
    assert result.gate.checks[0].observed == metrics["roc_auc"]["value"]
    dpd = result.result("fairness")["attributes"][0]["demographic_parity_difference"]
    assert result.gate.checks[1].observed == dpd
    assert seen[-1] == "done" and result.positive_class == 1 and result.n_rows == len(test)


def test_a_regressor_skips_what_needs_classes_with_the_reason(data: dict) -> None:
    train, test = data["train"], data["test"]
    fs = data["fs"]
    model = scoring_model(fs, LinearRegression().fit(fs.transform(train), train["age"].fillna(40)))
    frame = test.drop(columns=["age"])
    result = run_suite(_inputs(data, model=model, frame=frame, y=test["age"].fillna(40), metric_name="rmse",
                               train=(train.drop(columns=["age"]), train["age"].fillna(40)), sensitive=[], gate=[],
                               baselines={"mean": 20.0}))
    skipped = {c.name: c.summary for c in result.checks if c.status == "skipped"}
    assert set(skipped) == {"calibration", "operating_point", "fairness"}
    assert "regressor" in skipped["calibration"] and "sensitive" in skipped["fairness"]
    assert result.result("metrics")["values"]["rmse"]["value"] == pytest.approx(
        float(np.sqrt(np.mean((model.predict(frame) - test["age"].fillna(40)) ** 2))), abs=1e-9)


@pytest.mark.parametrize(("change", "message"), [
    ("missing_column", "input schema does not match the data: column\\(s\\) \\['educcat'\\]"),
    ("one_class", "lacks class\\(es\\) \\[1\\]"),
    ("continuous_target", "looks continuous"),
    ("unknown_class", "class\\(es\\) \\[7\\] the model never saw"),
    ("sensitive_absent", "sensitive attribute\\(s\\) \\['ethnicity'\\] are not columns"),
    ("missing_target", "target is missing on 3 test rows"),
])
def test_bad_input_is_refused_before_any_check_runs(data: dict, change: str, message: str) -> None:
    test = data["test"]
    frame, y, sensitive = test.drop(columns=["high_income"]), test["high_income"].copy(), ["gender"]
    if change == "missing_column":
        frame = frame.drop(columns=["educcat"])
    elif change == "one_class":
        keep = y == 0
        frame, y = frame[keep], y[keep]
    elif change == "continuous_target":
        y = pd.Series(np.linspace(0, 1, len(y)), index=y.index)
    elif change == "unknown_class":
        y.iloc[:5] = 7
    elif change == "sensitive_absent":
        sensitive = ["ethnicity"]
    elif change == "missing_target":
        y = y.astype(float)
        y.iloc[:3] = np.nan
    seen = []
    with pytest.raises(InvalidInput, match=message):
        run_suite(_inputs(data, frame=frame, y=y, sensitive=sensitive), progress=lambda *a: seen.append(a))
    assert seen == []


def test_checks_asked_for_by_name_must_apply(data: dict) -> None:
    with pytest.raises(InvalidInput, match="unknown check"):
        run_suite(_inputs(data), ["metrics", "shapley"])
    with pytest.raises(InvalidInput, match="fairness \\(no sensitive attributes"):
        run_suite(_inputs(data, sensitive=[]), ["metrics", "fairness"])
    result = run_suite(_inputs(data), ["gates", "metrics"])  # run in registry (report) order
    assert [c.name for c in result.checks] == ["metrics", "gates"]


def test_a_registered_check_runs_by_name_and_a_broken_one_loses_nothing(data: dict) -> None:
    @register_check("positive_share", "Positive share")
    def _share(inputs: SuiteInputs, earlier: dict) -> CheckReport:
        share = float(np.mean(inputs.y_pred == 1))
        return CheckReport(status="info", summary=f"{share:.1%} predicted positive", result={"share": share})

    @register_check("broken", "Broken")
    def _broken(inputs: SuiteInputs, earlier: dict) -> CheckReport:
        raise ZeroDivisionError("boom")

    try:
        result = run_suite(_inputs(data), ["metrics", "positive_share", "broken"])
        share = result.check("positive_share")
        assert share.result["share"] == pytest.approx(float(np.mean(data["model"].predict(data["test"]) == 1)))
        broken = result.check("broken")
        assert broken.status == "error" and "ZeroDivisionError: boom" in broken.summary
        assert result.check("metrics").status == "info"
        with pytest.raises(ValueError, match="already registered"):
            register_check("metrics", "again")(_share)
    finally:
        CHECKS.pop("positive_share", None)
        CHECKS.pop("broken", None)
