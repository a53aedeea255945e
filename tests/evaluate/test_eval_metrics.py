"""Metrics with bootstrap intervals and cross-validation, checked against scikit-learn on the GSS data:
values equal sklearn's functions, the fast weighted formulas equal sklearn with ``sample_weight``, the
intervals equal a slow bootstrap loop over copied rows, and the folds equal sklearn's cross_validate."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.model_selection import cross_validate as sk_cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler, label_binarize

from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput
from mlsteward.evaluate._cross_validation import cross_validate
from mlsteward.evaluate._metrics import metrics, weighted_metrics
from mlsteward.train.metrics import METRICS

NUMERIC = ["year", "age", "childs", "prestg10"]
CATEGORICAL = ["gender", "wrkstat", "maritalcat"]


def _model(estimator, features=NUMERIC + CATEGORICAL):  # noqa: ANN001, ANN202
    prep = make_column_transformer(
        (make_pipeline(SimpleImputer(), StandardScaler()), [c for c in features if c in NUMERIC]),
        (OneHotEncoder(handle_unknown="ignore"), [c for c in features if c in CATEGORICAL]),
    )
    return make_pipeline(prep, estimator)


@pytest.fixture(scope="module")
def gss() -> pd.DataFrame:
    return gss_wages_with_target().sample(6000, random_state=0).reset_index(drop=True)


def _scored(gss: pd.DataFrame, target: str, estimator, features=NUMERIC + CATEGORICAL):  # noqa: ANN001, ANN202
    data = gss.dropna(subset=[target])
    train, test = data.iloc[:3000], data.iloc[3000:]
    model = _model(estimator, features).fit(train[features], train[target])
    return model, test[features], test[target].to_numpy()


@pytest.fixture(scope="module")
def binary(gss: pd.DataFrame):  # noqa: ANN201
    model, X, y = _scored(gss, "high_income", LogisticRegression(max_iter=500))  # noqa: N806
    return y, model.predict(X), model.predict_proba(X)


@pytest.fixture(scope="module")
def multiclass(gss: pd.DataFrame):  # noqa: ANN201
    model, X, y = _scored(gss, "educcat", LogisticRegression(max_iter=500))  # noqa: N806
    return y, model.predict(X), model.predict_proba(X), model.classes_


@pytest.fixture(scope="module")
def regression(gss: pd.DataFrame):  # noqa: ANN201
    features = ["year", "age", "childs", "gender", "wrkstat", "maritalcat"]
    model, X, y = _scored(gss, "prestg10", Ridge(), features)  # noqa: N806
    return y, model.predict(X)


def _binary_reference(y, pred, p, w=None):  # noqa: ANN001, ANN202
    """Each binary metric by scikit-learn directly (positive class 1)."""
    return {
        "accuracy": skm.accuracy_score(y, pred, sample_weight=w),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred, sample_weight=w),
        "precision": skm.precision_score(y, pred, sample_weight=w, zero_division=0),
        "recall": skm.recall_score(y, pred, sample_weight=w, zero_division=0),
        "f1": skm.f1_score(y, pred, sample_weight=w, zero_division=0),
        "roc_auc": skm.roc_auc_score(y, p, sample_weight=w),
        "average_precision": skm.average_precision_score(y, p, sample_weight=w),
        "log_loss": skm.log_loss(y, p, sample_weight=w),
        "brier_score": skm.brier_score_loss(y, p, sample_weight=w),
    }


def _multiclass_reference(y, pred, proba, classes, w=None):  # noqa: ANN001, ANN202
    macro = {"average": "macro", "labels": classes, "zero_division": 0, "sample_weight": w}
    return {
        "accuracy": skm.accuracy_score(y, pred, sample_weight=w),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred, sample_weight=w),
        "precision": skm.precision_score(y, pred, **macro),
        "recall": skm.recall_score(y, pred, **macro),
        "f1": skm.f1_score(y, pred, **macro),
        "roc_auc": skm.roc_auc_score(y, proba, multi_class="ovr", labels=classes, sample_weight=w),
        "average_precision": skm.average_precision_score(label_binarize(y, classes=classes), proba,
                                                         average="macro", sample_weight=w),
        "log_loss": skm.log_loss(y, proba, labels=classes, sample_weight=w),
        "brier_score": skm.brier_score_loss(y, proba, labels=classes, sample_weight=w),
    }


def _regression_reference(y, pred, w=None):  # noqa: ANN001, ANN202
    return {
        "rmse": skm.root_mean_squared_error(y, pred, sample_weight=w),
        "mae": skm.mean_absolute_error(y, pred, sample_weight=w),
        "r2": skm.r2_score(y, pred, sample_weight=w),
        "mape": skm.mean_absolute_percentage_error(y, pred, sample_weight=w),
    }


def _weightings(n: int, seed: int = 1) -> np.ndarray:
    """Random real weights, bootstrap counts (with zeros) and sparse weights (most rows weightless)."""
    rng = np.random.default_rng(seed)
    return np.vstack([rng.random(n), rng.multinomial(n, np.full(n, 1 / n)),
                      rng.random(n) * (rng.random(n) < 0.2), rng.integers(0, 5, n)])


# --- values -----------------------------------------------------------------------------------------------


def test_binary_values_confusion_and_per_class_equal_sklearn(binary) -> None:  # noqa: ANN001
    y, pred, proba = binary
    result = metrics(y, pred, proba, bootstrap=0)
    expected = _binary_reference(y, pred, proba[:, 1])
    assert set(result.values) == set(expected)
    for name, value in expected.items():
        assert result.values[name].value == pytest.approx(value, abs=1e-12), name
        assert result.values[name].ci_low is None and result.values[name].ci_high is None
    assert result.task == "classification" and result.classes == [0, 1] and result.positive_class == 1
    assert result.confusion_matrix == skm.confusion_matrix(y, pred).tolist()
    p, r, f, s = skm.precision_recall_fscore_support(y, pred, zero_division=0)
    assert [c.label for c in result.per_class] == [0, 1]
    assert [c.precision for c in result.per_class] == pytest.approx(p.tolist(), abs=1e-12)
    assert [c.recall for c in result.per_class] == pytest.approx(r.tolist(), abs=1e-12)
    assert [c.f1 for c in result.per_class] == pytest.approx(f.tolist(), abs=1e-12)
    assert [c.support for c in result.per_class] == s.tolist()
    # the positive class's column alone gives the same values
    assert metrics(y, pred, proba[:, 1], bootstrap=0).values == result.values
    assert type(result).model_validate_json(result.model_dump_json()) == result


def test_label_metrics_without_probabilities(binary) -> None:  # noqa: ANN001
    y, pred, _ = binary
    result = metrics(y, pred, bootstrap=0)
    assert set(result.values) == {"accuracy", "balanced_accuracy", "precision", "recall", "f1"}


def test_multiclass_values_equal_sklearn(multiclass) -> None:  # noqa: ANN001
    y, pred, proba, classes = multiclass
    result = metrics(y, pred, proba, labels=classes, bootstrap=0)
    for name, value in _multiclass_reference(y, pred, proba, classes).items():
        assert result.values[name].value == pytest.approx(value, abs=1e-12), name
    assert result.classes == classes.tolist() and result.positive_class is None
    assert result.confusion_matrix == skm.confusion_matrix(y, pred, labels=classes).tolist()
    assert [c.support for c in result.per_class] == [int((y == c).sum()) for c in classes]


def test_regression_values_equal_sklearn(regression) -> None:  # noqa: ANN001
    y, pred = regression
    result = metrics(y, pred, bootstrap=0)
    assert result.task == "regression" and result.confusion_matrix is None and result.classes is None
    for name, value in _regression_reference(y, pred).items():
        assert result.values[name].value == pytest.approx(value, rel=1e-12), name


# --- the weighted formulas behind the bootstrap -------------------------------------------------------------


@pytest.mark.parametrize("decimals", [None, 2])  # distinct scores, and many ties
def test_weighted_binary_formulas_equal_sklearn_sample_weight(binary, decimals) -> None:  # noqa: ANN001
    y, pred, proba = binary
    p = proba[:, 1] if decimals is None else np.round(proba[:, 1], decimals)
    weights = _weightings(len(y))
    fast = weighted_metrics(y, pred, p, weights=weights)
    for i, w in enumerate(weights):
        for name, value in _binary_reference(y, pred, p, w).items():
            assert fast[name][i] == pytest.approx(value, abs=1e-12), (name, i)


def test_weighted_multiclass_formulas_equal_sklearn_sample_weight(multiclass) -> None:  # noqa: ANN001
    y, pred, proba, classes = multiclass
    proba = np.round(proba, 2)  # ties within each class's scores
    proba /= proba.sum(axis=1, keepdims=True)
    weights = _weightings(len(y), seed=2)
    fast = weighted_metrics(y, pred, proba, weights=weights, labels=classes)
    for i, w in enumerate(weights):
        for name, value in _multiclass_reference(y, pred, proba, classes, w).items():
            assert fast[name][i] == pytest.approx(value, abs=1e-12), (name, i)


def test_weighted_regression_formulas_equal_sklearn_sample_weight(regression) -> None:  # noqa: ANN001
    y, pred = regression
    weights = _weightings(len(y), seed=3)
    fast = weighted_metrics(y, pred, weights=weights)
    for i, w in enumerate(weights):
        for name, value in _regression_reference(y, pred, w).items():
            assert fast[name][i] == pytest.approx(value, rel=1e-12, abs=1e-12), (name, i)


# --- the intervals against a slow bootstrap over copied rows ---------------------------------------------------


def _slow_intervals(y, pred, proba, *, names, bootstrap, confidence, seed, labels=None):  # noqa: ANN001, ANN202
    """The documented bootstrap done the slow way: copy the drawn rows, score them with scikit-learn."""
    rng = np.random.default_rng(seed)
    draws = {name: [] for name in names}
    for _ in range(bootstrap):
        rows = rng.integers(0, len(y), size=len(y))
        for name in names:
            scored = pred[rows] if METRICS[name].needs == "label" else proba[rows]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    draws[name].append(METRICS[name].score(y[rows], scored, labels=labels))
                except InvalidInput:
                    draws[name].append(np.nan)
    tails = [50 * (1 - confidence), 50 * (1 + confidence)]
    return {name: (*np.nanpercentile(v, tails), int(np.isnan(v).sum())) for name, v in draws.items()}


def _assert_intervals_equal(result, slow) -> None:  # noqa: ANN001
    for name, (low, high, skipped) in slow.items():
        value = result.values[name]
        assert value.ci_low == pytest.approx(low, abs=1e-12), name
        assert value.ci_high == pytest.approx(high, abs=1e-12), name
        assert value.skipped_resamples == skipped, name


def test_binary_intervals_equal_slow_bootstrap(binary) -> None:  # noqa: ANN001
    y, pred, proba = (a[:400] for a in binary)
    p = np.round(proba[:, 1], 2)
    result = metrics(y, pred, p, bootstrap=150, confidence=0.9, seed=7)
    slow = _slow_intervals(y, pred, p, names=list(result.values), bootstrap=150, confidence=0.9, seed=7,
                           labels=np.array([0, 1]))
    _assert_intervals_equal(result, slow)
    # another seed draws other resamples
    assert metrics(y, pred, p, bootstrap=150, confidence=0.9, seed=8).values != result.values


def test_intervals_skip_resamples_without_a_class() -> None:
    """40 rows with 2 positives: many resamples draw no positive, where roc_auc is undefined."""
    rng = np.random.default_rng(5)
    y = np.zeros(40, dtype=int)
    y[[3, 17]] = 1
    p = rng.random(40)
    pred = (p > 0.8).astype(int)
    result = metrics(y, pred, p, bootstrap=200, seed=3)
    slow = _slow_intervals(y, pred, p, names=list(result.values), bootstrap=200, confidence=0.95, seed=3,
                           labels=np.array([0, 1]))
    assert result.values["roc_auc"].skipped_resamples > 0
    _assert_intervals_equal(result, slow)


def test_multiclass_and_regression_intervals_equal_slow_bootstrap(multiclass, regression) -> None:  # noqa: ANN001
    y, pred, proba, classes = multiclass
    y, pred, proba = y[:300], pred[:300], proba[:300]
    result = metrics(y, pred, proba, labels=classes, bootstrap=60, seed=1)
    _assert_intervals_equal(result, _slow_intervals(y, pred, proba, names=list(result.values), bootstrap=60,
                                                    confidence=0.95, seed=1, labels=classes))
    y, pred = (a[:300] for a in regression)
    result = metrics(y, pred, bootstrap=100, seed=2)
    _assert_intervals_equal(result, _slow_intervals(y.astype(float), pred, None, names=list(result.values),
                                                    bootstrap=100, confidence=0.95, seed=2))


def test_fifty_thousand_rows_give_narrow_intervals_around_the_value() -> None:
    # speed is measured by benchmarks/bench_evaluation.py, not here
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 50_000)
    p = np.clip(0.6 * rng.random(50_000) + 0.3 * y, 0, 1)
    result = metrics(y, (p >= 0.5).astype(int), p, bootstrap=1000)
    auc = result.values["roc_auc"]
    assert auc.ci_low < auc.value < auc.ci_high and auc.ci_high - auc.ci_low < 0.02


# --- edge cases and errors -------------------------------------------------------------------------------------


def test_one_class_test_set_leaves_roc_auc_out_with_a_note() -> None:
    y = np.zeros(20, dtype=int)
    p = np.linspace(0.05, 0.6, 20)
    result = metrics(y, (p >= 0.5).astype(int), p, bootstrap=10)
    assert "roc_auc" not in result.values and any("roc_auc" in note for note in result.notes)
    assert result.classes == [0, 1] and result.values["accuracy"].value == pytest.approx(0.8)


def test_text_labels_and_missing_class_in_rows(multiclass) -> None:  # noqa: ANN001
    y, pred, proba, classes = multiclass
    keep = (y != classes[0]) & (pred != classes[0])  # the test rows lack a class the model knows
    with pytest.raises(InvalidInput, match="labels="):
        metrics(y[keep], pred[keep], proba[keep], bootstrap=0)
    result = metrics(y[keep], pred[keep], proba[keep], labels=classes, bootstrap=0)
    assert result.per_class[0].support == 0 and isinstance(result.classes[0], str)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"y_prob": np.full((4, 3), 1 / 3)}, "labels="),
    ({"y_prob": np.array([0.1, 1.2, 0.3, 0.4])}, r"\[0, 1\]"),
    ({"y_prob": np.array([0.1, 0.2, 0.3])}, "one value per row"),
    ({"bootstrap": -1}, "bootstrap"),
    ({"confidence": 1.0}, "confidence"),
    ({"task": "ranking"}, "task"),
])
def test_bad_input_is_refused_with_the_fix(kwargs, message) -> None:  # noqa: ANN001
    with pytest.raises(InvalidInput, match=message):
        metrics(np.array([0, 1, 0, 1]), np.array([0, 1, 1, 1]), **kwargs)


def test_missing_values_and_unknown_labels_are_refused() -> None:
    with pytest.raises(InvalidInput, match="missing on 1 rows"):
        metrics(np.array([0.0, 1.0, np.nan]), np.array([0, 1, 1]))
    with pytest.raises(InvalidInput, match="not among the classes"):
        metrics(np.array([0, 1, 2]), np.array([0, 1, 1]), labels=[0, 1])
    with pytest.raises(InvalidInput, match="regression"):
        metrics(np.linspace(0, 1, 30), np.linspace(0, 1, 30), np.linspace(0, 1, 30))


# --- cross-validation ------------------------------------------------------------------------------------------


def test_cross_validation_equals_sklearn_classification(gss) -> None:  # noqa: ANN001
    data = gss.iloc[:2500]
    X, y = data[NUMERIC + CATEGORICAL], data["high_income"]  # noqa: N806
    model = _model(LogisticRegression(max_iter=500))
    result = cross_validate(model, X, y, folds=4, seed=3)
    reference = sk_cross_validate(model, X, y, cv=StratifiedKFold(4, shuffle=True, random_state=3), n_jobs=1,
                                  scoring=["accuracy", "balanced_accuracy", "f1", "roc_auc", "neg_log_loss"])
    assert list(result.metrics) == ["accuracy", "balanced_accuracy", "f1", "roc_auc", "log_loss"]
    for name, scorer in [("accuracy", "accuracy"), ("balanced_accuracy", "balanced_accuracy"), ("f1", "f1"),
                         ("roc_auc", "roc_auc")]:
        assert result.metrics[name].per_fold == pytest.approx(reference[f"test_{scorer}"].tolist(), abs=1e-12)
    assert result.metrics["log_loss"].per_fold == pytest.approx((-reference["test_neg_log_loss"]).tolist(),
                                                                abs=1e-12)
    folds = reference["test_accuracy"]
    assert result.metrics["accuracy"].mean == pytest.approx(folds.mean(), abs=1e-12)
    assert result.metrics["accuracy"].std == pytest.approx(pd.Series(folds).std(), abs=1e-12)  # ddof=1
    assert result.splitter == "StratifiedKFold" and sum(result.fold_sizes) == len(y)


def test_cross_validation_equals_sklearn_regression(gss) -> None:  # noqa: ANN001
    data = gss.dropna(subset=["prestg10"]).iloc[:2000]
    X, y = data[["year", "age", "childs", "gender", "wrkstat"]], data["prestg10"]  # noqa: N806
    model = _model(Ridge(), list(X.columns))
    result = cross_validate(model, X, y, folds=3, metrics=["r2", "mae"], seed=1)
    reference = sk_cross_validate(model, X, y, cv=KFold(3, shuffle=True, random_state=1),
                                  scoring=["r2", "neg_mean_absolute_error"])
    assert result.splitter == "KFold" and list(result.metrics) == ["r2", "mae"]
    assert result.metrics["r2"].per_fold == pytest.approx(reference["test_r2"].tolist(), abs=1e-12)
    assert result.metrics["mae"].per_fold == pytest.approx((-reference["test_neg_mean_absolute_error"]).tolist(),
                                                           abs=1e-12)


def test_cross_validation_refuses_bad_folds_and_metrics(gss) -> None:  # noqa: ANN001
    X, y = gss[NUMERIC].iloc[:200], gss["high_income"].iloc[:200]  # noqa: N806
    model = make_pipeline(SimpleImputer(), LogisticRegression())
    with pytest.raises(InvalidInput, match="folds"):
        cross_validate(model, X, y, folds=1)
    with pytest.raises(InvalidInput, match="regression metric"):
        cross_validate(model, X, y, metrics=["rmse"])
    y_rare = y.copy()
    y_rare.iloc[:] = 0
    y_rare.iloc[:2] = 1
    with pytest.raises(InvalidInput, match="only 2 rows"):
        cross_validate(model, X, y_rare, folds=5)
