"""How a contract reads data: the data frame at the boundary, dtype families and compatibility.

Dtype compatibility (``dtype_compatible``). pandera's dtype check is exact; a column whose dtype
pandera rejects is reported as a dtype change unless the rule below accepts the pair. Dtypes fall
into families: boolean (``bool``, ``boolean``), integer (numpy, nullable and Arrow integers of any
width, signed or not), float (any width), text (``str``, ``string``, Arrow strings; an ``object``
column counts as text when its non-null values are all strings), category, datetime (any
resolution), timedelta, object (mixed values), and any other dtype by its exact name (``period[M]``,
``interval[int64, right]``, ...).

* Same family: compatible (``int32`` data against ``int64``, ``Int64`` against ``int64``,
  ``datetime64[ns]`` against ``datetime64[us]``); datetimes must also have the same time zone
  (naive against aware, or another zone, is a change).
* Integer data against a float contract: compatible (every integer a float column held is still a
  number; the range check still applies). Float data against an integer contract is a change: the
  values may have fractions, and it is how nulls appearing in an integer column usually show.
* Text and category: compatible both ways (a category column saved to CSV comes back as text);
  the ``allowed`` check still guards the values. An ``object`` contract accepts text and category.
* Anything else is a change: boolean against integer, integer against text, and so on.

Used by ``mlsteward.data.contract_infer`` (which families get a range, a value set or uniqueness)
and ``mlsteward.data.contract_check`` (which dtype failures are changes).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from mlsteward.errors import InvalidInput

_DtypeFamily = Literal["boolean", "integer", "float", "text", "category", "datetime", "timedelta",
                       "object", "other"]


def dtype_compatible(expected: str, found: str | pd.Series) -> bool:
    """Whether data of dtype ``found`` (a dtype name, or the column itself) satisfies a contract's
    ``expected`` dtype, by the rule in this module's docstring. Pass the column to let an ``object``
    column of strings count as text."""
    found_name = str(found.dtype) if isinstance(found, pd.Series) else str(found)
    if expected == found_name:
        return True
    e_family, e_tz = _dtype_family(expected)
    if isinstance(found, pd.Series):
        f_family, f_tz = _series_family(found), _dtype_family(found.dtype)[1]
    else:
        f_family, f_tz = _dtype_family(found_name)
    if e_family == f_family:
        if e_family == "datetime":
            return e_tz == f_tz
        return e_family != "other"  # other dtypes only by their exact name
    if e_family == "float" and f_family == "integer":
        return True
    if {e_family, f_family} <= {"text", "category"}:
        return True
    return e_family == "object" and f_family in ("text", "category")


def _dtype_family(dtype: Any) -> tuple[_DtypeFamily, str | None]:
    """The family of a dtype (or dtype name) and, for datetimes, its time zone."""
    if isinstance(dtype, str):
        if dtype in ("str", "string") or dtype.startswith("string["):
            return "text", None
        try:
            dtype = pd.api.types.pandas_dtype(dtype)
        except (TypeError, ValueError):
            return "other", None
    types = pd.api.types
    if isinstance(dtype, pd.CategoricalDtype):
        return "category", None
    if types.is_bool_dtype(dtype):
        return "boolean", None
    if types.is_integer_dtype(dtype):
        return "integer", None
    if types.is_float_dtype(dtype):
        return "float", None
    if types.is_datetime64_any_dtype(dtype):
        tz = getattr(dtype, "tz", None)
        if tz is None and isinstance(dtype, pd.ArrowDtype):
            tz = getattr(dtype.pyarrow_dtype, "tz", None)
        return "datetime", None if tz is None else str(tz)
    if types.is_timedelta64_dtype(dtype):
        return "timedelta", None
    if dtype == np.dtype(object):
        return "object", None
    if isinstance(dtype, pd.StringDtype) or types.is_string_dtype(dtype):
        return "text", None
    return "other", None


def _series_family(s: pd.Series) -> _DtypeFamily:
    family, _ = _dtype_family(s.dtype)
    if family == "object" and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        return "text"
    return family



def _frame(data: Any, caller: str) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        df = data
    else:
        module = type(data).__module__.split(".")[0]
        if module in ("polars", "pyarrow") and hasattr(data, "to_pandas"):
            df = data.to_pandas()
        else:
            raise InvalidInput(f"{caller} expects a pandas DataFrame, a polars DataFrame or a pyarrow "
                               f"Table; got {type(data).__module__}.{type(data).__name__}.")
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise InvalidInput(f"The data is empty ({df.shape[0]} rows, {df.shape[1]} columns); {caller} "
                           "needs at least one row and one column. Check the file or the filter that "
                           "produced it.")
    bad = [c for c in df.columns if not isinstance(c, str)]
    if bad:
        raise InvalidInput(f"Column names must be strings; got {bad[:5]!r}. Rename them, e.g. "
                           "df.columns = df.columns.astype(str).")
    repeated = sorted(set(df.columns[df.columns.duplicated()]))
    if repeated:
        raise InvalidInput(f"Column names must be unique; repeated: {repeated!r}. Rename them first.")
    return df


def _python(value: Any) -> Any:
    """A numpy / pandas scalar as the plain Python value (YAML and JSON take those)."""
    if isinstance(value, np.generic):
        return value.item()
    return value
