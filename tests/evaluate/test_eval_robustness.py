"""Robustness: the clean score equals scikit-learn's on the same rows; noise degrades a real model
monotonically on average; the same seed gives the same numbers; invalid rows are scored or cleanly
refused, and a model that crashes or returns invalid predictions is caught."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from mlsteward.datasets import gss_wages_with_target
from mlsteward.evaluate._robustness import robustness

NUMERIC, TEXT = ["prestg10", "age", "childs"], ["educcat", "wrkstat"]


@pytest.fixture(scope="module")
def data() -> dict:
    df = gss_wages_with_target().sample(3000, random_state=5).reset_index(drop=True)
    x, y = df[NUMERIC + TEXT], df["high_income"]
    features = ColumnTransformer([("n", SimpleImputer(), NUMERIC),
                                  ("t", OneHotEncoder(handle_unknown="ignore"), TEXT)])
    model = make_pipeline(features, LogisticRegression(max_iter=1000)).fit(x.iloc[:2000], y.iloc[:2000])
    return {"model": model, "x": x.iloc[2000:].reset_index(drop=True), "y": y.iloc[2000:].reset_index(drop=True)}


def test_noise_degrades_the_score_and_the_same_seed_repeats_it(data: dict) -> None:
    result = robustness(data["model"], data["x"], data["y"], metric="roc_auc", noise_scales=(0.1, 0.5, 2.0), seed=3)
    clean = roc_auc_score(data["y"], data["model"].predict_proba(data["x"])[:, 1])
    assert result.clean_score == pytest.approx(clean, abs=1e-12) and result.passed
    noise = next(c for c in result.curves if c.kind == "gaussian_noise")
    drops = [p.degradation for p in noise.points]
    assert drops == sorted(drops) and drops[-1] > 0.05  # twice the spread of each number: a clear loss
    assert all(p.changed_share is not None and 0 <= p.changed_share <= 1 for p in noise.points)
    assert {c.kind for c in result.curves} == {"gaussian_noise", "category_swap", "missing_values", "out_of_range"}
    again = robustness(data["model"], data["x"], data["y"], metric="roc_auc", noise_scales=(0.1, 0.5, 2.0), seed=3)
    assert again.model_dump() == result.model_dump()
    other = robustness(data["model"], data["x"], data["y"], metric="roc_auc", noise_scales=(0.1, 0.5, 2.0), seed=4)
    assert other.curves[0].points[-1].score != result.curves[0].points[-1].score


def test_noise_at_a_level_equals_scoring_the_perturbed_rows_by_hand(data: dict) -> None:
    result = robustness(data["model"], data["x"], data["y"], metric="accuracy", noise_scales=(0.5,),
                        missing_rates=(0.1,), seed=0)
    values = data["x"][NUMERIC].to_numpy(dtype=float, na_value=np.nan)
    draws = np.random.default_rng([0, 1]).standard_normal(values.shape) * np.nanstd(values, axis=0)
    noisy = data["x"].assign(**{c: values[:, i] + 0.5 * draws[:, i] for i, c in enumerate(NUMERIC)})
    expected = float(np.mean(data["model"].predict(noisy) == data["y"]))
    assert result.curves[0].points[0].score == pytest.approx(expected, abs=1e-12)


class _Crashing(ClassifierMixin, BaseEstimator):
    """Scores clean rows; raises KeyError on text in a numeric column, returns NaN on missing cells."""

    def __init__(self, inner: object = None) -> None:
        self.inner = inner

    def __sklearn_is_fitted__(self) -> bool:
        return True

    @property
    def classes_(self) -> np.ndarray:
        return self.inner.classes_

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        if x["prestg10"].map(lambda v: isinstance(v, str)).any():
            raise KeyError("prestg10")
        proba = self.inner.predict_proba(x)
        proba[x.isna().all(axis=1).to_numpy()] = np.nan
        return proba

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        return self.classes_[np.nan_to_num(self.predict_proba(x)).argmax(axis=1)]


def test_invalid_rows_are_probed_and_crashes_are_caught(data: dict) -> None:
    result = robustness(data["model"], data["x"], data["y"], noise_scales=(0.1,), missing_rates=(0.1,))
    outcomes = {p.probe: p.outcome for p in result.probes}
    assert set(outcomes) == {"text_in_numeric", "all_missing", "unseen_categories", "numbers_in_categorical",
                             "infinities"}
    assert set(outcomes.values()) <= {"scored", "rejected"} and result.passed
    assert outcomes["unseen_categories"] == "scored"  # handle_unknown="ignore"
    broken = robustness(_Crashing(data["model"]), data["x"], data["y"], noise_scales=(0.1,), missing_rates=(0.1,))
    probes = {p.probe: p for p in broken.probes}
    assert probes["text_in_numeric"].outcome == "crashed" and "prestg10" in probes["text_in_numeric"].message
    assert probes["all_missing"].outcome == "invalid_output" and not broken.passed
