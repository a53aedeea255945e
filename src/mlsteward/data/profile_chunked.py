"""Profile a Parquet file larger than memory, batch by batch: the same ``DatasetProfile``.

``profile_parquet(path, target=..., config=..., batch_rows=250_000)`` streams the file once with
``pyarrow.parquet.ParquetFile.iter_batches`` (each batch converted to pandas), and applies the
rules of ``mlsteward.data.profile`` (types, flags, warnings, target advice come from the same
helpers). Only the numeric columns with more than ``distinct_cap`` distinct values are read a
second time (those columns alone), for their histograms and outlier counts; every other numeric
column gets both from its exact value counts. Peak memory is proportional to ``batch_rows`` plus
the caps below, not to the file.

Exact (equal to ``profile_dataset(pd.read_parquet(path))``): rows, counts, missing counts, infinite
counts, min/max, mean/std/skewness (``Moments`` merged across batches), histograms (over the fixed
edges of the whole file's min/max), the target's class counts and imbalance advice; distinct
counts and top values while a column has at most ``distinct_cap`` distinct values; duplicate rows
while the file has at most ``duplicate_cap`` distinct rows (64-bit row hashes computed from the
Arrow values, so a value hashes alike in every batch: exact up to a hash collision, probability
about rows**2 / 2**65; integers are compared as integers, where pandas compares an integer column
with missing values as float64: the two differ only beyond 2**53). ``memory_bytes`` is the sum over
batches (a ``category`` column repeats its categories per batch).

Approximate: one seeded sample of at most ``config.correlation_max_rows`` rows (bottom-k of a
uniform key per row: a uniform sample without replacement) gives the quantiles, hence the IQR
fences (outliers are then counted exactly against those fences on every row), the correlations
and the target associations. With at most that many rows the sample is the whole file and all of
these are exact too. With more, a sample quantile of ``n`` values is off by about
``sqrt(q(1-q)/n)`` in rank (0.0016 at n = 100,000); the tests check it lies between the exact
``q - 0.01`` and ``q + 0.01`` quantiles. The profile's warnings say so.

Caps: above ``distinct_cap`` distinct values a column keeps counting only the first
``distinct_cap`` values it met: ``distinct_count`` is then a lower bound, top values are among
those values, an identifier is "no tracked value repeated" (warned per column). Above
``duplicate_cap`` distinct rows, new rows are no longer remembered: ``duplicate_rows`` is a lower
bound (rows equal to a row of the batches read before the cap was reached, or to an earlier row
of their own batch), with a warning.

Types are routed per batch by ``profile_types._route``; a column's dtype is that of the whole file
(an integer column with a missing value is float64, a boolean one object, as pandas reads it).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mlsteward.data.profile_columns import (
    _analyse_column,
    _base_profile,
    _column_warnings,
    _label,
    _pydatetime,
    _quantile_key,
    _top_indices,
)
from mlsteward.data.profile_duplicates import _FNV, _mix
from mlsteward.data.profile_models import (
    ColumnProfile,
    DatasetProfile,
    DatetimeStats,
    Histogram,
    NumericStats,
    ProfileConfig,
)
from mlsteward.data.profile_stats import Moments, histogram_edges, sorted_quantiles
from mlsteward.data.profile_target import (
    TargetProfile,
    class_balance,
    correlation_matrices,
    finite_or_none,
)
from mlsteward.data.profile_target_column import _associate, _profile_target, _Work
from mlsteward.errors import InvalidInput
from mlsteward.spec_gates import did_you_mean

DISTINCT_CAP = 100_000
DUPLICATE_CAP = 5_000_000


class _Column:
    """What pass 1 keeps of one column: counters, ``Moments`` and capped value counts."""

    def __init__(self, name: str, pos: int, cap: int) -> None:
        self.name, self.pos, self.cap = name, pos, cap
        self.route: str | None = None
        self.dtypes: list[str] = []
        self.python_types: set[str] | None = None
        self.mixed = False
        self.rows = self.missing = self.n_inf = self.memory = 0
        self.moments = Moments()
        self.low = self.high = None  # finite min / max
        self.whole = True
        self.counts: pd.Series | None = None  # value -> count, first appearance order
        self.distinct_seen = 0  # distinct values seen (a lower bound once over the cap)
        self.overflow = self.repeats = False
        self.dt_low = self.dt_high = None
        self.profile: ColumnProfile | None = None
        self.hist: np.ndarray | None = None
        self.outliers = 0

    def add(self, s: pd.Series) -> None:
        self.rows += len(s)
        self.memory += int(s.memory_usage(deep=True, index=False))
        if str(s.dtype) not in self.dtypes:
            self.dtypes.append(str(s.dtype))
        if not s.notna().any():
            self.missing += len(s)
            return
        route, conv, ptypes, mixed = _route_of(s)
        self.route = self.route or route
        if route != self.route:
            raise InvalidInput(f"Column '{self.name}' changes kind between batches ({self.route} "
                               f"then {route}); convert it to one type.")
        if ptypes is not None:
            self.python_types = (self.python_types or set()) | set(ptypes)
        self.mixed |= mixed
        if route == "numeric":
            present = conv[~np.isnan(conv)] if conv.dtype.kind == "f" else conv
            self.missing += len(conv) - len(present)
            finite = present[np.isfinite(present)] if present.dtype.kind == "f" else present
            self.n_inf += len(present) - len(finite)
            f = finite.astype(np.float64, copy=False)
            if len(f):
                self.moments = self.moments.merge(Moments.of(f))
                lo, hi = float(f.min()), float(f.max())
                self.low = lo if self.low is None else min(self.low, lo)
                self.high = hi if self.high is None else max(self.high, hi)
                self.whole = self.whole and bool(np.all(f == np.floor(f)))
            vc = pd.Series(present).value_counts(sort=False)
        else:
            try:
                if route == "object":  # value_counts takes arrays as keys; factorize, as profile_columns
                    pd.factorize(conv)  # does, raises on them
                vc = pd.Series(conv).value_counts(sort=False)
            except TypeError:  # unhashable values: count their text, as profile_columns does
                vc = pd.Series(conv).map(repr, na_action="ignore").value_counts(sort=False)
            vc = vc[vc > 0]  # a category column lists unused categories
            self.missing += len(s) - int(vc.sum())
            if route == "datetime" and len(vc):
                lo, hi = vc.index.min(), vc.index.max()
                self.dt_low = lo if self.dt_low is None else min(self.dt_low, lo)
                self.dt_high = hi if self.dt_high is None else max(self.dt_high, hi)
        merged = vc if self.counts is None else \
            pd.concat([self.counts, vc]).groupby(level=0, sort=False).sum()
        self.distinct_seen = max(self.distinct_seen, len(merged))
        self.repeats |= bool(len(merged) and merged.max() > 1)
        if len(merged) > self.cap:  # keep counting the first `cap` values met (they come first)
            self.overflow, merged = True, merged.iloc[: self.cap]
        self.counts = merged

    @property
    def dtype(self) -> str:
        """The dtype pandas gives the whole column: object or float64 win over bool or int64."""
        for wide in ("object", "float64"):
            if wide in self.dtypes and len(self.dtypes) > 1:
                return wide
        return self.dtypes[0]

    def finish(self, cfg: ProfileConfig) -> ColumnProfile:
        count = self.rows - self.missing
        counts = self.counts if self.counts is not None else pd.Series(dtype=np.int64)
        try:
            integer = self.route == "numeric" and np.dtype(self.dtype).kind in "iu"
        except TypeError:  # a pandas extension dtype
            integer = False
        if self.route == "numeric":
            counts = counts.sort_index()  # ties broken by the smaller value
        distinct = self.distinct_seen
        all_distinct = distinct == count if not self.overflow else not self.repeats
        c = counts.to_numpy()
        chosen = _top_indices(c, cfg.top_k)
        values = [counts.index[i] for i in chosen.tolist()]
        top = [dict(value=_label(int(v) if integer else v), count=int(c[i]), share=int(c[i]) / count)
               for v, i in zip(values, chosen.tolist())]
        inferred = {"boolean": "boolean", "datetime": "datetime"}.get(self.route or "", "categorical")
        if self.route == "numeric":
            inferred = "numeric"
            if (integer and count >= cfg.identifier_min_count and all_distinct
                    and int(self.high) - int(self.low) + 1 <= 2 * count):
                inferred = "identifier"
        elif self.route == "string" and count:
            from mlsteward.data.profile_types import _text_kind
            inferred = _text_kind(pd.Index(counts.index), count,
                                  count if self.overflow and all_distinct else distinct, cfg, self.pos)
        p = _base_profile(self.name, inferred, self.rows, count, distinct, top,
                          int(c.max()) if len(c) else 0, cfg)
        p.dtype, p.memory_bytes, p.flags.mixed_types = self.dtype, self.memory, self.mixed
        p.python_types = sorted(self.python_types) if self.python_types else None
        if self.route == "datetime":
            p.datetime = DatetimeStats(min=_pydatetime(self.dt_low), max=_pydatetime(self.dt_high))
        self.profile, self.integer = p, integer
        return p


def _route_of(s: pd.Series) -> tuple[str, Any, list[str] | None, bool]:
    from mlsteward.data.profile_types import _route
    return _route(s)


def profile_parquet(path: str | os.PathLike, *, target: str | None = None,
                    config: ProfileConfig | None = None, batch_rows: int = 250_000,
                    distinct_cap: int = DISTINCT_CAP, duplicate_cap: int = DUPLICATE_CAP
                    ) -> DatasetProfile:
    """Profile the Parquet file at ``path`` in batches of ``batch_rows`` rows (see the module)."""
    cfg = config if config is not None else ProfileConfig()
    if not isinstance(cfg, ProfileConfig):
        raise InvalidInput(f"The 'config' parameter of profile_parquet must be a ProfileConfig; got "
                           f"{type(cfg).__name__} instead.")
    if batch_rows < 1 or distinct_cap < 1 or duplicate_cap < 1:
        raise InvalidInput("batch_rows, distinct_cap and duplicate_cap must be at least 1.")
    pf = pq.ParquetFile(path)
    names = [str(n) for n in pf.schema_arrow.names]
    if len(set(names)) != len(names) or not names or pf.metadata.num_rows == 0:
        raise InvalidInput(f"'{path}' needs at least one row and unique column names; it has "
                           f"{pf.metadata.num_rows} rows and columns {names}.")
    if target is not None and target not in names:
        raise InvalidInput(f"Target column '{target}' is not in the data{did_you_mean(target, names)}.")
    cols = [_Column(n, i, distinct_cap) for i, n in enumerate(names)]
    k = cfg.correlation_max_rows
    rng = np.random.default_rng(cfg.seed)
    sample, keys, index_bytes = None, np.empty(0), 0
    repeats = _Duplicates(duplicate_cap)
    for batch in pf.iter_batches(batch_size=batch_rows):  # the one pass over every column
        repeats.add(_row_hashes(batch))
        df = batch.to_pandas()
        df.columns = names
        for col in cols:
            col.add(df.iloc[:, col.pos])
        u = rng.random(len(df))  # bottom-k of uniform keys: a uniform sample of k rows
        if len(keys) >= k:
            take = np.flatnonzero(u < keys.max())
            df, u = df.iloc[take], u[take]
        sample = df if sample is None else pd.concat([sample, df], ignore_index=True)
        keys = np.concatenate([keys, u])
        if len(keys) > k:
            keep = np.sort(np.argpartition(keys, k - 1)[:k])
            sample, keys = sample.iloc[keep].reset_index(drop=True), keys[keep]
        del df
    rows = cols[0].rows
    index_bytes = int(pd.RangeIndex(rows).memory_usage())
    profiles = [c.finish(cfg) for c in cols]
    sampled = rows > len(sample)
    work = {c.pos: _analyse_column(sample.iloc[:, c.pos], c.name, cfg, 0, c.pos) for c in cols}
    numeric = [c for c in cols if c.route == "numeric" and c.moments.n]
    qs = tuple(sorted(set(cfg.quantiles) | {0.25, 0.75}))
    fences = {}
    for c in numeric:
        v = work[c.pos].values
        v = np.sort(v[np.isfinite(v)]) if v is not None else np.empty(0)
        if not len(v):
            v = np.array([c.low, c.high])
        qv = dict(zip(qs, sorted_quantiles(v, qs).tolist()))
        iqr = qv[0.75] - qv[0.25]
        fences[c.pos] = (qv, iqr, qv[0.25] - cfg.iqr_factor * iqr, qv[0.75] + cfg.iqr_factor * iqr)
        c.edges = histogram_edges(c.low, c.high, cfg.histogram_bins)
        if not c.overflow:  # every value counted: histogram and outliers from the counts
            c.hist, c.outliers = _counted_histogram(c.counts, c.edges, fences[c.pos][2], fences[c.pos][3])
    _pass2(pf, [c for c in numeric if c.overflow], fences, batch_rows, cfg.histogram_bins)
    duplicates, dup_overflow = repeats.count, repeats.overflow
    for c in numeric:
        qv, iqr, lower, upper = fences[c.pos]
        m = c.moments
        c.profile.numeric = NumericStats(
            count=m.n, infinite_count=c.n_inf, min=c.low, max=c.high, mean=finite_or_none(m.mean),
            std=finite_or_none(m.std), skewness=finite_or_none(m.skewness),
            quantiles={_quantile_key(q): qv[q] for q in cfg.quantiles}, iqr=iqr,
            lower_fence=lower, upper_fence=upper, outlier_count=c.outliers,
            outlier_share=c.outliers / m.n,
            histogram=Histogram(edges=c.edges.tolist(), counts=c.hist.tolist()))
    for c in cols:
        c.profile.warnings = _column_warnings(c.profile, cfg)
        if c.overflow:
            c.profile.warnings.append(
                f"More than {distinct_cap} distinct values: distinct_count is a lower bound and the "
                f"top values are among the first {distinct_cap} values met (chunked profile).")
    # correlations and associations: on the sample, with the types of the whole file
    for c in cols:
        work[c.pos].profile.inferred_type = c.profile.inferred_type
    corr = {c.name: work[c.pos].values for c in numeric
            if c.profile.inferred_type == "numeric" and c.low < c.high}
    correlations = correlation_matrices(corr, sampled=sampled) if len(corr) >= 2 else None
    target_profile, associations, warnings = None, [], []
    if target is not None:
        t = cols[names.index(target)]
        target_profile, kind = _target(t, cfg)
        _, encoded = _profile_target(work[t.pos], cfg.model_copy(update={"target_kind": kind}))
        for c in cols:
            if c is not t:
                a = _associate(work[c.pos], encoded)
                if a is not None:
                    associations.append((c.pos, a))
    if duplicates:
        warnings.append(f"{duplicates} rows ({duplicates / rows:.1%}) repeat an earlier row; "
                        "drop them before splitting, or they leak between train and test.")
    if dup_overflow:
        warnings.append(f"Duplicate rows not computed exactly: more than {duplicate_cap} distinct "
                        f"rows; duplicate_rows counts only repeats of the first {duplicate_cap}.")
    if sampled:
        warnings.append(f"Chunked profile: quantiles, IQR fences, correlations and target "
                        f"associations are from a seeded sample of {len(sample)} of {rows} rows.")
    if target_profile is not None:
        warnings.extend(f"Target: {w}" for w in target_profile.warnings)
    associations.sort(key=lambda item: (item[1].value is None, -abs(item[1].value or 0.0), item[0]))
    return DatasetProfile(
        rows=rows, columns=len(cols), duplicate_rows=duplicates, duplicate_share=duplicates / rows,
        memory_bytes=index_bytes + sum(c.memory for c in cols), column_profiles=profiles,
        correlations=correlations, target=target_profile,
        associations=[a for _, a in associations], warnings=warnings, config=cfg)


def _counted_histogram(counts: pd.Series, edges: np.ndarray, lower: float, upper: float
                       ) -> tuple[np.ndarray, int]:
    """Histogram counts and outliers from exact value counts (``histogram_counts`` on the values
    repeated by their counts, without repeating them)."""
    values = counts.index.to_numpy(np.float64)
    finite = np.isfinite(values)
    values, n = values[finite], counts.to_numpy(np.int64)[finite]
    order = np.argsort(values, kind="stable")
    values, cum = values[order], np.concatenate(([0], np.cumsum(n[order])))
    at = np.searchsorted(values, edges, side="left")
    at[-1] = np.searchsorted(values, edges[-1], side="right")
    outliers = cum[np.searchsorted(values, lower, "left")] + cum[-1] - cum[np.searchsorted(values, upper, "right")]
    return np.diff(cum[at]), int(outliers)


def _pass2(pf: pq.ParquetFile, cols: list[_Column], fences: dict, batch_rows: int, bins: int) -> None:
    """Histograms and outliers of the numeric columns whose values were not all counted, reading
    those columns only; each value is binned by binary search on the edges (no sort)."""
    if not cols:
        return
    for c in cols:
        c.hist = np.zeros(bins, dtype=np.int64)
    for batch in pf.iter_batches(batch_size=batch_rows, columns=[c.name for c in cols]):
        df = batch.to_pandas()  # with the file's pandas metadata, as in the first pass
        for i, c in enumerate(cols):
            _, conv, _, _ = _route_of(df.iloc[:, i])
            f = conv[np.isfinite(conv)] if conv.dtype.kind == "f" else conv
            f = f.astype(np.float64, copy=False)
            at = np.searchsorted(c.edges, f, side="right") - 1  # bins [left, right), the last closed
            np.minimum(at, bins - 1, out=at)
            c.hist += np.bincount(at, minlength=bins)
            _, _, lower, upper = fences[c.pos]
            c.outliers += int(np.count_nonzero(f < lower)) + int(np.count_nonzero(f > upper))


_NULL = np.uint64(0x6A09E667F3BCC908)  # the word of a missing value


def _row_hashes(batch: pa.RecordBatch) -> np.ndarray:
    """A 64-bit hash per row from the Arrow values, the same for equal rows in any batch."""
    h = np.zeros(batch.num_rows, dtype=np.uint64)
    for column in batch.columns:
        h *= _FNV
        h ^= _mix(_words(column))
    return h


def _words(arr: pa.Array) -> np.ndarray:
    """One 64-bit word per value, equal when pandas calls the values equal (missing values equal
    each other; in a float column a missing value is NaN, and -0.0 is 0.0)."""
    t = arr.type
    if pa.types.is_dictionary(t):
        index = arr.indices.fill_null(0).to_numpy(zero_copy_only=False)
        words = _distinct_words(arr.dictionary)[index.astype(np.intp, copy=False)] if len(arr.dictionary) \
            else np.full(len(arr), _NULL, dtype=np.uint64)
        return _mark_missing(words, arr)
    if pa.types.is_floating(t):
        v = arr.to_numpy(zero_copy_only=False).astype(np.float64) + 0.0  # a copy; -0.0 -> 0.0
        v[np.isnan(v)] = np.nan  # one NaN bit pattern, missing included
        return v.view(np.uint64)
    if pa.types.is_integer(t) or pa.types.is_boolean(t):
        v = arr.fill_null(pa.scalar(0, t) if pa.types.is_integer(t) else False).to_numpy(zero_copy_only=False)
        return _mark_missing(v.astype(np.int64).view(np.uint64), arr)
    if pa.types.is_temporal(t) and t.bit_width in (32, 64):
        v = arr.view(pa.int64() if t.bit_width == 64 else pa.int32()).fill_null(0).to_numpy(zero_copy_only=False)
        return _mark_missing(v.astype(np.int64).view(np.uint64), arr)
    if _is_text(t):  # each distinct text hashed once
        return _words(pc.dictionary_encode(arr))
    s = arr.to_pandas()
    try:
        return pd.util.hash_pandas_object(s, index=False).to_numpy()
    except TypeError:  # unhashable cells: hash their text
        return pd.util.hash_pandas_object(s.map(repr, na_action="ignore"), index=False).to_numpy()


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) \
        or pa.types.is_large_binary(t)


def _distinct_words(values: pa.Array) -> np.ndarray:
    """The words of a dictionary's values (text: siphash of its bytes, as pandas hashes text)."""
    if not _is_text(values.type):
        words = _words(values)
        if pa.types.is_floating(values.type):  # a NaN category is a missing value to pandas
            words[np.isnan(values.to_numpy(zero_copy_only=False))] = _NULL
        return words
    words = pd.util.hash_array(values.to_numpy(zero_copy_only=False).astype(object), categorize=False)
    return _mark_missing(words, values)


def _mark_missing(words: np.ndarray, arr: pa.Array) -> np.ndarray:
    if arr.null_count:
        words[~arr.is_valid().to_numpy(zero_copy_only=False)] = _NULL
    return words


class _Duplicates:
    """Rows equal to an earlier row, from row hashes: the distinct hashes met so far are kept
    sorted (at most ``cap`` of them; once a batch would pass the cap they are frozen) and each
    batch is sorted, looked up by binary search, and merged in in linear time."""

    def __init__(self, cap: int) -> None:
        self.cap, self.count, self.overflow = cap, 0, False
        self.seen = np.empty(0, dtype=np.uint64)

    def add(self, hashes: np.ndarray) -> None:
        h = np.sort(hashes)
        first = np.ones(len(h), dtype=bool)
        np.not_equal(h[1:], h[:-1], out=first[1:])
        h = h[first]
        self.count += len(first) - len(h)  # repeats within the batch
        if len(self.seen):
            at = np.searchsorted(self.seen, h)
            known = self.seen[np.minimum(at, len(self.seen) - 1)] == h
            self.count += int(known.sum())
            h, at = h[~known], at[~known]
        else:
            at = np.zeros(len(h), dtype=np.intp)
        if self.overflow or not len(h):
            return
        if len(self.seen) + len(h) > self.cap:
            self.overflow = True
        else:
            self.seen = np.insert(self.seen, at, h)


def _target(t: _Column, cfg: ProfileConfig) -> tuple[TargetProfile, str]:
    """The target's profile from its exact merged counts (rules in ``profile_target_column``)."""
    p = t.profile
    numeric = t.route == "numeric"
    kind = cfg.target_kind
    if kind == "auto":
        kind = "binary" if p.distinct_count <= 2 else "multiclass" if not numeric else \
            "multiclass" if t.whole and p.distinct_count <= cfg.target_max_classes else "regression"
    if kind == "regression" or p.count == 0 or p.inferred_type == "datetime" or (
            kind == "binary" and p.distinct_count > 2):  # the shared rules, errors and advice
        fake = _Work(p, values=np.empty(0) if numeric else None)
        fake_cfg = cfg.model_copy(update={"target_kind": kind})
        return _profile_target(fake, fake_cfg)[0], kind
    counts = t.counts
    labels = [_label(int(v) if t.integer else v) for v in counts.index]
    classes, ratio, level, rec, text = class_balance(
        labels, counts.to_numpy(), moderate_ratio=cfg.imbalance_moderate_ratio,
        severe_ratio=cfg.imbalance_severe_ratio)
    warnings = []
    if p.missing_count:
        warnings.append(f"{p.missing_count} rows ({p.missing_share:.1%}) have no target value; they "
                        "are left out of the target statistics and the associations.")
    if len(classes) > cfg.target_max_classes:
        warnings.append(f"{len(classes)} classes: more than target_max_classes "
                        f"({cfg.target_max_classes}); is this the right target?")
    if level == "severe" or len(classes) < 2:
        warnings.append(text)
    return TargetProfile(name=p.name, kind=kind, count=p.count, missing_count=p.missing_count,
                         classes=classes, imbalance_ratio=ratio, imbalance=level,
                         recommendation=rec, recommendation_text=text, warnings=warnings), kind


__all__ = ["DISTINCT_CAP", "DUPLICATE_CAP", "profile_parquet"]
