"""Reading the columns a split uses: lookup, missing values, codes, and the class distribution.

**Class distribution** per part is reported for ``target`` when given (else for the
``stratify_by`` column of a stratified split) when it reads as classes: text, categorical and
boolean columns, and numeric columns with at most 20 distinct whole-number values.
"""

from __future__ import annotations

from difflib import get_close_matches
from typing import Any

import numpy as np
import pandas as pd

from mlsteward.data.splits_models import TimeValue
from mlsteward.errors import InvalidInput

MAX_NUMERIC_CLASSES = 20
_MISSING_CLASS = "<missing>"


def _column(df: pd.DataFrame, name: str, what: str) -> pd.Series:
    if name not in df.columns:
        names = [str(c) for c in df.columns]
        close = get_close_matches(str(name), names, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise InvalidInput(
            f"{what} '{name}' is not a column of the data frame.{hint} Available columns: {', '.join(names)}."
        )
    column = df[name]
    if isinstance(column, pd.DataFrame):
        raise InvalidInput(
            f"{what} '{name}' names {column.shape[1]} columns of the data frame; make column names unique."
        )
    return column


def _no_missing(series: pd.Series, what: str, advice: str) -> None:
    missing = int(series.isna().sum())
    if missing:
        raise InvalidInput(f"{what} '{series.name}' has {missing} missing value(s) of {len(series)}; {advice}")


def _codes(series: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes by sorted distinct value (as ``numpy.unique`` orders them), with the values."""
    try:
        codes, uniques = pd.factorize(series, sort=True)
    except TypeError:  # values that do not compare: order of appearance
        codes, uniques = pd.factorize(series, sort=False)
    return np.asarray(codes, dtype=np.int64), pd.Index(uniques)


def _label(value: Any) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    return str(value)


def _reads_as_classes(series: pd.Series) -> bool:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return True
    if pd.api.types.is_numeric_dtype(dtype):
        values = series.dropna().to_numpy(dtype=float)
        return bool(np.all(values == np.round(values))) and len(np.unique(values)) <= MAX_NUMERIC_CLASSES
    return not (pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype))


def _class_counts(series: pd.Series) -> dict[str, int]:
    counts = series.value_counts(dropna=False, sort=False)
    counts = counts[counts > 0]
    try:
        counts = counts.sort_index()
    except TypeError:
        pass
    found: dict[str, int] = {}
    for value, count in counts.items():
        key = _MISSING_CLASS if pd.isna(value) else _label(value)
        found[key] = found.get(key, 0) + int(count)
    return found


def _time_value(value: Any) -> TimeValue:
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, np.generic):
        value = value.item()
    return value
