"""Leakage review: columns that would let a model see the answer.

``review_leakage(df, target)`` scores every column on its own against the target and raises a flag,
with its evidence, for each of four kinds of leak (``LEAKAGE_KINDS``). Quarantining flagged columns
and clearing them with a reason is the workflow layer's job; this module only computes.

**Single-feature score** (every column, flagged or not, so the report shows the evidence):
a ``DecisionTreeClassifier`` / ``DecisionTreeRegressor`` with ``max_depth`` (default 4) and
``random_state=seed`` is cross-validated on that one column with
``sklearn.model_selection.cross_val_score``: ``StratifiedKFold(cv_folds, shuffle=True,
random_state=seed)`` for classification, ``KFold`` likewise for regression; the score is the mean
over folds of ROC AUC (binary), macro one-vs-rest ROC AUC (``roc_auc_ovr``, multiclass) or R²
(regression). Encoding of the one column:

* numbers and booleans as they are; missing values stay NaN, which scikit-learn's trees route to
  whichever side of a split scores best, so *missingness itself* is scored (a value that is missing
  exactly when the target is positive is caught); infinities are clipped to the float32 range the
  trees compute in;
* text, categories and mixed objects ordinal-encoded (category dtype in its categories' order,
  anything else in sorted order, falling back to sorting the text when values do not compare) with
  missing values as a level of their own below all others;
* datetimes and timedeltas like ordered categories: the rank of each distinct time (full
  precision; NaT its own level).

Known limit of ordinal encoding with a shallow tree: a many-level categorical whose leaking levels
are not contiguous in sorted order can score low; the ``target_copy`` check still catches any
one-to-one relabelling of the target.

The target's missing rows are dropped for the scores and the copy check. Classification classes
with a single row are left out of the scores (noted in the report); the number of folds is lowered
to the smallest class's row count when that is below ``cv_folds``. For speed the scores use at
most ``max_rows`` rows (default 50,000), drawn without replacement with ``seed`` (stratified by
class for classification); the other checks read every row.

**Task**: ``task="auto"`` reads text, categorical and boolean targets, and numeric targets with at
most ``max_classes`` (20) distinct whole-number values, as classification (binary with two
classes, else multiclass); other numeric targets as regression. Pass ``task`` to override.

Flags and their default thresholds (``LeakageConfig``):

``target_proxy``
    single-feature score >= ``proxy_auc_threshold`` 0.98 (ROC AUC) or ``proxy_r2_threshold`` 0.95
    (R²). For comparison, the strongest genuine feature of scikit-learn's breast-cancer data,
    ``worst area``, scores about 0.95 AUC with the defaults.
``target_copy``
    classification: the column (missing values a level of their own) maps one-to-one onto the
    target classes on >= ``copy_share_threshold`` 0.99 of the rows; the best one-to-one mapping is
    an assignment problem solved exactly by ``scipy.optimize.linear_sum_assignment`` (greedily,
    largest pairs first, when both sides have so many levels that the table exceeds 4 million
    cells). Equal values are the identity mapping. Regression: the numeric column equals the
    target (``numpy.isclose``, rtol 1e-9) on >= 0.99 of the rows; any other transform of a
    continuous target is left to ``target_proxy``, because every all-distinct column is a
    "relabelling" of an all-distinct target.
``row_identifier``
    all non-null values distinct (at least two of them) and one of: whole numbers (integer dtype or
    floats that are all whole) that are monotonic in row order or are consecutive (max - min + 1
    equals their count: an autoincrement key in any order); a name that reads as an identifier
    (normalised name ending in ``id``, ``ids``, ``uuid``, ``guid``, ``key``, ``pk``, ``index``,
    ``idx``, ``row_number``, ``record_number``…); text values that are all UUIDs or all of the same
    length (codes, hashes), unless they are all dates written as text (``2024-01-31``,
    ``31/01/2024``, optionally with a time). Non-integral floats, booleans and datetimes are never
    identifiers, even when all distinct.
``future_timestamp``
    given ``prediction_time`` (one timestamp) or ``prediction_time_column`` (a per-row timestamp),
    a datetime column is later than the prediction time on >= ``future_share_threshold`` 0.01 of
    the rows where both are present (and on at least one row). Checked columns are
    ``time_columns`` when given (text is parsed with ``pandas.to_datetime``), else every datetime
    column except the prediction-time column and the target. Time zones must agree: both aware or
    both naive.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from difflib import get_close_matches
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy.optimize import linear_sum_assignment
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils import resample

from mlsteward.data.pii import normalise_column_name
from mlsteward.errors import InvalidInput

LeakageKind = Literal["target_proxy", "target_copy", "row_identifier", "future_timestamp"]
Task = Literal["binary", "multiclass", "regression"]

LEAKAGE_KINDS: dict[str, str] = {
    "target_proxy": "predicts the target almost perfectly on its own (single-feature cross-validated score)",
    "target_copy": "equals the target, or a one-to-one relabelling of it, on almost every row",
    "row_identifier": "identifies rows (all values distinct: integer keys, an id name, UUIDs, fixed-length codes)",
    "future_timestamp": "holds times later than the prediction time",
}

_FLOAT32_MAX = float(np.finfo(np.float32).max)
_DENSE_ASSIGNMENT_CELLS = 4_000_000
_ID_NAME = re.compile(
    r"(?:[a-z0-9]+_)*"
    r"(?:id|ids|uuid|guid|key|pk|index|idx|row_?(?:num|number|no|nr)|record_?(?:num|number|no|nr))"
    r"(?:_?\d+)?"
)
_DATE_TEXT = re.compile(r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})(?:[ T].*)?")
_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")


class LeakageConfig(BaseModel):
    """Thresholds and settings of ``review_leakage``; the defaults are the documented ones."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    proxy_auc_threshold: float = Field(0.98, gt=0.5, le=1, description="flag target_proxy at this ROC AUC or above")
    proxy_r2_threshold: float = Field(0.95, gt=0, le=1, description="flag target_proxy at this R² or above")
    copy_share_threshold: float = Field(
        0.99, gt=0, le=1, description="flag target_copy at this share of rows or above"
    )
    future_share_threshold: float = Field(
        0.01, gt=0, le=1, description="flag future_timestamp when this share of rows or more is later"
    )
    cv_folds: int = Field(5, ge=2, description="cross-validation folds of the single-feature score")
    max_depth: int = Field(4, ge=1, description="depth of the single-feature decision tree")
    max_rows: int = Field(50_000, ge=10, description="rows sampled (seeded) for the single-feature scores")
    max_classes: int = Field(20, ge=2, description="numeric targets with at most this many whole values are classes")
    seed: int = Field(0, description="seed of the sample, the folds and the trees")


class LeakageFlag(BaseModel):
    """One suspected leak, with what was observed and the threshold it crossed."""

    column: str
    kind: LeakageKind
    evidence: str = Field(description="what was observed, in words")
    observed: float = Field(description="the observed value: score, share of rows or distinct share")
    threshold: float = Field(description="the value at or above which the flag is raised")
    details: dict[str, Any] = Field(default_factory=dict, description="further observations, by name")


class ColumnLeakage(BaseModel):
    """The evidence gathered on one column, flagged or not."""

    column: str
    dtype: str
    encoding: Literal["numeric", "ordinal", "time_rank"] = Field(description="how the column was fed to the tree")
    single_feature_score: float = Field(description="mean cross-validated score of the column on its own")
    score_std: float = Field(description="standard deviation of the score over the folds")
    distinct_share: float | None = Field(description="distinct non-null values / non-null values; None if all null")
    later_share: float | None = Field(
        None, description="share of rows later than the prediction time (time columns checked only)"
    )
    flags: list[LeakageKind] = Field(default_factory=list)


class LeakageReport(BaseModel):
    """Leakage review of a data frame against its target."""

    target: str
    task: Task
    metric: Literal["roc_auc", "roc_auc_ovr", "r2"] = Field(description="scikit-learn scoring name of the scores")
    proxy_threshold: float = Field(description="the target_proxy threshold for this task's metric")
    rows: int = Field(description="rows in the data frame")
    rows_scored: int = Field(description="rows used for the single-feature scores")
    cv_folds: int = Field(description="folds actually used")
    prediction_time: datetime | None = None
    prediction_time_column: str | None = None
    time_columns: list[str] = Field(default_factory=list, description="columns checked for future timestamps")
    config: LeakageConfig
    columns: list[ColumnLeakage]
    flags: list[LeakageFlag]
    notes: list[str] = Field(default_factory=list)

    def flagged(self) -> dict[str, list[LeakageKind]]:
        """``{column: [kind, …]}`` for the flagged columns, in column order."""
        found: dict[str, list[LeakageKind]] = {}
        for flag in self.flags:
            found.setdefault(flag.column, []).append(flag.kind)
        return found

    def column(self, name: str) -> ColumnLeakage:
        """The evidence for column ``name``."""
        for column in self.columns:
            if column.column == name:
                return column
        raise KeyError(name)


# --- helpers --------------------------------------------------------------------------------------


def _percent(share: float) -> str:
    text = f"{share:.1%}"
    if text in ("100.0%", "0.0%") and 0 < share < 1:
        text = f"{share:.2%}"
    return text


def _missing_column_error(what: str, name: object, columns: Sequence[object]) -> InvalidInput:
    names = [str(c) for c in columns]
    close = get_close_matches(str(name), names, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else "."
    return InvalidInput(
        f"{what} '{name}' is not a column of the data frame{hint} Available columns: {', '.join(names)}."
    )


def _is_time(dtype: Any) -> bool:
    return pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype)


def _whole_numbers(series: pd.Series) -> np.ndarray | None:
    """The non-null values as int64 when the column holds whole numbers only, else ``None``."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return None
    values = series.dropna()
    if pd.api.types.is_integer_dtype(series.dtype):
        return values.to_numpy(dtype=np.int64)
    if pd.api.types.is_float_dtype(series.dtype):
        numbers = values.to_numpy(dtype=float)
        if np.isfinite(numbers).all() and (numbers == np.round(numbers)).all() and (np.abs(numbers) < 2**62).all():
            return numbers.astype(np.int64)
    return None


def _ordinal_codes(series: pd.Series) -> np.ndarray:
    """Sorted-order codes, missing values as code -1 (a level below all others)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy(dtype=np.int64)
    try:
        codes, _ = pd.factorize(series, sort=True)
    except TypeError:  # values that do not compare with each other: sort their text
        text = series.map(str).where(series.notna())
        codes, _ = pd.factorize(text, sort=True)
    return np.asarray(codes, dtype=np.int64)


def encode_column(series: pd.Series) -> tuple[np.ndarray, Literal["numeric", "ordinal", "time_rank"]]:
    """The one column as a float (n, 1) array for the single-feature tree, and how it was encoded."""
    dtype = series.dtype
    if _is_time(dtype):
        return _ordinal_codes(series).astype(float).reshape(-1, 1), "time_rank"
    if pd.api.types.is_bool_dtype(dtype) or (
        pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype)
    ):
        values = series.astype("float64").to_numpy(dtype=float, na_value=np.nan)
        return np.clip(values, -_FLOAT32_MAX, _FLOAT32_MAX).reshape(-1, 1), "numeric"
    return _ordinal_codes(series).astype(float).reshape(-1, 1), "ordinal"


def _infer_task(y: pd.Series, task: str, max_classes: int, target: str) -> Task:
    numeric = pd.api.types.is_numeric_dtype(y.dtype) and not pd.api.types.is_bool_dtype(y.dtype)
    n_classes = y.nunique()
    if task == "regression":
        if not numeric:
            raise InvalidInput(f"task='regression' needs a numeric target, but '{target}' has dtype {y.dtype}; "
                               "use task='classification' or 'auto'.")
        return "regression"
    if task == "auto" and numeric and (_whole_numbers(y) is None or n_classes > max_classes):
        return "regression"
    return "binary" if n_classes == 2 else "multiclass"


def _best_one_to_one(col_codes: np.ndarray, target_codes: np.ndarray) -> tuple[int, list[tuple[int, int]]]:
    """Rows explained by the best one-to-one mapping of column levels onto target levels."""
    n_col, n_target = int(col_codes.max()) + 1, int(target_codes.max()) + 1
    pairs, counts = np.unique(col_codes * n_target + target_codes, return_counts=True)
    # Upper bound first: each level on either side contributes at most its largest pair.
    by_col = pd.Series(counts).groupby(pairs // n_target).max().sum()
    by_target = pd.Series(counts).groupby(pairs % n_target).max().sum()
    bound = int(min(by_col, by_target))
    if n_col * n_target <= _DENSE_ASSIGNMENT_CELLS:
        table = np.zeros((n_col, n_target), dtype=np.int64)
        table[pairs // n_target, pairs % n_target] = counts
        rows, cols = linear_sum_assignment(table, maximize=True)
        keep = table[rows, cols] > 0
        matched = [(int(r), int(c)) for r, c in zip(rows[keep], cols[keep], strict=True)]
        return int(table[rows, cols].sum()), sorted(matched, key=lambda rc: -table[rc])
    order = np.argsort(-counts, kind="stable")  # greedy, largest pairs first
    used_col: set[int] = set()
    used_target: set[int] = set()
    total = 0
    matched = []
    for index in order:
        c, t = int(pairs[index] // n_target), int(pairs[index] % n_target)
        if c in used_col or t in used_target:
            continue
        used_col.add(c)
        used_target.add(t)
        total += int(counts[index])
        matched.append((c, t))
    return min(total, bound), matched


# --- the checks -----------------------------------------------------------------------------------


def _copy_flag(name: str, column: pd.Series, y: pd.Series, task: Task, threshold: float) -> LeakageFlag | None:
    n = len(y)
    if task == "regression":
        if not pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
            return None
        values = column.astype("float64").to_numpy(dtype=float, na_value=np.nan)
        share = float(np.isclose(values, y.to_numpy(dtype=float), rtol=1e-9, atol=0.0).mean())
        if share < threshold:
            return None
        evidence = f"equals the target on {_percent(share)} of {n:,} rows (threshold {_percent(threshold)})"
        return LeakageFlag(column=name, kind="target_copy", observed=share, threshold=threshold, evidence=evidence,
                           details={"rows_matching": round(share * n), "rows": n, "identity": True})
    col_codes, col_levels = pd.factorize(column, use_na_sentinel=False)
    target_codes, target_levels = pd.factorize(y)
    matched_rows, pairs = _best_one_to_one(np.asarray(col_codes), np.asarray(target_codes))
    share = matched_rows / n
    if share < threshold:
        return None
    mapping = [(col_levels[c], target_levels[t]) for c, t in pairs]
    identity = all(_same(a, b) for a, b in mapping)
    shown = ", ".join(f"{_show(a)} → {_show(b)}" for a, b in mapping[:5]) + (", …" if len(mapping) > 5 else "")
    how = "equals the target" if identity else f"is a one-to-one relabelling of the target ({shown})"
    return LeakageFlag(
        column=name, kind="target_copy", observed=share, threshold=threshold,
        evidence=f"{how} on {_percent(share)} of {n:,} rows (threshold {_percent(threshold)})",
        details={"rows_matching": matched_rows, "rows": n, "identity": identity,
                 "mapping": {_show(a): _show(b) for a, b in mapping[:20]}},
    )


def _show(value: object) -> str:
    """A level as users write it: text quoted, numpy numbers as plain numbers, missing as 'missing'."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return "missing"
    return repr(value) if isinstance(value, str) else str(value)


def _same(a: object, b: object) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _identifier_flag(label: object, series: pd.Series) -> LeakageFlag | None:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or _is_time(dtype):
        return None
    values = series.dropna()
    count = len(values)
    if count < 2 or pd.api.types.is_complex_dtype(dtype):
        return None
    numeric = pd.api.types.is_numeric_dtype(dtype)
    whole = _whole_numbers(series) if numeric else None
    if numeric and whole is None:
        return None  # non-integral numbers: all distinct says nothing about identity
    if values.nunique() != count:
        return None
    reasons = []
    if whole is not None:
        if values.is_monotonic_increasing or values.is_monotonic_decreasing:
            reasons.append("whole numbers monotonic in row order")
        if int(whole.max()) - int(whole.min()) + 1 == count:
            reasons.append(f"consecutive whole numbers {int(whole.min())}…{int(whole.max())}")
    if _ID_NAME.fullmatch(normalise_column_name(label)):
        reasons.append(f"the name '{label}' reads as an identifier")
    if not numeric:
        text = values.map(str)
        if text.str.fullmatch(_UUID).all():
            reasons.append("every value is a UUID")
        elif not text.str.fullmatch(_DATE_TEXT).all():  # dates written as text are times, not keys
            lengths = text.str.len()
            if lengths.nunique() == 1:
                reasons.append(f"every value is text of the same length ({int(lengths.iloc[0])})")
    if not reasons:
        return None
    return LeakageFlag(
        column=str(label), kind="row_identifier", observed=1.0, threshold=1.0,
        evidence=f"all {count:,} non-null values are distinct, and " + "; ".join(reasons),
        details={"distinct": count, "reasons": reasons},
    )


def _as_timestamp(value: Any) -> pd.Timestamp:
    if not isinstance(value, str | datetime | date | np.datetime64 | pd.Timestamp):
        raise InvalidInput(
            f"The 'prediction_time' parameter of review_leakage must be a timestamp (datetime, pandas Timestamp or "
            f"ISO text such as '2024-06-30T00:00'). Got {value!r} instead."
        )
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"prediction_time {value!r} is not a readable timestamp; give ISO text such as "
                           f"'2024-06-30T00:00' or a datetime.") from exc
    if pd.isna(stamp):
        raise InvalidInput("prediction_time is missing (NaT); give the time at which predictions are made.")
    return stamp


def _as_datetimes(series: pd.Series, what: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series
    try:
        return pd.to_datetime(series)
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidInput(f"{what} '{series.name}' does not hold timestamps ({exc}); name datetime columns only, "
                           "or convert the column with pandas.to_datetime first.") from exc


def _future_flag(label: object, times: pd.Series, reference: pd.Timestamp | pd.Series,
                 threshold: float) -> tuple[float | None, LeakageFlag | None]:
    times_aware = getattr(times.dt, "tz", None) is not None
    reference_aware = (reference.tz if isinstance(reference, pd.Timestamp) else reference.dt.tz) is not None
    if times_aware != reference_aware:
        column_kind = "time-zone aware" if times_aware else "naive (no time zone)"
        reference_kind = "time-zone aware" if reference_aware else "naive"
        raise InvalidInput(
            f"time column '{label}' is {column_kind} but the prediction time is {reference_kind}; "
            "give both with a time zone or both without."
        )
    present = times.notna() & (reference.notna() if isinstance(reference, pd.Series) else True)
    compared = int(present.sum())
    if compared == 0:
        return None, None
    later = (times > reference) & present
    n_later = int(later.sum())
    share = n_later / compared
    if n_later == 0 or share < threshold:
        return share, None
    lead = (times - reference)[later].max()
    evidence = (f"{_percent(share)} of {compared:,} rows ({n_later:,}) are later than the prediction time, by up to "
                f"{lead} (threshold {_percent(threshold)})")
    return share, LeakageFlag(column=str(label), kind="future_timestamp", observed=share, threshold=threshold,
                              evidence=evidence,
                              details={"rows_later": n_later, "rows_compared": compared, "max_lead": str(lead)})


# --- the review -----------------------------------------------------------------------------------


def review_leakage(
    df: pd.DataFrame,
    target: str,
    *,
    prediction_time: str | datetime | date | pd.Timestamp | np.datetime64 | None = None,
    prediction_time_column: str | None = None,
    time_columns: Iterable[str] | None = None,
    task: Literal["auto", "classification", "regression"] = "auto",
    config: LeakageConfig | None = None,
) -> LeakageReport:
    """Flag the columns of ``df`` that leak ``target``: proxies, copies, row identifiers, future times.

    Every column but the target is scored on its own (``ColumnLeakage.single_feature_score``) and
    checked for each kind in ``LEAKAGE_KINDS``; see the module documentation for the rules and
    ``LeakageConfig`` for the thresholds. ``prediction_time`` (one timestamp) or
    ``prediction_time_column`` (a column of per-row prediction times) enables the
    ``future_timestamp`` check; ``time_columns`` names the columns it checks (default: every
    datetime column).
    """
    config = config or LeakageConfig()
    if not isinstance(config, LeakageConfig):
        raise InvalidInput(
            f"The 'config' parameter of review_leakage must be a LeakageConfig. Got {config!r} instead."
        )
    if not isinstance(df, pd.DataFrame):
        raise InvalidInput(f"review_leakage needs a pandas DataFrame; got {type(df).__name__}.")
    duplicated = df.columns[df.columns.duplicated()].unique().tolist()
    if duplicated:
        names = ", ".join(map(str, duplicated))
        raise InvalidInput(f"column names must be unique for a leakage review; duplicated: {names}. "
                           "Rename them first.")
    if target not in df.columns:
        raise _missing_column_error("target column", target, df.columns)
    if task not in ("auto", "classification", "regression"):
        raise InvalidInput("The 'task' parameter of review_leakage must be 'auto', 'classification' or "
                           f"'regression'. Got {task!r} instead.")
    if prediction_time is not None and prediction_time_column is not None:
        raise InvalidInput("give prediction_time (one timestamp) or prediction_time_column (one per row), not both.")
    if prediction_time_column is not None and prediction_time_column not in df.columns:
        raise _missing_column_error("prediction_time_column", prediction_time_column, df.columns)
    if prediction_time_column == target:
        raise InvalidInput(f"the prediction_time_column '{prediction_time_column}' is the target; name the column "
                           "that holds the time each prediction is made.")

    # The prediction time and the time columns, validated before any computation.
    reference: pd.Timestamp | pd.Series | None = None
    if prediction_time is not None:
        reference = _as_timestamp(prediction_time)
    elif prediction_time_column is not None:
        reference = _as_datetimes(df[prediction_time_column], "prediction_time_column")
    if time_columns is not None:
        time_list = [time_columns] if isinstance(time_columns, str) else list(time_columns)
        for name in time_list:
            if name not in df.columns:
                raise _missing_column_error("time column", name, df.columns)
        if reference is None:
            raise InvalidInput("time_columns are checked against a prediction time; give prediction_time or "
                               "prediction_time_column too.")
    elif reference is not None:
        time_list = [c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c].dtype)
                     and c not in (target, prediction_time_column)]
    else:
        time_list = []
    time_series = {name: _as_datetimes(df[name], "time column") for name in time_list}

    # The target.
    has_target = df[target].notna()
    scored = df.loc[has_target]
    y = scored[target]
    if y.nunique() < 2:
        seen = f"only the value {_show(y.iloc[0])}" if len(y) else "no values at all"
        raise InvalidInput(
            f"leakage scoring needs at least two classes (distinct values) in the target '{target}', but it has "
            f"{seen} in {len(y):,} rows with a target; check that the right column and rows were given."
        )
    resolved = _infer_task(y, task, config.max_classes, target)
    notes: list[str] = []
    if (missing := int((~has_target).sum())):
        notes.append(f"{missing:,} rows with a missing target were left out of the scores and the copy check.")

    # Rows for the single-feature scores.
    sample = scored
    if resolved != "regression":
        counts = y.value_counts()
        rare = counts[counts < 2]
        if len(rare):
            shown = ", ".join(_show(value) for value in rare.index)
            notes.append(f"classes with a single row were left out of the scores: {shown}.")
            sample = sample[~y.isin(rare.index)]
            if sample[target].nunique() < 2:
                raise InvalidInput(f"leakage scoring needs at least two classes with two rows or more in target "
                                   f"'{target}'; class counts: {counts.to_dict()}.")
    if len(sample) > config.max_rows:
        stratify = sample[target] if resolved != "regression" else None
        sample = resample(sample, replace=False, n_samples=config.max_rows, random_state=config.seed,
                          stratify=stratify)
        notes.append(f"single-feature scores use a seeded sample of {config.max_rows:,} of {len(scored):,} rows.")
    y_sample = sample[target].to_numpy()
    if resolved == "regression":
        folds = min(config.cv_folds, len(sample))
        cv: KFold | StratifiedKFold = KFold(n_splits=folds, shuffle=True, random_state=config.seed)
        estimator: Any = DecisionTreeRegressor(max_depth=config.max_depth, random_state=config.seed)
        metric, proxy_threshold = "r2", config.proxy_r2_threshold
        y_sample = y_sample.astype(float)
    else:
        folds = min(config.cv_folds, int(sample[target].value_counts().min()))
        cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=config.seed)
        estimator = DecisionTreeClassifier(max_depth=config.max_depth, random_state=config.seed)
        metric = "roc_auc" if resolved == "binary" else "roc_auc_ovr"
        proxy_threshold = config.proxy_auc_threshold
    if folds < config.cv_folds:
        why = "the smallest class has" if resolved != "regression" else "there are only"
        notes.append(f"{folds} folds were used instead of {config.cv_folds}: {why} {folds} rows.")

    columns: list[ColumnLeakage] = []
    flags: list[LeakageFlag] = []
    for label in df.columns:
        if label == target:
            continue
        name = str(label)
        X, encoding = encode_column(sample[label])
        scores = cross_val_score(estimator, X, y_sample, cv=cv, scoring=metric)
        score = float(np.mean(scores))
        column_flags: list[LeakageFlag] = []
        copy = _copy_flag(name, scored[label], y, resolved, config.copy_share_threshold)
        if copy is not None:
            column_flags.append(copy)
        if score >= proxy_threshold:
            metric_name = {"roc_auc": "ROC AUC", "roc_auc_ovr": "macro one-vs-rest ROC AUC", "r2": "R²"}[metric]
            column_flags.append(LeakageFlag(
                column=name, kind="target_proxy", observed=score, threshold=proxy_threshold,
                evidence=(f"on its own predicts the target with cross-validated {metric_name} {score:.3f} "
                          f"(± {float(np.std(scores)):.3f}, {folds}-fold, depth-{config.max_depth} tree) "
                          f">= {proxy_threshold:g}"),
                details={"fold_scores": [float(s) for s in scores], "metric": metric},
            ))
        identifier = _identifier_flag(label, df[label])
        if identifier is not None:
            column_flags.append(identifier)
        later_share = None
        if label in time_series:
            later_share, future = _future_flag(label, time_series[label], reference, config.future_share_threshold)
            if future is not None:
                column_flags.append(future)
        non_null = df[label].dropna()
        distinct = float(non_null.nunique() / len(non_null)) if len(non_null) else None
        columns.append(ColumnLeakage(
            column=name, dtype=str(df[label].dtype), encoding=encoding, single_feature_score=score,
            score_std=float(np.std(scores)), distinct_share=distinct, later_share=later_share,
            flags=[flag.kind for flag in column_flags],
        ))
        flags.extend(column_flags)

    stamp = reference.to_pydatetime() if isinstance(reference, pd.Timestamp) else None
    return LeakageReport(
        target=str(target), task=resolved, metric=metric, proxy_threshold=proxy_threshold, rows=len(df),
        rows_scored=len(sample), cv_folds=folds, prediction_time=stamp,
        prediction_time_column=None if prediction_time_column is None else str(prediction_time_column),
        time_columns=[str(c) for c in time_list], config=config, columns=columns, flags=flags, notes=notes,
    )


__all__ = [
    "LEAKAGE_KINDS",
    "ColumnLeakage",
    "LeakageConfig",
    "LeakageFlag",
    "LeakageKind",
    "LeakageReport",
    "encode_column",
    "review_leakage",
]
