"""Ablation: how much the metric depends on each feature group.

``mode="permute"`` shuffles the group's columns jointly (one row permutation for all of them, so the
group's inner structure is kept while its link to the target is broken) and rescores, averaged over
``repeats``. ``mode="retrain"`` refits the model without the group's columns, through the caller's
``refit(X_train_without_group, y_train)`` (only the caller knows how to rebuild its pipeline), and
scores it on the evaluation rows without them. ``delta`` is signed so that positive means the group
helps: the metric lost without it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from mlsteward.errors import InvalidInput
from mlsteward.evaluate._common import frame_and_target, known_columns, model_metric, positive_int, sample_rows
from mlsteward.train.metrics import score_estimator

Mode = Literal["permute", "retrain"]


class GroupAblation(BaseModel):
    """The metric without one feature group."""

    name: str
    columns: list[str]
    score: float = Field(description="the metric without the group (mean over repeats when permuted)")
    scores: list[float] = Field(description="each repeat's metric (one value when retrained)")
    delta: float = Field(description="metric lost without the group: positive = the group helps")
    delta_std: float = Field(description="standard deviation of the loss over repeats (0 when retrained)")


class AblationResult(BaseModel):
    """Each feature group's contribution to the metric."""

    metric: str
    greater_is_better: bool
    mode: Mode
    score: float = Field(description="the full model's metric on the same rows")
    n_rows: int = Field(description="rows scored (a seeded sample when the input had more than max_rows)")
    n_rows_total: int
    repeats: int
    seed: int
    groups: list[GroupAblation] = Field(description="sorted by delta, the most helpful group first")


def ablation(model: Any, X: pd.DataFrame, y: Any, groups: Mapping[str, Sequence[str]] | None = None, *,  # noqa: N803
             metric: Any = None, mode: Mode = "permute", refit: Callable[[pd.DataFrame, Any], Any] | None = None,
             X_train: pd.DataFrame | None = None, y_train: Any = None, repeats: int = 3,  # noqa: N803
             max_rows: int = 10_000, seed: int = 0) -> AblationResult:
    """The metric lost when each group of ``groups`` (name -> columns; default: each column alone) is
    permuted or left out of a retrained model; see the module docstring."""
    X, y = frame_and_target(X, y)  # noqa: N806
    scored = model_metric(model, metric, y)
    positive_int(repeats, "repeats")
    positive_int(max_rows, "max_rows")
    if mode not in ("permute", "retrain"):
        raise InvalidInput(f"mode must be 'permute' or 'retrain'; got {mode!r}")
    chosen = _groups(groups, X)
    if mode == "retrain":
        if refit is None or X_train is None or y_train is None:
            raise InvalidInput("mode='retrain' needs refit= (a function fitting the model on given columns), "
                               "X_train= and y_train=; or use mode='permute', which rescores the fitted model")
        if not isinstance(X_train, pd.DataFrame):
            raise InvalidInput(f"X_train must be a data frame of the training rows' raw columns; got "
                               f"{type(X_train).__name__}")
        missing = sorted({c for cols in chosen.values() for c in cols} - set(X_train.columns))
        if missing:
            raise InvalidInput(f"X_train lacks the group column(s) {missing}: pass the training rows' raw columns")
    rows, y_rows = sample_rows(X, y, max_rows, seed)
    rows = rows.reset_index(drop=True)
    sign = 1.0 if scored.greater_is_better else -1.0
    full = score_estimator(scored, model, rows, y_rows)
    results = []
    for i, (name, columns) in enumerate(chosen.items()):
        if mode == "permute":
            scores = _permuted_scores(model, scored, rows, y_rows, columns, repeats, seed + i)
        else:
            try:
                refitted = refit(X_train.drop(columns=columns), y_train)
            except Exception as error:
                raise InvalidInput(f"retraining without feature group {name!r} ({', '.join(columns)}) failed: "
                                   f"{error}") from error
            scores = [score_estimator(scored, refitted, rows.drop(columns=columns), y_rows)]
        losses = [sign * (full - s) for s in scores]
        results.append(GroupAblation(name=name, columns=list(columns), score=float(np.mean(scores)), scores=scores,
                                     delta=float(np.mean(losses)),
                                     delta_std=float(np.std(losses, ddof=1)) if len(losses) > 1 else 0.0))
    results.sort(key=lambda g: -g.delta)
    return AblationResult(metric=scored.name, greater_is_better=scored.greater_is_better, mode=mode, score=full,
                          n_rows=len(rows), n_rows_total=len(X), repeats=repeats if mode == "permute" else 1,
                          seed=seed, groups=results)


def _groups(groups: Mapping[str, Sequence[str]] | None, X: pd.DataFrame) -> dict[str, list[str]]:  # noqa: N803
    if groups is None:
        return {str(c): [c] for c in X.columns}
    if not groups:
        raise InvalidInput("groups is empty: name at least one feature group, or pass None for one per column")
    chosen = {}
    for name, columns in groups.items():
        columns = known_columns(columns, X, f"feature group {name!r}")
        if not columns:
            raise InvalidInput(f"feature group {name!r} names no column")
        chosen[str(name)] = columns
    return chosen


def _permuted_scores(model: Any, metric: Any, rows: pd.DataFrame, y: np.ndarray, columns: list[str],
                     repeats: int, seed: int) -> list[float]:
    """The metric with ``columns`` shuffled together, once per repeat (``default_rng(seed)``)."""
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(repeats):
        order = rng.permutation(len(rows))
        shuffled = rows.copy()
        for c in columns:
            shuffled[c] = rows[c].array.take(order)
        scores.append(score_estimator(metric, model, shuffled, y))
    return scores


__all__ = ["AblationResult", "GroupAblation", "ablation"]
