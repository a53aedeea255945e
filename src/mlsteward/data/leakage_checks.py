"""The row-identifier and future-timestamp checks of a leakage review, and the helpers they share.

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
from collections.abc import Sequence
from datetime import date, datetime
from difflib import get_close_matches
from typing import Any

import numpy as np
import pandas as pd

from mlsteward.data.leakage_encoding import _is_time, _whole_numbers
from mlsteward.data.leakage_models import LeakageFlag
from mlsteward.data.pii_detectors import normalise_column_name
from mlsteward.errors import InvalidInput

_ID_NAME = re.compile(
    r"(?:[a-z0-9]+_)*"
    r"(?:id|ids|uuid|guid|key|pk|index|idx|row_?(?:num|number|no|nr)|record_?(?:num|number|no|nr))"
    r"(?:_?\d+)?"
)
_DATE_TEXT = re.compile(r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})(?:[ T].*)?")
_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")


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


def _show(value: object) -> str:
    """A level as users write it: text quoted, numpy numbers as plain numbers, missing as 'missing'."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return "missing"
    return repr(value) if isinstance(value, str) else str(value)


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
