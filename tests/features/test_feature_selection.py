"""Feature selection and the PCA report against scikit-learn used directly and hand-worked examples."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from scipy.linalg import hadamard
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_selection import mutual_info_classif, mutual_info_regression
from sklearn.preprocessing import StandardScaler

from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput
from mlsteward.features.selection import SelectionConfig, pca_report, select_features

NUMERIC = ["year", "age", "prestg10", "childs", "occ10"]


@functools.cache
def _gss_numeric() -> tuple[pd.DataFrame, pd.Series]:
    data = gss_wages_with_target().sample(n=2500, random_state=3)
    return data[NUMERIC], data["high_income"]


def _planted(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=n)
    features = pd.DataFrame({"noise_a": rng.normal(size=n), "noise_b": rng.uniform(size=n),
                             "signal": signal, "noise_c": rng.normal(size=n)})
    return features, pd.Series((signal + 0.1 * rng.normal(size=n) > 0).astype(int), name="y")


def test_mutual_info_equals_sklearn_on_complete_data():
    features, y = _gss_numeric()
    complete = features.notna().all(axis=1)
    features, y = features[complete], y[complete]
    report = select_features(features, y, SelectionConfig(keep=5, seed=7))
    expected = mutual_info_classif(features.to_numpy(dtype=float), y, random_state=7)
    by_name = {s.feature: s.score for s in report.scores}
    np.testing.assert_allclose([by_name[c] for c in NUMERIC], expected, rtol=1e-12)
    assert (report.method, report.task) == ("mutual_info", "classification")
    assert [s.feature for s in report.scores] == [NUMERIC[i] for i in np.argsort(-expected, kind="stable")]
    assert [s.rank for s in report.scores] == [1, 2, 3, 4, 5]
    assert report.kept == [s.feature for s in report.scores] and report.dropped == []


def test_mutual_info_scores_median_filled_data():
    features, y = _gss_numeric()
    assert features.isna().any().any()
    report = select_features(features, y, SelectionConfig(keep=5))
    filled = features.fillna(features.median())
    expected = mutual_info_classif(filled.to_numpy(dtype=float), y, random_state=0)
    by_name = {s.feature: s.score for s in report.scores}
    np.testing.assert_allclose([by_name[c] for c in NUMERIC], expected, rtol=1e-12)
    assert "median" in report.note


def test_regression_target_uses_mutual_info_regression():
    features, _ = _planted()
    y = 3 * features["signal"] + 0.05 * features["noise_a"]
    report = select_features(features, y, SelectionConfig(keep=1, seed=2))
    assert report.task == "regression"
    expected = mutual_info_regression(features.to_numpy(), y, random_state=2)
    by_name = {s.feature: s.score for s in report.scores}
    np.testing.assert_allclose([by_name[c] for c in features.columns], expected, rtol=1e-12)
    assert report.kept == ["signal"]


def test_model_method_ranks_the_planted_feature_first():
    features, y = _planted()
    report = select_features(features, y, SelectionConfig(method="model", keep=1, seed=4))
    assert report.scores[0].feature == "signal" and report.scores[0].rank == 1
    assert report.kept == ["signal"]
    assert report.scores[0].score > 0.5  # the forest leans on it (importances sum to 1)
    reference = RandomForestClassifier(n_estimators=100, max_depth=8, random_state=4, n_jobs=1).fit(features, y)
    by_name = {s.feature: s.score for s in report.scores}
    np.testing.assert_allclose([by_name[c] for c in features.columns], reference.feature_importances_, rtol=1e-12)
    assert sum(by_name.values()) == pytest.approx(1.0)


def test_keep_rule_and_its_reason():
    features, y = _planted()
    report = select_features(features, y, SelectionConfig(keep=2, seed=1))
    expected = mutual_info_classif(features.to_numpy(), y, random_state=1)
    order = [features.columns[i] for i in np.argsort(-expected, kind="stable")]
    assert report.kept == order[:2] and report.dropped == order[2:]
    assert order[0] == "signal"
    reasons = {s.feature: s.reason for s in report.scores}
    assert reasons[order[0]] == reasons[order[1]] == "kept"
    assert reasons[order[2]] == "ranked 3 of 4; only the best 2 are kept"
    assert reasons[order[3]] == "ranked 4 of 4; only the best 2 are kept"


def test_min_score_rule_and_its_reason():
    features, y = _planted()
    expected = dict(zip(features.columns, mutual_info_classif(features.to_numpy(), y, random_state=0)))
    threshold = 0.05
    assert expected["signal"] > threshold
    report = select_features(features, y, SelectionConfig(min_score=threshold))
    assert set(report.kept) == {c for c, s in expected.items() if s >= threshold}
    assert set(report.dropped) == {c for c, s in expected.items() if s < threshold}
    for score in report.scores:
        if not score.kept:
            assert score.reason == f"scored {expected[score.feature]:.4g}, below min_score 0.05"


def test_keep_is_checked_before_min_score():
    features, y = _planted()
    report = select_features(features, y, SelectionConfig(keep=3, min_score=10.0))  # no score reaches 10
    assert report.kept == [] and len(report.dropped) == 4
    reasons = [s.reason for s in report.scores]
    assert reasons[:3] == [f"scored {s.score:.4g}, below min_score 10" for s in report.scores[:3]]
    assert reasons[3] == "ranked 4 of 4; only the best 3 are kept"


def test_config_needs_a_rule():
    with pytest.raises(ValidationError, match="keep .* or min_score"):
        SelectionConfig()
    with pytest.raises(ValidationError):
        SelectionConfig(keep=0)


def test_non_numeric_features_are_refused():
    with pytest.raises(InvalidInput, match="selection needs numeric features"):
        select_features(pd.DataFrame({"c": ["a", "b", "c"]}), pd.Series([0, 1, 0]), SelectionConfig(keep=1))


# -- PCA -----------------------------------------------------------------------------------------------

def test_pca_hand_worked():
    # orthogonal, zero-mean +-1 columns h1..h4 (rows of a Hadamard matrix): the correlation matrix of
    # [h1 x4, h2 x3, h3 x2, h4] has eigenvalues 4, 3, 2, 1 (and zeros): ratios 0.4, 0.3, 0.2, 0.1
    h = hadamard(8)[:, 1:5].astype(float)
    columns = [0, 0, 0, 0, 1, 1, 1, 2, 2, 3]
    features = pd.DataFrame(h[:, columns] * np.arange(1, 11) + np.arange(10), columns=[f"f{i}" for i in range(10)])
    report = pca_report(features)
    np.testing.assert_allclose(report.explained_variance_ratio[:4], [0.4, 0.3, 0.2, 0.1], atol=1e-12)
    np.testing.assert_allclose(report.explained_variance_ratio[4:], 0.0, atol=1e-12)
    np.testing.assert_allclose(report.cumulative[:4], [0.4, 0.7, 0.9, 1.0], atol=1e-12)
    assert report.components_for == {"80%": 3, "90%": 3, "95%": 4, "99%": 4}


def test_pca_equals_sklearn_on_standardised_data():
    features, _ = _gss_numeric()
    report = pca_report(features)
    filled = features.fillna(features.median())
    reference = PCA().fit(StandardScaler().fit_transform(filled))
    np.testing.assert_allclose(report.explained_variance_ratio, reference.explained_variance_ratio_, rtol=1e-9)
    cumulative = np.cumsum(reference.explained_variance_ratio_)
    np.testing.assert_allclose(report.cumulative, cumulative, rtol=1e-9)
    for key, threshold in {"80%": 0.8, "90%": 0.9, "95%": 0.95, "99%": 0.99}.items():
        assert report.components_for[key] == 1 + int(np.argmax(cumulative >= threshold)), key


def test_pca_constant_column_explains_nothing():
    rng = np.random.default_rng(0)
    features = pd.DataFrame({"a": rng.normal(size=50), "b": rng.normal(size=50), "const": 3.0})
    report = pca_report(features)
    assert report.explained_variance_ratio[-1] == pytest.approx(0.0, abs=1e-12)
    assert report.cumulative[-1] == pytest.approx(1.0)
