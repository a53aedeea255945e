"""One generation of an online view as (entity key, orjson blob) pairs: the values as Python scalars.

numpy scalars become Python ones, every missing value (NaN, None, NaT, pd.NA) becomes None,
timestamps become ISO 8601 text (``Timestamp.isoformat()``), timedeltas their total seconds.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import numpy as np
import orjson
import pandas as pd

from mlsteward.errors import InvalidInput
from mlsteward.featurestore._frames import canonical_text, check_no_missing, require_columns, where_view
from mlsteward.featurestore.views import FeatureView


def python_scalar(value: Any) -> Any:
    """One value as a JSON-ready Python scalar (see the module docstring)."""
    if value is None or type(value) in (str, bool, int):
        return value
    if isinstance(value, float):  # np.float64 too
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    elif isinstance(value, np.timedelta64):
        value = pd.Timedelta(value)
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return python_scalar(value.item())
    if isinstance(value, str | bool | int):  # subclasses
        return str(value) if isinstance(value, str) else (bool(value) if isinstance(value, bool) else int(value))
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return float(value)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def column_values(series: pd.Series) -> list[Any]:
    """The column as a list of Python scalars, vectorised for the plain numpy dtypes."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype):
        if dtype.kind in "iub":
            return series.to_numpy().tolist()
        if dtype.kind == "f":
            values = series.to_numpy()
            out = values.tolist()
            for i in np.flatnonzero(np.isnan(values)).tolist():
                out[i] = None
            return out
    return [python_scalar(v) for v in series.astype(object).tolist()]


def encoded_rows(view: FeatureView, latest: pd.DataFrame) -> tuple[int, Iterator[tuple[str, bytes]]]:
    """The row count and the (canonical key, orjson blob of {feature: value}) pairs, keys in sorted order.

    Refuses missing columns, rows without a key and two rows of one entity (use
    ``latest_per_entity`` first).
    """
    where = where_view(view.name)
    require_columns(latest, {view.entity: "entity column", **{f: "feature" for f in view.features}}, where)
    check_no_missing(latest[view.entity], where, "an entity key", "drop or fill those rows first.")
    keys = canonical_text(latest[view.entity], where)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    repeated = np.flatnonzero(keys[1:] == keys[:-1]) if len(keys) > 1 else np.array([], dtype=np.int64)
    if len(repeated):
        shown = ", ".join(repr(k) for k in list(dict.fromkeys(keys[repeated].tolist()))[:5])
        raise InvalidInput(
            f"{where}: the frame to write has several rows for entity {shown}; an online generation holds one "
            "row per entity. Pass it through latest_per_entity (or materialize) first."
        )
    columns = [column_values(latest[f].iloc[order]) for f in view.features]
    names = list(view.features)

    def rows() -> Iterator[tuple[str, bytes]]:
        for key, values in zip(keys.tolist(), zip(*columns, strict=True), strict=True):
            yield key, orjson.dumps(dict(zip(names, values, strict=True)))

    return len(keys), rows()
