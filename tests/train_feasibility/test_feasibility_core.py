"""The feasibility study's computations, against scikit-learn called directly, closed forms and
hand-built data whose answers can be counted by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.linear_model import Ridge
from sklearn.metrics import confusion_matrix, mean_absolute_error
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict, learning_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder
from sklearn.tree import DecisionTreeClassifier

from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput
from mlsteward.train.feasibility_core import (
    compute_viability,
    fit_power_law,
    labeling_cost,
    learning_curve_study,
    sample_summary,
)
from mlsteward.train.feasibility_errors import error_taxonomy
from mlsteward.train.feasibility_models import FeasibilityResult, PrototypeResult, SegmentCondition

A, B, C = 0.9, 2.0, 0.5  # score(n) = 0.9 - 2 / sqrt(n)


def _closed_form_rows(target: float, a: float = A, b: float = B, c: float = C) -> float:
    return (b / (a - target)) ** (1 / c)


@pytest.fixture(scope="module")
def gss() -> pd.DataFrame:
    return gss_wages_with_target().sample(3_000, random_state=7).reset_index(drop=True)


def _tree() -> object:
    encode = make_column_transformer(
        (OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1),
         make_column_selector(dtype_include="category")), remainder="passthrough")
    return make_pipeline(encode, DecisionTreeClassifier(max_depth=5, min_samples_leaf=20, random_state=0))


class PowerLawModel(BaseEstimator):
    """Remembers how many rows it was fitted on; ``power_law_score`` scores it by the known law."""

    def fit(self, X, y):  # noqa: N803
        self.rows_ = len(X)
        return self

    def predict(self, X):  # noqa: N803
        return np.zeros(len(X))


class PowerLawClassifier(ClassifierMixin, PowerLawModel):
    pass


class PowerLawRegressor(RegressorMixin, PowerLawModel):
    pass


def power_law_score(estimator, X, y) -> float:  # noqa: N803
    return A - B * estimator.rows_ ** -C


def flat_score(estimator, X, y) -> float:  # noqa: N803
    return 0.8


def _xy(rows: int = 1_000) -> tuple[np.ndarray, np.ndarray]:
    return np.arange(rows, dtype=float).reshape(-1, 1), np.arange(rows) % 2


# --- the learning curve ---------------------------------------------------------------------------


def test_learning_curve_equals_sklearn_with_the_same_folds(gss: pd.DataFrame) -> None:
    X, y = gss.drop(columns="high_income"), gss["high_income"]
    sizes = (0.1, 0.2, 0.35, 0.5, 0.75, 1.0)
    study = learning_curve_study(_tree(), X, y, scoring="roc_auc", sizes=sizes, cv=5, seed=3)
    rows, train, valid = learning_curve(
        _tree(), X, y, train_sizes=sizes, cv=StratifiedKFold(5, shuffle=True, random_state=3), scoring="roc_auc",
        shuffle=True, random_state=3)
    assert [p.train_rows for p in study.points] == rows.tolist()
    assert [p.share for p in study.points] == pytest.approx((rows / rows.max()).tolist())
    assert [p.validation_scores for p in study.points] == valid.tolist()
    assert [p.train_scores for p in study.points] == train.tolist()
    assert [p.validation_mean for p in study.points] == pytest.approx(valid.mean(axis=1).tolist(), abs=1e-12)
    assert [p.validation_std for p in study.points] == pytest.approx(valid.std(axis=1).tolist(), abs=1e-12)
    assert [p.train_mean for p in study.points] == pytest.approx(train.mean(axis=1).tolist(), abs=1e-12)
    assert [p.train_std for p in study.points] == pytest.approx(train.std(axis=1).tolist(), abs=1e-12)
    assert study.task == "classification" and study.folds == 5 and study.rows == len(X)
    assert study.metric == "roc_auc" and "StratifiedKFold" in study.cv


def test_a_regressor_gets_shuffled_kfold_and_a_lower_is_better_callable() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.normal(scale=0.5, size=600)

    def mae(estimator, X, y) -> float:  # noqa: N803
        return mean_absolute_error(y, estimator.predict(X))

    study = learning_curve_study(Ridge(), X, y, scoring=mae, greater_is_better=False, cv=4, seed=1)
    _, _, valid = learning_curve(Ridge(), X, y, train_sizes=(0.1, 0.2, 0.35, 0.5, 0.75, 1.0),
                                 cv=KFold(4, shuffle=True, random_state=1), scoring=mae, shuffle=True, random_state=1)
    assert [p.validation_mean for p in study.points] == pytest.approx(valid.mean(axis=1).tolist(), abs=1e-12)
    assert study.task == "regression" and study.metric == "mae" and not study.greater_is_better
    assert study.fit is not None and not study.fit.greater_is_better
    assert study.fit.asymptote == pytest.approx(min(p.validation_mean for p in study.points), abs=0.05)


def test_power_law_fit_recovers_known_parameters() -> None:
    rows = np.array([100, 200, 350, 500, 1_000, 2_000, 5_000, 10_000])
    fit = fit_power_law(rows, A - B * rows ** -C)
    assert (fit.a, fit.b, fit.c) == pytest.approx((A, B, C), rel=1e-4)
    assert fit.asymptote == pytest.approx(A, rel=1e-6)
    assert fit.rmse < 1e-8
    assert fit.predict(40_000) == pytest.approx(A - B / 200)
    for target in (0.85, 0.88, 0.89, 0.895):
        assert fit.rows_to_reach(target) == pytest.approx(_closed_form_rows(target), rel=0.01)


def test_power_law_mirrors_for_lower_is_better() -> None:
    rows = np.array([100, 200, 500, 1_000, 2_000, 5_000])
    loss = 0.1 + B * rows ** -C  # falls towards 0.1
    fit = fit_power_law(rows, loss, greater_is_better=False)
    assert (fit.a, fit.b, fit.c) == pytest.approx((0.1, B, C), rel=1e-4)
    assert fit.predict(400) == pytest.approx(0.2)
    assert fit.rows_to_reach(0.11) == pytest.approx((B / 0.01) ** 2, rel=0.01)
    assert fit.rows_to_reach(0.05) is None  # below the floor the curve approaches


def test_study_estimates_the_rows_for_a_target_from_the_fitted_law() -> None:
    X, y = _xy(2_000)
    study = learning_curve_study(PowerLawClassifier(), X, y, scoring=power_law_score, target=0.88)
    assert study.fit is not None
    assert (study.fit.a, study.fit.b, study.fit.c) == pytest.approx((A, B, C), rel=1e-4)
    assert study.rows_needed == pytest.approx(_closed_form_rows(0.88), rel=0.01)  # 10,000 training rows
    assert study.target_met is False and study.trend == "rising"
    assert "Still rising" in study.verdict and f"{study.rows_needed:,}" in study.verdict
    largest = study.points[-1].train_rows
    assert largest == 1_600
    assert study.gain_per_doubling == pytest.approx(B * largest ** -C * (1 - 2 ** -C), rel=1e-4)


def test_rows_needed_is_none_when_the_target_is_above_the_asymptote() -> None:
    X, y = _xy(2_000)
    study = learning_curve_study(PowerLawClassifier(), X, y, scoring=power_law_score, target=0.95)
    assert study.fit is not None and study.fit.asymptote == pytest.approx(A, rel=1e-4)
    assert study.rows_needed is None
    assert "beyond the fitted ceiling" in study.verdict and "0.95" in study.verdict
    assert study.fit.rows_to_reach(0.95) is None and study.fit.rows_to_reach(A) is None


def test_a_target_already_met_needs_no_more_rows() -> None:
    X, y = _xy(2_000)
    study = learning_curve_study(PowerLawClassifier(), X, y, scoring=power_law_score, target=0.5)
    assert study.target_met is True
    assert study.rows_needed is not None and study.rows_needed <= study.points[0].train_rows
    assert "already met" in study.verdict


def test_a_flat_curve_says_more_data_is_unlikely_to_help() -> None:
    X, y = _xy(1_000)
    study = learning_curve_study(PowerLawClassifier(), X, y, scoring=flat_score)
    assert study.trend == "flat" and study.flat_since_share == pytest.approx(0.1)
    assert study.verdict.startswith("Flat since 10%") and "unlikely to help" in study.verdict


def test_a_failed_fit_is_a_note_not_a_crash() -> None:
    X, y = _xy(1_000)
    study = learning_curve_study(PowerLawRegressor(), X, y, scoring=power_law_score, sizes=(0.5, 1.0), target=0.88)
    assert study.fit is None and "3 or more distinct training sizes" in study.fit_note
    assert study.rows_needed is None and "could not be estimated" in study.verdict
    assert study.trend == "rising" and study.task == "regression"


def test_study_inputs_are_checked_with_what_to_do() -> None:
    X, y = _xy(100)
    with pytest.raises(InvalidInput, match="higher-is-better"):
        learning_curve_study(PowerLawClassifier(), X, y, scoring="roc_auc", greater_is_better=False)
    with pytest.raises(InvalidInput, match=r"shares of the training rows in \(0, 1\]"):
        learning_curve_study(PowerLawClassifier(), X, y, scoring="roc_auc", sizes=(100, 200))
    with pytest.raises(InvalidInput, match="same rows"):
        learning_curve_study(PowerLawClassifier(), X, y[:50], scoring="roc_auc")
    with pytest.raises(InvalidInput, match="3 or more"):
        fit_power_law([10, 20], [0.5, 0.6])


# --- labeling cost --------------------------------------------------------------------------------


def test_labeling_cost_arithmetic() -> None:
    cost = labeling_cost(50_000, 20_000, 0.4)
    assert (cost.rows_to_label, cost.estimated_cost_usd) == (30_000, pytest.approx(12_000.0))
    assert "30,000 more rows" in cost.summary and cost.notes == []
    enough = labeling_cost(10_000, 20_000, 0.4)
    assert (enough.rows_to_label, enough.estimated_cost_usd) == (0, 0.0)
    unpriced = labeling_cost(50_000, 20_000, None)
    assert (unpriced.rows_to_label, unpriced.estimated_cost_usd) == (30_000, None)
    assert any("label_cost_per_row" in n for n in unpriced.notes)
    unknown = labeling_cost(None, 20_000, 0.4)
    assert (unknown.rows_to_label, unknown.estimated_cost_usd) == (None, None)
    with pytest.raises(InvalidInput, match="rows_labelled"):
        labeling_cost(10, -1, 0.4)
    with pytest.raises(InvalidInput, match="cost_per_row"):
        labeling_cost(10, 1, -0.4)


# --- compute viability ----------------------------------------------------------------------------


def test_compute_viability_checks_p99_against_the_p95_budget_and_prices_cpu_time() -> None:
    ok = compute_viability(latency_p50_ms=2.0, latency_p99_ms=9.0, cpu_ms_per_prediction=1.5, p95_latency_ms=10,
                           cost_per_prediction_usd=1e-6, cost_per_cpu_second_usd=2e-4)
    latency, cost = ok.checks
    assert (latency.check, latency.observed, latency.passed) == ("p95_latency_ms", 9.0, True)
    assert "p99" in latency.note and "conservative" in latency.note
    assert cost.observed == pytest.approx(1.5e-3 * 2e-4) and cost.passed is True
    assert ok.passed is True
    slow = compute_viability(latency_p50_ms=2.0, latency_p99_ms=12.0, p95_latency_ms=10,
                             cost_per_prediction_usd=1e-9, cost_per_cpu_second_usd=2e-4)
    assert [c.passed for c in slow.checks] == [False, False] and slow.passed is False
    assert slow.estimated_cost_per_prediction_usd == pytest.approx(2e-3 * 2e-4)  # p50 stands in for CPU time
    unknown = compute_viability(train_seconds=3.0, p95_latency_ms=10)
    assert [c.passed for c in unknown.checks] == [None, None] and unknown.passed is None
    assert unknown.measured.train_seconds == 3.0
    with pytest.raises(InvalidInput, match="p95_latency_ms"):
        compute_viability(p95_latency_ms=-1)


# --- error taxonomy -------------------------------------------------------------------------------


def _planted() -> tuple[pd.DataFrame, np.ndarray]:
    """x in 0..9 x colour in 3 x 20 repeats = 600 rows. Wrong: 15 of the 20 repeats where x > 5 and
    colour is red (4 x 15 = 60 of 80 rows), one repeat in 20 elsewhere (520 / 20 = 26 rows)."""
    rows = [(x, colour, rep) for x in range(10) for colour in ("red", "blue", "green") for rep in range(20)]
    df = pd.DataFrame(rows, columns=["x", "colour", "rep"])
    planted = (df["x"] > 5) & (df["colour"] == "red")
    wrong = np.where(planted, df["rep"] < 15, df["rep"] == 0)
    return df[["x", "colour"]], wrong


def test_error_segments_find_the_planted_group() -> None:
    X, wrong = _planted()
    y_true = np.ones(len(X), dtype=int)
    result = error_taxonomy(X, y_true, np.where(wrong, 0, 1))
    assert (result.rows, result.errors) == (600, 86)
    assert result.error_rate == pytest.approx(86 / 600)
    [segment] = result.segments
    assert {c.text for c in segment.conditions} == {"colour = red", "x > 5.5"}
    assert (segment.rows, segment.errors) == (80, 60)
    assert segment.error_rate == pytest.approx(0.75)
    assert segment.excess_errors == pytest.approx(60 - 80 * 86 / 600)
    assert segment.lift == pytest.approx(0.75 / (86 / 600))
    assert segment.rule in ("colour = red and x > 5.5", "x > 5.5 and colour = red")


def test_segments_smaller_than_min_rows_are_left_out() -> None:
    X, wrong = _planted()
    y_true = np.ones(len(X), dtype=int)
    found = error_taxonomy(X, y_true, np.where(wrong, 0, 1), min_rows=81).segments
    assert found, "a larger group around the planted one still stands out"
    assert all(s.rows >= 81 for s in found)
    assert (80, 60) not in [(s.rows, s.errors) for s in found]  # the planted group alone is too small


def test_missing_values_are_segments_of_their_own() -> None:
    """600 rows, x = 0..9; x is missing on 100 rows, all wrong; elsewhere 1 row in 20 is wrong.
    ``shade`` (text) is missing on every other repeat; a second target is wrong exactly where shade
    is missing and x > 7 (x in 8, 9 on 30 repeats: 60 rows)."""
    x = np.tile(np.arange(10, dtype=float), 60)
    rep = np.repeat(np.arange(60), 10)
    missing = rep % 6 == 0
    x[missing] = np.nan
    shade = pd.Series(np.where(rep % 2 == 0, "light", None), dtype=object)
    X = pd.DataFrame({"x": x, "shade": shade})
    zeros = np.zeros(600, dtype=int)
    [segment] = error_taxonomy(X, zeros, (missing | (rep % 20 == 1)).astype(int)).segments
    assert (segment.rule, segment.rows, segment.errors) == ("x is missing", 100, 100)
    [segment] = error_taxonomy(X, zeros, (shade.isna().to_numpy() & (x > 7)).astype(int)).segments
    assert {c.text for c in segment.conditions} == {"x > 7.5", "shade is missing"}
    assert (segment.rows, segment.errors) == (60, 60)


def test_time_and_boolean_columns_read_as_times_and_values() -> None:
    """400 days from 2020-01-01 (Paris time), one missing; ``flag`` on every other day. Wrong from
    day 300 on where flag is set: 50 rows."""
    n = 400
    when = pd.Series(pd.date_range("2020-01-01", periods=n, freq="D", tz="Europe/Paris"))
    when[5] = pd.NaT
    X = pd.DataFrame({"when": when, "wait": pd.to_timedelta(np.arange(n) % 10, unit="h"),
                      "flag": np.arange(n) % 2 == 0})
    planted = (np.arange(n) >= 300) & X["flag"].to_numpy()
    result = error_taxonomy(X, np.zeros(n, dtype=int), planted.astype(int))
    [segment] = result.segments
    assert (segment.rows, segment.errors) == (50, 50)
    time, flag = sorted(segment.conditions, key=lambda c: c.column)[::-1]
    assert (flag.column, flag.values, flag.text) == ("flag", [True], "flag = True")
    threshold = pd.Timestamp(time.above)
    assert threshold.tzinfo is not None and threshold.second == 0
    assert time.text == f"when > {time.above}"
    assert ((X["when"] > threshold) & X["flag"]).to_numpy().tolist() == planted.tolist()


def _rows_of(condition: SegmentCondition, X: pd.DataFrame) -> np.ndarray:
    """Which rows a segment condition selects, evaluated here on the raw frame (not by the tree)."""
    s = X[condition.column]
    missing = s.isna().to_numpy()
    if condition.above is not None or condition.at_most is not None:
        values = s.astype(float).to_numpy()
        hit = np.ones(len(s), dtype=bool)
        if condition.above is not None:
            hit &= values > condition.above
        if condition.at_most is not None:
            hit &= values <= condition.at_most
        return (hit & ~missing) | (missing & condition.missing)
    if pd.api.types.is_numeric_dtype(s.dtype) and not condition.values:  # "is (not) missing"
        return missing if condition.missing else ~missing
    inside = s.astype(object).isin(condition.values).to_numpy()
    return (np.where(condition.negated, ~inside, inside) & ~missing) | (missing & condition.missing)


def test_segments_on_real_data_select_the_rows_their_rules_say() -> None:
    df = gss_wages_with_target()
    X, y = df.drop(columns="high_income"), df["high_income"].to_numpy()
    pred = cross_val_predict(_tree(), X, y, cv=3)
    result = error_taxonomy(X, y, pred, top=20)
    wrong = pred != y
    assert (result.rows, result.errors) == (37_887, int(wrong.sum()))
    assert result.segments, "GSS errors are not uniform: some segment is expected"
    excess = [s.excess_errors for s in result.segments]
    assert excess == sorted(excess, reverse=True)
    for segment in result.segments:
        selected = np.logical_and.reduce([_rows_of(c, X) for c in segment.conditions])
        assert (segment.rows, segment.errors) == (int(selected.sum()), int(wrong[selected].sum())), segment.rule
        assert segment.rows >= 30 and segment.error_rate >= 1.25 * result.error_rate
    assert set(result.columns_used) == set(X.columns)


def test_confusion_matrix_equals_sklearns(gss: pd.DataFrame) -> None:
    X, y = gss.drop(columns="high_income"), gss["high_income"].to_numpy()
    pred = cross_val_predict(_tree(), X, y, cv=3)
    result = error_taxonomy(X, y, pred)
    assert result.confusion_matrix.labels == [0, 1]
    assert result.confusion_matrix.counts == confusion_matrix(y, pred).tolist()
    assert result.errors == int((pred != y).sum())
    # multiclass, text labels, a class that is only ever predicted
    truth = np.array(["cat"] * 50 + ["dog"] * 30 + ["eel"] * 20)
    guess = np.array(["cat"] * 40 + ["dog"] * 10 + ["dog"] * 25 + ["fox"] * 5 + ["cat"] * 12 + ["eel"] * 8)
    frame = pd.DataFrame({"size": np.arange(100) % 7})
    multi = error_taxonomy(frame, truth, guess, top=2)
    labels = ["cat", "dog", "eel", "fox"]
    assert multi.confusion_matrix.labels == labels
    assert multi.confusion_matrix.counts == confusion_matrix(truth, guess, labels=labels).tolist()
    assert [(c.true_label, c.predicted_label, c.count) for c in multi.top_confusions] == [
        ("eel", "cat", 12), ("cat", "dog", 10)]
    assert multi.top_confusions[0].share_of_errors == pytest.approx(12 / 27)
    assert multi.top_confusions[0].share_of_class == pytest.approx(12 / 20)


def test_regression_errors_are_the_largest_absolute_errors() -> None:
    X, wrong = _planted()
    truth = np.zeros(len(X))
    pred = np.where(wrong, 10.0, 0.1)
    result = error_taxonomy(X, truth, pred, tolerance=1.0)
    assert result.task == "regression" and result.confusion_matrix is None
    assert result.errors == 86 and "exceeds 1" in result.error_definition
    [segment] = result.segments
    assert (segment.rows, segment.errors) == (80, 60)
    assert segment.mean_absolute_error == pytest.approx((60 * 10 + 20 * 0.1) / 80)
    default = error_taxonomy(X, truth, pred)
    assert "80th percentile" in default.error_definition


def test_no_errors_means_no_segments() -> None:
    X, _ = _planted()
    result = error_taxonomy(X, np.ones(len(X)), np.ones(len(X)))
    assert result.errors == 0 and result.segments == [] and "no error" in result.notes[0]


def test_error_taxonomy_inputs_are_checked() -> None:
    X, wrong = _planted()
    with pytest.raises(InvalidInput, match="DataFrame"):
        error_taxonomy(X.to_numpy(), wrong, wrong)
    with pytest.raises(InvalidInput, match="one true and one predicted value per row"):
        error_taxonomy(X, wrong[:10], wrong[:10])


# --- the sample and the result container ----------------------------------------------------------


def test_sample_summary_of_the_gss_target(gss: pd.DataFrame) -> None:
    summary = sample_summary(gss["high_income"], columns=10, target="high_income")
    assert summary.task == "binary" and summary.positive_label == 1
    assert summary.positive_rate == pytest.approx(gss["high_income"].mean())
    assert sum(c.count for c in summary.classes) == len(gss)
    numeric = sample_summary(gss["age"])
    assert numeric.task == "regression"
    assert numeric.target_summary["median"] == pytest.approx(gss["age"].median())
    assert "rows have no target value" in numeric.notes[0]


def test_the_result_round_trips_through_json() -> None:
    X, y = _xy(1_000)
    study = learning_curve_study(PowerLawClassifier(), X, y, scoring=power_law_score, target=0.88)
    study.points[0].validation_scores[0] = None  # a failed fold is stored as null, not NaN
    Xp, wrong = _planted()
    result = FeasibilityResult(
        metric="roc_auc", sample=sample_summary(y), baselines={"majority": 0.5},
        prototypes={"tree": PrototypeResult(metric_value=0.8, efficiency=compute_viability(train_seconds=1).measured)},
        learning_curve=study, labeling_cost=labeling_cost(study.rows_needed, 1_000, 0.5),
        compute_viability=compute_viability(latency_p99_ms=3, p95_latency_ms=5),
        error_taxonomy=error_taxonomy(Xp, np.ones(600, dtype=int), np.where(wrong, 0, 1)), decision="go")
    again = FeasibilityResult.model_validate_json(result.model_dump_json())
    assert again == result
    assert again.best_prototype == ("tree", 0.8) and again.uplift == pytest.approx(0.3)
    assert math.isclose(again.learning_curve.fit.predict(10_000), result.learning_curve.fit.predict(10_000))
