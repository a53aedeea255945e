"""Leakage review: constructed leaks on real data sets are flagged, the genuine features are not."""

from __future__ import annotations

import itertools
import uuid

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from mlsteward.data.leakage import (
    LEAKAGE_KINDS,
    LeakageConfig,
    LeakageReport,
    _best_one_to_one,
    review_leakage,
)
from mlsteward.errors import InvalidInput

PREDICTION_TIME = pd.Timestamp("2024-01-01")


def breast_cancer() -> pd.DataFrame:
    return load_breast_cancer(as_frame=True).frame


def with_leaks(df: pd.DataFrame) -> pd.DataFrame:
    """Breast-cancer data with one constructed leak of each kind, and two harmless extra columns."""
    rng = np.random.default_rng(0)
    n = len(df)
    leaky = df.copy()
    leaky["target_copy"] = leaky["target"]
    labels = np.where(leaky["target"] == 1, "benign", "malignant")
    flipped = rng.choice(n, size=3, replace=False)  # 3 of 569 rows disagree: 99.5% one-to-one
    labels[flipped] = np.where(labels[flipped] == "benign", "malignant", "benign")
    leaky["diagnosis_text"] = labels
    leaky["noisy_copy"] = leaky["target"] + rng.normal(0, 0.1, n)
    leaky["patient_id"] = np.arange(10_001, 10_001 + n)
    leaky["record_uuid"] = [str(uuid.UUID(int=int(value))) for value in rng.integers(0, 2**62, n)]
    days = rng.integers(-60, 60, n)  # about half the rows are later than the prediction time
    leaky["discharge_date"] = PREDICTION_TIME + pd.to_timedelta(days, unit="D")
    leaky["admission_date"] = PREDICTION_TIME - pd.to_timedelta(rng.integers(1, 365, n), unit="D")
    leaky["ward"] = rng.choice(["A", "B", "C", None], n)
    return leaky


@pytest.fixture(scope="module")
def report() -> LeakageReport:
    return review_leakage(with_leaks(breast_cancer()), "target", prediction_time=PREDICTION_TIME)


def test_exactly_the_constructed_leaks_are_flagged(report: LeakageReport) -> None:
    assert report.task == "binary"
    assert report.metric == "roc_auc"
    assert report.flagged() == {
        "target_copy": ["target_copy", "target_proxy"],
        "diagnosis_text": ["target_copy", "target_proxy"],
        "noisy_copy": ["target_proxy"],
        "patient_id": ["row_identifier"],
        "record_uuid": ["row_identifier"],
        "discharge_date": ["future_timestamp"],
    }
    assert report.time_columns == ["discharge_date", "admission_date"]
    assert report.column("admission_date").later_share == 0.0
    assert report.column("ward").flags == []


def test_genuine_breast_cancer_features_stay_below_the_threshold(report: LeakageReport) -> None:
    features = load_breast_cancer().feature_names
    scores = {name: report.column(name).single_feature_score for name in features}
    best = max(scores, key=scores.get)
    # The strongest genuine feature: worst area, about 0.951 cross-validated AUC with the defaults
    # (depth-4 tree, 5 stratified folds): predictive, and clearly below the 0.98 threshold.
    assert best == "worst area"
    assert scores[best] == pytest.approx(0.9512, abs=5e-4)
    assert scores[best] < report.proxy_threshold - 0.02
    assert min(scores.values()) > 0.5
    assert all(report.column(name).flags == [] for name in features)
    assert len(report.columns) == len(with_leaks(breast_cancer()).columns) - 1  # every column but the target


def test_single_feature_score_equals_cross_val_score_by_hand(report: LeakageReport) -> None:
    data = breast_cancer()
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    for column in ("worst area", "mean radius", "mean fractal dimension"):
        tree = DecisionTreeClassifier(max_depth=4, random_state=0)
        expected = cross_val_score(tree, data[[column]], data["target"], cv=cv, scoring="roc_auc")
        assert report.column(column).single_feature_score == pytest.approx(expected.mean(), abs=1e-12)
        assert report.column(column).score_std == pytest.approx(expected.std(), abs=1e-12)


def test_flags_carry_their_evidence(report: LeakageReport) -> None:
    flags = {(flag.column, flag.kind): flag for flag in report.flags}
    copy = flags["target_copy", "target_copy"]
    assert (copy.observed, copy.threshold) == (1.0, 0.99)
    assert copy.evidence == "equals the target on 100.0% of 569 rows (threshold 99.0%)"
    relabel = flags["diagnosis_text", "target_copy"]
    assert relabel.observed == pytest.approx(566 / 569)
    assert relabel.details["mapping"] == {"'benign'": "1", "'malignant'": "0"}
    assert relabel.evidence == ("is a one-to-one relabelling of the target ('benign' → 1, 'malignant' → 0) "
                                "on 99.5% of 569 rows (threshold 99.0%)")
    proxy = flags["noisy_copy", "target_proxy"]
    assert proxy.observed >= 0.98 and proxy.threshold == 0.98
    assert len(proxy.details["fold_scores"]) == 5
    assert "ROC AUC" in proxy.evidence and "5-fold, depth-4 tree" in proxy.evidence
    identifier = flags["patient_id", "row_identifier"]
    assert identifier.evidence == (
        "all 569 non-null values are distinct, and whole numbers monotonic in row order; "
        "consecutive whole numbers 10001…10569; the name 'patient_id' reads as an identifier"
    )
    future = flags["discharge_date", "future_timestamp"]
    data = with_leaks(breast_cancer())
    later = int((data["discharge_date"] > PREDICTION_TIME).sum())
    assert future.observed == pytest.approx(later / 569)
    assert future.details["rows_later"] == later
    assert future.threshold == 0.01


def test_report_round_trips_as_json(report: LeakageReport) -> None:
    assert LeakageReport.model_validate_json(report.model_dump_json()) == report
    assert set(LEAKAGE_KINDS) == {"target_proxy", "target_copy", "row_identifier", "future_timestamp"}


def test_regression_on_diabetes() -> None:
    data = load_diabetes(as_frame=True).frame
    rng = np.random.default_rng(1)
    data["target_copy"] = data["target"]
    data["noisy_copy"] = data["target"] + rng.normal(0, 5, len(data))
    data["row_number"] = rng.permutation(len(data))  # an identifier by name, not in row order
    result = review_leakage(data, "target")
    assert (result.task, result.metric, result.proxy_threshold) == ("regression", "r2", 0.95)
    assert result.flagged() == {
        "target_copy": ["target_copy", "target_proxy"],
        "noisy_copy": ["target_proxy"],
        "row_number": ["row_identifier"],
    }
    features = load_diabetes().feature_names
    assert max(result.column(name).single_feature_score for name in features) < 0.3  # bmi, about 0.26
    expected = cross_val_score(DecisionTreeRegressor(max_depth=4, random_state=0), data[["bmi"]], data["target"],
                               cv=KFold(n_splits=5, shuffle=True, random_state=0), scoring="r2").mean()
    assert result.column("bmi").single_feature_score == pytest.approx(expected, abs=1e-12)


def test_multiclass_uses_macro_one_vs_rest_auc() -> None:
    data = load_iris(as_frame=True).frame
    data["species"] = data.pop("target").map({0: "setosa", 1: "versicolor", 2: "virginica"})
    result = review_leakage(data, "species")
    assert (result.task, result.metric) == ("multiclass", "roc_auc_ovr")
    expected = cross_val_score(DecisionTreeClassifier(max_depth=4, random_state=0), data[["sepal width (cm)"]],
                               data["species"], cv=StratifiedKFold(5, shuffle=True, random_state=0),
                               scoring="roc_auc_ovr").mean()
    assert result.column("sepal width (cm)").single_feature_score == pytest.approx(expected, abs=1e-12)


# --- the individual rules -------------------------------------------------------------------------


def test_copy_threshold_at_one_percent_of_rows() -> None:
    rng = np.random.default_rng(2)
    y = np.tile([0, 1], 100)
    data = pd.DataFrame({"y": y, "noise": rng.normal(size=200)})
    for disagree, flagged in ((2, True), (3, False)):  # 198/200 = 99% is a copy, 197/200 is not
        relabel = np.where(y == 1, "yes", "no")
        relabel[:disagree] = np.where(relabel[:disagree] == "yes", "no", "yes")
        result = review_leakage(data.assign(answer=relabel), "y")
        assert ("target_copy" in result.flagged().get("answer", [])) is flagged, disagree


def test_missingness_that_mirrors_the_target_is_a_copy() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 300)
    data = pd.DataFrame({"y": y, "refund_reason": np.where(y == 1, "requested", None)})
    result = review_leakage(data, "y")
    assert result.flagged() == {"refund_reason": ["target_copy", "target_proxy"]}
    numeric = pd.DataFrame({"y": y, "refund_amount": np.where(y == 1, rng.uniform(5, 50, 300), np.nan)})
    assert review_leakage(numeric, "y").flagged() == {"refund_amount": ["target_proxy"]}


def test_best_one_to_one_mapping_matches_brute_force() -> None:
    rng = np.random.default_rng(4)
    for _ in range(30):
        col = rng.integers(0, 4, 60)
        target = rng.integers(0, 3, 60)
        table = np.zeros((4, 3), dtype=int)
        np.add.at(table, (col, target), 1)
        best = max(sum(table[c, t] for c, t in zip(cols, range(3), strict=True))
                   for cols in itertools.permutations(range(4), 3))
        assert _best_one_to_one(col, target)[0] == best


def test_row_identifier_rules() -> None:
    rng = np.random.default_rng(5)
    n = 200
    data = pd.DataFrame({
        "y": rng.integers(0, 2, n),
        "shuffled_key": rng.permutation(n) + 1,  # consecutive integers in any order
        "sku": [f"SKU-{i:06d}" for i in rng.permutation(n)],  # fixed-length codes
        "income": rng.choice(np.arange(10_000, 200_000), n, replace=False),  # distinct integers, not a key
        "measurement": rng.normal(size=n),  # distinct floats: never an identifier
        "whole_floats": np.arange(n, dtype=float),  # integers stored as floats, in order
        "customer_id": rng.integers(0, 50, n),  # an id name, but repeated values
        "comment": [f"note {'x' * i}" for i in range(n)],  # distinct text of varying length
        "ts": pd.date_range("2024-01-01", periods=n, freq="h"),  # distinct, increasing, but a time
        "day": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),  # a time as text
    })
    result = review_leakage(data, "y")
    identifiers = sorted(col for col, kinds in result.flagged().items() if "row_identifier" in kinds)
    assert identifiers == ["shuffled_key", "sku", "whole_floats"]


def test_future_timestamp_share_threshold() -> None:
    n = 100
    times = pd.Series(PREDICTION_TIME - pd.Timedelta(days=1), index=range(n))
    data = pd.DataFrame({"y": np.tile([0, 1], 50), "updated_at": times})
    assert review_leakage(data, "y", prediction_time=PREDICTION_TIME).flagged() == {}
    data.loc[0, "updated_at"] = PREDICTION_TIME + pd.Timedelta(hours=1)  # 1 of 100 rows: exactly 1%
    result = review_leakage(data, "y", prediction_time=PREDICTION_TIME)
    assert result.flagged() == {"updated_at": ["future_timestamp"]}
    assert result.flags[0].details["max_lead"] == "0 days 01:00:00"
    strict = LeakageConfig(future_share_threshold=0.05)
    assert review_leakage(data, "y", prediction_time=PREDICTION_TIME, config=strict).flagged() == {}
    assert review_leakage(data, "y").flagged() == {}  # no prediction time: nothing to compare with


def test_per_row_prediction_time_and_text_time_columns() -> None:
    n = 50
    asked = pd.Series(pd.date_range("2024-01-01", periods=n, freq="D"))
    answered = asked + pd.to_timedelta(np.where(np.arange(n) < 5, 2, -2), unit="D")
    data = pd.DataFrame({"y": np.tile([0, 1], 25), "asked_at": asked,
                         "answered_at": answered.dt.strftime("%Y-%m-%d")})
    result = review_leakage(data, "y", prediction_time_column="asked_at", time_columns=["answered_at"])
    assert result.flagged() == {"answered_at": ["future_timestamp"]}
    assert result.column("answered_at").later_share == pytest.approx(0.1)
    assert result.time_columns == ["answered_at"]


def test_sampling_for_speed_is_seeded() -> None:
    data = with_leaks(breast_cancer())
    config = LeakageConfig(max_rows=200)
    first = review_leakage(data, "target", config=config)
    assert first == review_leakage(data, "target", config=config)
    assert first.rows == 569 and first.rows_scored == 200
    assert first.notes == ["single-feature scores use a seeded sample of 200 of 569 rows."]
    other = review_leakage(data, "target", config=LeakageConfig(max_rows=200, seed=1))
    assert other.column("worst area").single_feature_score != first.column("worst area").single_feature_score


def test_task_inference_and_override() -> None:
    rng = np.random.default_rng(6)
    data = pd.DataFrame({"x": rng.normal(size=300), "rating": rng.integers(1, 6, 300)})
    assert review_leakage(data, "rating").task == "multiclass"
    assert review_leakage(data, "rating", task="regression").task == "regression"
    with pytest.raises(InvalidInput, match="task='regression' needs a numeric target"):
        review_leakage(data.assign(rating=data["rating"].astype(str)), "rating", task="regression")


def test_missing_target_rows_are_left_out() -> None:
    data = breast_cancer()[["worst area", "target"]].astype({"target": float})
    data.loc[:9, "target"] = np.nan
    result = review_leakage(data, "target")
    assert result.rows_scored == 559
    assert result.notes == ["10 rows with a missing target were left out of the scores and the copy check."]


# --- errors ---------------------------------------------------------------------------------------


def test_missing_target_names_the_column_and_the_choices() -> None:
    data = breast_cancer()[["mean radius", "target"]]
    with pytest.raises(InvalidInput) as caught:
        review_leakage(data, "targt")
    assert str(caught.value) == ("target column 'targt' is not a column of the data frame; did you mean 'target'? "
                                 "Available columns: mean radius, target.")


def test_constant_target_needs_two_classes() -> None:
    data = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [1, 1, 1]})
    with pytest.raises(InvalidInput, match="needs at least two classes .* target 'y'.*only the value 1 in 3 rows"):
        review_leakage(data, "y")


def test_prediction_time_arguments_are_checked() -> None:
    data = pd.DataFrame({"y": [0, 1] * 10, "at": pd.date_range("2024-01-01", periods=20, tz="UTC")})
    with pytest.raises(InvalidInput, match="not both"):
        review_leakage(data, "y", prediction_time="2024-01-01", prediction_time_column="at")
    with pytest.raises(InvalidInput, match="time column 'at' is time-zone aware but the prediction time is naive"):
        review_leakage(data, "y", prediction_time="2024-01-05")
    aware = review_leakage(data, "y", prediction_time="2024-01-05T00:00+00:00")
    assert aware.flagged() == {"at": ["future_timestamp"]}
    with pytest.raises(InvalidInput, match="not a readable timestamp"):
        review_leakage(data, "y", prediction_time="soon")
    with pytest.raises(InvalidInput, match="give prediction_time or prediction_time_column too"):
        review_leakage(data, "y", time_columns=["at"])
    with pytest.raises(InvalidInput, match="time column 'when' is not a column"):
        review_leakage(data, "y", prediction_time="2024-01-05T00:00+00:00", time_columns=["when"])


def test_greedy_mapping_for_very_many_levels_agrees_on_near_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlsteward.data import leakage

    rng = np.random.default_rng(8)
    target = rng.integers(0, 500, 5_000)
    relabel = rng.permutation(500)[target]
    relabel[:20] = rng.integers(0, 500, 20)  # a few rows disagree
    exact = _best_one_to_one(relabel, target)[0]
    monkeypatch.setattr(leakage, "_DENSE_ASSIGNMENT_CELLS", 0)  # force the greedy path
    assert _best_one_to_one(relabel, target)[0] == exact >= 4_980


def test_encoding_of_one_column() -> None:
    from mlsteward.data.leakage import encode_column

    text = pd.Series(["pear", None, "apple", "fig", "apple"], dtype=object)
    codes, how = encode_column(text)
    assert how == "ordinal"
    assert codes.ravel().tolist() == [2.0, -1.0, 0.0, 1.0, 0.0]  # sorted order, missing its own lowest level
    ordered = pd.Series(pd.Categorical(["low", "high", None, "mid"], categories=["low", "mid", "high"], ordered=True))
    assert encode_column(ordered)[0].ravel().tolist() == [0.0, 2.0, -1.0, 1.0]
    stamps = ["2024-03-01", None, "2024-01-01 00:00:00.000000001", "2024-01-01"]
    times = pd.Series(pd.to_datetime(stamps, format="ISO8601"))
    codes, how = encode_column(times)  # nanosecond apart still distinct: ranks keep full precision
    assert (how, codes.ravel().tolist()) == ("time_rank", [2.0, -1.0, 1.0, 0.0])
    numbers, how = encode_column(pd.Series([1.5, np.nan, np.inf, -3], dtype=float))
    assert how == "numeric"
    assert numbers.ravel()[0] == 1.5 and np.isnan(numbers.ravel()[1]) and np.isfinite(numbers.ravel()[2])
    mixed = pd.Series([3, "b", None, "a"], dtype=object)  # values that do not compare: their text is sorted
    assert encode_column(mixed)[0].ravel().tolist() == [0.0, 2.0, -1.0, 1.0]


def test_categorical_score_uses_the_sorted_codes() -> None:
    rng = np.random.default_rng(9)
    levels = [f"L{i:02d}" for i in range(40)]  # more levels than a depth-4 tree has leaves
    grade = rng.choice(levels, 2000)
    y = (np.isin(grade, levels[:15]) ^ (rng.random(2000) < 0.05)).astype(int)
    data = pd.DataFrame({"grade": grade, "y": y})
    result = review_leakage(data, "y")
    codes = pd.Series(grade).map({level: code for code, level in enumerate(levels)}).to_frame()
    expected = cross_val_score(DecisionTreeClassifier(max_depth=4, random_state=0), codes, y,
                               cv=StratifiedKFold(5, shuffle=True, random_state=0), scoring="roc_auc").mean()
    assert result.column("grade").single_feature_score == pytest.approx(expected, abs=1e-12)
    assert result.column("grade").encoding == "ordinal"
