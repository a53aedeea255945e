"""Helpers every evaluation check shares: one-column inputs, equal lengths, the positive class and
its probability column. The positive class of a binary target is the larger label (1 of 0/1), the
same rule as ``mlsteward.train.metrics``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import is_classifier, is_regressor

from mlsteward.errors import InvalidInput
from mlsteward.train.metrics import Metric, Task, metric_named, positive_class, score_estimator, task_of


def as_array(values: Any, name: str) -> np.ndarray:
    """``values`` as a 1-D numpy array; a clear error when it is not one column."""
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise InvalidInput(f"{name} must be one column; got {values.shape[1]} columns")
        values = values.iloc[:, 0]
    array = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if array.ndim != 1:
        raise InvalidInput(f"{name} must be one column (1-D); got an array of shape {array.shape}")
    return array


def same_length(**arrays: Any) -> int:
    """The common length of the named arrays; an error naming the mismatch otherwise."""
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise InvalidInput(f"the inputs must have one value per row, but {described}")
    return next(iter(lengths.values()), 0)


def positive_proba(y_prob: Any, classes: Any) -> np.ndarray:
    """The positive class's probability (1-D) from a 1-D array or a two-column ``predict_proba``."""
    proba = np.asarray(y_prob, dtype=float)
    if proba.ndim == 2:
        if proba.shape[1] != 2:
            raise InvalidInput(f"a binary check needs the positive class's probability; got {proba.shape[1]} "
                               "columns: pass predict_proba(X)[:, 1] or a two-column matrix")
        proba = proba[:, 1]
    if proba.ndim != 1:
        raise InvalidInput(f"probabilities must be 1-D or two columns; got shape {proba.shape}")
    if len(proba) and (np.nanmin(proba) < 0 or np.nanmax(proba) > 1):
        raise InvalidInput("probabilities must lie in [0, 1]; pass predict_proba's output, not scores or logits")
    return proba


def positive_probabilities(y_prob: Any) -> np.ndarray:
    """``positive_proba`` refusing text and missing values, for checks that need a probability per row."""
    try:
        prob = positive_proba(y_prob, None)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"y_prob must be numbers (predict_proba's output): {exc}") from exc
    if np.isnan(prob).any():
        raise InvalidInput("y_prob holds missing values (NaN): pass predict_proba's output for every row")
    return prob


def binary_labels(y_true: Any, name: str = "y_true") -> tuple[np.ndarray, Any]:
    """``(y == positive, positive)`` for a binary target; an error for more than two classes."""
    y = as_array(y_true, name)
    classes = np.unique(y[~pd.isna(y)]) if y.dtype == object else np.unique(y)
    if len(classes) > 2:
        raise InvalidInput(f"{name} has {len(classes)} classes; this check is for binary targets (two classes)")
    positive = positive_class(classes)
    return (y == positive).astype(int), positive


# -- a model, its raw rows and its metric: what explain, robustness and ablation share -----------------------

Kind = Literal["numeric", "categorical", "other"]

DEFAULT_METRIC = {"classification": "roc_auc", "regression": "r2"}
"""The metric used when none is named (``accuracy`` for a classifier without ``predict_proba``)."""

def frame_and_target(X: Any, y: Any) -> tuple[pd.DataFrame, np.ndarray]:  # noqa: N803
    """``X`` checked to be a data frame of raw columns, ``y`` as a 1-D array of the same length."""
    if not isinstance(X, pd.DataFrame):
        raise InvalidInput(f"X must be a pandas DataFrame of the raw columns the model takes; got {type(X).__name__}: "
                           "pass the rows as a data frame (pd.DataFrame(values, columns=names))")
    if X.columns.has_duplicates:
        doubled = sorted({str(c) for c in X.columns[X.columns.duplicated()]})
        raise InvalidInput(f"X has duplicate column names {doubled}: rename or drop the copies")
    if not len(X):
        raise InvalidInput("X has no rows: pass the evaluation rows")
    target = as_array(y, "y")
    same_length(X=X, y=target)
    return X, target


def model_task(model: Any, y: Any) -> Task:
    """The model's task: from its scikit-learn tags, else from the target's values."""
    if is_classifier(model):
        return "classification"
    if is_regressor(model):
        return "regression"
    return task_of(y)


def model_metric(model: Any, metric: str | Metric | None, y: Any) -> Metric:
    """The named metric (checked against the model's task), or the default one of ``DEFAULT_METRIC``."""
    task = model_task(model, y)
    if metric is None:
        name = DEFAULT_METRIC[task]
        if task == "classification" and not hasattr(model, "predict_proba"):
            name = "accuracy"
        return metric_named(name, task)
    if isinstance(metric, Metric):
        return metric_named(metric.name, task)
    return metric_named(metric, task)


def metric_scorer(metric: Metric) -> Callable[[Any, pd.DataFrame, Any], float]:
    """A scikit-learn scorer ``(estimator, X, y)`` of ``metric``, negated for a loss so greater is better."""
    sign = 1.0 if metric.greater_is_better else -1.0

    def scorer(estimator: Any, X: pd.DataFrame, y: Any) -> float:  # noqa: N803
        return sign * score_estimator(metric, estimator, X, y)
    return scorer


def sample_rows(X: pd.DataFrame, y: np.ndarray, max_rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:  # noqa: N803
    """At most ``max_rows`` rows: ``default_rng(seed).choice(n, max_rows, replace=False)``, sorted."""
    if len(X) <= max_rows:
        return X, y
    rows = np.sort(np.random.default_rng(seed).choice(len(X), size=max_rows, replace=False))
    return X.iloc[rows], y[rows]


def column_kind(values: pd.Series) -> Kind:
    """numeric (numbers, not booleans), categorical (category, text, booleans) or other (dates, ...)."""
    if pd.api.types.is_bool_dtype(values):
        return "categorical"
    if pd.api.types.is_numeric_dtype(values):
        return "numeric"
    if (isinstance(values.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(values)
            or pd.api.types.is_string_dtype(values)):
        return "categorical"
    return "other"


def known_columns(names: Iterable[str], X: pd.DataFrame, argument: str) -> list[str]:  # noqa: N803
    """``names`` without repeats, each checked to be a column of ``X``."""
    if isinstance(names, str):
        names = [names]
    names = list(dict.fromkeys(names))
    unknown = [n for n in names if n not in X.columns]
    if unknown:
        raise InvalidInput(f"{argument} names columns not in X: {unknown}; the columns are "
                           f"{[str(c) for c in X.columns]}")
    return names


def positive_int(value: Any, name: str) -> None:
    """Refuse anything but a whole number of at least 1."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InvalidInput(f"{name} must be a whole number of at least 1; got {value!r}")


__all__ = [
    "DEFAULT_METRIC",
    "Kind",
    "as_array",
    "binary_labels",
    "column_kind",
    "frame_and_target",
    "known_columns",
    "metric_scorer",
    "model_metric",
    "model_task",
    "positive_class",
    "positive_int",
    "positive_proba",
    "positive_probabilities",
    "same_length",
    "sample_rows",
]
