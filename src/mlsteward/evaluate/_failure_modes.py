"""Failure modes: readable rules describing the rows where the model is wrong more often than overall.

A row is wrong when the predicted class differs from the true one (classification), or when the
absolute error is above ``error_threshold`` (regression; default the 90th percentile of the absolute
errors, so the worst tenth of the rows count as wrong). A shallow ``DecisionTreeClassifier``
(``max_depth``, at least ``min_size`` rows per leaf, ``random_state=seed``) is fitted on that "was wrong"
indicator over the raw columns: numbers as they are (missing values routed by the tree) and times as
seconds, as in the feasibility study's error taxonomy (``mlsteward.train.feasibility_errors``, whose
tree walk this reuses); every other column ordinal-encoded, its levels (the 30 most frequent values,
``"(other)"`` for the rest, ``"(missing)"``) ranked by their error rate, so that one split picks the
subset of levels that best separates the errors (for a yes/no outcome that order contains the best
split; Breiman et al. 1984). Rules are written with the original values: ``sex = female AND
age <= 27.5 AND educcat in {High school, Less than high school}``; a condition on many levels is
written as its complement, ``educcat not in {Bachelor, Graduate}`` (a listed ``(missing)`` means
missing values are in, or out, of the set with the others). In the conditions' data, ``values``
and ``negated`` give the set, ``missing`` whether missing values satisfy the condition.

Every leaf with at least ``min_size`` rows (default max(30, 1 % of the rows)) and an error rate at
least the overall rate is a candidate; sibling candidates are merged into their parent, so each rule
is the simplest the tree supports, and rules whose error rate is not strictly above the overall rate
are dropped. Each rule reports its rows, errors, error rate, lift (error rate / overall error rate)
and share of all errors; the ``max_rules`` rules explaining the most errors are returned, most first.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sklearn.tree import DecisionTreeClassifier

from mlsteward.errors import InvalidInput
from mlsteward.evaluate._common import as_array, same_length
from mlsteward.train.feasibility_errors import TreeFeature, encode_columns, error_segments
from mlsteward.train.feasibility_models import SegmentCondition
from mlsteward.train.metrics import Task, plain_value, task_of

REGRESSION_QUANTILE = 0.9
"""Regression: by default a row is wrong when its absolute error is above this quantile of them all."""
MAX_LEVELS = 30
"""Values of a categorical column kept by name; rarer ones are grouped as "(other)"."""
OTHER, MISSING = "(other)", "(missing)"


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FailureMode(_Result):
    """A group of rows, described by a rule on the original values, where the model errs more than overall."""

    rule: str
    conditions: list[SegmentCondition]
    rows: int
    errors: int
    error_rate: float
    lift: float = Field(description="error rate / the overall error rate")
    share_of_errors: float = Field(description="share of all the model's errors that fall in these rows")
    excess_errors: float = Field(description="errors above what the overall error rate predicts for these rows")
    mean_absolute_error: float | None = Field(None, description="regression: mean absolute error of these rows")


class FailureModesResult(_Result):
    """Where the model fails: the rules found by a shallow tree on the "was wrong" indicator."""

    task: Task
    rows: int
    errors: int
    error_rate: float
    error_definition: str
    error_threshold: float | None = Field(None, description="regression: the absolute error above which a row is wrong")
    max_depth: int
    min_size: int
    seed: int
    modes: list[FailureMode] = Field(default_factory=list)
    columns_used: list[str] = Field(default_factory=list)
    columns_skipped: dict[str, str] = Field(default_factory=dict, description="column -> why it was not used")
    notes: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class _Levels:
    """A categorical column's levels in the order of their error rate (the tree's split order)."""

    column: str
    order: tuple  # level values, missing as MISSING and the rare values as OTHER


def _is_number_like(s: pd.Series) -> bool:
    dtype = s.dtype
    return (pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype)
            or (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
                and not pd.api.types.is_complex_dtype(dtype)))


def _ordinal(s: pd.Series, column: str, wrong: np.ndarray) -> tuple[np.ndarray, _Levels]:
    """Each row's rank of its level when the levels are sorted by error rate (ties by name). For a yes/no
    target this order lets one split pick the best subset of levels (Breiman et al. 1984, 9.4)."""
    counts = s.value_counts(dropna=True)
    counts = counts[counts > 0]
    top = list(counts.index[:MAX_LEVELS])
    level = pd.Series(s.astype(object).to_numpy(), dtype=object)
    level = level.where(level.isin(top) | level.isna(), OTHER).where(level.notna(), MISSING)
    rates = pd.Series(wrong.astype(float)).groupby(level.to_numpy()).mean()
    order = tuple(sorted(rates.index, key=lambda v: (rates[v], str(v))))
    rank = {v: i for i, v in enumerate(order)}
    return level.map(rank).to_numpy(dtype=float), _Levels(column, order)


def _encode_all(frame: pd.DataFrame, wrong: np.ndarray) -> tuple[np.ndarray, list[TreeFeature], dict[str, str],
                                                                  dict[str, _Levels]]:
    """Numbers and times as the feasibility taxonomy encodes them; every other column as its level's rank."""
    numbers_ = [c for c in frame.columns if _is_number_like(frame[c])]
    matrix, features, skipped = encode_columns(frame[numbers_])
    blocks, levels = [matrix], {}
    for name in frame.columns:
        if name in numbers_:
            continue
        if frame[name].isna().all():
            skipped[str(name)] = "all missing"
            continue
        codes, levels[str(name)] = _ordinal(frame[name], str(name), wrong)
        blocks.append(codes.reshape(-1, 1))
        features.append(TreeFeature(str(name), "numeric"))
    order = {str(c): i for i, c in enumerate(frame.columns)}
    return np.hstack(blocks), features, dict(sorted(skipped.items(), key=lambda kv: order[kv[0]])), levels


def _set_text(values: list) -> str:
    return "{" + ", ".join(map(str, values)) + "}"


def _level_condition(condition: SegmentCondition, levels: _Levels) -> SegmentCondition:
    """A condition on a level's rank (``above < rank <= at_most``) in terms of the original values."""
    low = -np.inf if condition.above is None else float(condition.above)
    high = np.inf if condition.at_most is None else float(condition.at_most)
    chosen = [v for i, v in enumerate(levels.order) if low < i <= high]
    left_out = [v for v in levels.order if v not in chosen]
    col, missing = levels.column, MISSING in chosen
    named = [plain_value(v) for v in chosen if v != MISSING]
    if OTHER in chosen or (OTHER not in left_out and len(named) > len(left_out)):
        values = [plain_value(v) for v in left_out if v != MISSING]
        text = f"{col} ≠ {left_out[0]}" if len(left_out) == 1 else f"{col} not in {_set_text(left_out)}"
        return SegmentCondition(column=col, text=text, values=values, negated=True, missing=missing)
    if not named:
        text = f"{col} is missing"
    elif len(chosen) == 1:
        text = f"{col} = {chosen[0]}"
    else:
        text = f"{col} in {_set_text(chosen)}"
    return SegmentCondition(column=col, text=text, values=named, missing=missing)


def _check_int(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise InvalidInput(f"The '{name}' parameter of failure_modes must be an int >= {low}; got {value!r} instead.")


def _wrong(y: np.ndarray, pred: np.ndarray, task: Task,
           threshold: float | None) -> tuple[np.ndarray, np.ndarray | None, str, float | None]:
    """The "was wrong" indicator, the absolute errors (regression), its definition and the threshold used."""
    if task == "classification":
        return y != pred, None, "the predicted class differs from the true class", None
    try:
        abs_err = np.abs(y.astype(float) - pred.astype(float))
    except (TypeError, ValueError) as exc:
        raise InvalidInput("a regression check needs numeric y_true and y_pred; pass task='classification' for "
                           "class labels") from exc
    if threshold is None:
        threshold = float(np.quantile(abs_err, REGRESSION_QUANTILE))
        definition = (f"the absolute error is above {threshold:.4g} (the {REGRESSION_QUANTILE:.0%} quantile of the "
                      "absolute errors)")
    else:
        threshold = float(threshold)
        definition = f"the absolute error is above {threshold:.4g}"
    return abs_err > threshold, abs_err, definition, threshold


def failure_modes(frame: pd.DataFrame, y_true: Any, y_pred: Any, *, max_depth: int = 3, min_size: int | None = None,
                  max_rules: int = 10, seed: int = 0, task: Task | None = None,
                  error_threshold: float | None = None) -> FailureModesResult:
    """Rules on the raw columns of ``frame`` that describe where the model's errors concentrate.

    ``frame`` holds the raw columns of the scored rows (not the target); ``task`` defaults to the
    target's (``mlsteward.train.metrics.task_of``); ``error_threshold`` is for regression only.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInput(f"The 'frame' parameter of failure_modes must be a pandas DataFrame of the raw columns; "
                           f"got {type(frame).__name__} instead.")
    y, pred = as_array(y_true, "y_true"), as_array(y_pred, "y_pred")
    n = same_length(frame=frame, y_true=y, y_pred=pred)
    if n == 0:
        raise InvalidInput("there are no rows: pass the predictions of a non-empty test set")
    if pd.isna(y).any() or pd.isna(pred).any():
        raise InvalidInput("y_true and y_pred must not hold missing values: drop the unlabelled rows first")
    _check_int("max_depth", max_depth, 1)
    _check_int("max_rules", max_rules, 0)
    _check_int("seed", seed, 0)
    if min_size is not None:
        _check_int("min_size", min_size, 1)
    min_size = max(30, int(np.ceil(0.01 * n))) if min_size is None else min_size
    task = task or task_of(y)
    if task not in ("classification", "regression"):
        raise InvalidInput(f"task must be 'classification' or 'regression'; got {task!r}")
    if error_threshold is not None and task != "regression":
        raise InvalidInput("error_threshold is for regression (a row is wrong when its absolute error is above it); "
                           "leave it out for a classifier")
    wrong, abs_err, definition, threshold = _wrong(y, pred, task, error_threshold)
    errors = int(wrong.sum())
    rate = errors / n
    matrix, features, skipped, levels = _encode_all(frame.reset_index(drop=True), wrong)
    result = FailureModesResult(task=task, rows=n, errors=errors, error_rate=rate, error_definition=definition,
                                error_threshold=threshold, max_depth=max_depth, min_size=min_size, seed=seed,
                                columns_used=list(dict.fromkeys(f.column for f in features)),
                                columns_skipped=skipped)
    if errors == 0 or errors == n or not features:
        why = ("the model makes no error" if errors == 0 else "every prediction is wrong" if errors == n
               else "no column could be used")
        result.notes.append(f"No failure modes: {why}.")
        return result
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=min_size, random_state=seed)
    tree.fit(matrix, wrong.astype(int))
    found = [s for s in error_segments(tree, matrix, wrong, abs_err, features, rate, 1.0, min_size)
             if s.errors * n > errors * s.rows]  # strictly above the overall error rate
    found.sort(key=lambda s: (-s.errors, -s.error_rate, s.rule))
    result.modes = []
    for s in found[:max_rules]:
        conditions = [_level_condition(c, levels[c.column]) if c.column in levels else c for c in s.conditions]
        result.modes.append(FailureMode(
            rule=" AND ".join(c.text for c in conditions) or "all rows", conditions=conditions, rows=s.rows,
            errors=s.errors, error_rate=s.error_rate, lift=s.lift, share_of_errors=s.errors / errors,
            excess_errors=s.excess_errors, mean_absolute_error=s.mean_absolute_error))
    if not found:
        result.notes.append(f"No group of at least {min_size} rows that the tree separates has an error rate above "
                            f"the overall {rate:.3g}.")
    return result


__all__ = ["FailureMode", "FailureModesResult", "failure_modes"]
