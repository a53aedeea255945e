"""Inferred types of the data profile: how each column is routed and what kind of data it holds.

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

The route a column takes (``_route``) decides how it is read: numeric columns as arrays (sorted once
in ``mlsteward.data.profile_columns``, which applies the integer identifier rule to the sorted
values), every other column factorised once (the string identifier and free-text rules are
``_text_kind``, here). ``_route`` also names the Python types of an object column's values and
whether they are of more than one kind (the ``mixed_types`` flag).
"""

from __future__ import annotations

import datetime as _dt
import decimal
import numbers
from typing import Any

import numpy as np
import pandas as pd

from mlsteward.data.profile_models import InferredType, ProfileConfig

_SAMPLE_DISTINCT = 10_000


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
