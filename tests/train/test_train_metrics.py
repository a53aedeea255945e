"""Every metric equals scikit-learn's function called directly, on the bundled GSS data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC

from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput
from mlsteward.train import (
    METRICS,
    check_classes_present,
    check_target,
    metric_named,
    score_estimator,
    task_of,
)

NUMERIC = ["year", "age", "childs"]
CATEGORICAL = ["gender", "wrkstat", "maritalcat"]


def _model(estimator):  # noqa: ANN001, ANN202
    prep = make_column_transformer(
        (make_pipeline(SimpleImputer(), StandardScaler()), NUMERIC),
        (OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
    )
    return make_pipeline(prep, estimator)


@pytest.fixture(scope="module")
def gss() -> pd.DataFrame:
    return gss_wages_with_target()


def _fitted(gss: pd.DataFrame, target: str, estimator):  # noqa: ANN001, ANN202
    data = gss.dropna(subset=[target])
    X = data[NUMERIC + CATEGORICAL]  # noqa: N806
    y = data[target]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)  # noqa: N806
    return _model(estimator).fit(X_train, y_train), X_test, y_test


@pytest.fixture(scope="module")
def binary(gss: pd.DataFrame):  # noqa: ANN201
    return _fitted(gss, "high_income", LogisticRegression(max_iter=500))


@pytest.fixture(scope="module")
def multiclass(gss: pd.DataFrame):  # noqa: ANN201
    return _fitted(gss, "educcat", LogisticRegression(max_iter=500))


@pytest.fixture(scope="module")
def regression(gss: pd.DataFrame):  # noqa: ANN201
    return _fitted(gss, "prestg10", Ridge())


BINARY_REFERENCE = {
    "accuracy": lambda y, label, p: skm.accuracy_score(y, label),
    "balanced_accuracy": lambda y, label, p: skm.balanced_accuracy_score(y, label),
    "precision": lambda y, label, p: skm.precision_score(y, label),
    "recall": lambda y, label, p: skm.recall_score(y, label),
    "f1": lambda y, label, p: skm.f1_score(y, label),
    "roc_auc": lambda y, label, p: skm.roc_auc_score(y, p[:, 1]),
    "average_precision": lambda y, label, p: skm.average_precision_score(y, p[:, 1]),
    "log_loss": lambda y, label, p: skm.log_loss(y, p),
    "brier_score": lambda y, label, p: skm.brier_score_loss(y, p[:, 1]),
}

MULTICLASS_REFERENCE = {
    "accuracy": lambda y, label, p: skm.accuracy_score(y, label),
    "balanced_accuracy": lambda y, label, p: skm.balanced_accuracy_score(y, label),
    "precision": lambda y, label, p: skm.precision_score(y, label, average="macro", zero_division=0),
    "recall": lambda y, label, p: skm.recall_score(y, label, average="macro", zero_division=0),
    "f1": lambda y, label, p: skm.f1_score(y, label, average="macro", zero_division=0),
    "roc_auc": lambda y, label, p: skm.roc_auc_score(y, p, multi_class="ovr"),
    "average_precision": lambda y, label, p: skm.average_precision_score(y, p),
    "log_loss": lambda y, label, p: skm.log_loss(y, p),
    "brier_score": lambda y, label, p: skm.brier_score_loss(y, p),
}

REGRESSION_REFERENCE = {
    "rmse": skm.root_mean_squared_error,
    "mae": skm.mean_absolute_error,
    "r2": skm.r2_score,
    "mape": skm.mean_absolute_percentage_error,
}


def test_the_registry_is_the_documented_set() -> None:
    assert set(METRICS) == set(BINARY_REFERENCE) | set(REGRESSION_REFERENCE)
    assert {n for n, m in METRICS.items() if not m.greater_is_better} == {"log_loss", "brier_score", "rmse",
                                                                         "mae", "mape"}
    assert {n for n, m in METRICS.items() if m.needs == "proba"} == {"roc_auc", "average_precision",
                                                                     "log_loss", "brier_score"}


@pytest.mark.parametrize("name", sorted(BINARY_REFERENCE))
def test_binary_metric_equals_sklearn(binary, name: str) -> None:  # noqa: ANN001
    model, X, y = binary  # noqa: N806
    expected = BINARY_REFERENCE[name](y.to_numpy(), model.predict(X), model.predict_proba(X))
    assert abs(score_estimator(name, model, X, y) - expected) <= 1e-12
    # the metric also takes the positive column alone (or the labels)
    metric = metric_named(name, "classification")
    pred = model.predict_proba(X)[:, 1] if metric.needs == "proba" else model.predict(X)
    assert abs(metric.score(y, pred) - expected) <= 1e-12
    assert 0 < expected < 1


@pytest.mark.parametrize("name", sorted(MULTICLASS_REFERENCE))
def test_multiclass_metric_equals_sklearn(multiclass, name: str) -> None:  # noqa: ANN001
    model, X, y = multiclass  # noqa: N806
    assert len(model.classes_) == 5 and isinstance(model.classes_[0], str)
    y_true = y.astype(str).to_numpy()
    expected = MULTICLASS_REFERENCE[name](y_true, model.predict(X), model.predict_proba(X))
    assert abs(score_estimator(metric_named(name, "classification"), model, X, y) - expected) <= 1e-12


@pytest.mark.parametrize("name", sorted(REGRESSION_REFERENCE))
def test_regression_metric_equals_sklearn(regression, name: str) -> None:  # noqa: ANN001
    model, X, y = regression  # noqa: N806
    expected = REGRESSION_REFERENCE[name](y, model.predict(X))
    assert abs(score_estimator(name, model, X, y) - expected) <= 1e-12


def test_pr_auc_is_average_precision(binary) -> None:  # noqa: ANN001
    model, X, y = binary  # noqa: N806
    assert metric_named("pr_auc", "classification") is METRICS["average_precision"]
    assert metric_named(" Brier_Score_Loss ", "classification") is METRICS["brier_score"]
    assert score_estimator("pr_auc", model, X, y) == skm.average_precision_score(y, model.predict_proba(X)[:, 1])


def test_text_labels_take_the_larger_label_as_positive() -> None:
    y = np.array(["no", "yes", "yes", "no", "yes"])
    pred = np.array(["no", "yes", "no", "no", "no"])
    p = np.array([0.2, 0.9, 0.4, 0.3, 0.6])
    assert METRICS["f1"].score(y, pred) == skm.f1_score(y, pred, pos_label="yes")
    assert METRICS["brier_score"].score(y, p) == skm.brier_score_loss(y, p, pos_label="yes")
    assert METRICS["average_precision"].score(y, p) == skm.average_precision_score(y, p, pos_label="yes")


def test_a_metric_of_the_other_task_is_refused() -> None:
    with pytest.raises(InvalidInput, match="rmse is a regression metric but the target is classification"):
        metric_named("rmse", "classification")
    with pytest.raises(InvalidInput, match="roc_auc is a classification metric.*rmse, mae, r2, mape"):
        metric_named("roc_auc", "regression")


def test_an_unknown_metric_suggests_the_closest() -> None:
    with pytest.raises(InvalidInput, match=r"unknown metric 'roc_aux' \(did you mean 'roc_auc'"):
        metric_named("roc_aux", "classification")


def test_a_proba_metric_needs_predict_proba(binary) -> None:  # noqa: ANN001
    _, X, y = binary  # noqa: N806
    svc = _model(LinearSVC()).fit(X, y)
    with pytest.raises(InvalidInput, match="roc_auc needs probabilities but Pipeline has no predict_proba"):
        score_estimator("roc_auc", svc, X, y)


def test_proba_columns_must_match_the_classes() -> None:
    with pytest.raises(InvalidInput, match="3 columns for 2 classes"):
        METRICS["log_loss"].score([0, 1, 1], np.full((3, 3), 1 / 3))


def test_task_of(gss: pd.DataFrame) -> None:
    assert task_of(gss["high_income"]) == "classification"
    assert task_of(gss["educcat"]) == "classification"
    assert task_of(gss["childs"]) == "classification"  # 9 distinct counts
    assert task_of(gss["prestg10"]) == "regression"
    assert task_of(gss["prestg10"] > 50) == "classification"
    assert task_of(np.arange(21.0)) == "regression" and task_of(np.arange(20.0)) == "classification"


def test_a_target_of_one_class_is_refused(gss: pd.DataFrame) -> None:
    men = gss.loc[gss["gender"] == "Male", "gender"].astype(str)
    with pytest.raises(InvalidInput, match=f"one class only, 'Male' \\(all {len(men)} rows\\)"):
        check_target(men, "classification")
    with pytest.raises(InvalidInput, match="one class only, 1 "):
        check_target(np.ones(10, dtype=int), "classification")
    check_target(gss["high_income"], "classification")


def test_a_target_with_missing_values_or_constant_is_refused(gss: pd.DataFrame) -> None:
    missing = int(gss["prestg10"].isna().sum())
    with pytest.raises(InvalidInput, match=f"missing on {missing} of {len(gss)} rows"):
        check_target(gss["prestg10"], "regression")
    with pytest.raises(InvalidInput, match="must be numeric"):
        check_target(gss["gender"], "regression")
    with pytest.raises(InvalidInput, match=r"constant \(3.5 on all 4 rows\)"):
        check_target([3.5] * 4, "regression")
    check_target(gss["prestg10"].dropna(), "regression")


def test_a_class_missing_from_a_split_is_named(gss: pd.DataFrame) -> None:
    y = gss["educcat"].dropna().astype(str)
    train, valid = y.iloc[:30_000], y.iloc[30_000:]
    check_classes_present(train, valid)
    graduates = int((valid == "Graduate").sum())
    with pytest.raises(InvalidInput, match=f"class 'Graduate' has no rows in the validation split "
                                           f"\\({graduates} in train\\).*stratified"):
        check_classes_present(valid, train[train != "Graduate"], names=("train", "validation"))
