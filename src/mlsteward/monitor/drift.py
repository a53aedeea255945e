"""Drift of one column and of a dataset: ``column_drift`` and ``dataset_drift``.

One implementation, used by the data stage's contract check and by monitoring. The statistics are
the registered tests of ``mlsteward.monitor.drift_tests`` (their definitions, thresholds, PSI
binning and the default-choice rules are documented there); this module prepares the columns,
chooses and runs a test per column, and returns pydantic results that ``report/`` renders.

Column types come from the reference's dtype: integer, float and timedelta (in seconds) columns are
``numeric``; bool, category, string and object columns are ``categorical``; datetime and period
columns are skipped with a note (derive a numeric feature, such as an age in days, to watch them).
A current column whose values cannot be read as numbers where the reference is numeric has them
counted as missing, with a note.

Missing values (None, NaN, NaT, pandas NA) are left out of the test; their share of each sample's
rows is reported. Infinite values of numeric columns are left out too, with a note.

For rendering, a numeric result holds both histograms over ``HISTOGRAM_BINS`` (20) common
equal-width bins from the smaller minimum to the larger maximum of the two samples (``np.histogram``
edges and counts; a constant pair gets the bin ``[v - 0.5, v + 0.5]``); a categorical result holds
both frequency tables for the ``TOP_CATEGORIES`` (20) categories with the largest summed share
(reference share + current share, so a category new in the current data ranks as high as an old
one), the rest summed as ``other``.

Dataset: each feature column is tested; the dataset has drifted when the share of drifted columns
among those tested is at least ``drift_share`` (default 0.5). An optional multiple-testing
correction adjusts the p-values of the p-value tests of the feature columns (the family is those
tests; distance tests are not hypothesis tests and are unchanged) before each column's decision,
which compares the adjusted p-value with the column's threshold: ``bonferroni`` multiplies each
p-value by the number of tests (capped at 1), ``benjamini_hochberg`` uses the step-up adjusted
p-values ``min_{j >= i} (m / j) p_(j)`` (capped at 1; the same numbers as
``scipy.stats.false_discovery_control(p, method="bh")``). The effect-size floor still applies.
Prediction and target columns are tested apart (prediction drift, target drift once labels have
arrived) and do not count towards the dataset's share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from mlsteward.errors import InvalidInput
from mlsteward.monitor.drift_tests import (
    CORRECTIONS,
    DRIFT_TESTS,
    ColumnType,
    Correction,
    DriftTest,
    TestKind,
    benjamini_hochberg,
    bonferroni,
    check_effect_floor,
    check_threshold,
    default_drift_test,
    finite_number,
)
from mlsteward.spec_gates import did_you_mean

HISTOGRAM_BINS = 20
TOP_CATEGORIES = 20
_THRESHOLD_NEEDS_TEST = (
    "A threshold{where} needs the test it is for ({example}): the default test depends on the "
    "sample size, and a p-value level and a distance are not interchangeable.")


# --- results --------------------------------------------------------------------------------------


class DriftHistogram(BaseModel):
    """Both samples of a numeric column counted over the same bins."""

    edges: list[float] = Field(
        description="bins + 1 edges; each bin is [left, right), the last closed")
    reference_counts: list[int]
    current_counts: list[int]


class CategoryShare(BaseModel):
    value: str = Field(description="the category, as text; 'other' for the rest")
    reference_count: int
    current_count: int
    reference_share: float = Field(description="of the reference's non-missing values")
    current_share: float = Field(description="of the current's non-missing values")


class CategoryFrequencies(BaseModel):
    """Both frequency tables of a categorical column: the top categories and the rest."""

    categories: list[CategoryShare] = Field(description="largest summed share first")
    other: CategoryShare | None = Field(None, description="all further categories together")
    other_category_count: int = Field(0, description="how many categories 'other' holds")


class ColumnDrift(BaseModel):
    """Drift of one column between a reference and a current sample."""

    column: str | None = None
    column_type: ColumnType
    test: str
    test_kind: TestKind
    test_source: Literal["default", "configured"] = Field(
        description="chosen by the default rules or named by the caller / steward.yaml")
    statistic: float
    p_value: float | None = Field(None, description="p-value tests only")
    adjusted_p_value: float | None = Field(
        None, description="after the dataset's multiple-testing correction; None without one")
    effect_size: float | None = Field(None, description="p-value tests: KS D, Cramér's V, ...")
    effect_size_name: str | None = None
    effect_floor: float | None = Field(None, description="the effect size drift needs; 0 = none")
    threshold: float = Field(description="p-value tests: drift when p < threshold; "
                             "distance tests: drift when statistic >= threshold")
    drifted: bool
    reference_count: int = Field(description="values tested (non-missing, finite)")
    current_count: int
    reference_missing_share: float = Field(description="missing values / rows")
    current_missing_share: float
    histogram: DriftHistogram | None = None
    frequencies: CategoryFrequencies | None = None
    notes: list[str] = Field(default_factory=list)


class SkippedColumn(BaseModel):
    column: str
    reason: str


class DatasetDrift(BaseModel):
    """Drift of a dataset: every feature column, the share that drifted, and the verdict."""

    reference_rows: int
    current_rows: int
    columns: list[ColumnDrift] = Field(description="the feature columns tested, in order")
    skipped: list[SkippedColumn] = Field(default_factory=list,
                                         description="columns not tested, with the reason")
    tested_count: int
    drifted_count: int
    drifted_share: float | None = Field(description="drifted / tested; None when none was tested")
    drift_share: float = Field(description="the dataset drifts when drifted_share >= this")
    drifted: bool
    correction: Correction | None = None
    prediction: ColumnDrift | None = Field(None, description="drift of the model's predictions")
    target: ColumnDrift | None = Field(None, description="drift of the labels, once they arrive")

    def column(self, name: str) -> ColumnDrift:
        """The result of feature column ``name``."""
        for result in self.columns:
            if result.column == name:
                return result
        raise KeyError(name)

    def drifted_columns(self) -> list[str]:
        return [result.column for result in self.columns if result.drifted and result.column]


# --- preparing a column ---------------------------------------------------------------------------


class _Skip(Exception):
    """A column that cannot be tested; the message says why."""


@dataclass
class _Prepared:
    column_type: ColumnType
    reference: np.ndarray  # numeric: finite floats; categorical: integer codes over the union
    current: np.ndarray
    reference_missing_share: float
    current_missing_share: float
    categories: list[Any] | None = None
    notes: list[str] = field(default_factory=list)


def _kind_of(series: pd.Series) -> Literal["numeric", "categorical", "datetime"]:
    dtype = series.dtype
    kind = getattr(dtype, "kind", "O")
    if pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if kind == "M" or isinstance(dtype, pd.PeriodDtype) or pd.api.types.is_datetime64_any_dtype(
            dtype):
        return "datetime"
    if kind == "m" or (pd.api.types.is_numeric_dtype(dtype) and kind in "iufb"):
        return "numeric"
    return "categorical"


def _numbers(series: pd.Series, side: str, notes: list[str]) -> tuple[np.ndarray, int]:
    """Finite values of ``series`` as float64, and how many rows were missing."""
    kind = getattr(series.dtype, "kind", "O")
    if kind == "m":
        series = series.dt.total_seconds()
    elif _kind_of(series) != "numeric":  # the reference is numeric, this side is not
        missing_before = int(series.isna().sum())
        series = pd.to_numeric(series.astype(object), errors="coerce")
        unreadable = int(series.isna().sum()) - missing_before
        if unreadable:
            notes.append(f"{side}: {_count(unreadable, 'value')} not readable as a number, "
                         "treated as missing")
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    finite = np.isfinite(values)
    if finite.all():
        return values, 0
    missing = int(np.isnan(values).sum())
    infinite = len(values) - missing - int(finite.sum())
    if infinite:
        notes.append(f"{side}: {_count(infinite, 'infinite value')} left out of the test")
    return values[finite], missing


def _categories(reference: pd.Series, current: pd.Series) -> tuple[np.ndarray, np.ndarray, list]:
    """Integer codes of both samples over the union of their categories, and the categories."""
    ref_codes, ref_uniques = pd.factorize(reference)
    cur_codes, cur_uniques = pd.factorize(current)
    ref_index = pd.Index(np.asarray(ref_uniques, dtype=object), dtype=object)
    cur_objects = np.asarray(cur_uniques, dtype=object)
    mapping = ref_index.get_indexer(cur_objects)
    new = mapping < 0
    mapping[new] = len(ref_index) + np.arange(int(new.sum()))
    categories = list(ref_index) + list(cur_objects[new])
    return ref_codes, mapping[cur_codes], categories


def _prepare(reference: pd.Series, current: pd.Series) -> _Prepared:
    kind = _kind_of(reference)
    if kind == "datetime":
        raise _Skip("datetime columns are not tested for drift; derive a numeric feature "
                    "(such as an age in days) to watch them")
    n_ref, n_cur = len(reference), len(current)
    notes: list[str] = []
    if kind == "numeric":
        ref_values, ref_missing = _numbers(reference, "reference", notes)
        cur_values, cur_missing = _numbers(current, "current", notes)
        prepared = _Prepared("numeric", ref_values, cur_values, _share(ref_missing, n_ref),
                             _share(cur_missing, n_cur), notes=notes)
    else:
        ref_mask = reference.isna().to_numpy(dtype=bool)
        cur_mask = current.isna().to_numpy(dtype=bool)
        ref_codes, cur_codes, categories = _categories(reference[~ref_mask], current[~cur_mask])
        prepared = _Prepared("categorical", ref_codes, cur_codes,
                             _share(int(ref_mask.sum()), n_ref), _share(int(cur_mask.sum()), n_cur),
                             categories, notes)
    for side, values, rows in (("reference", prepared.reference, n_ref),
                               ("current", prepared.current, n_cur)):
        if len(values) == 0:
            raise _Skip(f"no {side} values to test ({rows} rows, none usable)")
    return prepared


def _share(count: int, rows: int) -> float:
    return count / rows if rows else 0.0


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# --- choosing and running a test ------------------------------------------------------------------


def _lookup_test(name: object, column_type: ColumnType | None, column: str | None) -> DriftTest:
    if not isinstance(name, str) or name not in DRIFT_TESTS:
        known = ", ".join(sorted(DRIFT_TESTS))
        raise InvalidInput(f"Unknown drift test {name!r}{did_you_mean(name, DRIFT_TESTS)}. "
                           f"Registered tests: {known}.")
    test = DRIFT_TESTS[name]
    if column_type is not None and test.applies_to != column_type:
        fitting = ", ".join(sorted(t.name for t in DRIFT_TESTS.values()
                                   if t.applies_to == column_type))
        where = f"Column '{column}'" if column is not None else "The column"
        raise InvalidInput(f"{where} is {column_type}, but drift test '{name}' applies to "
                           f"{test.applies_to} columns. Use one of: {fitting}.")
    return test


def _decide(kind: TestKind, statistic: float, p_value: float | None, effect: float | None,
            threshold: float, floor: float | None) -> bool:
    if kind == "distance":
        return bool(statistic >= threshold)
    if p_value is None or not p_value < threshold:
        return False
    return effect is None or floor is None or bool(effect >= floor)


def _run(prepared: _Prepared, name: str | None, test_name: str | None, threshold: float | None,
         effect_floor: float | None) -> ColumnDrift:
    source: Literal["default", "configured"] = "configured"
    if test_name is None:
        source = "default"
        test_name = default_drift_test(prepared.column_type, len(prepared.reference),
                                       len(prepared.current))
    test = _lookup_test(test_name, prepared.column_type, name)
    limit = test.default_threshold if threshold is None else check_threshold(test, threshold)
    statistic, p_value = test.compute(prepared.reference, prepared.current)
    statistic = float(statistic)
    if test.kind == "p_value" and p_value is None:
        raise InvalidInput(f"Drift test '{test.name}' is a p-value test but returned no p-value.")
    effect = floor = None
    if test.effect_size is not None:
        effect = float(test.effect_size(prepared.reference, prepared.current, statistic))
        floor = test.default_effect_floor if effect_floor is None else effect_floor
    p = None if p_value is None else float(p_value)
    return ColumnDrift(
        column=name, column_type=prepared.column_type, test=test.name, test_kind=test.kind,
        test_source=source, statistic=statistic, p_value=p, effect_size=effect,
        effect_size_name=test.effect_size_name if effect is not None else None,
        effect_floor=floor, threshold=limit,
        drifted=_decide(test.kind, statistic, p, effect, limit, floor),
        reference_count=len(prepared.reference), current_count=len(prepared.current),
        reference_missing_share=prepared.reference_missing_share,
        current_missing_share=prepared.current_missing_share,
        histogram=_histogram(prepared) if prepared.column_type == "numeric" else None,
        frequencies=_frequencies(prepared) if prepared.column_type == "categorical" else None,
        notes=prepared.notes)


def _histogram(prepared: _Prepared) -> DriftHistogram:
    ref, cur = prepared.reference, prepared.current
    low = min(float(ref.min()), float(cur.min()))
    high = max(float(ref.max()), float(cur.max()))
    if low == high:
        low, high = low - 0.5, high + 0.5
    ref_counts, edges = np.histogram(ref, HISTOGRAM_BINS, range=(low, high))  # equal-width path
    cur_counts, _ = np.histogram(cur, HISTOGRAM_BINS, range=(low, high))
    return DriftHistogram(edges=edges.tolist(), reference_counts=ref_counts.tolist(),
                          current_counts=cur_counts.tolist())


def _frequencies(prepared: _Prepared) -> CategoryFrequencies:
    k = len(prepared.categories or [])
    ref_counts = np.bincount(prepared.reference, minlength=k)
    cur_counts = np.bincount(prepared.current, minlength=k)
    ref_shares = ref_counts / ref_counts.sum()
    cur_shares = cur_counts / cur_counts.sum()
    order = np.argsort(-(ref_shares + cur_shares), kind="stable")
    top, rest = order[:TOP_CATEGORIES], order[TOP_CATEGORIES:]

    def row(value: str, index: np.ndarray) -> CategoryShare:
        return CategoryShare(value=value, reference_count=int(ref_counts[index].sum()),
                             current_count=int(cur_counts[index].sum()),
                             reference_share=float(ref_shares[index].sum()),
                             current_share=float(cur_shares[index].sum()))

    categories = prepared.categories or []
    return CategoryFrequencies(
        categories=[row(str(categories[i]), np.array([i])) for i in top],
        other=row("other", rest) if len(rest) else None, other_category_count=len(rest))


# --- public functions -----------------------------------------------------------------------------


def column_drift(reference: Any, current: Any, *, test: str | None = None,
                 threshold: float | None = None, effect_floor: float | None = None,
                 name: str | None = None) -> ColumnDrift:
    """Drift of one column: ``reference`` and ``current`` are 1-d arrays, lists or Series.

    ``test`` names a registered test (default: chosen by column type and sample size);
    ``threshold`` overrides its default threshold (only together with ``test``);
    ``effect_floor`` overrides the effect-size floor of a p-value test (0 disables it);
    ``name`` is the column's name in the result. Raises ``InvalidInput`` when the column cannot
    be tested (datetime, or no usable values on a side).
    """
    floor = None if effect_floor is None else check_effect_floor(effect_floor)
    if threshold is not None:
        if test is None:
            raise InvalidInput(_THRESHOLD_NEEDS_TEST.format(where="", example="test='wasserstein', "
                                                            "threshold=0.2"))
        threshold = check_threshold(_lookup_test(test, None, name), threshold)
    elif test is not None:
        _lookup_test(test, None, name)
    ref, cur = _series(reference, "reference"), _series(current, "current")
    try:
        prepared = _prepare(ref, cur)
    except _Skip as exc:
        raise InvalidInput(f"Cannot test {_label(name)} for drift: {exc}.") from None
    return _run(prepared, name, test, threshold, floor)


def dataset_drift(reference_df: Any, current_df: Any, *, columns: Sequence[str] | None = None,
                  tests: Mapping[str, str] | None = None,
                  thresholds: Mapping[str, float] | None = None,
                  effect_floor: float | None = None, correction: Correction | None = None,
                  drift_share: float = 0.5, prediction: str | None = None,
                  target: str | None = None) -> DatasetDrift:
    """Drift of a dataset, column by column (rules in the module docstring).

    ``columns``: feature columns to test (default: every reference column except ``prediction``
    and ``target``). ``tests`` / ``thresholds``: per column, a registered test name / its
    threshold (a threshold only for a column whose test is named). ``effect_floor``: the floor
    of every p-value test (default: each test's own).
    ``correction``: None, ``"bonferroni"`` or ``"benjamini_hochberg"``. ``prediction`` /
    ``target``: names of the prediction and label columns, tested apart; a target missing from
    the current data means the labels have not arrived and is reported as skipped.
    """
    ref_df, cur_df = _frame(reference_df, "reference_df"), _frame(current_df, "current_df")
    floor = None if effect_floor is None else check_effect_floor(effect_floor)
    if correction is not None and correction not in CORRECTIONS:
        raise InvalidInput(f"The correction must be None, 'bonferroni' or 'benjamini_hochberg'. "
                           f"Got {correction!r}{did_you_mean(correction, CORRECTIONS)}.")
    share = finite_number(drift_share, "drift_share")
    if not 0.0 < share <= 1.0:
        raise InvalidInput(f"The drift_share must be above 0 and at most 1 (e.g. 0.5). "
                           f"Got {drift_share!r} instead.")
    special = [c for c in (prediction, target) if c is not None]
    for role, col in (("prediction", prediction), ("target", target)):
        if col is not None and col not in ref_df.columns:
            raise InvalidInput(f"The {role} column {col!r} is not in the reference data"
                               f"{did_you_mean(col, map(str, ref_df.columns))}.")
    if columns is None:
        features = [c for c in ref_df.columns if c not in special]
    else:
        if isinstance(columns, str):
            raise InvalidInput(f"columns must be a list of column names. Got the string "
                               f"{columns!r}; write [{columns!r}].")
        features = list(dict.fromkeys(columns))
        unknown = [c for c in features if c not in ref_df.columns]
        if unknown:
            raise InvalidInput(f"Column {unknown[0]!r} is not in the reference data"
                               f"{did_you_mean(unknown[0], map(str, ref_df.columns))}.")
    chosen = list(features) + special
    tests, thresholds = dict(tests or {}), dict(thresholds or {})
    for what, mapping in (("tests", tests), ("thresholds", thresholds)):
        for col in mapping:
            if col not in chosen:
                raise InvalidInput(f"{what} names column {col!r}, which is not among the columns "
                                   f"tested{did_you_mean(col, map(str, chosen))}.")
    for col in thresholds:
        if col not in tests:
            raise InvalidInput(_THRESHOLD_NEEDS_TEST.format(
                where=f" of column {col!r}", example=f"tests={{{col!r}: 'wasserstein'}}"))
    for col, name in tests.items():
        kind = _kind_of(ref_df[col])
        test = _lookup_test(name, kind if kind != "datetime" else None, str(col))
        if col in thresholds:
            thresholds[col] = check_threshold(test, thresholds[col])

    skipped: list[SkippedColumn] = []

    def one(col: str, missing_reason: str) -> ColumnDrift | None:
        if col not in cur_df.columns:
            skipped.append(SkippedColumn(column=str(col), reason=missing_reason))
            return None
        try:
            prepared = _prepare(ref_df[col], cur_df[col])
        except _Skip as exc:
            skipped.append(SkippedColumn(column=str(col), reason=str(exc)))
            return None
        return _run(prepared, str(col), tests.get(col), thresholds.get(col), floor)

    results = [r for c in features if (r := one(c, "missing from the current data")) is not None]
    if correction is not None:
        results = _corrected(results, correction)
    prediction_result = (None if prediction is None
                         else one(prediction, "missing from the current data"))
    target_result = (None if target is None else
                     one(target, "labels have not arrived (no such column in the current data)"))
    tested = len(results)
    drifted = sum(r.drifted for r in results)
    drifted_share = drifted / tested if tested else None
    return DatasetDrift(
        reference_rows=len(ref_df), current_rows=len(cur_df), columns=results, skipped=skipped,
        tested_count=tested, drifted_count=drifted, drifted_share=drifted_share,
        drift_share=share, drifted=drifted_share is not None and drifted_share >= share,
        correction=correction, prediction=prediction_result, target=target_result)


def _corrected(results: list[ColumnDrift], correction: Correction) -> list[ColumnDrift]:
    family = [i for i, r in enumerate(results) if r.p_value is not None]
    if not family:
        return results
    p = np.array([results[i].p_value for i in family])
    adjusted = bonferroni(p) if correction == "bonferroni" else benjamini_hochberg(p)
    out = list(results)
    for i, p_adj in zip(family, adjusted, strict=True):
        r = results[i]
        decision = _decide(r.test_kind, r.statistic, float(p_adj), r.effect_size, r.threshold,
                           r.effect_floor)
        out[i] = r.model_copy(update={"adjusted_p_value": float(p_adj), "drifted": decision})
    return out


def _series(values: Any, what: str) -> pd.Series:
    if isinstance(values, pd.Series):
        return values.reset_index(drop=True)
    if hasattr(values, "to_pandas") and not isinstance(values, np.ndarray):
        values = values.to_pandas()
        if isinstance(values, pd.Series):
            return values.reset_index(drop=True)
    array = np.asarray(values) if not isinstance(values, (list, tuple)) else values
    if np.ndim(array) != 1:
        raise InvalidInput(f"The {what} values must be one-dimensional (one column). "
                           f"Got shape {np.shape(array)} instead.")
    return pd.Series(array)


def _frame(df: Any, what: str) -> pd.DataFrame:
    if isinstance(df, pd.DataFrame):
        return df
    if hasattr(df, "to_pandas"):
        converted = df.to_pandas()
        if isinstance(converted, pd.DataFrame):
            return converted
    raise InvalidInput(f"The {what} must be a data frame (pandas, polars or Arrow). "
                       f"Got {type(df).__name__} instead.")


def _label(name: str | None) -> str:
    return f"column '{name}'" if name is not None else "the column"
