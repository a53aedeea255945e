"""Drift of one prepared column: reading both samples, choosing and running a test, the result.

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

The test is the one named by the caller, else ``default_drift_test`` (``mlsteward.monitor.drift_tests``
documents each registered test, its threshold and effect-size floor). A p-value test calls drift
when ``p < threshold`` and the effect size reaches the floor; a distance test when
``statistic >= threshold``.

A reference may come as a column of a ``ReferenceProfile`` (``mlsteward.monitor.reference``) instead of
its values: the built-in tests then run on its stored statistics (sorted values, counts, PSI bins)
and give the same numbers; a registered test of one's own receives the values rebuilt from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from mlsteward.errors import InvalidInput
from mlsteward.monitor.drift_results import (
    CategoryFrequencies,
    CategoryShare,
    ColumnDrift,
    DriftHistogram,
)
from mlsteward.monitor.drift_tests import (
    DRIFT_TESTS,
    ColumnType,
    DriftTest,
    TestKind,
    _cramers_v,
    _ks_effect,
    check_threshold,
    chi2_from_counts,
    chi2_test,
    cramers_v,
    default_drift_test,
    jensen_shannon,
    jensen_shannon_from_counts,
    ks_test,
    normed_distance,
    normed_wasserstein,
    psi_bin_counts,
    psi_categorical,
    psi_from_counts,
    psi_numeric,
    wasserstein_sorted,
)
from mlsteward.spec_gates import did_you_mean

if TYPE_CHECKING:
    from mlsteward.monitor.reference import ColumnProfile

HISTOGRAM_BINS = 20
TOP_CATEGORIES = 20


# --- preparing a column ---------------------------------------------------------------------------


class _Skip(Exception):
    """A column that cannot be tested; the message says why."""


_DATETIME = ("datetime columns are not tested for drift; derive a numeric feature (such as an age in "
             "days) to watch them")


@dataclass
class _Prepared:
    column_type: ColumnType
    raw_reference: np.ndarray | None  # numeric: finite floats; categorical: integer codes over the union
    current: np.ndarray
    reference_missing_share: float
    current_missing_share: float
    categories: list[Any] | None = None
    notes: list[str] = field(default_factory=list)
    profile: ColumnProfile | None = None  # the reference as stored statistics, instead of values
    counts: tuple[np.ndarray, np.ndarray] | None = None  # categorical, from a profile: both over the union

    @property
    def reference_count(self) -> int:
        return len(self.raw_reference) if self.profile is None else self.profile.count

    @property
    def reference(self) -> np.ndarray:
        """The reference values (from a profile: sorted, or codes grouped by category)."""
        if self.raw_reference is None:
            assert self.profile is not None
            self.raw_reference = self.profile.reference_values()
        return self.raw_reference

    def category_counts(self) -> tuple[np.ndarray, np.ndarray]:
        if self.counts is None:
            k = len(self.categories or [])
            self.counts = (np.bincount(self.reference, minlength=k),
                           np.bincount(self.current, minlength=k))
        return self.counts


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
        raise _Skip(_DATETIME)
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
    return _usable(prepared, n_ref, n_cur)


def _prepare_profiled(reference: ColumnProfile, current: pd.Series) -> _Prepared:
    """``_prepare`` with the reference given as its stored statistics."""
    if reference.column_type == "datetime":
        raise _Skip(_DATETIME)
    n_cur = len(current)
    notes = list(reference.notes)
    if reference.column_type == "numeric":
        cur_values, cur_missing = _numbers(current, "current", notes)
        prepared = _Prepared("numeric", None, cur_values, reference.missing_share,
                             _share(cur_missing, n_cur), notes=notes, profile=reference)
    else:
        cur_mask = current.isna().to_numpy(dtype=bool)
        cur_codes, categories = reference.current_codes(current[~cur_mask])
        k = len(categories)
        ref_counts = np.zeros(k, dtype=np.int64)
        ref_counts[:len(reference.counts)] = reference.counts
        prepared = _Prepared("categorical", None, cur_codes, reference.missing_share,
                             _share(int(cur_mask.sum()), n_cur), categories, notes, reference,
                             (ref_counts, np.bincount(cur_codes, minlength=k)))
    return _usable(prepared, reference.rows, n_cur)


def _usable(prepared: _Prepared, n_ref: int, n_cur: int) -> _Prepared:
    for side, count, rows in (("reference", prepared.reference_count, n_ref),
                              ("current", len(prepared.current), n_cur)):
        if count == 0:
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
    n_ref, n_cur = prepared.reference_count, len(prepared.current)
    if test_name is None:
        source = "default"
        test_name = default_drift_test(prepared.column_type, n_ref, n_cur)
    test = _lookup_test(test_name, prepared.column_type, name)
    limit = test.default_threshold if threshold is None else check_threshold(test, threshold)
    fast = _PROFILED.get(test.compute) if prepared.profile is not None else None
    if fast is not None:
        statistic, p_value = fast(prepared)
    else:
        statistic, p_value = test.compute(prepared.reference, prepared.current)
    statistic = float(statistic)
    if test.kind == "p_value" and p_value is None:
        raise InvalidInput(f"Drift test '{test.name}' is a p-value test but returned no p-value.")
    effect = floor = None
    if test.effect_size is not None:
        if test.effect_size is _ks_effect:
            effect = statistic
        elif test.effect_size is _cramers_v:
            effect = cramers_v(statistic, n_ref + n_cur)
        else:
            effect = float(test.effect_size(prepared.reference, prepared.current, statistic))
        floor = test.default_effect_floor if effect_floor is None else effect_floor
    p = None if p_value is None else float(p_value)
    return ColumnDrift(
        column=name, column_type=prepared.column_type, test=test.name, test_kind=test.kind,
        test_source=source, statistic=statistic, p_value=p, effect_size=effect,
        effect_size_name=test.effect_size_name if effect is not None else None,
        effect_floor=floor, threshold=limit,
        drifted=_decide(test.kind, statistic, p, effect, limit, floor),
        reference_count=n_ref, current_count=n_cur,
        reference_missing_share=prepared.reference_missing_share,
        current_missing_share=prepared.current_missing_share,
        histogram=_histogram(prepared) if prepared.column_type == "numeric" else None,
        frequencies=_frequencies(prepared) if prepared.column_type == "categorical" else None,
        notes=prepared.notes)


# The built-in tests on a profiled reference: the same numbers from its stored statistics. Keyed by
# the test's function, so a test registered in place of a built-in one (replace=True) runs as given.
def _wasserstein_profiled(prepared: _Prepared) -> tuple[float, float | None]:
    reference = prepared.profile.values
    distance = wasserstein_sorted(reference, np.sort(prepared.current))
    if distance == 0.0:
        return 0.0, None
    return normed_distance(distance, prepared.profile.std, reference, prepared.current), None


_PROFILED: dict[Callable, Callable[[_Prepared], tuple[float, float | None]]] = {
    ks_test: lambda p: ks_test(p.profile.values, p.current),
    normed_wasserstein: _wasserstein_profiled,
    psi_numeric: lambda p: (psi_from_counts(p.profile.psi_counts,
                                            psi_bin_counts(p.current, p.profile.psi_edges)), None),
    chi2_test: lambda p: chi2_from_counts(*p.category_counts()),
    jensen_shannon: lambda p: jensen_shannon_from_counts(*p.category_counts()),
    psi_categorical: lambda p: (psi_from_counts(*p.category_counts()), None),
}


def _histogram(prepared: _Prepared) -> DriftHistogram:
    cur = prepared.current
    if prepared.profile is not None:
        ref_sorted = prepared.profile.values
        ref_low, ref_high = float(ref_sorted[0]), float(ref_sorted[-1])
    else:
        ref = prepared.reference
        ref_low, ref_high = float(ref.min()), float(ref.max())
    low, high = min(ref_low, float(cur.min())), max(ref_high, float(cur.max()))
    if low == high:
        low, high = low - 0.5, high + 0.5
    cur_counts, edges = np.histogram(cur, HISTOGRAM_BINS, range=(low, high))  # equal-width path
    if prepared.profile is not None:
        ref_counts = sorted_histogram(ref_sorted, edges)
    else:
        ref_counts, _ = np.histogram(ref, HISTOGRAM_BINS, range=(low, high))
    return DriftHistogram(edges=edges.tolist(), reference_counts=ref_counts.tolist(),
                          current_counts=cur_counts.tolist())


def sorted_histogram(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``np.histogram`` counts of sorted ``values`` lying within ``edges``: bins ``[left, right)``,
    the last closed, found by binary search instead of a pass over the values."""
    left = np.searchsorted(values, edges, side="left")
    counts = np.diff(left)
    counts[-1] += len(values) - left[-1]  # values equal to the last edge
    return counts


def _frequencies(prepared: _Prepared) -> CategoryFrequencies:
    ref_counts, cur_counts = prepared.category_counts()
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


# --- reading a data frame -------------------------------------------------------------------------


def _frame(df: Any, what: str) -> pd.DataFrame:
    if isinstance(df, pd.DataFrame):
        return df
    if hasattr(df, "to_pandas"):
        converted = df.to_pandas()
        if isinstance(converted, pd.DataFrame):
            return converted
    raise InvalidInput(f"The {what} must be a data frame (pandas, polars or Arrow). "
                       f"Got {type(df).__name__} instead.")
