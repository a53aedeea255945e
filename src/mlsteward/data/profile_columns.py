"""One column of the data profile: its statistics, flags and warnings, read in one pass.

Numeric columns are sorted once (a counting sort for integers of a small range; min, max,
quantiles, distinct count, top values, histogram and IQR outliers all come from the sorted array, by
binary search where they need a position); every other column is factorised once (integer codes
give missing count, distinct count, top values, and the target associations). The inferred type
comes from ``mlsteward.data.profile_types``.

Flags: ``all_missing`` (no value); ``constant`` (exactly one distinct non-missing value);
``near_constant`` (two or more distinct values, the most frequent makes up at least
``near_constant_share`` of the non-missing values); ``high_cardinality`` (categorical, text or
identifier with ``distinct_share >= high_cardinality_share`` and more than
``high_cardinality_min_distinct`` distinct values); ``mixed_types`` (an object column whose values
are of more than one kind: number, string, boolean, datetime, bytes, ...; int and float together
are one kind, numbers). ``distinct_share`` and top-value shares are of the non-missing values.

Numeric statistics use the finite values (infinities are counted apart, in ``infinite_count``):
std is the sample standard deviation (ddof=1), skewness the biased Fisher-Pearson coefficient
(``scipy.stats.skew``), quantiles are numpy's default ``linear`` method. IQR rule: ``iqr = Q3 - Q1``,
fences ``Q1 - iqr_factor * iqr`` and ``Q3 + iqr_factor * iqr``; a value strictly outside a fence is
an outlier. Nullable integer columns with missing values are handled as float64 (exact up to 2**53). Histogram: ``histogram_bins`` (default 20) equal-width bins from the finite min to max,
the same edges and counts as ``np.histogram(values, bins)`` (a constant column gets the bin
``[v - 0.5, v + 0.5]``). A fixed count rather than Sturges' rule (which gives 7 bins at 50 rows and
21 at a million): histograms of the same column in two dataset versions line up, and counts over
fixed edges add up across chunks. Top values: ``top_k`` most frequent, ties broken by the smaller
value (numeric) or by first appearance (other types).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlsteward.data.profile_models import (
    ColumnFlags,
    ColumnProfile,
    DatetimeStats,
    Histogram,
    InferredType,
    NumericStats,
    ProfileConfig,
    ValueCount,
)
from mlsteward.data.profile_stats import (
    Moments,
    histogram_counts,
    histogram_edges,
    sorted_quantiles,
)
from mlsteward.data.profile_target import finite_or_none
from mlsteward.data.profile_types import _route, _text_kind


@dataclass
class _Work:
    """A column's profile plus the arrays the dataset-level steps reuse (then dropped)."""

    profile: ColumnProfile
    native: np.ndarray | None = None  # numeric: values in their own dtype, NaN = missing
    values: np.ndarray | None = None  # numeric: float64, NaN = missing or infinite
    codes: np.ndarray | None = None  # other: factorised codes, -1 = missing
    uniques: Any = None  # other: the value of each code
    all_distinct: bool = False  # every row differs from every other (missing counts as a value)
    integer: bool = False  # numeric with an integer dtype (nullable integers arrive as float + NaN)


def _analyse_column(s: pd.Series, name: str, cfg: ProfileConfig, memory: int, pos: int) -> _Work:
    route, converted, python_types, mixed = _route(s)
    if route == "numeric":
        work = _numeric_column(converted, pd.api.types.is_integer_dtype(s.dtype), name, cfg)
    else:
        work = _coded_column(converted, s, name, route, cfg, pos)
    p = work.profile
    p.dtype = str(s.dtype)
    p.memory_bytes = memory
    p.python_types = python_types
    p.flags.mixed_types = mixed
    p.warnings = _column_warnings(p, cfg)
    return work



def _numeric_column(arr: np.ndarray, integer: bool, name: str, cfg: ProfileConfig) -> _Work:
    """``integer``: the column's dtype is an integer one (nullable integers arrive as float + NaN)."""
    rows = len(arr)
    is_float = arr.dtype.kind == "f"
    missing = np.isnan(arr) if is_float else None
    n_missing = int(missing.sum()) if missing is not None else 0
    present = arr[~missing] if n_missing else arr
    srt, run_values, run_counts = _sort_runs(present)
    count = len(srt)
    top: list[ValueCount] = []
    distinct, top_count, stats = 0, 0, None
    if count:
        if run_values is None:
            change = srt[1:] != srt[:-1]
            distinct = int(np.count_nonzero(change)) + 1
            if distinct < count:
                starts = np.flatnonzero(np.concatenate(([True], change)))
                run_values, run_counts = srt[starts], np.diff(np.append(starts, count))
        else:
            distinct = len(run_values)
        if distinct == count:  # all distinct: the smallest values, once each
            top_values, top_cnt = srt[: cfg.top_k], np.ones(min(cfg.top_k, count), dtype=np.int64)
            top_count = 1
        else:
            chosen = _top_indices(run_counts, cfg.top_k)
            top_values, top_cnt = run_values[chosen], run_counts[chosen]
            top_count = int(run_counts.max())
        top = [ValueCount(value=_label(int(v) if integer else v), count=int(c), share=int(c) / count)
               for v, c in zip(top_values.tolist(), top_cnt.tolist())]
        lo, hi = 0, count
        if is_float:
            lo = int(np.searchsorted(srt, -np.inf, side="right"))
            hi = int(np.searchsorted(srt, np.inf, side="left"))
        finite = srt[lo:hi]
        if len(finite):
            stats = _numeric_stats(finite, count - len(finite), cfg)
    values = arr if is_float else arr.astype(np.float64)
    if stats is not None and stats.infinite_count:
        values = np.where(np.isinf(values), np.nan, values)
    inferred: InferredType = "numeric"
    if (integer and count >= cfg.identifier_min_count and distinct == count
            and int(srt[-1]) - int(srt[0]) + 1 <= 2 * count):
        inferred = "identifier"
    profile = _base_profile(name, inferred, rows, count, distinct, top, top_count, cfg)
    profile.numeric = stats
    return _Work(profile, native=arr, values=values,
                 all_distinct=n_missing <= 1 and distinct + n_missing == rows, integer=integer)


def _sort_runs(present: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The values sorted; for integers of a small range a counting sort, which also gives the
    distinct values and their counts (else None: the caller finds them in the sorted array)."""
    if present.dtype.kind in "iu" and len(present):
        low, high = present.min(), present.max()
        if int(high) - int(low) <= 2 * len(present):
            wide = present.dtype.itemsize == 8  # narrower integers are widened before subtracting
            shifted = present - low if wide else present.astype(np.int64) - int(low)
            counts = np.bincount(shifted.astype(np.intp, copy=False))
            offsets = np.flatnonzero(counts)
            values = offsets.astype(present.dtype) + low if wide else \
                (offsets + int(low)).astype(present.dtype)
            counts = counts[offsets]
            return np.repeat(values, counts), values, counts
    return np.sort(present), None, None


def _numeric_stats(finite: np.ndarray, n_infinite: int, cfg: ProfileConfig) -> NumericStats:
    f = finite if finite.dtype == np.float64 else finite.astype(np.float64)
    n = len(f)
    qs = tuple(sorted(set(cfg.quantiles) | {0.25, 0.75}))
    qv = dict(zip(qs, sorted_quantiles(f, qs).tolist()))
    q1, q3 = qv[0.25], qv[0.75]
    iqr = q3 - q1
    lower, upper = q1 - cfg.iqr_factor * iqr, q3 + cfg.iqr_factor * iqr
    outliers = int(np.searchsorted(f, lower, side="left")) + n - int(np.searchsorted(f, upper, "right"))
    moments = Moments.of(f)
    edges = histogram_edges(float(f[0]), float(f[-1]), cfg.histogram_bins)
    return NumericStats(
        count=n, infinite_count=n_infinite, min=float(f[0]), max=float(f[-1]),
        mean=finite_or_none(moments.mean), std=finite_or_none(moments.std),
        skewness=finite_or_none(moments.skewness),
        quantiles={_quantile_key(q): qv[q] for q in cfg.quantiles},
        iqr=iqr, lower_fence=lower, upper_fence=upper,
        outlier_count=outliers, outlier_share=outliers / n,
        histogram=Histogram(edges=edges.tolist(), counts=histogram_counts(f, edges).tolist()),
    )


def _quantile_key(q: float) -> str:
    return f"{q * 100:g}%"


def _coded_column(s: Any, original: pd.Series, name: str, route: str, cfg: ProfileConfig,
                  pos: int) -> _Work:
    rows = len(original)
    try:
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
    except TypeError:  # unhashable values (lists, dicts): compare their text
        codes, uniques = pd.factorize(s.map(repr, na_action="ignore"), use_na_sentinel=True)
    counts = np.bincount(codes + 1, minlength=len(uniques) + 1)
    n_missing, counts = int(counts[0]), counts[1:]
    count, distinct = rows - n_missing, len(uniques)
    chosen = _top_indices(counts, cfg.top_k)
    top = [ValueCount(value=_label(uniques[i]), count=int(counts[i]), share=int(counts[i]) / count)
           for i in chosen.tolist()]
    top_count = int(counts.max()) if distinct else 0
    inferred: InferredType = "categorical"
    if route == "boolean":
        inferred = "boolean"
    elif route == "datetime":
        inferred = "datetime"
    elif route == "string" and count:
        inferred = _text_kind(uniques, count, distinct, cfg, pos)
    profile = _base_profile(name, inferred, rows, count, distinct, top, top_count, cfg)
    if route == "datetime":
        low = high = None
        if distinct:
            dates = pd.Series(uniques)
            low, high = _pydatetime(dates.min()), _pydatetime(dates.max())
        profile.datetime = DatetimeStats(min=low, max=high)
    return _Work(profile, codes=codes, uniques=uniques,
                 all_distinct=n_missing <= 1 and distinct + n_missing == rows)



def _base_profile(name: str, inferred: InferredType, rows: int, count: int, distinct: int,
                  top: list[ValueCount], top_count: int, cfg: ProfileConfig) -> ColumnProfile:
    distinct_share = distinct / count if count else None
    flags = ColumnFlags(
        all_missing=count == 0,
        constant=distinct == 1,
        near_constant=distinct >= 2 and top_count / count >= cfg.near_constant_share,
        high_cardinality=(inferred in ("categorical", "text", "identifier")
                          and distinct_share is not None
                          and distinct_share >= cfg.high_cardinality_share
                          and distinct > cfg.high_cardinality_min_distinct),
    )
    return ColumnProfile(name=name, dtype="", inferred_type=inferred, count=count,
                         missing_count=rows - count, missing_share=(rows - count) / rows,
                         distinct_count=distinct, distinct_share=distinct_share, top_values=top,
                         memory_bytes=0, flags=flags)


def _top_indices(counts: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest counts, largest first; ties by the smaller index."""
    m = len(counts)
    if k == 0 or m == 0:
        return np.empty(0, dtype=np.intp)
    if m <= k:
        chosen = np.arange(m)
    elif counts.max() == 1:  # all distinct: the first k
        return np.arange(k)
    else:
        kth = np.partition(counts, m - k)[m - k]
        above = np.flatnonzero(counts > kth)
        ties = np.flatnonzero(counts == kth)[: k - len(above)]
        chosen = np.sort(np.concatenate((above, ties)))
    return chosen[np.argsort(-counts[chosen], kind="stable")]


def _label(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, (pd.Timestamp, _dt.date)):
        return value.isoformat()
    return str(value)


def _pydatetime(value: Any) -> _dt.datetime | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).to_pydatetime(warn=False)


def _column_warnings(p: ColumnProfile, cfg: ProfileConfig) -> list[str]:
    rows = p.count + p.missing_count
    if p.flags.all_missing:
        return [f"All {rows} values are missing; drop the column."]
    out = []
    if p.missing_count and p.missing_share >= cfg.missing_warning_share:
        out.append(f"{p.missing_count} of {rows} values ({p.missing_share:.1%}) are missing.")
    top = p.top_values[0].value if p.top_values else None
    if p.flags.constant:
        out.append(f"Constant: every non-missing value is '{top}'; the column carries no information.")
    if p.flags.near_constant:
        out.append(f"Near-constant: '{top}' is {p.top_values[0].share:.1%} of the non-missing values.")
    if p.flags.mixed_types:
        out.append(f"Mixed types: the values are {', '.join(p.python_types or [])}; convert them to "
                   "one type.")
    if p.inferred_type == "identifier":
        out.append("Every value is distinct: looks like an identifier (a key, not a feature); left "
                   "out of correlations and target associations.")
    elif p.inferred_type == "text":
        out.append("Free text (long, mostly distinct values): it needs text features; left out of "
                   "target associations.")
    elif p.flags.high_cardinality:
        out.append(f"High cardinality: {p.distinct_count} distinct values ({p.distinct_share:.1%} of "
                   "the non-missing values); group rare values or use a frequency/target encoding.")
    stats = p.numeric
    if stats is not None:
        if stats.infinite_count:
            out.append(f"{stats.infinite_count} infinite values; left out of the numeric statistics.")
        if stats.outlier_count and stats.outlier_share >= cfg.outlier_warning_share:
            out.append(f"{stats.outlier_count} values ({stats.outlier_share:.1%}) lie outside the IQR "
                       f"fences [{stats.lower_fence:.6g}, {stats.upper_fence:.6g}].")
    return out
