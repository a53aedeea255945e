"""Performance by slice: the metric on the rows of each value (or value range) of each column, and the
worst-performing segments found automatically among single slices and pairs of slices.

**Slices.** A text, categorical or boolean column gives one slice per value for its ``max_categories``
most frequent values, ``"(other)"`` for the rest and ``"(missing)"`` for missing values. A numeric column
is cut into ``bins`` equal-count bins at the quantile edges of ``pandas.qcut(x, bins, duplicates="drop")``;
each bin holds its lower edge and not its upper one, ``[25, 34)``, except the last, which holds both
(``[58, 89]``); missing values form ``"(missing)"``. A numeric column with at most ``bins`` distinct values
gets one slice per value instead. Date and time columns, constant columns and identifiers (text whose
every value is unique) are skipped (``skipped`` says why).

**Metric.** Default: ``roc_auc`` for a binary target when ``y_prob`` is given, else ``accuracy``;
``rmse`` for regression; any metric of ``mlsteward.train.metrics`` by name. Accuracy, rmse and mae
come from group sums of per-row correctness and errors; binary ROC AUC from group-wise ranks (the
Mann-Whitney form of the same number); every other metric is ``Metric.score`` on each group's rows.
A group where the metric is undefined (ROC AUC on one class) has ``metric_value`` None.

**Worst segments.** The single slices and the pairs of slices (a value of one column crossed with a
value of another) with at least ``min_size`` rows (default max(30, 1 % of the rows)) whose metric is
worse than overall, ranked by how much worse (``worse_by``, in the metric's units). A pair is kept
only when it is worse than both of its single slices (else the single slice says it). ``p_value``:
a two-sided test that the segment's error differs from that of the other rows: for classification the
two-proportion z test of the error rate (the same p-value as ``scipy.stats.chi2_contingency`` on the
2x2 table without continuity correction); for regression Welch's t test of the per-row squared error
(rmse, r2) or absolute error (mae, mape). Small p-values on large segments are the ones to act on.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy import stats

from mlsteward.errors import InvalidInput
from mlsteward.evaluate._common import as_array, positive_class, positive_proba, same_length
from mlsteward.train.metrics import Metric, Task, metric_named, task_of

OTHER, MISSING = "(other)", "(missing)"
TOP_SEGMENTS = 10


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SliceCondition(_Result):
    """A column's slice: its value (``group``) or numeric range ``lower <= x < upper`` (``<=`` in the last bin)."""

    column: str
    group: str
    lower: float | None = None
    upper: float | None = None
    upper_included: bool = False


class _SliceStats(_Result):
    size: int
    share: float = Field(description="share of all rows")
    metric_value: float | None = Field(description="None when the metric is undefined on these rows")
    difference: float | None = Field(description="metric value minus the overall value")
    worse_by: float | None = Field(description="how much worse than overall (positive: worse), in the metric's units")
    error: float = Field(description="classification: the error rate; regression: the mean squared / absolute error")
    rest_error: float | None = Field(description="the same on all the other rows")
    p_value: float | None = Field(description="two-sided test that error and rest_error differ")
    positive_rate: float | None = Field(None, description="binary target: share truly positive")
    predicted_positive_rate: float | None = Field(None, description="binary target: share predicted positive")


class Slice(_SliceStats):
    """The rows of one value (or bin) of one column, and the model's performance on them."""

    column: str
    group: str
    lower: float | None = None
    upper: float | None = None
    upper_included: bool = False


class Segment(_SliceStats):
    """A slice or a pair of slices (two columns' values crossed) where the model does worse than overall."""

    conditions: list[SliceCondition]
    description: str


class SlicesResult(_Result):
    """The metric per slice of each column, and the worst-performing segments."""

    task: Task
    metric: str
    greater_is_better: bool
    overall: float | None
    rows: int
    error_measure: str = Field(description="what ``error`` measures: error rate, mean squared or absolute error")
    significance_test: str
    bins: int
    max_categories: int
    min_size: int
    columns: list[str] = Field(description="the columns sliced")
    slices: list[Slice]
    worst_segments: list[Segment]
    skipped: dict[str, str] = Field(default_factory=dict, description="column -> why it was not sliced")
    notes: list[str] = Field(default_factory=list)


# --- columns into groups ----------------------------------------------------------------------------


@dataclass
class _Column:
    name: str
    codes: np.ndarray  # group index of each row, 0 .. len(groups) - 1
    groups: list[SliceCondition]


def _number_text(values: Sequence[float]) -> list[str]:
    """Numbers as short text, with as many significant digits as it takes to tell them apart."""
    for digits in range(4, 17):
        texts = [str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:.{digits}g}" for v in values]
        if len(set(texts)) == len(texts):
            return texts
    return [repr(float(v)) for v in values]


def _value_groups(name: str, s: pd.Series, max_categories: int) -> tuple[np.ndarray, list[SliceCondition]]:
    counts = s.value_counts(dropna=True)
    counts = counts[counts > 0]
    top = list(counts.index[:max_categories])
    numeric = pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)
    if numeric:  # few distinct numbers: in increasing order, as text that tells them apart
        top = sorted(top)
    texts = _number_text([float(v) for v in top]) if numeric else [str(v) for v in top]
    codes = pd.Index(top, dtype=object).get_indexer(s.astype(object)).astype(np.int64)
    groups = [SliceCondition(column=name, group=t) for t in texts]
    if len(counts) > max_categories:
        codes[(codes < 0) & s.notna().to_numpy()] = len(groups)
        groups.append(SliceCondition(column=name, group=OTHER))
    return codes, groups


def _bin_groups(name: str, values: np.ndarray, bins: int) -> tuple[np.ndarray, list[SliceCondition]]:
    present = values[~np.isnan(values)]
    _, edges = pd.qcut(present, bins, retbins=True, duplicates="drop")
    codes = np.searchsorted(edges[1:-1], values, side="right").astype(np.int64)
    texts = _number_text(edges)
    last = len(edges) - 2
    groups = [SliceCondition(column=name, group=f"[{texts[i]}, {texts[i + 1]}{']' if i == last else ')'}",
                             lower=float(edges[i]), upper=float(edges[i + 1]), upper_included=i == last)
              for i in range(last + 1)]
    codes[np.isnan(values)] = -1
    return codes, groups


def _column(name: str, s: pd.Series, bins: int, max_categories: int) -> _Column | str:
    """The column's groups, or why it is not sliced."""
    dtype = s.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return "a date or time column: slice a period derived from it (year, month) instead"
    if s.isna().all():
        return "all missing"
    distinct = s.nunique(dropna=True)
    numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    if numeric and pd.api.types.is_complex_dtype(dtype):
        return "complex numbers"
    if not numeric and distinct == s.notna().sum() and distinct > max_categories:
        return "an identifier (every value is unique)"
    if numeric and distinct > bins:
        codes, groups = _bin_groups(name, s.astype("float64").to_numpy(dtype=float, na_value=np.nan), bins)
    else:
        codes, groups = _value_groups(name, s, max_categories)
    if (codes < 0).any():
        codes[codes < 0] = len(groups)
        groups.append(SliceCondition(column=name, group=MISSING))
    if len(groups) < 2:
        return f"one value only ({groups[0].group})"
    return _Column(name, codes, groups)


# --- per-group statistics ---------------------------------------------------------------------------


@dataclass
class _Rows:
    """What every group statistic is computed from."""

    task: Task
    metric: Metric
    y: np.ndarray
    pred: np.ndarray  # labels, or the probabilities when the metric needs them
    labels: np.ndarray | None
    loss: np.ndarray  # per row: 1.0 when wrong (classification), squared or absolute error (regression)
    correct: np.ndarray | None
    positive: np.ndarray | None  # binary: truly positive
    predicted_positive: np.ndarray | None
    total_loss: float
    total_m2: float

    @property
    def fast(self) -> bool:
        """Whether the metric comes from group sums or ranks rather than one ``Metric.score`` per group."""
        name = self.metric.name
        return name in ("accuracy", "rmse", "mae") or (name == "roc_auc" and self.pred.ndim == 1
                                                       and self.positive is not None)


@dataclass
class _Groups:
    size: np.ndarray
    loss_sum: np.ndarray
    loss_m2: np.ndarray  # sum of squared deviations from the group's mean loss
    value: np.ndarray  # the metric, NaN where undefined or not computed
    positives: np.ndarray | None  # binary: rows truly positive
    predicted_positives: np.ndarray | None  # binary: rows predicted positive


def _group_stats(rows: _Rows, codes: np.ndarray, n_groups: int, compute: np.ndarray) -> _Groups:
    """Sizes, loss sums and the metric of each group; the metric only where ``compute`` is true."""
    size = np.bincount(codes, minlength=n_groups)
    loss_sum = np.bincount(codes, weights=rows.loss, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(size > 0, loss_sum / np.maximum(size, 1), 0.0)
    loss_m2 = np.bincount(codes, weights=(rows.loss - mean[codes]) ** 2, minlength=n_groups)
    value = np.full(n_groups, np.nan)
    name = rows.metric.name
    ok = compute & (size > 0)
    if name == "accuracy":
        value[ok] = np.bincount(codes, weights=rows.correct, minlength=n_groups)[ok] / size[ok]
    elif name in ("rmse", "mae"):
        value[ok] = np.sqrt(loss_sum[ok] / size[ok]) if name == "rmse" else loss_sum[ok] / size[ok]
    elif rows.fast:  # binary roc_auc
        value = np.where(ok, _group_auc(rows, codes, n_groups), np.nan)
    else:
        index = pd.Series(np.arange(len(codes))).groupby(codes).indices
        for g in np.flatnonzero(ok):
            value[g] = _score(rows, index[g])
    positives = predicted = None
    if rows.positive is not None:
        positives = np.bincount(codes, weights=rows.positive, minlength=n_groups)
        predicted = np.bincount(codes, weights=rows.predicted_positive, minlength=n_groups)
    return _Groups(size, loss_sum, loss_m2, value, positives, predicted)


def _group_auc(rows: _Rows, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """ROC AUC of each group from ranks within the group (ties averaged): (R+ - n+(n+ + 1)/2) / (n+ n-)."""
    ranks = pd.Series(rows.pred).groupby(codes).rank(method="average").to_numpy()
    pos = rows.positive.astype(float)
    n_pos = np.bincount(codes, weights=pos, minlength=n_groups)
    n_neg = np.bincount(codes, minlength=n_groups) - n_pos
    rank_sum = np.bincount(codes, weights=ranks * pos, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return np.where((n_pos > 0) & (n_neg > 0), auc, np.nan)


def _score(rows: _Rows, index: np.ndarray) -> float:
    try:
        value = rows.metric.score(rows.y[index], rows.pred[index], labels=rows.labels)
    except InvalidInput:
        return math.nan
    return value


def _p_values(rows: _Rows, g: _Groups) -> tuple[np.ndarray, np.ndarray]:
    """The rest's mean error, and the two-sided p-value that each group's mean error differs from it."""
    n = len(rows.loss)
    n1, n2 = g.size.astype(float), n - g.size.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        m1 = g.loss_sum / n1
        m2 = (rows.total_loss - g.loss_sum) / n2
        if rows.task == "classification":  # two-proportion z test, pooled
            pooled = rows.total_loss / n
            z = (m1 - m2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
            p = 2 * stats.norm.sf(np.abs(z))
            p = np.where(pooled * (1 - pooled) == 0, 1.0, p)
        else:  # Welch's t test; the rest's spread from the total's (parallel variance formula)
            rest_m2 = np.maximum(rows.total_m2 - g.loss_m2 - (m1 - m2) ** 2 * n1 * n2 / n, 0.0)
            v1, v2 = g.loss_m2 / (n1 - 1) / n1, rest_m2 / (n2 - 1) / n2
            t = (m1 - m2) / np.sqrt(v1 + v2)
            dof = (v1 + v2) ** 2 / (v1 ** 2 / (n1 - 1) + v2 ** 2 / (n2 - 1))
            p = 2 * stats.t.sf(np.abs(t), dof)
            p = np.where((v1 + v2) == 0, np.where(m1 == m2, 1.0, 0.0), p)
            p = np.where((n1 < 2) | (n2 < 2), np.nan, p)
    p = np.where(n2 > 0, p, np.nan)
    return np.where(n2 > 0, m2, np.nan), p


def _stats(rows: _Rows, g: _Groups, i: int, overall: float | None, rest: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    n = len(rows.loss)
    size = int(g.size[i])
    value = None if math.isnan(g.value[i]) else float(g.value[i])
    difference = None if value is None or overall is None else value - overall
    worse = None if difference is None else (-difference if rows.metric.greater_is_better else difference)
    out: dict[str, Any] = {
        "size": size, "share": size / n, "metric_value": value, "difference": difference, "worse_by": worse,
        "error": float(g.loss_sum[i] / size), "rest_error": None if math.isnan(rest[i]) else float(rest[i]),
        "p_value": None if math.isnan(p[i]) else float(p[i])}
    if g.positives is not None:
        out["positive_rate"] = float(g.positives[i] / size)
        out["predicted_positive_rate"] = float(g.predicted_positives[i] / size)
    return out


# --- inputs -----------------------------------------------------------------------------------------


def _rows(y_true: Any, y_pred: Any, y_prob: Any, metric: str | None, task: Task | None) -> _Rows:
    y, pred = as_array(y_true, "y_true"), as_array(y_pred, "y_pred")
    same_length(y_true=y, y_pred=pred, y_prob=None if y_prob is None else np.asarray(y_prob))
    if pd.isna(y).any() or pd.isna(pred).any():
        raise InvalidInput("y_true and y_pred must not hold missing values: drop the unlabelled rows first")
    task = task or task_of(y)
    classes = None
    if task == "classification":
        try:
            classes = np.array(sorted(pd.unique(np.concatenate([y.astype(object), pred.astype(object)]))))
        except TypeError as exc:
            raise InvalidInput("y_true and y_pred hold labels of different types (e.g. numbers and text): pass "
                               "the model's predict(X)") from exc
    binary = classes is not None and len(classes) <= 2
    if metric is None:
        metric = "rmse" if task == "regression" else "roc_auc" if y_prob is not None and binary else "accuracy"
    m = metric_named(metric, task)
    scored = pred
    if m.needs == "proba":
        if y_prob is None:
            raise InvalidInput(f"{m.name} needs probabilities: pass y_prob=model.predict_proba(X), or choose a "
                               "label metric such as accuracy")
        scored = positive_proba(y_prob, classes) if binary else np.asarray(y_prob, dtype=float)
    if task == "regression":
        err = y.astype(float) - pred.astype(float)
        loss = np.abs(err) if m.name in ("mae", "mape") else err ** 2
        correct = positive = predicted = None
    else:
        correct = (y == pred).astype(float)
        loss = 1.0 - correct
        positive = predicted = None
        if binary:
            pos = positive_class(classes)
            positive, predicted = (y == pos).astype(float), (pred == pos).astype(float)
    total = float(loss.sum())
    return _Rows(task=task, metric=m, y=y, pred=scored, labels=classes, loss=loss, correct=correct,
                 positive=positive, predicted_positive=predicted, total_loss=total,
                 total_m2=float(((loss - total / len(loss)) ** 2).sum()) if len(loss) else 0.0)


def _check_int(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise InvalidInput(f"The '{name}' parameter of slices must be an int >= {low}; got {value!r} instead.")


# --- the check --------------------------------------------------------------------------------------


def slices(frame: pd.DataFrame, y_true: Any, y_pred: Any, y_prob: Any = None, *, columns: Sequence[str] | None = None,
           bins: int = 5, metric: str | None = None, min_size: int | None = None, max_categories: int = 30,
           task: Task | None = None, top: int = TOP_SEGMENTS) -> SlicesResult:
    """The model's ``metric`` on each slice of each column of ``frame``, and the ``top`` worst segments.

    ``frame`` holds the raw columns describing each row (not the target); ``columns`` picks some of them
    (default: all). ``y_prob``: ``predict_proba(X)`` (or the positive class's column), needed by
    probability metrics and making ROC AUC the default for a binary target.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInput(f"The 'frame' parameter of slices must be a pandas DataFrame of the raw columns; got "
                           f"{type(frame).__name__} instead.")
    _check_int("bins", bins, 2)
    _check_int("max_categories", max_categories, 1)
    _check_int("top", top, 0)
    if min_size is not None:
        _check_int("min_size", min_size, 1)
    rows = _rows(y_true, y_pred, y_prob, metric, task)
    n = len(rows.y)
    if len(frame) != n:
        raise InvalidInput(f"frame has {len(frame)} rows but there are {n} predictions: pass the rows that were "
                           "scored, in the same order")
    if n == 0:
        raise InvalidInput("there are no rows: pass the predictions of a non-empty test set")
    names = list(frame.columns) if columns is None else list(columns)
    unknown = [c for c in names if c not in frame.columns]
    if unknown:
        raise InvalidInput(f"columns {unknown} are not in frame; its columns are {list(map(str, frame.columns))}")
    min_size = max(30, math.ceil(0.01 * n)) if min_size is None else min_size
    overall = _score(rows, np.arange(n))
    overall = None if math.isnan(overall) else overall

    used: list[_Column] = []
    skipped: dict[str, str] = {}
    for name in names:
        col = _column(str(name), frame[name].reset_index(drop=True), bins, max_categories)
        if isinstance(col, str):
            skipped[str(name)] = col
        else:
            used.append(col)

    table: list[Slice] = []
    candidates: list[Segment] = []
    single_worse: dict[tuple[int, int], float] = {}
    for ci, col in enumerate(used):
        k = len(col.groups)
        g = _group_stats(rows, col.codes, k, np.ones(k, dtype=bool))
        rest, p = _p_values(rows, g)
        for i, cond in enumerate(col.groups):
            if g.size[i] == 0:
                continue
            s = _stats(rows, g, i, overall, rest, p)
            table.append(Slice(**cond.model_dump(), **s))
            single_worse[ci, i] = -math.inf if s["worse_by"] is None else s["worse_by"]
            if s["size"] >= min_size and s["size"] < n and s["worse_by"] is not None and s["worse_by"] > 0:
                candidates.append(Segment(conditions=[cond], description=_describe([cond]), **s))
    for (ai, a), (bi, b) in itertools.combinations(enumerate(used), 2):
        kb = len(b.groups)
        codes = a.codes * kb + b.codes
        size = np.bincount(codes, minlength=len(a.groups) * kb)
        g = _group_stats(rows, codes, len(size), (size >= min_size) & (size < n))
        rest, p = _p_values(rows, g)
        for cell in np.flatnonzero(~np.isnan(g.value)):
            i, j = divmod(int(cell), kb)
            s = _stats(rows, g, cell, overall, rest, p)
            if s["worse_by"] is None or s["worse_by"] <= max(0.0, single_worse[ai, i], single_worse[bi, j]):
                continue
            conds = [a.groups[i], b.groups[j]]
            candidates.append(Segment(conditions=conds, description=_describe(conds), **s))
    candidates.sort(key=lambda s: (-s.worse_by, -s.size, s.description))

    notes = []
    if not rows.fast:
        notes.append(f"{rows.metric.name} is computed on each slice's rows one at a time; accuracy, rmse, mae "
                     "and binary roc_auc are faster on large data")
    measure = ("error rate" if rows.task == "classification"
               else "mean absolute error" if rows.metric.name in ("mae", "mape") else "mean squared error")
    test = ("two-proportion z test of the error rate, segment vs the other rows" if rows.task == "classification"
            else f"Welch's t test of the per-row {measure.removeprefix('mean ')}, segment vs the other rows")
    return SlicesResult(
        task=rows.task, metric=rows.metric.name, greater_is_better=rows.metric.greater_is_better, overall=overall,
        rows=n, error_measure=measure, significance_test=test, bins=bins, max_categories=max_categories,
        min_size=min_size, columns=[c.name for c in used], slices=table, worst_segments=candidates[:top],
        skipped=skipped, notes=notes)


def _describe(conditions: list[SliceCondition]) -> str:
    return " AND ".join(f"{c.column} in {c.group}" if c.lower is not None else f"{c.column} = {c.group}"
                        for c in conditions)


__all__ = ["Segment", "Slice", "SliceCondition", "SlicesResult", "slices"]
