"""Inputs of the single-feature score: how one column is encoded, and which task the target is.

Encoding of the one column (``encode_column``), as the single-feature tree of
``mlsteward.data.leakage`` receives it:

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

**Task**: ``task="auto"`` reads text, categorical and boolean targets, and numeric targets with at
most ``max_classes`` (20) distinct whole-number values, as classification (binary with two
classes, else multiclass); other numeric targets as regression. Pass ``task`` to override.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from mlsteward.data.leakage_models import Task
from mlsteward.errors import InvalidInput

_FLOAT32_MAX = float(np.finfo(np.float32).max)


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
