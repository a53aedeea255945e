"""k-fold cross-validation of a model: a fresh clone fitted on k-1 folds and scored on the k-th, with the
metrics of ``mlsteward.train.metrics`` (scikit-learn's values)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from sklearn.base import clone, is_classifier
from sklearn.model_selection import KFold, StratifiedKFold

from mlsteward.errors import InvalidInput
from mlsteward.evaluate._common import as_array, same_length
from mlsteward.train.metrics import METRICS, Task, metric_named, score_estimator

CV_DEFAULTS: dict[str, tuple[str, ...]] = {
    "classification": ("accuracy", "balanced_accuracy", "f1", "roc_auc", "log_loss"),
    "regression": ("rmse", "mae", "r2"),
}
"""The metrics ``cross_validate`` scores when none are named (probability ones only for a model with
``predict_proba``)."""


class FoldScores(BaseModel):
    """One metric over the folds: mean, sample standard deviation (ddof=1) and each fold's value."""

    mean: float
    std: float = Field(description="sample standard deviation over the folds (ddof=1)")
    per_fold: list[float]


class CrossValidationResult(BaseModel):
    """k-fold cross-validation: a fresh clone of the model fitted on k-1 folds and scored on the k-th."""

    task: Task
    n_rows: int
    folds: int
    splitter: str = Field(description="StratifiedKFold (classification) or KFold (regression), shuffled")
    seed: int
    fold_sizes: list[int] = Field(description="rows scored in each fold")
    metrics: dict[str, FoldScores]


def cross_validate(estimator: Any, X: Any, y: Any, *, folds: int = 5,  # noqa: N803
                   metrics: Sequence[str] | None = None, seed: int = 0) -> CrossValidationResult:
    """Score ``estimator`` by k-fold cross-validation: each fold a fresh clone fitted on the other folds.

    Classification uses ``StratifiedKFold(folds, shuffle=True, random_state=seed)``, regression
    ``KFold`` alike; ``metrics`` names the metrics (default ``CV_DEFAULTS`` of the task). The folds run
    one after another (``n_jobs=1``)."""
    target = as_array(y, "y")
    same_length(X=X, y=target)
    if pd.isna(target).any():
        raise InvalidInput(f"y is missing on {int(pd.isna(target).sum())} rows: drop those rows first")
    if not isinstance(folds, int | np.integer) or folds < 2:
        raise InvalidInput(f"folds must be a whole number >= 2; got {folds!r}")
    task: Task = "classification" if is_classifier(estimator) else "regression"
    if metrics is None:
        names = [m for m in CV_DEFAULTS[task]
                 if METRICS[m].needs == "label" or hasattr(estimator, "predict_proba")]
    else:
        names = [metric_named(m, task).name for m in ([metrics] if isinstance(metrics, str) else metrics)]
    if task == "classification":
        smallest = pd.Series(target).value_counts().min()
        if smallest < folds:
            raise InvalidInput(f"a class of y has only {smallest} rows, fewer than folds={folds}: lower folds "
                               "or merge the rare classes")
        splitter: StratifiedKFold | KFold = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    else:
        if len(target) < folds:
            raise InvalidInput(f"{len(target)} rows cannot be split into {folds} folds: lower folds")
        splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    scores: dict[str, list[float]] = {name: [] for name in names}
    sizes = []
    for train, test in splitter.split(np.zeros(len(target)), target):
        model = clone(estimator).fit(_rows(X, train), target[train])
        sizes.append(len(test))
        for name in names:
            scores[name].append(score_estimator(METRICS[name], model, _rows(X, test), target[test]))
    return CrossValidationResult(
        task=task, n_rows=len(target), folds=folds, splitter=type(splitter).__name__, seed=seed, fold_sizes=sizes,
        metrics={name: FoldScores(mean=float(np.mean(v)), std=float(np.std(v, ddof=1)), per_fold=v)
                 for name, v in scores.items()})


def _rows(X: Any, index: np.ndarray) -> Any:  # noqa: N803
    return X.iloc[index] if hasattr(X, "iloc") else np.asarray(X)[index]


__all__ = ["CV_DEFAULTS", "CrossValidationResult", "FoldScores", "cross_validate"]
