"""Data profile: what every column of a dataset holds, how clean it is, and how it relates to a target.

``profile_dataset(df, target=..., config=ProfileConfig(...))`` returns a ``DatasetProfile``, the
core of the data-quality and EDA reports (``report/`` renders it; this module only computes). It
reads each column once: numeric columns are sorted once (a counting sort for integers of a small
range; min, max, quantiles, distinct count, top values, histogram and IQR outliers all come from the
sorted array, by binary search where they need a position), every other
column is factorised once (integer codes give missing count, distinct count, top values, and the
target associations). No per-row Python loops.

Inferred types (``ColumnProfile.inferred_type``), in this order:

* ``boolean``: a bool dtype (numpy, pandas ``boolean``, Arrow), or an object column of bools only.
* ``datetime``: a datetime dtype (with or without time zone, Arrow timestamps and dates), or an
  object column of ``datetime`` / ``date`` values only (mixed time zones are converted to UTC).
* ``numeric``: an integer, float or timedelta dtype (timedeltas are profiled in seconds), or an
  object column of numbers only (ints, floats, ``Decimal``). A 0/1 integer column stays numeric.
* ``identifier``: an integer or string column with at least ``identifier_min_count`` non-missing
  values, all distinct, and key-like: integers dense enough to be a sequence
  (``max - min + 1 <= 2 * count``), strings without whitespace.
* ``text``: a string column with ``distinct_share >= text_min_distinct_share`` whose distinct
  values have a mean length of at least ``text_min_mean_length`` characters (free text, not labels).
* ``categorical``: everything else: a ``category`` dtype, other strings, object columns of mixed
  or other types (bytes, lists, complex numbers, ...). String columns are the ``str`` / ``string``
  dtypes and object columns whose values are all ``str``.

Lengths and whitespace are measured on at most 10,000 distinct values (drawn with ``seed``).

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

Dataset: ``duplicate_rows`` counts rows equal to an earlier row (``DataFrame.duplicated()``;
missing values equal each other). It is found with 64-bit row hashes and then confirmed exactly on
the candidate rows; a column whose values are all distinct proves there are none and ends the
search. ``memory_bytes`` is ``DataFrame.memory_usage(deep=True)`` including the index.

Correlations: Pearson and Spearman over numeric (not identifier) columns with at least two distinct
finite values, pairwise-complete rows; above ``correlation_max_rows`` rows (default 100,000), that
many rows are drawn without replacement with ``seed`` (the result says ``sampled``): a correlation
estimated from 100,000 rows is within about 0.01 of the full-data value, at a tenth of the cost.

Target and associations (rules in ``mlsteward.data.profile_target``): the target kind is
``binary`` with at most two distinct values; ``multiclass`` for a non-numeric target, or a numeric
one whose values are all whole numbers with at most ``target_max_classes`` distinct values;
``regression`` otherwise (``target_kind`` overrides). Class imbalance ratio = majority rows /
minority rows: below ``imbalance_moderate_ratio`` (1.5) nothing to do; from there to below
``imbalance_severe_ratio`` (10) class weights; from 10 on resampling, or class weights with a tuned
decision threshold. Associations are computed for numeric, categorical and boolean features (not
identifiers, text or datetimes) on all rows where both sides have a value.

Chunked computation: ``Moments`` (count, mean, central sums) merge exactly across chunks and
histogram counts over fixed edges add up; value counts add up too. Quantiles are exact here; a
chunked profile will need a sketch for them.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import math
import numbers
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from mlsteward.data.profile_target import (
    ClassCount,
    Correlations,
    TargetAssociation,
    TargetKind,
    TargetProfile,
    class_balance,
    correlation_matrices,
    correlation_ratio,
    cramers_v,
    finite_or_none,
    pearson,
    regression_advice,
)
from mlsteward.errors import InvalidInput
from mlsteward.spec_gates import did_you_mean

InferredType = Literal["numeric", "categorical", "boolean", "datetime", "text", "identifier"]

_SAMPLE_DISTINCT = 10_000


# --- configuration --------------------------------------------------------------------------------


class ProfileConfig(BaseModel):
    """Thresholds of a profile. The defaults are what a call without configuration uses."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    histogram_bins: int = Field(20, ge=1, le=10_000, description="equal-width bins per numeric column")
    top_k: int = Field(10, ge=0, description="most frequent values listed per column")
    quantiles: tuple[float, ...] = Field((0.05, 0.25, 0.5, 0.75, 0.95),
                                         description="quantiles reported, each in [0, 1]")
    near_constant_share: float = Field(0.95, gt=0, le=1, description="share of the top value")
    high_cardinality_share: float = Field(0.5, ge=0, le=1, description="distinct / non-missing")
    high_cardinality_min_distinct: int = Field(50, ge=0, description="flag only above this many")
    iqr_factor: float = Field(1.5, gt=0, description="fences at Q1 - f*IQR and Q3 + f*IQR")
    missing_warning_share: float = Field(0.05, ge=0, le=1, description="warn at this missing share")
    outlier_warning_share: float = Field(0.05, ge=0, le=1, description="warn at this outlier share")
    identifier_min_count: int = Field(50, ge=2, description="values needed to call a column a key")
    text_min_mean_length: float = Field(20.0, ge=0, description="mean characters of free text")
    text_min_distinct_share: float = Field(0.5, ge=0, le=1, description="distinct share of free text")
    correlation_max_rows: int = Field(100_000, ge=2, description="sample above this many rows")
    seed: int = Field(0, description="seed of every random sample, so a profile is reproducible")
    target_kind: Literal["auto", "binary", "multiclass", "regression"] = "auto"
    target_max_classes: int = Field(20, ge=2, description="whole-number targets up to this many "
                                    "distinct values are multiclass, more are regression")
    imbalance_moderate_ratio: float = Field(1.5, ge=1)
    imbalance_severe_ratio: float = Field(10.0, ge=1)
    skew_warning: float = Field(1.0, gt=0, description="|skewness| of a regression target to warn at")

    @field_validator("quantiles")
    @classmethod
    def _quantiles_in_range(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0.0 <= q <= 1.0 for q in value):
            raise ValueError(f"every quantile must be between 0 and 1; got {list(value)}")
        return tuple(sorted(set(value)))


# --- results --------------------------------------------------------------------------------------


class ValueCount(BaseModel):
    value: str = Field(description="the value, as text")
    count: int
    share: float = Field(description="count / non-missing values")


class Histogram(BaseModel):
    edges: list[float] = Field(description="bins + 1 edges; each bin is [left, right), the last closed")
    counts: list[int]


class NumericStats(BaseModel):
    """Statistics of the finite values of a numeric column."""

    count: int = Field(description="finite values the statistics are computed on")
    infinite_count: int
    min: float
    max: float
    mean: float | None
    std: float | None = Field(description="sample standard deviation (ddof=1); None below 2 values")
    skewness: float | None = Field(description="biased Fisher-Pearson; None without spread")
    quantiles: dict[str, float] = Field(description="'5%' -> value, numpy's linear method")
    iqr: float
    lower_fence: float
    upper_fence: float
    outlier_count: int = Field(description="values strictly outside the fences")
    outlier_share: float = Field(description="outlier_count / count")
    histogram: Histogram


class DatetimeStats(BaseModel):
    min: _dt.datetime | None
    max: _dt.datetime | None


class ColumnFlags(BaseModel):
    all_missing: bool = False
    constant: bool = False
    near_constant: bool = False
    high_cardinality: bool = False
    mixed_types: bool = False


class ColumnProfile(BaseModel):
    """What one column holds."""

    name: str
    dtype: str = Field(description="the pandas dtype")
    inferred_type: InferredType
    count: int = Field(description="non-missing values")
    missing_count: int
    missing_share: float = Field(description="missing_count / rows")
    distinct_count: int = Field(description="distinct non-missing values")
    distinct_share: float | None = Field(description="distinct_count / count; None when all missing")
    top_values: list[ValueCount]
    numeric: NumericStats | None = None
    datetime: DatetimeStats | None = None
    python_types: list[str] | None = Field(None, description="object columns: the values' types")
    memory_bytes: int = Field(description="deep memory of the column")
    flags: ColumnFlags
    warnings: list[str] = Field(default_factory=list)


class DatasetProfile(BaseModel):
    """The profile of a dataset: per column, per dataset, correlations, and the target."""

    rows: int
    columns: int
    duplicate_rows: int = Field(description="rows equal to an earlier row")
    duplicate_share: float = Field(description="duplicate_rows / rows")
    memory_bytes: int = Field(description="deep memory, index included")
    column_profiles: list[ColumnProfile]
    correlations: Correlations | None = Field(description="None with fewer than two numeric columns")
    target: TargetProfile | None = None
    associations: list[TargetAssociation] = Field(
        default_factory=list, description="each feature with the target, strongest first")
    warnings: list[str] = Field(default_factory=list, description="dataset-level warnings")
    config: ProfileConfig

    def column(self, name: str) -> ColumnProfile:
        """The profile of column ``name``."""
        for profile in self.column_profiles:
            if profile.name == name:
                return profile
        raise KeyError(name)


# --- mergeable pieces -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Moments:
    """Count, mean and central sums ``m2 = sum((x - mean)**2)``, ``m3 = sum((x - mean)**3)``.

    ``merge`` combines two chunks exactly (Chan et al.; Pébay 2008 for m3), so mean, std and
    skewness of a dataset read in chunks equal those of the whole.
    """

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    m3: float = 0.0

    @classmethod
    def of(cls, values: np.ndarray) -> Moments:
        n = len(values)
        if n == 0:
            return cls()
        mean = float(np.mean(values, dtype=np.float64))
        d = values - mean if values.dtype == np.float64 else values.astype(np.float64) - mean
        sq = d * d
        m2 = float(sq.sum())
        np.multiply(sq, d, out=sq)
        return cls(n, mean, m2, float(sq.sum()))

    def merge(self, other: Moments) -> Moments:
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        na, nb = self.n, other.n
        n = na + nb
        delta = other.mean - self.mean
        mean = self.mean + delta * nb / n
        m2 = self.m2 + other.m2 + delta * delta * na * nb / n
        m3 = (self.m3 + other.m3 + delta**3 * na * nb * (na - nb) / (n * n)
              + 3.0 * delta * (na * other.m2 - nb * self.m2) / n)
        return Moments(n, mean, m2, m3)

    @property
    def std(self) -> float | None:
        return math.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else None

    @property
    def skewness(self) -> float | None:
        if self.n == 0 or self.m2 <= 0.0:
            return None
        return (self.m3 / self.n) / (self.m2 / self.n) ** 1.5


def histogram_edges(low: float, high: float, bins: int) -> np.ndarray:
    """``np.histogram``'s equal-width edges between ``low`` and ``high``."""
    if low == high:
        low, high = low - 0.5, high + 0.5
    return np.linspace(low, high, bins + 1)


def histogram_counts(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin of sorted finite values, bins ``[left, right)`` and the last closed."""
    idx = np.searchsorted(sorted_values, edges, side="left")
    idx[-1] = np.searchsorted(sorted_values, edges[-1], side="right")
    return np.diff(idx)


def sorted_quantiles(sorted_values: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    """``np.quantile(values, qs)`` (linear method) read off an already sorted array."""
    n = len(sorted_values)
    virtual = np.asarray(qs, dtype=np.float64) * (n - 1)
    lo = np.floor(virtual).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    t = virtual - lo
    a = sorted_values[lo].astype(np.float64)
    b = sorted_values[hi].astype(np.float64)
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1.0 - t), a + diff * t)


# --- the public function --------------------------------------------------------------------------


def profile_dataset(
    data: Any,
    *,
    target: str | None = None,
    config: ProfileConfig | None = None,
) -> DatasetProfile:
    """Profile every column of ``data`` (pandas; polars and pyarrow tables are converted).

    With ``target``, also profile the target (kind, class balance or distribution, advice) and
    each feature's association with it. Raises ``InvalidInput`` for an empty frame, duplicate
    column names or a target that is not a column.
    """
    config = config if config is not None else ProfileConfig()
    if not isinstance(config, ProfileConfig):
        raise InvalidInput(f"The 'config' parameter of profile_dataset must be a ProfileConfig; "
                           f"got {type(config).__name__} instead.")
    df = _as_pandas(data)
    names = _column_names(df)
    n_rows, n_cols = df.shape
    position = {name: i for i, name in enumerate(names)}
    if target is not None and target not in position:
        if not isinstance(target, str):
            raise InvalidInput(f"The 'target' parameter must be a column name (str); got "
                               f"{type(target).__name__} {target!r}.")
        shown = ", ".join(f"'{n}'" for n in names[:50]) + (" …" if len(names) > 50 else "")
        raise InvalidInput(f"Target column '{target}' is not in the data{did_you_mean(target, names)}. "
                           f"Available columns ({len(names)}): {shown}.")

    memory = df.memory_usage(deep=True, index=True).to_numpy()  # [index, col0, col1, ...]
    sample = None
    if n_rows > config.correlation_max_rows:
        rng = np.random.default_rng(config.seed)
        sample = np.sort(rng.choice(n_rows, size=config.correlation_max_rows, replace=False))

    hasher = _RowHasher(n_rows)
    profiles: dict[int, ColumnProfile] = {}
    numeric_for_corr: dict[int, np.ndarray] = {}
    associations: list[tuple[int, TargetAssociation]] = []
    target_profile: TargetProfile | None = None
    encoded: _EncodedTarget | None = None
    target_pos = position[target] if target is not None else -1
    order = list(range(n_cols))
    if target is not None:  # the target first: each feature's association needs its encoding
        order.remove(target_pos)
        order.insert(0, target_pos)
    for pos in order:
        result = _profile_column(df.iloc[:, pos], pos, names[pos], config, int(memory[pos + 1]),
                                 sample, encoded, keep_work=pos == target_pos,
                                 need_hash=hasher.hash is not None)
        if pos == target_pos:
            target_profile, encoded = _profile_target(result.work, config)
            result.work = None
        profiles[pos] = result.profile
        hasher.add(result.row_hash, result.all_distinct)
        if result.corr_values is not None:
            numeric_for_corr[pos] = result.corr_values
        if result.association is not None:
            associations.append((pos, result.association))

    correlations = None
    if len(numeric_for_corr) >= 2:
        cols = sorted(numeric_for_corr)
        correlations = correlation_matrices({names[i]: numeric_for_corr[i] for i in cols},
                                            sampled=sample is not None)
    duplicates = hasher.duplicates(df)
    warnings = []
    if duplicates:
        warnings.append(f"{duplicates} rows ({duplicates / n_rows:.1%}) repeat an earlier row; "
                        "drop them before splitting, or they leak between train and test.")
    if target_profile is not None:
        warnings.extend(f"Target: {w}" for w in target_profile.warnings)
    associations.sort(key=lambda item: (item[1].value is None,
                                        -abs(item[1].value or 0.0), item[0]))
    return DatasetProfile(
        rows=n_rows,
        columns=n_cols,
        duplicate_rows=duplicates,
        duplicate_share=duplicates / n_rows,
        memory_bytes=int(memory.sum()),
        column_profiles=[profiles[i] for i in range(n_cols)],
        correlations=correlations,
        target=target_profile,
        associations=[a for _, a in associations],
        warnings=warnings,
        config=config,
    )


# --- the boundary ---------------------------------------------------------------------------------


def _as_pandas(data: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        df = data
    else:
        module = type(data).__module__.split(".")[0]
        if module in ("polars", "pyarrow") and hasattr(data, "to_pandas") and hasattr(data, "schema"):
            df = data.to_pandas()  # a polars DataFrame, a pyarrow Table or RecordBatch
        else:
            raise InvalidInput("profile_dataset expects a pandas DataFrame, a polars DataFrame or a "
                               f"pyarrow Table; got {type(data).__module__}.{type(data).__name__}.")
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise InvalidInput(f"The data is empty ({df.shape[0]} rows, {df.shape[1]} columns); "
                           "a profile needs at least one row and one column.")
    return df


def _column_names(df: pd.DataFrame) -> list[str]:
    names = [str(c) for c in df.columns]
    seen: set[str] = set()
    repeated = sorted({n for n in names if n in seen or seen.add(n)})
    if repeated:
        raise InvalidInput(f"Column names must be unique; repeated: {', '.join(repr(n) for n in repeated)}. "
                           "Rename them (e.g. df.columns = [...]) and profile again.")
    return names


# --- one column -----------------------------------------------------------------------------------


@dataclass
class _ColumnResult:
    """What the dataset-level steps need from one column; its large arrays are already dropped."""

    pos: int
    profile: ColumnProfile
    association: TargetAssociation | None
    corr_values: np.ndarray | None  # the correlation sample of a numeric column
    row_hash: np.ndarray | None  # this column's share of the row hashes
    all_distinct: bool
    work: _Work | None = None  # kept for the target only


def _profile_column(s: pd.Series, pos: int, name: str, cfg: ProfileConfig, memory: int,
                    sample: np.ndarray | None, target: _EncodedTarget | None,
                    keep_work: bool = False, need_hash: bool = True) -> _ColumnResult:
    work = _analyse_column(s, name, cfg, memory, pos)
    p = work.profile
    corr_values = None
    if p.inferred_type == "numeric" and p.numeric is not None and p.numeric.min < p.numeric.max:
        corr_values = work.values[sample] if sample is not None else work.values
    association = _associate(work, target) if target is not None else None
    row_hash = _row_hash_part(work) if need_hash and not work.all_distinct else None
    return _ColumnResult(pos, p, association, corr_values, row_hash, work.all_distinct,
                         work if keep_work else None)


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


def _route(s: pd.Series) -> tuple[str, Any, list[str] | None, bool]:
    """(route, series or array to profile, python types of an object column, mixed types)."""
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical", s, None, False
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean", s, None, False
    kind = getattr(dtype, "kind", "O")
    if kind == "M":
        return "datetime", s, None, False
    if dtype != object:
        if kind == "m" or (kind in "iuf" and pd.api.types.is_numeric_dtype(dtype)):
            return "numeric", _numeric_array(s), None, False
        if pd.api.types.is_string_dtype(dtype):
            return "string", s, None, False
        return "object", s, None, False  # complex numbers, periods, intervals, ...
    inferred = pd.api.types.infer_dtype(s, skipna=True)
    present = s.notna().to_numpy()
    one_type = None if inferred == "empty" else [type(s.iloc[int(present.argmax())]).__name__]
    if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
        numbers_ = pd.to_numeric(s, errors="coerce").to_numpy(np.float64, na_value=np.nan)
        types = sorted(t.__name__ for t in _types_of(s)) if inferred == "mixed-integer-float" else one_type
        return "numeric", numbers_, types, False
    if inferred == "boolean":
        return "boolean", s, one_type, False
    if inferred in ("datetime", "datetime64", "date", "timedelta", "timedelta64"):
        try:
            if inferred.startswith("timedelta"):
                return "numeric", pd.to_timedelta(s).dt.total_seconds().to_numpy(), one_type, False
            try:
                return "datetime", pd.to_datetime(s), one_type, False
            except ValueError:  # time zones differ: compare the instants, in UTC
                return "datetime", pd.to_datetime(s, utc=True), one_type, False
        except (ValueError, TypeError, OverflowError):
            pass
    if inferred == "string":
        return "string", s, one_type, False
    types = _types_of(s)
    kinds = {_kind_of(t) for t in types}
    return "object", s, sorted(t.__name__ for t in types) or None, len(kinds) > 1


def _types_of(s: pd.Series) -> set[type]:
    values = s.dropna()
    try:
        values = pd.unique(values)
    except TypeError:  # unhashable values (lists, dicts)
        values = values.to_numpy()
    return {type(v) for v in values}


def _kind_of(t: type) -> str:
    if issubclass(t, (bool, np.bool_)):
        return "boolean"
    if issubclass(t, (numbers.Number, decimal.Decimal)):
        return "number"
    if issubclass(t, str):
        return "string"
    if issubclass(t, (bytes, bytearray)):
        return "bytes"
    if issubclass(t, (_dt.date, np.datetime64)):
        return "datetime"
    if issubclass(t, (_dt.timedelta, np.timedelta64)):
        return "timedelta"
    return t.__name__


def _numeric_array(s: pd.Series) -> np.ndarray:
    """Integers stay integers (exact sort and distinct count); everything else is float64 + NaN."""
    dtype = s.dtype
    if getattr(dtype, "kind", "O") == "m":
        return s.dt.total_seconds().to_numpy(np.float64, na_value=np.nan)
    if isinstance(dtype, np.dtype):
        return s.to_numpy() if dtype.kind in "iu" or dtype == np.float64 else s.to_numpy(np.float64)
    if pd.api.types.is_integer_dtype(dtype) and not s.hasnans:
        return s.to_numpy(np.uint64 if pd.api.types.is_unsigned_integer_dtype(dtype) else np.int64)
    return s.to_numpy(np.float64, na_value=np.nan)


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


def _text_kind(uniques: Any, count: int, distinct: int, cfg: ProfileConfig, pos: int) -> InferredType:
    share = distinct / count
    candidate_id = distinct == count and count >= cfg.identifier_min_count
    if not candidate_id and share < cfg.text_min_distinct_share:
        return "categorical"
    if len(uniques) > _SAMPLE_DISTINCT:
        rng = np.random.default_rng([cfg.seed, pos])
        uniques = uniques.take(np.sort(rng.choice(len(uniques), _SAMPLE_DISTINCT, replace=False)))
    text = pd.Series(np.asarray(uniques, dtype=object)).astype(str)
    if candidate_id and not bool(text.str.contains(r"\s", regex=True).any()):
        return "identifier"
    if share >= cfg.text_min_distinct_share and float(text.str.len().mean()) >= cfg.text_min_mean_length:
        return "text"
    return "categorical"


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


# --- duplicate rows -------------------------------------------------------------------------------

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_FNV = np.uint64(0x100000001B3)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, vectorised (uint64 arithmetic wraps)."""
    z = x + _GOLDEN
    z ^= z >> np.uint64(30)
    z *= _MIX1
    z ^= z >> np.uint64(27)
    z *= _MIX2
    z ^= z >> np.uint64(31)
    return z


def _row_hash_part(work: _Work) -> np.ndarray:
    """The column's values as 64-bit words, equal exactly when pandas calls them equal, mixed."""
    if work.codes is not None:
        part = work.codes.astype(np.int64, copy=False).view(np.uint64)
    elif work.native.dtype.kind == "f":
        canonical = work.native + 0.0  # -0.0 -> 0.0
        canonical[np.isnan(canonical)] = np.nan  # one NaN bit pattern
        part = canonical.view(np.uint64)
    else:
        part = work.native.astype(np.int64, copy=False).view(np.uint64)
    return _mix(part)


class _RowHasher:
    """A 64-bit hash per row, combined one column at a time."""

    def __init__(self, rows: int) -> None:
        self.hash: np.ndarray | None = np.zeros(rows, dtype=np.uint64)
        self.none = False  # a column with all values distinct: no row can repeat

    def add(self, part: np.ndarray | None, all_distinct: bool) -> None:
        if self.hash is None:
            return
        if all_distinct:
            self.hash, self.none = None, True
            return
        self.hash *= _FNV
        self.hash ^= part

    def duplicates(self, df: pd.DataFrame) -> int:
        if self.none or self.hash is None:
            return 0
        candidates = pd.Series(self.hash).duplicated(keep=False).to_numpy()
        if not candidates.any():
            return 0
        try:  # confirm exactly: all copies of a repeated row share its hash, so all are candidates
            return int(df[candidates].duplicated().sum())
        except TypeError:  # unhashable cells: trust the hashes
            return int(pd.Series(self.hash).duplicated().sum())


# --- the target -----------------------------------------------------------------------------------


@dataclass
class _EncodedTarget:
    kind: TargetKind
    codes: np.ndarray | None = None  # classification
    n_codes: int = 0
    values: np.ndarray | None = None  # regression


def _profile_target(work: _Work, cfg: ProfileConfig) -> tuple[TargetProfile, _EncodedTarget]:
    p = work.profile
    if p.count == 0:
        raise InvalidInput(f"Target column '{p.name}' has no values (all {p.missing_count} rows are "
                           "missing); choose a target column with values.")
    if p.inferred_type == "datetime":
        raise InvalidInput(f"Target column '{p.name}' holds dates ({p.dtype}); a profile target must be "
                           "classes or numbers. Convert it (e.g. to a duration) or choose another.")
    numeric = work.values is not None
    kind = cfg.target_kind
    if kind == "auto":
        if p.distinct_count <= 2:
            kind = "binary"
        elif not numeric:
            kind = "multiclass"
        else:
            finite = work.values[np.isfinite(work.values)]
            whole = bool(np.all(finite == np.floor(finite)))
            kind = "multiclass" if whole and p.distinct_count <= cfg.target_max_classes else "regression"
    elif kind == "binary" and p.distinct_count > 2:
        raise InvalidInput(f"target_kind='binary' but target column '{p.name}' has "
                           f"{p.distinct_count} distinct values; use 'multiclass' or 'auto'.")
    elif kind == "regression" and not numeric:
        raise InvalidInput(f"target_kind='regression' but target column '{p.name}' is not numeric "
                           f"({p.dtype}); use 'multiclass' or 'auto', or convert it to numbers.")
    warnings = []
    if p.missing_count:
        warnings.append(f"{p.missing_count} rows ({p.missing_share:.1%}) have no target value; they "
                        "are left out of the target statistics and the associations.")
    if kind == "regression":
        stats = p.numeric
        skew = stats.skewness if stats else None
        advice = regression_advice(skew, stats.min if stats else None, cfg.skew_warning)
        if skew is not None and abs(skew) >= cfg.skew_warning:
            warnings.append(advice)
        profile = TargetProfile(
            name=p.name, kind=kind, count=p.count, missing_count=p.missing_count,
            recommendation_text=advice, warnings=warnings,
            **({} if stats is None else {"mean": stats.mean, "std": stats.std, "min": stats.min,
                                         "max": stats.max, "quantiles": stats.quantiles,
                                         "skewness": skew}),
        )
        return profile, _EncodedTarget(kind, values=work.values)
    if numeric:
        codes, uniques = pd.factorize(work.native, use_na_sentinel=True)
        labels = [_label(int(u) if work.integer else u) for u in uniques]
    else:
        codes, uniques = work.codes, work.uniques
        labels = [_label(u) for u in uniques]
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    classes, ratio, level, rec, text = class_balance(
        labels, counts,
        moderate_ratio=cfg.imbalance_moderate_ratio, severe_ratio=cfg.imbalance_severe_ratio)
    if len(classes) > cfg.target_max_classes:
        warnings.append(f"{len(classes)} classes: more than target_max_classes "
                        f"({cfg.target_max_classes}); is this the right target?")
    if level == "severe" or len(classes) < 2:
        warnings.append(text)
    profile = TargetProfile(name=p.name, kind=kind, count=p.count, missing_count=p.missing_count,
                            classes=classes, imbalance_ratio=ratio, imbalance=level,
                            recommendation=rec, recommendation_text=text, warnings=warnings)
    return profile, _EncodedTarget(kind, codes=codes, n_codes=len(uniques))


def _associate(work: _Work, target: _EncodedTarget) -> TargetAssociation | None:
    p = work.profile
    if p.inferred_type in ("identifier", "text", "datetime"):
        return None
    classification = target.kind != "regression"
    if work.values is not None:  # a numeric feature
        if classification:
            value, rows = correlation_ratio(target.codes, target.n_codes, work.values)
            method = "eta"
        else:
            value, rows = pearson(work.values, target.values)
            method = "pearson"
    elif classification:
        value, rows = cramers_v(work.codes, len(work.uniques), target.codes, target.n_codes)
        method = "cramers_v"
    else:
        value, rows = correlation_ratio(work.codes, len(work.uniques), target.values)
        method = "eta"
    return TargetAssociation(feature=p.name, method=method, value=finite_or_none(value), rows=rows)


__all__ = [
    "ClassCount",
    "ColumnFlags",
    "ColumnProfile",
    "Correlations",
    "DatasetProfile",
    "DatetimeStats",
    "Histogram",
    "InferredType",
    "Moments",
    "NumericStats",
    "ProfileConfig",
    "TargetAssociation",
    "TargetProfile",
    "ValueCount",
    "histogram_counts",
    "histogram_edges",
    "profile_dataset",
    "sorted_quantiles",
]
