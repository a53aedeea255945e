"""Efficiency profiles: every field measured and sane (no timing thresholds); budgets checked exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput
from mlsteward.models_io import dump_model
from mlsteward.train import EfficiencyProfile, profile_model, within_budget


@pytest.fixture(scope="module")
def gss() -> pd.DataFrame:
    return gss_wages_with_target().iloc[:5_000]


def _classifier():  # noqa: ANN202
    prep = make_column_transformer((make_pipeline(SimpleImputer(), StandardScaler()), ["year", "age", "childs"]),
                                   (OneHotEncoder(handle_unknown="ignore"), ["gender", "wrkstat"]))
    return make_pipeline(prep, LogisticRegression(max_iter=300))


def test_profile_of_a_classifier(gss: pd.DataFrame) -> None:
    X, y = gss.drop(columns="high_income"), gss["high_income"]  # noqa: N806
    holdout = X.iloc[:1_000]
    fitted, profile = profile_model(_classifier, X, y, predict_rows=holdout, calls=50)
    reference = _classifier().fit(X, y)
    assert np.array_equal(fitted.predict_proba(holdout), reference.predict_proba(holdout))
    assert profile.train_rows == 5_000 and profile.batch_rows == 1_000 and profile.latency_calls == 50
    assert profile.train_seconds > 0 and profile.peak_memory_mb > 0
    assert 0 < profile.latency_p50_ms <= profile.latency_p99_ms
    assert profile.cpu_ms_per_prediction > 0 and profile.batch_rows_per_second > 0
    assert profile.model_size_bytes == len(dump_model(fitted))
    # the fit copies the 5,000 rows at least once: the peak exceeds a float64 copy of the numbers
    assert profile.peak_memory_mb > 5_000 * 3 * 8 / 2**20
    assert EfficiencyProfile.model_validate_json(profile.model_dump_json()) == profile


def test_profile_of_a_regressor_defaults_to_x(gss: pd.DataFrame) -> None:
    data = gss.dropna(subset=["age", "prestg10"])
    X = data[["age", "year"]].to_numpy()  # noqa: N806
    fitted, profile = profile_model(Ridge, X, data["prestg10"].to_numpy(), calls=10)
    assert profile.batch_rows == len(X) and profile.latency_calls == 10
    assert all(isinstance(v, int | float) for v in profile.model_dump().values())  # all numbers, for run metrics
    assert isinstance(fitted, Ridge) and profile.model_size_bytes > 0


def test_profile_refuses_bad_calls(gss: pd.DataFrame) -> None:
    with pytest.raises(InvalidInput, match="calls must be a whole number"):
        profile_model(Ridge, np.ones((3, 1)), np.arange(3.0), calls=0)
    with pytest.raises(InvalidInput, match="no rows to time"):
        profile_model(Ridge, np.ones((3, 1)), np.arange(3.0), predict_rows=np.ones((0, 1)))


def _profile(p99_ms: float, cpu_ms: float) -> EfficiencyProfile:
    return EfficiencyProfile(train_seconds=1.0, train_rows=100, peak_memory_mb=2.0,
                             latency_calls=200, latency_p50_ms=p99_ms / 2, latency_p99_ms=p99_ms,
                             cpu_ms_per_prediction=cpu_ms, batch_rows=100, batch_rows_per_second=1e5,
                             model_size_bytes=1000)


def test_latency_budget_uses_the_p99() -> None:
    (check,) = within_budget(_profile(p99_ms=12.0, cpu_ms=1.0), p95_latency_ms=10.0, cost_per_prediction_usd=None)
    assert check.name == "p95_latency_ms" and check.observed == 12.0 and not check.passed
    assert "p99" in check.note and "conservative" in check.note
    (check,) = within_budget(_profile(p99_ms=10.0, cpu_ms=1.0), p95_latency_ms=10.0, cost_per_prediction_usd=None)
    assert check.passed


def test_cost_budget_is_cpu_time_times_price() -> None:
    profile = _profile(p99_ms=5.0, cpu_ms=2.0)
    (check,) = within_budget(profile, None, cost_per_prediction_usd=1e-7, cost_per_cpu_second_usd=0.0001)
    assert check.observed == pytest.approx(2e-3 * 0.0001, rel=1e-12) and not check.passed
    assert "estimated" in check.note
    (check,) = within_budget(profile, None, cost_per_prediction_usd=1e-7)
    assert check.observed == pytest.approx(2e-3 * 0.0000139, rel=1e-12) and check.passed
    assert within_budget(profile, None, None) == []
    assert [c.name for c in within_budget(profile, 50.0, 1.0)] == ["p95_latency_ms", "cost_per_prediction_usd"]
