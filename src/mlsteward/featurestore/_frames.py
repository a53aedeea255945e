"""Checks and normalisation shared by the offline join and materialisation.

Columns present, entity keys without gaps and joinable across frames (canonical like
``entity_key``, vectorised), event times parsed and brought to one time zone and unit.
Every refusal is an ``InvalidInput`` naming the frame ("labels", "view 'x'") and the column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from mlsteward.errors import InvalidInput
from mlsteward.featurestore.views import entity_key

_SHOW_ROWS = 5
_UNITS = ("s", "ms", "us", "ns")  # coarse to fine
_INT64_LIMIT = float(2**63)


def where_view(name: str) -> str:
    return f"view {name!r}"


def require_columns(frame: pd.DataFrame, roles: Mapping[str, str], where: str) -> None:
    """Refuse a frame lacking any of ``roles`` (column -> its role, e.g. "entity column")."""
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInput(f"{where} must be a pandas DataFrame; got {type(frame).__name__}.")
    missing = [(column, role) for column, role in roles.items() if column not in frame.columns]
    if missing:
        named = ", ".join(f"{column!r} ({role})" for column, role in missing)
        shown = list(map(str, frame.columns[:20])) + (["…"] if len(frame.columns) > 20 else [])
        raise InvalidInput(
            f"{where} has no column {named}; its columns are {shown}. Rename the column or fix the view."
        )


def _rows_where(mask: np.ndarray) -> str:
    rows = np.flatnonzero(mask)
    shown = ", ".join(str(int(r)) for r in rows[:_SHOW_ROWS])
    more = f" and {len(rows) - _SHOW_ROWS} more" if len(rows) > _SHOW_ROWS else ""
    return f"{len(rows)} row(s) (row positions {shown}{more})"


def check_no_missing(series: pd.Series, where: str, what: str, fix: str) -> None:
    mask = series.isna().to_numpy()
    if mask.any():
        raise InvalidInput(f"{where} has {_rows_where(mask)} without {what} in column {series.name!r}; {fix}")


# --- entity keys ---------------------------------------------------------------------------------


def int_keys(series: pd.Series) -> np.ndarray | None:
    """The keys as int64 when every key is an integral number within int64, else None."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return None
    if pd.api.types.is_integer_dtype(dtype):
        values = series.to_numpy()
        if values.dtype == np.uint64 and len(values) and values.max() >= 2**63:
            return None
        return values.astype(np.int64, copy=False)
    if pd.api.types.is_float_dtype(dtype):
        values = series.to_numpy(dtype=np.float64)
        if not (np.isfinite(values).all() and (np.floor(values) == values).all()):
            return None
        if len(values) and np.abs(values).max() >= _INT64_LIMIT:
            return None
        return values.astype(np.int64)
    return None


def canonical_text(series: pd.Series, where: str) -> np.ndarray:
    """Every key as ``entity_key`` writes it (an object array of str), vectorised where it can be."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        raise InvalidInput(
            f"{where}: entity column {series.name!r} holds booleans; an entity key must be text or a number."
        )
    as_int = int_keys(series)
    if as_int is not None:
        return as_int.astype(str).astype(object)
    if pd.api.types.is_float_dtype(dtype):
        values = series.to_numpy(dtype=np.float64)
        if not np.isfinite(values).all():
            raise InvalidInput(f"{where}: entity column {series.name!r} holds infinite numbers; fix those keys.")
        small = (np.floor(values) == values) & (np.abs(values) < _INT64_LIMIT)
        out = np.empty(len(values), dtype=object)
        out[small] = values[small].astype(np.int64).astype(str)
        out[~small] = [entity_key(v) for v in values[~small].tolist()]  # fractions, huge integral values
        return out
    if pd.api.types.is_string_dtype(dtype) and pd.api.types.infer_dtype(series, skipna=False) == "string":
        return series.to_numpy(dtype=object)
    try:
        return np.array([entity_key(v) for v in series.tolist()], dtype=object)
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: entity column {series.name!r}: {exc.message}") from exc


def key_codes(series: pd.Series, where: str) -> np.ndarray:
    """Integer codes for one key column, equal exactly where the canonical keys are equal."""
    as_int = int_keys(series)
    if as_int is not None:
        return as_int
    codes, _ = pd.factorize(canonical_text(series, where))
    return codes.astype(np.int64, copy=False)


def join_codes(left: pd.Series, left_where: str, right: pd.Series, right_where: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes for two key columns, equal exactly where the canonical keys are equal.

    Integral numbers on both sides join as int64 (5620 == 5620.0); otherwise both sides go to
    their canonical text and are coded together.
    """
    left_int, right_int = int_keys(left), int_keys(right)
    if left_int is not None and right_int is not None:
        return left_int, right_int
    text = np.concatenate([canonical_text(left, left_where), canonical_text(right, right_where)])
    codes, _ = pd.factorize(text)
    codes = codes.astype(np.int64, copy=False)
    return codes[: len(left)], codes[len(left) :]


# --- event times ---------------------------------------------------------------------------------


def _offsets_found(series: pd.Series) -> tuple[set[str], Any]:
    """The distinct UTC offsets of the values ("naive" for none), or the first unreadable value."""
    offsets: set[str] = set()
    for value in series.dropna().tolist():
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError):
            return offsets, value
        offset = stamp.utcoffset()
        offsets.add("naive" if offset is None else str(offset))
    return offsets, None


def parse_times(series: pd.Series, where: str) -> pd.Series:
    """The column as datetime64 (text parsed), refusing numbers, unreadable values and mixed zones."""
    dtype = series.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return series
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        raise InvalidInput(
            f"{where}: timestamp column {series.name!r} holds {dtype} values, not timestamps; convert it "
            "with pandas.to_datetime (e.g. unit='s' for epoch seconds)."
        )
    try:
        return pd.to_datetime(series, format="ISO8601")
    except (ValueError, TypeError):
        pass
    try:
        return pd.to_datetime(series, format="mixed")
    except (ValueError, TypeError) as exc:
        offsets, unreadable = _offsets_found(series)
        if unreadable is not None:
            raise InvalidInput(
                f"{where}: timestamp column {series.name!r} holds a value that is not a timestamp: "
                f"{unreadable!r}. Fix or drop it."
            ) from exc
        if len(offsets) > 1:
            shown = ", ".join(sorted(offsets))
            raise InvalidInput(
                f"{where}: timestamp column {series.name!r} mixes time zones (UTC offsets {shown}); convert it "
                "to one zone first, e.g. pandas.to_datetime(column, utc=True)."
            ) from exc
        raise InvalidInput(f"{where}: timestamp column {series.name!r} cannot be read as timestamps: {exc}") from exc


def _zone(series: pd.Series) -> str | None:
    tz = getattr(series.dtype, "tz", None)
    return None if tz is None else str(tz)


def common_times(columns: Iterable[tuple[str, pd.Series]]) -> tuple[list[np.ndarray], str]:
    """Event-time columns as int64 ticks of one unit (the finest given; UTC when zone-aware), and the unit.

    All aware (any zones: compared as instants) or all naive; a mix is refused, naming both. Missing
    times are refused, naming the rows.
    """
    parsed = []
    for where, series in columns:
        times = parse_times(series, where)
        check_no_missing(times, where, "a timestamp", "drop those rows or fill their times.")
        parsed.append((where, times))
    aware = [(where, s) for where, s in parsed if _zone(s) is not None]
    naive = [(where, s) for where, s in parsed if _zone(s) is None]
    if aware and naive:
        (a_where, a), (n_where, n) = aware[0], naive[0]
        raise InvalidInput(
            f"timestamps mix time zones: {a_where} column {a.name!r} is time-zone aware ({_zone(a)}) but "
            f"{n_where} column {n.name!r} is naive (no time zone). Give every timestamp a zone "
            "(Series.dt.tz_localize) or none (Series.dt.tz_convert(None))."
        )
    unit = max((s.dt.unit for _, s in parsed), key=_UNITS.index, default="ns")
    out = []
    for where, s in parsed:
        if aware:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        try:
            s = s.dt.as_unit(unit)
        except (OverflowError, pd.errors.OutOfBoundsDatetime) as exc:
            raise InvalidInput(
                f"{where} column {s.name!r} has timestamps outside the range of unit {unit!r}; check its values."
            ) from exc
        out.append(s.to_numpy().view(np.int64))
    return out, unit


NS_PER_TICK = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


def time_unit_ticks(days: float, unit: str) -> int:
    """``days`` as a whole number of ticks of ``unit``."""
    return int(round(days * 86400 * 10**9 / NS_PER_TICK[unit]))
