"""Inferring a contract from a data frame: ``infer_contract``.

What is inferred, per column (nothing else is; a column name must be a string):

* ``dtype``: ``str(series.dtype)``, e.g. ``int64``, ``float64``, ``str``, ``category``,
  ``datetime64[us, UTC]``, ``Int64``.
* ``nullable``: true when the column holds at least one null, false otherwise.
* ``min`` / ``max``: integer and float columns (not booleans, datetimes or timedeltas: time moves on,
  so a date range would fail every later batch). The observed minimum and maximum of the non-null
  values, widened by ``range_margin`` times the span ``max - min`` on each side (integer bounds are
  rounded outwards to integers). Infinities count as values, so a column holding ``inf`` has an
  unbounded side.
* ``allowed``: text columns (``str``/``string`` dtypes, or ``object`` columns whose non-null values
  are all strings) and ``category`` columns with at least one and at most ``categorical_max_levels``
  distinct non-null values: the set observed, sorted. Categories declared by a ``category`` dtype but
  never observed are not allowed: a contract states what the data showed.
* ``unique``: the column looks like an identifier, with the rule of the data profile: no nulls, at
  least ``IDENTIFIER_MIN_COUNT`` (50) values, all distinct, and key-like: integers dense enough to be
  a sequence (``max - min + 1 <= 2 * count``), or text without whitespace. An identifier gets no
  ``allowed`` set (every new key would be unseen).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from mlsteward.data.contract_dtypes import _frame, _python, _series_family
from mlsteward.data.contract_model import ColumnContract, DataContract, Number, Scalar
from mlsteward.errors import InvalidInput

IDENTIFIER_MIN_COUNT = 50


def infer_contract(df: Any, *, name: str, categorical_max_levels: int = 50,
                   range_margin: float = 0.0) -> DataContract:
    """The contract a data frame satisfies: dtypes, nullability, ranges, value sets, identifiers.

    ``categorical_max_levels``: text and category columns with at most this many distinct values get
    an ``allowed`` set (0: none do). ``range_margin``: numeric bounds are widened by this fraction of
    the observed span on each side (0: the observed min and max).
    """
    df = _frame(df, "infer_contract")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("The 'name' parameter of infer_contract must be a non-empty string; "
                           f"got {name!r}.")
    levels = categorical_max_levels
    if isinstance(levels, bool) or not isinstance(levels, int | np.integer) or levels < 0:
        raise InvalidInput("The 'categorical_max_levels' parameter of infer_contract must be an integer "
                           f">= 0; got {categorical_max_levels!r}.")
    if isinstance(range_margin, bool) or not isinstance(range_margin, int | float | np.floating) \
            or not math.isfinite(range_margin) or range_margin < 0:
        raise InvalidInput("The 'range_margin' parameter of infer_contract must be a finite number >= 0 "
                           f"(a fraction of the observed span); got {range_margin!r}.")
    columns = {column: _infer_column(df[column], int(categorical_max_levels), float(range_margin))
               for column in df.columns}
    return DataContract(name=name.strip(), rows=len(df), columns=columns)


def _infer_column(s: pd.Series, max_levels: int, margin: float) -> ColumnContract:
    values = s.dropna()
    family = _series_family(s)
    low: Number | None = None
    high: Number | None = None
    allowed: list[Scalar] | None = None
    unique = False
    if len(values) and family in ("integer", "float"):
        low, high = _bounds(values, family, margin)
    if len(values) == len(s) and len(s) >= IDENTIFIER_MIN_COUNT and family in ("integer", "text"):
        unique = _identifier_like(values, family)
    if not unique and family in ("text", "category") and len(values):
        distinct = pd.unique(values.to_numpy(dtype=object))
        if len(distinct) <= max_levels:
            allowed = _value_set(distinct)
    return ColumnContract(dtype=str(s.dtype), nullable=bool(len(values) < len(s)), min=low, max=high,
                          allowed=allowed, unique=unique)


def _bounds(values: pd.Series, family: str, margin: float) -> tuple[Number, Number]:
    low, high = _python(values.min()), _python(values.max())
    if family == "integer":
        low, high = int(low), int(high)
        if margin > 0:
            span = high - low
            return math.floor(low - margin * span), math.ceil(high + margin * span)
        return low, high
    low, high = float(low), float(high)
    if margin > 0:
        span = high - low
        return low - margin * span, high + margin * span
    return low, high


def _identifier_like(values: pd.Series, family: str) -> bool:
    if not values.is_unique:
        return False
    if family == "integer":
        return int(values.max()) - int(values.min()) + 1 <= 2 * len(values)
    return not bool(values.astype(str).str.contains(r"\s", regex=True).any())


def _value_set(distinct: Iterable[Any]) -> list[Scalar] | None:
    items = [_python(v) for v in distinct]
    if not all(isinstance(v, str | bool | int | float) for v in items):
        return None  # e.g. categories of timestamps: no value set
    return sorted(items, key=lambda v: (type(v).__name__, v))
