"""The feasibility study's error taxonomy: error rate, top confusions and segments where errors concentrate."""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.multiclass import unique_labels

from mlsteward.errors import InvalidInput
from mlsteward.train.feasibility_core import _is_labels, _label
from mlsteward.train.feasibility_models import (
    Confusion,
    ConfusionMatrix,
    ErrorSegment,
    ErrorTaxonomy,
    SegmentCondition,
)

__all__ = ["error_taxonomy"]

MAX_LEVELS = 20  # one-hot levels per categorical column in the error tree; rarer ones are "other"
_FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass(frozen=True)
class TreeFeature:
    """One column of the matrix the error tree is fitted on, and how it maps back to a raw column."""

    column: str
    kind: Literal["numeric", "datetime", "timedelta", "level", "missing", "other"]
    level: Any = None
    has_missing: bool = False
    top_levels: tuple = ()
    origin: Any = None  # times: the earliest value, from which seconds are counted
    utc: bool = False  # times: the column was zone-aware (its values are compared in UTC)


def encode_columns(X: pd.DataFrame) -> tuple[np.ndarray, list[TreeFeature], dict[str, str]]:
    """Numbers as they are (NaN kept: the tree routes missing values), times as seconds from their earliest
    value, and every other column one-hot over its most frequent levels, plus "other" and "missing" indicators."""
    blocks: list[np.ndarray] = []
    features: list[TreeFeature] = []
    skipped: dict[str, str] = {}
    for name in X.columns:
        s = X[name]
        column = str(name)
        if s.isna().all():
            skipped[column] = "all missing"
            continue
        has_missing = bool(s.isna().any())
        dtype = s.dtype
        if pd.api.types.is_datetime64_any_dtype(dtype):
            utc = getattr(s.dt, "tz", None) is not None
            naive = s.dt.tz_convert("UTC").dt.tz_localize(None) if utc else s
            origin = naive.min()  # seconds from the earliest value: the tree's float32 keeps them exact enough
            seconds = (naive - origin) / pd.Timedelta(seconds=1)
            values = seconds.to_numpy(dtype=float, na_value=np.nan)
            blocks.append(values.reshape(-1, 1))
            features.append(TreeFeature(column, "datetime", has_missing=has_missing, origin=origin, utc=utc))
        elif pd.api.types.is_timedelta64_dtype(dtype):
            values = (s / pd.Timedelta(seconds=1)).to_numpy(dtype=float, na_value=np.nan)
            blocks.append(values.reshape(-1, 1))
            features.append(TreeFeature(column, "timedelta", has_missing=has_missing))
        elif (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
              and not pd.api.types.is_complex_dtype(dtype)):
            values = s.astype("float64").to_numpy(dtype=float, na_value=np.nan)
            blocks.append(np.clip(values, -_FLOAT32_MAX, _FLOAT32_MAX).reshape(-1, 1))
            features.append(TreeFeature(column, "numeric", has_missing=has_missing))
        else:
            counts = s.value_counts(dropna=True)
            counts = counts[counts > 0]
            top = [_label(v) for v in counts.index[:MAX_LEVELS]]
            as_object = s.astype(object)
            for level in top:
                blocks.append((as_object == level).to_numpy(dtype=float).reshape(-1, 1))
                features.append(TreeFeature(column, "level", level=level, has_missing=has_missing))
            if len(counts) > MAX_LEVELS:
                other = (~s.isin(top) & s.notna()).to_numpy(dtype=float)
                blocks.append(other.reshape(-1, 1))
                features.append(TreeFeature(column, "other", has_missing=has_missing, top_levels=tuple(top)))
            if has_missing:
                blocks.append(s.isna().to_numpy(dtype=float).reshape(-1, 1))
                features.append(TreeFeature(column, "missing", has_missing=True))
    matrix = np.hstack(blocks) if blocks else np.empty((len(X), 0))
    return matrix, features, skipped


def _num_text(feature: TreeFeature, value: float) -> float | str:
    if feature.kind == "datetime":
        moment = (feature.origin + pd.Timedelta(seconds=value)).round("s")
        return (moment.tz_localize("UTC") if feature.utc else moment).isoformat()
    if feature.kind == "timedelta":
        return str(pd.Timedelta(seconds=value))
    return float(value)


def _fmt(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:.6g}"


def _condition(feature: TreeFeature, steps: list[tuple[float, bool, bool]]) -> SegmentCondition:
    """One column's condition from the path's steps on it: (threshold, went right, missing included).

    scikit-learn also splits "missing vs present" (threshold +inf, missing values on one side): the
    right of such a split holds the missing values only.
    """
    col = feature.column
    if any(not math.isfinite(t) and right and m for t, right, m in steps):
        return SegmentCondition(column=col, text=f"{col} is missing", missing=True)
    finite = [(t, right) for t, right, _ in steps if math.isfinite(t)]
    above = max((t for t, right in finite if right), default=None)
    at_most = min((t for t, right in finite if not right), default=None)
    missing = feature.has_missing and all(m for _, _, m in steps)
    lo = None if above is None else _num_text(feature, above)
    hi = None if at_most is None else _num_text(feature, at_most)
    if lo is not None and hi is not None:
        text = f"{_fmt(lo)} < {col} <= {_fmt(hi)}"
    elif lo is not None:
        text = f"{col} > {_fmt(lo)}"
    elif hi is not None:
        text = f"{col} <= {_fmt(hi)}"
    else:
        text = f"{col} is not missing" if not missing else f"{col} is anything"
    if missing and (lo is not None or hi is not None):
        text = f"({text} or {col} is missing)"
    return SegmentCondition(column=col, text=text, above=lo, at_most=hi, missing=missing)


def _category_condition(column: str, chosen: list[tuple[TreeFeature, bool]]) -> SegmentCondition:
    """Conditions on one categorical column's indicators: (indicator, is 1 on the path)."""
    positive = [f for f, on in chosen if on]
    if positive:  # the indicators are exclusive: one that is on implies the others are off
        f = positive[0]
        if f.kind == "level":
            return SegmentCondition(column=column, text=f"{column} = {f.level}", values=[f.level])
        if f.kind == "missing":
            return SegmentCondition(column=column, text=f"{column} is missing", missing=True)
        return SegmentCondition(column=column, text=f"{column} is none of its {len(f.top_levels)} most common values",
                                values=list(f.top_levels), negated=True)
    has_missing = chosen[0][0].has_missing
    excluded = [f.level for f, _ in chosen if f.kind == "level"]
    missing = has_missing and not any(f.kind == "missing" for f, _ in chosen)
    others = [f for f, _ in chosen if f.kind == "other"]
    if others:  # not a rarer value: one of the most common values, minus those excluded
        allowed = [v for v in others[0].top_levels if v not in excluded]
        text = f"{column} = {allowed[0]}" if len(allowed) == 1 else f"{column} in {{{', '.join(map(str, allowed))}}}"
        return SegmentCondition(column=column, text=text + (f" or {column} is missing" if missing else ""),
                                values=allowed, missing=missing)
    parts = []
    if excluded:
        parts.append(f"{column} ≠ {excluded[0]}" if len(excluded) == 1
                     else f"{column} not in {{{', '.join(map(str, excluded))}}}")
    if has_missing and not missing:
        parts.append(f"{column} is not missing")
    return SegmentCondition(column=column, text=" and ".join(parts), values=excluded, negated=True, missing=missing)


def _segment_conditions(steps: list[tuple[int, float, bool, bool]],
                        features: list[TreeFeature]) -> list[SegmentCondition]:
    """Steps of (feature index, threshold, went right, missing went this way), grouped by column in
    the order the path first meets them."""
    grouped: dict[str, list[tuple[TreeFeature, float, bool, bool]]] = {}
    for index, threshold, right, missing in steps:
        f = features[index]
        grouped.setdefault(f.column, []).append((f, threshold, right, missing))
    conditions = []
    for column, items in grouped.items():
        f0 = items[0][0]
        if f0.kind in ("numeric", "datetime", "timedelta"):
            conditions.append(_condition(f0, [(t, r, m) for _, t, r, m in items]))
        else:  # an indicator is 1 on the right of its split (threshold 0.5)
            conditions.append(_category_condition(column, [(f, r) for f, _, r, _ in items]))
    return conditions


def error_taxonomy(
    X: pd.DataFrame,
    y_true: Any,
    y_pred: Any,
    *,
    max_depth: int = 3,
    min_rows: int = 30,
    top: int = 8,
    min_lift: float = 1.25,
    task: Literal["auto", "classification", "regression"] = "auto",
    tolerance: float | None = None,
) -> ErrorTaxonomy:
    """Where the model is wrong: the initial error taxonomy of the feasibility study.

    ``task="auto"`` reads class labels (text, booleans, at most 20 distinct whole numbers) in both
    ``y_true`` and ``y_pred`` as classification, anything else as regression.
    A row is wrong when the predicted class differs from the true one (classification), or when the
    absolute error exceeds ``tolerance`` (regression; default: the 80th percentile of the absolute
    errors, so the worst fifth of rows count as errors). Classification adds the confusion matrix
    (``sklearn.metrics.confusion_matrix`` over the labels of both) and the ``top`` most frequent
    confusions.

    Segments: a ``DecisionTreeClassifier`` (depth ``max_depth``, at least ``min_rows`` rows per leaf,
    seeded) is fitted on the "was wrong" indicator over the raw columns of ``X``: numbers as they are
    (missing values routed by the tree), times as seconds (rules show ISO times, in UTC for zone-aware
    columns), other columns one-hot over their 20 most frequent values (plus "other" and "missing"
    indicators). A leaf is notable when its error rate is
    at least ``min_lift`` times the overall rate; sibling leaves on the same side are merged into
    their parent, so each segment has the simplest rule the tree supports. The ``top`` segments with
    the most excess errors (errors beyond the overall rate) are returned, each with its rule.
    """
    if not isinstance(X, pd.DataFrame):
        raise InvalidInput(f"The 'X' parameter of error_taxonomy must be a pandas DataFrame of the raw columns; "
                           f"got {type(X).__name__} instead.")
    truth, pred = np.asarray(y_true), np.asarray(y_pred)
    if truth.ndim != 1 or pred.ndim != 1 or not len(truth) == len(pred) == len(X):
        raise InvalidInput(f"error_taxonomy needs one true and one predicted value per row of X; got "
                           f"{len(X)} rows, y_true of shape {truth.shape} and y_pred of shape {pred.shape}.")
    if len(X) == 0:
        raise InvalidInput("error_taxonomy needs at least one row.")
    if pd.isna(truth).any() or pd.isna(pred).any():
        raise InvalidInput("y_true and y_pred must not hold missing values; drop the unlabelled rows first.")
    for name, value, low in (("max_depth", max_depth, 1), ("min_rows", min_rows, 1), ("top", top, 0)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise InvalidInput(f"The '{name}' parameter of error_taxonomy must be an int >= {low}; got {value!r}.")
    if task == "auto":
        task = "classification" if _is_labels(truth) and _is_labels(pred) else "regression"
    if task not in ("classification", "regression"):
        raise InvalidInput(f"The 'task' parameter of error_taxonomy must be 'auto', 'classification' or "
                           f"'regression'; got {task!r}.")
    notes: list[str] = []
    matrix_model, confusions, abs_err = None, [], None
    if task == "classification":
        wrong = truth != pred
        definition = "the predicted class differs from the true class"
        labels = unique_labels(truth, pred)
        with warnings.catch_warnings():  # one label only: labels= is given, the shape is right
            warnings.filterwarnings("ignore", message="A single label was found")
            counts = confusion_matrix(truth, pred, labels=labels)
        matrix_model = ConfusionMatrix(labels=[_label(v) for v in labels], counts=counts.tolist())
        total_wrong = int(wrong.sum())
        off = [(int(counts[i, j]), i, j) for i in range(len(labels)) for j in range(len(labels))
               if i != j and counts[i, j] > 0]
        for count, i, j in sorted(off, key=lambda t: (-t[0], t[1], t[2]))[:top]:
            confusions.append(Confusion(true_label=_label(labels[i]), predicted_label=_label(labels[j]), count=count,
                                        share_of_errors=count / total_wrong,
                                        share_of_class=count / int(counts[i].sum())))
    else:
        abs_err = np.abs(truth.astype(float) - pred.astype(float))
        if tolerance is None:
            tolerance = float(np.quantile(abs_err, 0.8))
            definition = f"the absolute error exceeds {tolerance:.4g} (the 80th percentile of the absolute errors)"
        else:
            definition = f"the absolute error exceeds {float(tolerance):.4g}"
        wrong = abs_err > tolerance
    rows, errors = len(X), int(wrong.sum())
    rate = errors / rows
    result = dict(task=task, rows=rows, errors=errors, error_rate=rate, error_definition=definition,
                  confusion_matrix=matrix_model, top_confusions=confusions, max_depth=max_depth,
                  min_rows=min_rows, min_lift=min_lift)
    matrix, features, skipped = encode_columns(X)
    used = list(dict.fromkeys(f.column for f in features))
    if errors == 0 or errors == rows or not features:
        why = ("the model makes no error" if errors == 0 else "every prediction is wrong" if errors == rows
               else "no column could be used")
        notes.append(f"No error segments: {why}.")
        return ErrorTaxonomy(**result, columns_used=used, columns_skipped=skipped, notes=notes)
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=min_rows, random_state=0)
    tree.fit(matrix, wrong.astype(int))
    segments = error_segments(tree, matrix, wrong, abs_err, features, rate, min_lift, min_rows)
    if not segments:
        notes.append(f"No group of at least {min_rows} rows has an error rate {min_lift:g}× the overall one or more.")
    segments.sort(key=lambda s: (-s.excess_errors, -s.error_rate, s.rule))
    return ErrorTaxonomy(**result, segments=segments[:top], columns_used=used, columns_skipped=skipped, notes=notes)


def error_segments(tree: DecisionTreeClassifier, matrix: np.ndarray, wrong: np.ndarray, abs_err: np.ndarray | None,
              features: list[TreeFeature], rate: float, min_lift: float, min_rows: int) -> list[ErrorSegment]:
    t = tree.tree_
    leaf_of = tree.apply(matrix)
    n_nodes = t.node_count
    rows = np.bincount(leaf_of, minlength=n_nodes).astype(np.int64)
    errs = np.bincount(leaf_of, weights=wrong.astype(float), minlength=n_nodes)
    abs_sum = np.bincount(leaf_of, weights=abs_err, minlength=n_nodes) if abs_err is not None else None
    left, right = t.children_left, t.children_right
    missing_left = getattr(t, "missing_go_to_left", np.zeros(n_nodes, dtype=bool))
    # node totals, children before parents (children have larger ids than their parent)
    for node in range(n_nodes - 1, -1, -1):
        if left[node] != -1:
            rows[node] = rows[left[node]] + rows[right[node]]
            errs[node] = errs[left[node]] + errs[right[node]]
            if abs_sum is not None:
                abs_sum[node] = abs_sum[left[node]] + abs_sum[right[node]]

    def notable(node: int) -> bool:
        return rows[node] >= min_rows and errs[node] / rows[node] >= min_lift * rate

    sides: dict[int, set[bool]] = {}
    for node in range(n_nodes - 1, -1, -1):
        sides[node] = {notable(node)} if left[node] == -1 else sides[left[node]] | sides[right[node]]
    found: list[ErrorSegment] = []

    def visit(node: int, steps: list[tuple[int, float, bool, bool]]) -> None:
        if sides[node] == {False}:
            return
        if sides[node] == {True}:
            if rows[node] < min_rows:
                return
            conditions = _segment_conditions(steps, features)
            n, e = int(rows[node]), int(round(errs[node]))
            found.append(ErrorSegment(
                rule=" and ".join(c.text for c in conditions) or "all rows", conditions=conditions, rows=n, errors=e,
                error_rate=e / n, lift=(e / n) / rate, excess_errors=e - n * rate,
                mean_absolute_error=None if abs_sum is None else float(abs_sum[node] / n)))
            return
        f, th = int(t.feature[node]), float(t.threshold[node])
        went_left_missing = bool(missing_left[node])
        visit(int(left[node]), [*steps, (f, th, False, went_left_missing)])
        visit(int(right[node]), [*steps, (f, th, True, not went_left_missing)])

    visit(0, [])
    return found
