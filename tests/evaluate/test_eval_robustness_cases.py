"""Robustness, extra cases: each perturbation equals the documented draw rebuilt by hand; a swapped category
follows the hand-worked conditional frequencies; out-of-range values lie ten ranges out; a model that refuses
damaged rows gets its error on the curve; rejection, crash and silent nonsense told apart; bad arguments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput
from mlsteward.evaluate._robustness import UNSEEN_CATEGORY, _other_values, robustness

NUMERIC, TEXT = ["prestg10", "age", "childs"], ["educcat", "wrkstat"]


@pytest.fixture(scope="module")
def data() -> dict:
    df = gss_wages_with_target().sample(3000, random_state=3).reset_index(drop=True)
    x, y = df[NUMERIC + TEXT], df["high_income"]
    features = ColumnTransformer([("t", OneHotEncoder(handle_unknown="ignore", sparse_output=False), TEXT)],
                                 remainder="passthrough")
    model = make_pipeline(features, HistGradientBoostingClassifier(max_iter=40, random_state=0))
    model.fit(x.iloc[:2000], y.iloc[:2000])
    return {"model": model, "x": x.iloc[2000:].reset_index(drop=True), "y": y.iloc[2000:].reset_index(drop=True)}


def _accuracy(model, x: pd.DataFrame, y: pd.Series) -> float:  # noqa: ANN001
    return accuracy_score(y, model.predict(x))


def test_curves_equal_the_documented_perturbations_rebuilt_by_hand(data: dict) -> None:
    model, x, y = data["model"], data["x"], data["y"]
    result = robustness(model, x, y, metric="accuracy", noise_scales=(0.1, 0.5), missing_rates=(0.2,), seed=11)
    assert result.clean_score == pytest.approx(_accuracy(model, x, y), abs=1e-12)
    curves = {c.kind: c for c in result.curves}
    values = x[NUMERIC].to_numpy(dtype=float)
    draws = np.random.default_rng([11, 1]).standard_normal(values.shape) * np.nanstd(values, axis=0)
    clean_labels = model.predict(x)
    for point in curves["gaussian_noise"].points:
        noisy = x.assign(**{c: values[:, i] + point.level * draws[:, i] for i, c in enumerate(NUMERIC)})
        assert point.score == pytest.approx(_accuracy(model, noisy, y), abs=1e-12)
        assert point.changed_share == pytest.approx(np.mean(model.predict(noisy) != clean_labels), abs=1e-12)
        assert point.degradation == pytest.approx(result.clean_score - point.score, abs=1e-12)
    hit = np.random.default_rng([11, 3]).random(x.shape) < 0.2
    holed = x.copy()
    for i, c in enumerate(x.columns):
        holed[c] = x[c].where(~hit[:, i])
    assert curves["missing_values"].points[0].score == pytest.approx(_accuracy(model, holed, y), abs=1e-12)


def test_a_swapped_category_is_another_observed_value_drawn_by_frequency() -> None:
    values = pd.Series(["a"] * 5000 + ["b"] * 3000 + ["c"] * 2000 + [None] * 1000, dtype="category")
    drawn = _other_values(values, np.random.default_rng(0))
    own, new = values.to_numpy(dtype=object), drawn.to_numpy(dtype=object)
    assert drawn.dtype == values.dtype and not (own[:10000] == new[:10000]).any()
    assert set(new) <= {"a", "b", "c"}
    # P(b | own a) = 0.3 / (0.3 + 0.2); P(a | own c) = 0.5 / (0.5 + 0.3); missing rows draw from all
    assert np.mean(new[:5000] == "b") == pytest.approx(0.6, abs=0.03)
    assert np.mean(new[8000:10000] == "a") == pytest.approx(0.625, abs=0.03)
    assert np.mean(new[10000:] == "a") == pytest.approx(0.5, abs=0.05)


def test_a_model_that_refuses_damaged_rows_gets_the_error_on_the_curve(data: dict) -> None:
    x = data["x"][NUMERIC].fillna(0.0)
    model = LogisticRegression(max_iter=500).fit(x, data["y"])  # no imputer: refuses NaN
    result = robustness(model, x, data["y"], missing_rates=(0.1,), seed=0)
    missing = next(c for c in result.curves if c.kind == "missing_values")
    assert missing.points[0].score is None and "NaN" in missing.points[0].error
    assert {p.probe: p.outcome for p in result.probes} == {
        "text_in_numeric": "rejected", "all_missing": "rejected", "infinities": "rejected"}
    assert result.passed


class _Fixed(ClassifierMixin, BaseEstimator):
    """A classifier predicting ``labels`` always, or raising ``error`` on all-missing rows."""

    def __init__(self, labels: object = 0, error: Exception | None = None) -> None:
        self.labels = labels
        self.error = error
        self.classes_ = np.array([0, 1])

    def predict(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        if self.error is not None and X.isna().all().all():
            raise self.error
        return np.full(len(X), self.labels)


class _Doubler(RegressorMixin, BaseEstimator):
    """Returns twice column ``a``: NaN for a missing cell, inf for an infinite one, silently."""

    def predict(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        return pd.to_numeric(X["a"], errors="coerce").to_numpy(dtype=float) * 2


def test_invalid_row_probes_tell_rejection_from_crash_and_silent_nonsense() -> None:
    x = pd.DataFrame({"a": np.linspace(0, 1, 40), "g": pd.Categorical(["u", "v"] * 20)})
    y = np.tile([0, 1], 20)
    rejected = robustness(_Fixed(error=InvalidInput("rows with no values: fill them")), x, y)
    probe = {p.probe: p for p in rejected.probes}["all_missing"]
    assert (probe.outcome, probe.passed, rejected.passed) == ("rejected", True, True)
    assert probe.message == "InvalidInput: rows with no values: fill them"
    crashed = robustness(_Fixed(error=KeyError("a")), x, y)
    probe = {p.probe: p for p in crashed.probes}["all_missing"]
    assert (probe.outcome, probe.passed, crashed.passed) == ("crashed", False, False)
    assert probe.message == "KeyError: 'a'"
    wrong_labels = robustness(_Fixed(labels=7), x, y, metric="accuracy")
    assert {p.outcome for p in wrong_labels.probes} == {"invalid_output"} and not wrong_labels.passed
    silent = robustness(_Doubler(), x, x["a"] * 2, noise_scales=(), missing_rates=())
    assert {p.probe: p.outcome for p in silent.probes} == {
        "text_in_numeric": "invalid_output", "all_missing": "invalid_output", "unseen_categories": "scored",
        "numbers_in_categorical": "scored", "infinities": "invalid_output"}
    assert "NaN or infinite" in next(p.message for p in silent.probes if p.probe == "infinities")


def test_out_of_range_values_lie_ten_ranges_out_and_categories_are_unseen(data: dict) -> None:
    seen = []

    class _Recorder(_Fixed):
        def predict(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
            seen.append(X)
            return np.zeros(len(X), dtype=int)

    x = data["x"].head(400)
    robustness(_Recorder(), x, data["y"].head(400), metric="accuracy", noise_scales=(), missing_rates=(),
               swap_rates=(), out_of_range_rates=(0.5,))
    damaged = next(f for f in seen if (f["educcat"].astype(object) == UNSEEN_CATEGORY).any())
    span = x["age"].max() - x["age"].min()
    changed = ~np.isclose(damaged["age"].to_numpy(dtype=float), x["age"].to_numpy(dtype=float), equal_nan=True)
    assert 0.4 < changed.mean() < 0.6
    assert set(damaged["age"][changed].round(6)) <= {round(x["age"].max() + 10 * span, 6),
                                                      round(x["age"].min() - 10 * span, 6)}
    assert set(damaged["educcat"].astype(object)) - set(x["educcat"].astype(object)) == {UNSEEN_CATEGORY}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"missing_rates": (0.5, 1.5)}, "missing_rates must each be between 0 and 1"),
    ({"noise_scales": (-1,)}, "noise_scales must each be 0 or more"),
    ({"max_rows": 0}, "max_rows must be a whole number"),
    ({"metric": "rmse"}, "rmse is a regression metric"),
])
def test_bad_arguments_are_refused(data: dict, kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        robustness(data["model"], data["x"], data["y"], **kwargs)
