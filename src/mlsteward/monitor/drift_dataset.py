"""Drift of one column and of a dataset: ``column_drift``, ``dataset_drift`` and ``drift``.

One implementation, used by the data stage's contract check and by monitoring. The statistics are
the registered tests of ``mlsteward.monitor.drift_tests`` (their definitions, thresholds, PSI
binning and the default-choice rules are documented there). ``mlsteward.monitor.drift_columns``
prepares a column and chooses and runs its test (its docstring: column types, missing and infinite
values, the histograms and frequency tables of a result); this module validates the call, runs that
over a dataset and returns the pydantic results of ``mlsteward.monitor.drift_results``, which
``report/`` renders.

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

The reference may be a ``ReferenceProfile`` (``mlsteward.monitor.reference``) instead of a frame: its
statistics computed once, so a monitor run reads only the current window, with the same results.
``progress``, a callable, is called as ``progress(done_columns, total_columns)`` once before the
first column and after each column (features, then prediction, then target; skipped ones count).
``drift`` is ``dataset_drift`` under the name the monitoring documentation uses.

The module is named ``drift_dataset`` so that no submodule shadows the function
``mlsteward.monitor.drift``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mlsteward.errors import InvalidInput
from mlsteward.monitor.drift_columns import (
    HISTOGRAM_BINS,
    TOP_CATEGORIES,
    _decide,
    _frame,
    _kind_of,
    _lookup_test,
    _prepare,
    _prepare_profiled,
    _Prepared,
    _run,
    _Skip,
)
from mlsteward.monitor.drift_results import (
    CategoryFrequencies,
    CategoryShare,
    ColumnDrift,
    DatasetDrift,
    DriftHistogram,
    SkippedColumn,
)
from mlsteward.monitor.drift_tests import (  # noqa: F401 - importable from here, as before the split
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
from mlsteward.monitor.reference import ReferenceProfile
from mlsteward.spec_gates import did_you_mean

Progress = Callable[[int, int], object]

_THRESHOLD_NEEDS_TEST = (
    "A threshold{where} needs the test it is for ({example}): the default test depends on the "
    "sample size, and a p-value level and a distance are not interchangeable.")


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
                  target: str | None = None, progress: Progress | None = None) -> DatasetDrift:
    """Drift of a dataset, column by column (rules in the module docstring).

    ``reference_df``: a data frame, or a ``ReferenceProfile`` of one (``reference_profile``).
    ``columns``: feature columns to test (default: every reference column except ``prediction``
    and ``target``). ``tests`` / ``thresholds``: per column, a registered test name / its
    threshold (a threshold only for a column whose test is named). ``effect_floor``: the floor
    of every p-value test (default: each test's own).
    ``correction``: None, ``"bonferroni"`` or ``"benjamini_hochberg"``. ``prediction`` /
    ``target``: names of the prediction and label columns, tested apart (default for a profile: the
    ones it was computed with); a target missing from the current data means the labels have not
    arrived and is reported as skipped. ``progress``: called as ``progress(done, total)`` columns.
    """
    profile = reference_df if isinstance(reference_df, ReferenceProfile) else None
    if profile is not None:
        ref_df = None
        ref_columns: list[Any] = list(profile.columns)
        where = "reference profile"
        prediction = profile.prediction if prediction is None else prediction
        target = profile.target if target is None else target
    else:
        ref_df = _frame(reference_df, "reference_df")
        ref_columns, where = list(ref_df.columns), "reference data"
    if isinstance(current_df, ReferenceProfile):
        raise InvalidInput("The current data must be a data frame: a reference profile stands for the "
                           "reference only. Pass the current window's rows.")
    cur_df = _frame(current_df, "current_df")
    if progress is not None and not callable(progress):
        raise InvalidInput(f"progress must be a callable taking (done_columns, total_columns), such as "
                           f"a progress bar's update. Got {type(progress).__name__} instead.")
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
        if col is not None and col not in ref_columns:
            raise InvalidInput(f"The {role} column {col!r} is not in the {where}"
                               f"{did_you_mean(col, map(str, ref_columns))}{_reprofile(profile)}.")
    if columns is None:
        features = [c for c in ref_columns if c not in special]
    else:
        if isinstance(columns, str):
            raise InvalidInput(f"columns must be a list of column names. Got the string "
                               f"{columns!r}; write [{columns!r}].")
        features = list(dict.fromkeys(columns))
        unknown = [c for c in features if c not in ref_columns]
        if unknown:
            raise InvalidInput(f"Column {unknown[0]!r} is not in the {where}"
                               f"{did_you_mean(unknown[0], map(str, ref_columns))}"
                               f"{_reprofile(profile)}.")
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
        kind = profile.columns[col].column_type if profile is not None else _kind_of(ref_df[col])
        test = _lookup_test(name, kind if kind != "datetime" else None, str(col))
        if col in thresholds:
            thresholds[col] = check_threshold(test, thresholds[col])

    skipped: list[SkippedColumn] = []
    total, done = len(chosen), 0

    def prepare(col: Any) -> _Prepared:
        if profile is not None:
            return _prepare_profiled(profile.columns[col], cur_df[col])
        return _prepare(ref_df[col], cur_df[col])

    def one(col: str, missing_reason: str) -> ColumnDrift | None:
        nonlocal done
        result = None
        if col not in cur_df.columns:
            skipped.append(SkippedColumn(column=str(col), reason=missing_reason))
        else:
            try:
                prepared = prepare(col)
            except _Skip as exc:
                skipped.append(SkippedColumn(column=str(col), reason=str(exc)))
            else:
                result = _run(prepared, str(col), tests.get(col), thresholds.get(col), floor)
        done += 1
        if progress is not None:
            progress(done, total)
        return result

    if progress is not None:
        progress(0, total)
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
        reference_rows=profile.rows if profile is not None else len(ref_df),
        current_rows=len(cur_df), columns=results, skipped=skipped,
        tested_count=tested, drifted_count=drifted, drifted_share=drifted_share,
        drift_share=share, drifted=drifted_share is not None and drifted_share >= share,
        correction=correction, prediction=prediction_result, target=target_result)


def drift(reference: Any, current: Any, *, columns: Sequence[str] | None = None,
          tests: Mapping[str, str] | None = None, thresholds: Mapping[str, float] | None = None,
          effect_floor: float | None = None, correction: Correction | None = None,
          drift_share: float = 0.5, prediction: str | None = None, target: str | None = None,
          progress: Progress | None = None) -> DatasetDrift:
    """The dataset drift check: ``dataset_drift`` under its short name, the same arguments and result.

    ``reference``: a data frame or a ``ReferenceProfile``; ``current``: a data frame.
    """
    return dataset_drift(reference, current, columns=columns, tests=tests, thresholds=thresholds,
                         effect_floor=effect_floor, correction=correction, drift_share=drift_share,
                         prediction=prediction, target=target, progress=progress)


def _reprofile(profile: ReferenceProfile | None) -> str:
    if profile is None:
        return ""
    return ("; the profile holds only the columns it was computed with: compute it with them, "
            "reference_profile(reference_df, columns=[...])")


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


def _label(name: str | None) -> str:
    return f"column '{name}'" if name is not None else "the column"


__all__ = [
    "CORRECTIONS",
    "HISTOGRAM_BINS",
    "TOP_CATEGORIES",
    "CategoryFrequencies",
    "CategoryShare",
    "ColumnDrift",
    "DatasetDrift",
    "DriftHistogram",
    "SkippedColumn",
    "benjamini_hochberg",
    "bonferroni",
    "column_drift",
    "dataset_drift",
    "drift",
]
