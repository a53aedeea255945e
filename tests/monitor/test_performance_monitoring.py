"""Performance monitoring with delayed labels: every number against scikit-learn, Fairlearn, numpy or a
hand-worked example; the confidence-based estimate against realised accuracy in a simulation."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlsteward.errors import InvalidInput
from mlsteward.evaluate import calibration
from mlsteward.monitor.performance import PerformanceOverTime, performance_over_time

DAY = 86_400_000
T0 = 1_717_200_000_000 - 1_717_200_000_000 % DAY  # a UTC midnight


def ece_reference(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """ECE from scikit-learn's reliability curve, weighted by each non-empty bin's share of rows."""
    prob_true, prob_pred = calibration_curve(y, p, n_bins=bins, strategy="uniform")
    counts = np.bincount(np.searchsorted(np.linspace(0, 1, bins + 1)[1:-1], p), minlength=bins)
    counts = counts[counts > 0]
    return float(np.sum(counts / len(y) * np.abs(prob_true - prob_pred)))


@pytest.fixture(scope="module")
def cancer_log() -> pd.DataFrame:
    """Breast-cancer test rows scored by a logistic regression, logged over three days, 20 % unlabelled."""
    X, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(1)
    order = rng.permutation(len(y))
    train, test = order[:200], order[200:]
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=1000)).fit(X[train], y[train])
    proba = model.predict_proba(X[test])
    label = pd.Series(y[test], dtype=object)
    label[rng.uniform(size=len(test)) < 0.2] = None
    return pd.DataFrame({
        "time_ms": T0 + rng.integers(0, 3 * DAY, len(test)),
        "prediction": model.predict(X[test]),
        "probabilities": list(proba),
        "label": label,
        "input.size": np.where(X[test, 0] > 14, "large", "small"),
    })


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["label"].notna()]


def window_rows(frame: pd.DataFrame, start: int, window_ms: int = DAY) -> pd.DataFrame:
    return frame[(frame["time_ms"] >= start) & (frame["time_ms"] < start + window_ms)]


def sklearn_binary(rows: pd.DataFrame) -> dict[str, float]:
    y, pred = rows["label"].astype(int).to_numpy(), rows["prediction"].to_numpy()
    p = np.stack(rows["probabilities"].to_numpy())[:, 1]
    return {"accuracy": skm.accuracy_score(y, pred), "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
            "precision": skm.precision_score(y, pred), "recall": skm.recall_score(y, pred),
            "f1": skm.f1_score(y, pred), "roc_auc": skm.roc_auc_score(y, p),
            "average_precision": skm.average_precision_score(y, p), "log_loss": skm.log_loss(y, p),
            "brier_score": skm.brier_score_loss(y, p), "expected_calibration_error": ece_reference(y, p)}


# --- windows and realised metrics ----------------------------------------------------------------------------


def test_windows_are_epoch_aligned_and_count_rows_and_labels() -> None:
    frame = pd.DataFrame({"time_ms": [0, 999, 1000, 2500, 2999, 7000, -1],
                          "prediction": [0, 1, 1, 0, 1, 0, 1], "label": [0, None, 1, None, None, 0, 1]})
    result = performance_over_time(frame, window_ms=1000, classes=[0, 1], min_labelled=1)
    assert [(w.start_ms, w.end_ms) for w in result.windows] == [(-1000, 0), (0, 1000), (1000, 2000),
                                                                (2000, 3000), (7000, 8000)]
    assert [w.rows for w in result.windows] == [1, 2, 1, 2, 1]
    assert [w.labelled_rows for w in result.windows] == [1, 1, 1, 0, 1]
    assert [w.label_coverage for w in result.windows] == [1.0, 0.5, 1.0, 0.0, 1.0]
    assert (result.overall.start_ms, result.overall.end_ms, result.overall.rows) == (-1000, 8000, 7)
    assert result.overall.labelled_rows == result.labelled_rows == 4
    assert result.overall.metrics["accuracy"] == 1.0
    assert result.windows[3].metrics["accuracy"] is None


def test_realised_metrics_equal_scikit_learn_in_every_window(cancer_log: pd.DataFrame) -> None:
    result = performance_over_time(cancer_log, window_ms=DAY, classes=[0, 1])
    assert result.task == "classification" and result.positive_label == 1 and len(result.windows) == 3
    for window in result.windows:
        rows = window_rows(cancer_log, window.start_ms)
        assert window.rows == len(rows) and window.labelled_rows == len(labelled(rows))
        expected = sklearn_binary(labelled(rows))
        assert set(window.metrics) == set(expected) and not window.unavailable
        for name, value in expected.items():
            assert window.metrics[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name
    overall = sklearn_binary(labelled(cancer_log))
    for name, value in overall.items():
        assert result.overall.metrics[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name


def test_calibration_error_is_the_evaluation_gates_number(cancer_log: pd.DataFrame) -> None:
    rows = labelled(cancer_log)
    y, p = rows["label"].astype(int).to_numpy(), np.stack(rows["probabilities"].to_numpy())[:, 1]
    for bins in (10, 5):
        result = performance_over_time(cancer_log, window_ms=10 * DAY, classes=[0, 1], calibration_bins=bins)
        assert result.calibration_bins == bins
        ece = result.overall.metrics["expected_calibration_error"]
        assert ece == calibration(y, p, bins=bins).expected_calibration_error
        assert ece == pytest.approx(ece_reference(y, p, bins), rel=1e-12)


def test_cohort_metrics_equal_scikit_learn_on_the_cohorts_rows(cancer_log: pd.DataFrame) -> None:
    result = performance_over_time(cancer_log, window_ms=DAY, classes=[0, 1], cohorts=["input.size"],
                                   min_labelled=10)
    for window in result.windows:
        rows = window_rows(cancer_log, window.start_ms)
        assert [c.value for c in window.cohorts] == sorted(rows["input.size"].unique())
        for cohort in window.cohorts:
            subset = labelled(rows[rows["input.size"] == cohort.value])
            assert cohort.column == "input.size" and cohort.labelled_rows == len(subset)
            y, pred = subset["label"].astype(int), subset["prediction"]
            assert cohort.metrics["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
            assert cohort.metrics["f1"] == pytest.approx(skm.f1_score(y, pred, zero_division=0))


def test_too_few_labels_give_none_with_a_reason_and_one_class_leaves_out_roc_auc() -> None:
    frame = pd.DataFrame({"time_ms": np.r_[np.zeros(40), np.full(10, DAY)].astype(int),
                          "prediction": [1] * 25 + [0] * 25,
                          "probabilities": [[0.2, 0.8]] * 25 + [[0.7, 0.3]] * 25,
                          "label": [1] * 40 + [0] * 10})
    result = performance_over_time(frame, window_ms=DAY, classes=[0, 1], cohorts=["label"])
    first, second = result.windows
    assert first.metrics["accuracy"] == skm.accuracy_score([1] * 40, [1] * 25 + [0] * 15)
    assert first.metrics["roc_auc"] is None and "roc_auc" in first.unavailable
    assert "undefined" in first.unavailable["roc_auc"]
    assert "accuracy" not in first.unavailable
    assert all(v is None for v in second.metrics.values())
    assert set(second.unavailable) == set(second.metrics)
    assert "10 labelled rows, fewer than min_labelled=30" in second.unavailable["accuracy"]
    assert all(c.metrics["accuracy"] is None for c in second.cohorts)
    assert second.estimates["accuracy"].value == pytest.approx(0.7)  # estimates need no labels


def test_rows_without_probabilities_are_left_out_of_the_probability_metrics_only(cancer_log: pd.DataFrame) -> None:
    frame = cancer_log.copy()
    frame.loc[frame.index[::4], "probabilities"] = None
    result = performance_over_time(frame, window_ms=10 * DAY, classes=[0, 1])
    has = frame["probabilities"].notna()
    assert result.overall.labelled_rows_with_probabilities == len(labelled(frame[has]))
    y_all = labelled(frame)
    assert result.overall.metrics["accuracy"] == pytest.approx(
        skm.accuracy_score(y_all["label"].astype(int), y_all["prediction"]))
    assert result.overall.metrics["roc_auc"] == pytest.approx(sklearn_binary(labelled(frame[has]))["roc_auc"])
    assert result.overall.estimates["accuracy"].rows == int(has.sum())
    assert any("have no probabilities" in n for n in result.notes)


def test_positive_label_and_text_classes() -> None:
    rng = np.random.default_rng(3)
    p_yes = rng.uniform(size=200)
    y = np.where(rng.uniform(size=200) < p_yes, "yes", "no")
    pred = np.where(p_yes > 0.4, "yes", "no")
    frame = pd.DataFrame({"time_ms": np.arange(200), "prediction": pred, "label": y,
                          "probabilities": list(np.column_stack([1 - p_yes, p_yes]))})
    default = performance_over_time(frame, window_ms=DAY, classes=["no", "yes"])
    assert default.positive_label == "yes"
    assert default.overall.metrics["f1"] == pytest.approx(skm.f1_score(y, pred, pos_label="yes"))
    assert default.overall.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(y == "yes", p_yes))
    flipped = performance_over_time(frame, window_ms=DAY, classes=["no", "yes"], positive_label="no")
    assert flipped.positive_label == "no" and flipped.classes == ["no", "yes"]
    assert flipped.overall.metrics["f1"] == pytest.approx(skm.f1_score(y, pred, pos_label="no"))
    assert flipped.overall.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(y == "no", 1 - p_yes))
    assert flipped.overall.metrics["accuracy"] == default.overall.metrics["accuracy"]


def test_labels_match_classes_logged_as_text() -> None:
    """The prediction log keeps class names as text: a label 1 matches the class "1"."""
    frame = pd.DataFrame({"time_ms": np.arange(40), "prediction": [0, 1] * 20, "label": [0, 1, 1, 1] * 10,
                          "probabilities": [[0.6, 0.4], [0.1, 0.9]] * 20})
    result = performance_over_time(frame, window_ms=DAY, classes=["0", "1"])
    assert result.classes == ["0", "1"] and result.positive_label == "1"
    assert result.overall.metrics["accuracy"] == 0.75
    assert result.overall.metrics["recall"] == pytest.approx(skm.recall_score([0, 1, 1, 1] * 10, [0, 1] * 20))
    floats = frame.assign(label=[0.0, np.nan, 1.0, 1.0] * 10)  # a label column with missing values is float
    assert floats["label"].dtype == "float64"
    result = performance_over_time(floats, window_ms=DAY, classes=["0", "1"])
    assert result.overall.labelled_rows == 30 and result.overall.metrics["accuracy"] == pytest.approx(20 / 30)
    inferred = performance_over_time(floats.drop(columns="probabilities"), window_ms=DAY)
    assert inferred.classes == [0, 1] and inferred.overall.metrics["accuracy"] == pytest.approx(20 / 30)


def test_multiclass_metrics_equal_scikit_learn_and_fairness_is_not_computed() -> None:
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(C=0.1, max_iter=1000).fit(X[::2], y[::2])
    proba, pred, truth = model.predict_proba(X[1::2]), model.predict(X[1::2]), y[1::2]
    frame = pd.DataFrame({"time_ms": np.arange(len(truth)), "prediction": pred, "label": truth,
                          "probabilities": list(proba), "input.big": X[1::2, 0] > 6})
    result = performance_over_time(frame, window_ms=DAY, classes=[0, 1, 2], sensitive=["input.big"])
    values = result.overall.metrics
    assert result.positive_label is None
    assert values["accuracy"] == pytest.approx(skm.accuracy_score(truth, pred))
    assert values["f1"] == pytest.approx(skm.f1_score(truth, pred, average="macro"))
    assert values["roc_auc"] == pytest.approx(skm.roc_auc_score(truth, proba, multi_class="ovr"))
    assert values["log_loss"] == pytest.approx(skm.log_loss(truth, proba))
    assert values["expected_calibration_error"] is None and "binary" in result.overall.unavailable[
        "expected_calibration_error"]
    assert result.overall.estimates["accuracy"].value == pytest.approx(proba[np.arange(len(pred)), pred].mean())
    assert "roc_auc" not in result.overall.estimates
    fairness = result.overall.fairness[0]
    assert fairness.demographic_parity_difference is None and "binary" in fairness.unavailable[
        "demographic_parity_difference"]


def test_regression_metrics_equal_scikit_learn() -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.normal(size=300)
    pred = LinearRegression().fit(X[:100], y[:100]).predict(X[100:])
    label = pd.Series(y[100:], dtype=object)
    label[::3] = None
    frame = pd.DataFrame({"time_ms": np.repeat([0, DAY], 100), "prediction": pred, "label": label})
    result = performance_over_time(frame, window_ms=DAY)
    assert result.task == "regression" and result.classes is None
    for window in result.windows:
        rows = labelled(window_rows(frame, window.start_ms))
        truth, p = rows["label"].astype(float), rows["prediction"]
        assert window.metrics["mae"] == pytest.approx(skm.mean_absolute_error(truth, p))
        assert window.metrics["rmse"] == pytest.approx(skm.root_mean_squared_error(truth, p))
        assert window.metrics["r2"] == pytest.approx(skm.r2_score(truth, p))
        assert window.estimates == {}


# --- fairness over time --------------------------------------------------------------------------------------


def test_fairness_over_time_equals_fairlearn() -> None:
    rng = np.random.default_rng(7)
    n = 3000
    gender = rng.choice(["f", "m", None], size=n, p=[0.45, 0.45, 0.1])
    p = np.clip(rng.beta(2, 2, size=n) + np.where(gender == "m", 0.1, 0.0), 0, 1)
    truth = (rng.uniform(size=n) < p).astype(int)
    label = pd.Series(truth, dtype=object)
    label[rng.uniform(size=n) < 0.5] = None
    frame = pd.DataFrame({"time_ms": rng.integers(0, 3 * DAY, n), "prediction": (p > 0.5).astype(int),
                          "probabilities": list(np.column_stack([1 - p, p])), "label": label,
                          "input.gender": gender})
    result = performance_over_time(frame, window_ms=DAY, classes=[0, 1], sensitive=["input.gender"])
    for window in [*result.windows, result.overall]:
        rows = frame[(frame["time_ms"] >= window.start_ms) & (frame["time_ms"] < window.end_ms)]
        groups = rows["input.gender"].fillna("(missing)")
        fairness = window.fairness[0]
        assert fairness.attribute == "input.gender" and fairness.rows == len(rows)
        assert fairness.demographic_parity_difference == pytest.approx(demographic_parity_difference(
            rows["prediction"], rows["prediction"], sensitive_features=groups), abs=1e-12)
        lab = rows["label"].notna()
        assert fairness.equalized_odds_difference == pytest.approx(equalized_odds_difference(
            rows["label"][lab].astype(int), rows["prediction"][lab], sensitive_features=groups[lab]), abs=1e-12)
        assert fairness.group_rows == groups.value_counts().to_dict()
        expected_rates = rows["prediction"].groupby(groups).mean()
        assert fairness.selection_rate == pytest.approx(expected_rates.to_dict())


def test_fairness_needs_two_groups_and_enough_rows() -> None:
    frame = pd.DataFrame({"time_ms": np.r_[np.zeros(50), np.full(50, DAY)].astype(int),
                          "prediction": [0, 1] * 50, "label": [1, 1, 0, None] * 25,
                          "input.gender": ["f"] * 50 + ["f", "m"] * 25})
    result = performance_over_time(frame, window_ms=DAY, classes=[0, 1], sensitive=["input.gender"], min_labelled=40)
    first, second = (w.fairness[0] for w in result.windows)
    assert first.demographic_parity_difference is None
    assert "one group" in first.unavailable["demographic_parity_difference"]
    assert second.demographic_parity_difference == pytest.approx(demographic_parity_difference(
        frame["prediction"][50:], frame["prediction"][50:], sensitive_features=frame["input.gender"][50:]))
    assert second.equalized_odds_difference is None
    assert "37 labelled rows, fewer than min_labelled=40" in second.unavailable["equalized_odds_difference"]


# --- estimates before labels -----------------------------------------------------------------------------------


def test_estimated_accuracy_is_the_mean_probability_of_the_predicted_class() -> None:
    # hand-worked: the third row predicts class 0 although class 1 is more probable (a tuned threshold)
    frame = pd.DataFrame({"time_ms": [0, 1, 2, 3], "prediction": [1, 0, 0, 1],
                          "probabilities": [[0.1, 0.9], [0.8, 0.2], [0.4, 0.6], [0.3, 0.7]],
                          "label": [None, None, None, None]})
    result = performance_over_time(frame, window_ms=DAY, classes=[0, 1])
    estimate = result.overall.estimates["accuracy"]
    assert estimate.value == pytest.approx((0.9 + 0.8 + 0.4 + 0.7) / 4)
    assert estimate.estimated is True and estimate.rows == 4 and estimate.realised is None
    assert result.overall.metrics["accuracy"] is None and result.labelled_rows == 0
    assert json.loads(result.model_dump_json())["overall"]["estimates"]["accuracy"]["estimated"] is True


def test_expected_roc_auc_equals_the_pairwise_formula() -> None:
    p = np.array([0.9, 0.7, 0.7, 0.4, 0.2, 0.05])
    # each ordered pair (i, j): i positive with probability p_i, j negative with 1 - p_j; ties count one half
    above = (p[:, None] > p[None, :]) + 0.5 * (p[:, None] == p[None, :])
    expected = np.sum(p[:, None] * (1 - p[None, :]) * above) / (p.sum() * (1 - p).sum())
    frame = pd.DataFrame({"time_ms": np.arange(6), "prediction": (p > 0.5).astype(int),
                          "probabilities": list(np.column_stack([1 - p, p]))})
    result = performance_over_time(frame, window_ms=DAY, classes=[0, 1])
    assert result.overall.estimates["roc_auc"].value == pytest.approx(expected, rel=1e-12)


def simulated_log(n: int, seed: int, overconfident: bool = False) -> pd.DataFrame:
    """Labels drawn from the true probabilities; the model reports them (calibrated) or pushes them to 0/1."""
    rng = np.random.default_rng(seed)
    p = rng.beta(2, 2, size=n)
    truth = (rng.uniform(size=n) < p).astype(int)
    reported = np.clip(0.5 + 2.5 * (p - 0.5), 0.001, 0.999) if overconfident else p
    label = pd.Series(truth, dtype=object)
    label[rng.uniform(size=n) < 0.5] = None  # half the feedback has not arrived
    return pd.DataFrame({"time_ms": rng.integers(0, 4 * DAY, n), "prediction": (p > 0.5).astype(int),
                         "probabilities": list(np.column_stack([1 - reported, reported])), "label": label})


def test_estimate_is_close_to_realised_accuracy_for_a_calibrated_model() -> None:
    frame = simulated_log(40_000, seed=11)
    result = performance_over_time(frame, window_ms=DAY, classes=[0, 1], reference={"accuracy": 0.70})
    for window in [*result.windows, result.overall]:
        estimate = window.estimates["accuracy"]
        assert estimate.estimated is True and estimate.rows == window.rows
        assert estimate.realised == window.metrics["accuracy"]
        standard_error = math.sqrt(0.25 / window.labelled_rows)
        assert abs(estimate.value - estimate.realised) < 4 * standard_error
        assert estimate.change == pytest.approx(estimate.value - 0.70)
        auc = window.estimates["roc_auc"]
        assert auc.estimated is True and abs(auc.value - window.metrics["roc_auc"]) < 0.02


def test_estimate_is_far_from_realised_accuracy_for_an_overconfident_model() -> None:
    """The negative control: the estimate is only as good as the calibration."""
    frame = simulated_log(40_000, seed=11, overconfident=True)
    overall = performance_over_time(frame, window_ms=DAY, classes=[0, 1]).overall
    assert overall.estimates["accuracy"].value - overall.metrics["accuracy"] > 0.08
    assert overall.metrics["expected_calibration_error"] > 0.08


def test_estimates_without_probabilities_say_why() -> None:
    frame = pd.DataFrame({"time_ms": np.arange(40), "prediction": [0, 1] * 20, "label": [0, 1] * 20})
    overall = performance_over_time(frame, window_ms=DAY).overall
    assert overall.metrics["accuracy"] == 1.0 and "roc_auc" not in overall.metrics
    assert overall.estimates["accuracy"].value is None
    assert "predict_proba" in overall.estimates["accuracy"].reason


# --- against the reference ----------------------------------------------------------------------------------------


def test_changes_and_calibration_drift_against_the_reference(cancer_log: pd.DataFrame) -> None:
    reference = {"accuracy": 0.95, "roc_auc": 0.99, "expected_calibration_error": 0.02, "brier_score": None,
                 "maximum_calibration_error": 0.1}
    result = performance_over_time(cancer_log, window_ms=DAY, classes=[0, 1], reference=reference)
    assert result.reference == {"accuracy": 0.95, "roc_auc": 0.99, "expected_calibration_error": 0.02,
                                "maximum_calibration_error": 0.1}
    for window in result.windows:
        assert set(window.changes) == {"accuracy", "roc_auc", "expected_calibration_error"}
        assert window.changes["accuracy"] == pytest.approx(window.metrics["accuracy"] - 0.95)
        assert window.calibration_drift == pytest.approx(window.metrics["expected_calibration_error"] - 0.02)
        assert window.estimates["roc_auc"].change == pytest.approx(window.estimates["roc_auc"].value - 0.99)


# --- real data -----------------------------------------------------------------------------------------------------


def test_gss_survey_years_as_windows_equal_scikit_learn_and_fairlearn() -> None:
    from mlsteward.datasets import gss_label_events

    events = gss_label_events().sample(12_000, random_state=0)
    features = ["age", "prestg10", "childs"]
    events = events.dropna(subset=features)
    early = events[events["year"] < 2000]
    late = events[events["year"] >= 2010].reset_index(drop=True)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(early[features], early["high_income"])
    rng = np.random.default_rng(0)
    label = late["high_income"].astype(object)
    label[rng.uniform(size=len(late)) < 0.3] = None
    frame = pd.DataFrame({"time_ms": late["interviewed_at"], "prediction": model.predict(late[features]),
                          "probabilities": list(model.predict_proba(late[features])), "label": label,
                          "input.gender": late["gender"].astype(object)})
    result = performance_over_time(frame, window_ms=DAY, classes=list(model.classes_), sensitive=["input.gender"],
                                   cohorts=["input.gender"])
    assert [pd.Timestamp(w.start_ms, unit="ms", tz="UTC").year for w in result.windows] == sorted(late["year"].unique())
    for window, (_, rows) in zip(result.windows, late.groupby("year"), strict=True):
        part = frame.loc[rows.index]
        lab = part[part["label"].notna()]
        y, pred = lab["label"].astype(int), lab["prediction"]
        p = np.stack(lab["probabilities"].to_numpy())[:, 1]
        assert window.metrics["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
        assert window.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p))
        assert window.fairness[0].equalized_odds_difference == pytest.approx(equalized_odds_difference(
            y, pred, sensitive_features=lab["input.gender"]))
        assert window.fairness[0].demographic_parity_difference == pytest.approx(demographic_parity_difference(
            part["prediction"], part["prediction"], sensitive_features=part["input.gender"]))
        assert {c.value for c in window.cohorts} == set(part["input.gender"].astype(str))
    PerformanceOverTime.model_validate_json(result.model_dump_json())


def test_result_is_json_without_nan(cancer_log: pd.DataFrame) -> None:
    frame = cancer_log.copy()
    frame.loc[frame.index[:150], "label"] = None
    result = performance_over_time(frame, window_ms=DAY // 4, classes=[0, 1], cohorts=["input.size"],
                                   sensitive=["input.size"])

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in the JSON")
    json.loads(result.model_dump_json(), parse_constant=refuse)
    assert any(v is None for w in result.windows for v in w.metrics.values())


def test_datetimes_and_cohort_pooling() -> None:
    frame = pd.DataFrame({"time_ms": pd.to_datetime(["2024-06-01 10:00", "2024-06-01 23:59", "2024-06-02 00:00"],
                                                    utc=True),
                          "prediction": [0, 1, 1], "label": [0, 1, 1], "input.city": ["a", "a", "b"]})
    result = performance_over_time(frame, window_ms=DAY, min_labelled=1, cohorts=["input.city"], max_cohort_values=1)
    assert [w.rows for w in result.windows] == [2, 1]
    assert result.windows[0].start_ms == pd.Timestamp("2024-06-01", tz="UTC").value // 10**6
    assert [c.value for c in result.windows[1].cohorts] == ["(other)"]
    assert any("pooled" in n for n in result.notes)


# --- validation -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "kwargs", "message"), [
    (None, {"window_ms": -5}, ("window_ms must be a positive whole number of milliseconds, e.g. 86400000 for a "
                               "day. Got -5 instead.")),
    (None, {"window_ms": True}, "Got True instead"),
    (None, {"window_ms": DAY, "min_labelled": 0}, "min_labelled must be a whole number of at least 1"),
    (None, {"window_ms": DAY, "classes": None}, "classes is not given"),
    (None, {"window_ms": DAY, "classes": [0, 1, 2]}, "hold 2 values but there are 3 classes"),
    (None, {"window_ms": DAY, "classes": [0, 0]}, "at least two distinct classes"),
    (None, {"window_ms": DAY, "classes": [0, 1], "positive_label": 7}, "positive_label holds values 7"),
    (None, {"window_ms": DAY, "classes": [0, 1], "cohorts": ["gender"]}, "cohorts names columns not in the frame"),
    (None, {"window_ms": DAY, "classes": [0, 1], "reference": [0.9]}, "reference must be a mapping"),
    (None, {"window_ms": DAY, "classes": [0, 1], "reference": {"roc_auc": "high"}}, "reference['roc_auc']"),
    (None, {"window_ms": DAY, "classes": [0, 1], "task": "ranking"}, "task must be"),
    ("no_time", {"window_ms": DAY, "classes": [0, 1]}, "no 'time_ms' column"),
    ("float_time", {"window_ms": DAY, "classes": [0, 1]}, "whole epoch milliseconds"),
    ("unknown_label", {"window_ms": DAY, "classes": [0, 1]}, "label holds values 'maybe'"),
    ("missing_prediction", {"window_ms": DAY, "classes": [0, 1]}, "prediction is missing on 1 rows"),
    ("logits", {"window_ms": DAY, "classes": [0, 1]}, "must lie in [0, 1]"),
    ("empty", {"window_ms": DAY, "classes": [0, 1]}, "frame has no rows"),
    (None, {"window_ms": 1, "classes": [0, 1], "task": "regression"}, "classes and positive_label are for "),
])
def test_invalid_input_names_the_problem_and_the_fix(change: str | None, kwargs: dict, message: str) -> None:
    frame = pd.DataFrame({"time_ms": [0, 1, 2], "prediction": [0, 1, 1], "label": [0, None, 1],
                          "probabilities": [[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]]})
    if change == "no_time":
        frame = frame.drop(columns="time_ms")
    elif change == "float_time":
        frame["time_ms"] = [0.5, 1, 2]
    elif change == "unknown_label":
        frame["label"] = [0, "maybe", 1]
    elif change == "missing_prediction":
        frame["prediction"] = [0, None, 1]
    elif change == "logits":
        frame["probabilities"] = [[-2.0, 2.0]] * 3
    elif change == "empty":
        frame = frame.iloc[:0]
    with pytest.raises(InvalidInput) as caught:
        performance_over_time(frame, **kwargs)
    assert message in str(caught.value)


def test_a_frame_is_required() -> None:
    with pytest.raises(InvalidInput, match="must be a pandas DataFrame"):
        performance_over_time([{"time_ms": 0, "prediction": 1}], window_ms=DAY)
