"""Metrics by name, computed with ``sklearn.metrics``, and the checks a target must pass before training.

**Classes.** Classification metrics work on binary and multiclass targets. Binary: the positive class
is the larger label (1 of 0/1, the second of the sorted classes, as in column 1 of ``predict_proba``);
probability metrics take that column (a 1-D array), or the two-column matrix. Multiclass: precision,
recall and f1 are macro averages (``zero_division=0``), roc_auc is one-vs-rest macro, average_precision
the macro average over one-vs-rest columns, log_loss and brier_score their multiclass forms. Pass
``labels`` (a model's ``classes_``) when the scored rows may lack a class; ``score_estimator`` does.

**Target.** ``task_of``: a numeric target with more than ``MAX_CLASSES`` distinct values is a
regression target, anything else (text, categories, booleans, few values) a classification target.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn import metrics as skm
from sklearn.base import is_classifier
from sklearn.preprocessing import label_binarize

from mlsteward.errors import InvalidInput

Task = Literal["classification", "regression"]
Needs = Literal["label", "proba"]

MAX_CLASSES = 20
"""A numeric target with more distinct values than this is a regression target."""


@dataclass(frozen=True)
class Metric:
    """A named metric: its task, whether it scores labels or probabilities, and its direction."""

    name: str
    task: Task
    needs: Needs
    greater_is_better: bool
    compute: Callable[..., float] = field(repr=False, compare=False)

    def score(self, y_true: Any, y_pred_or_proba: Any, *, labels: Any = None) -> float:
        """The metric of predicted labels (``needs == "label"``) or probabilities (``"proba"``)."""
        y = _values(y_true)
        pred = np.asarray(y_pred_or_proba)
        if len(y) != len(pred):
            raise InvalidInput(f"{self.name}: {len(y)} true values but {len(pred)} predictions; give one "
                               "prediction per row")
        try:
            if self.task == "regression":
                return float(self.compute(y.astype(float), pred.astype(float)))
            if self.needs == "label":
                classes = np.unique(np.concatenate([y, pred])) if labels is None else np.asarray(labels)
                return float(self.compute(y, pred, classes))
            classes = np.unique(y) if labels is None else np.asarray(labels)
            return float(self.compute(y, self._proba(pred, classes), classes))
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"{self.name} cannot be computed on these values: {exc}") from exc

    def _proba(self, proba: np.ndarray, classes: np.ndarray) -> np.ndarray:
        if proba.ndim == 2:
            if proba.shape[1] != len(classes):
                raise InvalidInput(f"{self.name}: the probabilities have {proba.shape[1]} columns for "
                                   f"{len(classes)} classes {classes.tolist()}: pass labels= the model's classes_")
            return proba[:, 1] if proba.shape[1] == 2 else proba
        if proba.ndim != 1 or len(classes) > 2:
            raise InvalidInput(f"{self.name} needs one probability column per class ({len(classes)} classes); "
                               f"got an array of shape {proba.shape}: pass predict_proba's output")
        return proba


def positive_class(classes: np.ndarray) -> Any:
    """The positive class of a binary target: the larger label (1 when the labels are 0/1)."""
    if len(classes) < 2 and set(classes.tolist()) <= {0, 1}:
        return 1
    return classes[-1]


def _binary(classes: np.ndarray) -> bool:
    return len(classes) <= 2


def _prf(fn: Callable[..., float]) -> Callable[..., float]:
    def compute(y: np.ndarray, pred: np.ndarray, classes: np.ndarray) -> float:
        if _binary(classes):
            return fn(y, pred, pos_label=positive_class(classes), average="binary", zero_division=0.0)
        return fn(y, pred, labels=classes, average="macro", zero_division=0.0)
    return compute


def _roc_auc(y: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> float:
    if proba.ndim == 1:
        return skm.roc_auc_score(y, proba)
    return skm.roc_auc_score(y, proba, multi_class="ovr", labels=classes)


def _average_precision(y: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> float:
    if proba.ndim == 1:
        return skm.average_precision_score(y, proba, pos_label=positive_class(classes))
    return skm.average_precision_score(label_binarize(y, classes=classes), proba, average="macro")


def _brier(y: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> float:
    if proba.ndim == 1:
        return skm.brier_score_loss(y, proba, pos_label=positive_class(classes))
    return skm.brier_score_loss(y, proba, labels=classes)


def _metric(name: str, task: Task, needs: Needs, greater: bool, compute: Callable[..., float]) -> Metric:
    return Metric(name=name, task=task, needs=needs, greater_is_better=greater, compute=compute)


METRICS: dict[str, Metric] = {m.name: m for m in (
    _metric("accuracy", "classification", "label", True, lambda y, p, c: skm.accuracy_score(y, p)),
    _metric("balanced_accuracy", "classification", "label", True,
            lambda y, p, c: skm.balanced_accuracy_score(y, p)),
    _metric("precision", "classification", "label", True, _prf(skm.precision_score)),
    _metric("recall", "classification", "label", True, _prf(skm.recall_score)),
    _metric("f1", "classification", "label", True, _prf(skm.f1_score)),
    _metric("roc_auc", "classification", "proba", True, _roc_auc),
    _metric("average_precision", "classification", "proba", True, _average_precision),
    _metric("log_loss", "classification", "proba", False, lambda y, p, c: skm.log_loss(y, p, labels=c)),
    _metric("brier_score", "classification", "proba", False, _brier),
    _metric("rmse", "regression", "label", False, skm.root_mean_squared_error),
    _metric("mae", "regression", "label", False, skm.mean_absolute_error),
    _metric("r2", "regression", "label", True, skm.r2_score),
    # a fraction (0.1 is 10 %), as scikit-learn computes it; huge where true values are near 0
    _metric("mape", "regression", "label", False, skm.mean_absolute_percentage_error),
)}
"""Every metric by its name (scikit-learn's short names)."""

ALIASES: dict[str, str] = {"pr_auc": "average_precision", "brier_score_loss": "brier_score"}
"""Other names accepted for a metric."""


def metric_named(name: str, task: Task) -> Metric:
    """The metric called ``name`` (or an alias), refused when it does not suit ``task``."""
    if task not in ("classification", "regression"):
        raise InvalidInput(f"task must be 'classification' or 'regression'; got {task!r}")
    for_task = [n for n, m in METRICS.items() if m.task == task]
    key = name.strip().lower() if isinstance(name, str) else name
    key = ALIASES.get(key, key)
    if key not in METRICS:
        close = difflib.get_close_matches(str(key), [*METRICS, *ALIASES], n=2, cutoff=0.6)
        hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
        raise InvalidInput(f"unknown metric {name!r}{hint}; the {task} metrics are: {', '.join(for_task)}")
    metric = METRICS[key]
    if metric.task != task:
        raise InvalidInput(f"{name} is a {metric.task} metric but the target is {task}: use one of "
                           f"{', '.join(for_task)}")
    return metric


def score_estimator(metric: Metric | str, estimator: Any, X: Any, y: Any) -> float:  # noqa: N803
    """``metric`` of a fitted estimator on rows ``X`` with true values ``y`` (probabilities if it needs them)."""
    if isinstance(metric, str):
        metric = metric_named(metric, "classification" if is_classifier(estimator) else "regression")
    if metric.needs == "proba":
        if not hasattr(estimator, "predict_proba"):
            raise InvalidInput(f"{metric.name} needs probabilities but {type(estimator).__name__} has no "
                               "predict_proba: choose a label metric (accuracy, f1, ...) or a model that "
                               "gives probabilities")
        pred = estimator.predict_proba(X)
    else:
        pred = estimator.predict(X)
    return metric.score(y, pred, labels=getattr(estimator, "classes_", None))


def task_of(y: Any) -> Task:
    """``regression`` for a numeric target with more than ``MAX_CLASSES`` distinct values, else classification."""
    s = _series(y)
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        return "classification"
    return "regression" if s.nunique(dropna=True) > MAX_CLASSES else "classification"


def check_target(y: Any, task: Task) -> None:
    """Refuse a target that cannot be learnt: empty, with missing values, one class only, or constant."""
    s = _series(y)
    if not len(s):
        raise InvalidInput("the target has no rows: check the filter that selected the training rows")
    missing = int(s.isna().sum())
    if missing:
        raise InvalidInput(f"the target is missing on {missing} of {len(s)} rows: drop or label those rows "
                           "before training")
    if task == "classification":
        counts = _counts(s)
        if len(counts) < 2:
            only = plain_value(counts.index[0])
            raise InvalidInput(f"the target has one class only, {only!r} (all {len(s)} rows): a "
                               "classifier needs at least two; check the target's definition (its threshold) "
                               "and the rows kept")
    elif task == "regression":
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            raise InvalidInput(f"a regression target must be numeric; this one is {s.dtype}: convert it, or "
                               "train a classifier")
        if s.nunique() < 2:
            value = plain_value(s.iloc[0])
            raise InvalidInput(f"the target is constant ({value!r} on all {len(s)} rows): there is nothing "
                               "to learn; check the target's definition and the rows kept")
    else:
        raise InvalidInput(f"task must be 'classification' or 'regression'; got {task!r}")


def check_classes_present(y_train: Any, y_valid: Any, *,
                          names: tuple[str, str] = ("train", "validation")) -> None:
    """Refuse a split in which a class of the target has no rows."""
    counts = (_counts(_series(y_train)), _counts(_series(y_valid)))
    problems = []
    for i, (split, here) in enumerate(zip(names, counts, strict=True)):
        other = counts[1 - i]
        for cls in other.index:
            if here.get(cls, 0) == 0:
                problems.append(f"class {plain_value(cls)!r} has no rows in the {split} split ({int(other[cls])} in "
                                f"{names[1 - i]})")
    if problems:
        raise InvalidInput("; ".join(problems) + ": split stratified by the target (strategy 'stratified'), "
                           "or merge or drop the rare classes")


def _series(y: Any) -> pd.Series:
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise InvalidInput(f"the target must be one column; got {y.shape[1]} columns")
        return y.iloc[:, 0]
    if isinstance(y, pd.Series):
        return y
    values = np.asarray(y)
    if values.ndim != 1:
        raise InvalidInput(f"the target must be one column; got an array of shape {values.shape}")
    return pd.Series(values)


def _values(y: Any) -> np.ndarray:
    return _series(y).to_numpy()


def plain_value(value: Any) -> Any:
    """A numpy scalar as the Python value (for messages and JSON); anything else unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def _counts(s: pd.Series) -> pd.Series:
    counts = s.value_counts(dropna=True)
    return counts[counts > 0]
