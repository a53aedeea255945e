"""The time-based split (``strategy="time"``): by cutoffs, or cut by the fractions.

``time`` — our own code; the seed is not used. Rows are placed by ``time_column``:
``train < c1 <= validation < c2 <= test`` (two parts: ``train < c1 <= test``).

* With explicit ``cutoffs`` (c1, c2) those bounds are used as given (the fractions then only say
  whether there is a validation part: with validation 0 give c1 == c2; with validation > 0,
  c1 < c2). The time column must be datetime (cutoffs as timestamps or ISO text, time zones both
  present or both absent) or numeric (cutoffs as numbers).
* Without cutoffs, the rows are sorted by time and cut by the fractions: the train/validation
  cut aims at ``train * rows`` rows before it, the validation/test cut at
  ``(train + validation) * rows``. **Ties are kept together**: all rows of one time value go to
  the same part, so a cut is only ever made where the time value changes, at the change nearest
  its aim (the earlier one when two are equally near), leaving at least one distinct time value
  to every later part. The cuts reached are reported as ``cutoffs`` in the summary: giving them
  back as explicit cutoffs reproduces the split.

Missing time values are refused (drop or fill them first); text columns are refused (convert them
with ``pandas.to_datetime``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from mlsteward.data.splits_columns import _codes, _no_missing
from mlsteward.data.splits_models import SplitConfig, TimeValue
from mlsteward.errors import InvalidInput


def _time_series(series: pd.Series) -> pd.Series:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or not (
        pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)
    ):
        raise InvalidInput(
            f"time column '{series.name}' has dtype {dtype}; it must hold timestamps (datetime64) or numbers. "
            "Convert text with pandas.to_datetime first."
        )
    _no_missing(series, "time column", "drop those rows or fill their times before a time-based split.")
    return series


def _cutoff_for(series: pd.Series, value: TimeValue) -> Any:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        if not isinstance(value, datetime):
            raise InvalidInput(
                f"time column '{series.name}' holds timestamps, so cutoffs must be timestamps; got {value!r}."
            )
        stamp = pd.Timestamp(value)
        column_aware = getattr(series.dtype, "tz", None) is not None
        if column_aware != (stamp.tzinfo is not None):
            raise InvalidInput(
                f"time column '{series.name}' is {'time-zone aware' if column_aware else 'naive (no time zone)'} "
                f"but cutoff {value} is {'time-zone aware' if stamp.tzinfo is not None else 'naive'}; give both with "
                "a time zone or both without."
            )
        return stamp
    if isinstance(value, datetime):
        raise InvalidInput(
            f"time column '{series.name}' holds numbers ({series.dtype}), so cutoffs must be numbers; got {value}."
        )
    return value


def _time_split(
    series: pd.Series, config: SplitConfig, parts: tuple[str, ...]
) -> tuple[dict[str, np.ndarray], tuple[Any, Any], list[str]]:
    n = len(series)
    notes: list[str] = []
    if config.cutoffs is not None:
        c1, c2 = (_cutoff_for(series, value) for value in config.cutoffs)
        masks = {
            "train": (series < c1).to_numpy(),
            "validation": ((series >= c1) & (series < c2)).to_numpy(),
            "test": (series >= c2).to_numpy(),
        }
        found = {name: np.flatnonzero(masks[name]) for name in parts}
        empty = [name for name in parts if len(found[name]) == 0]
        if empty:
            raise InvalidInput(
                f"the cutoffs ({config.cutoffs[0]}, {config.cutoffs[1]}) leave the {' and '.join(empty)} part(s) "
                f"empty: '{series.name}' runs from {series.min()} to {series.max()}. Give cutoffs inside that range."
            )
        notes.append("rows placed by the given cutoffs: train < c1 <= validation < c2 <= test")
        return found, (c1, c2), notes

    codes, uniques = _codes(series)
    distinct = len(uniques)
    if distinct < len(parts):
        raise InvalidInput(
            f"too few distinct times for {len(parts)} parts: time column '{series.name}' has {distinct} distinct "
            f"value(s) over {n} rows, and all rows of one time value go to the same part; use more data"
            + (" or a validation fraction of 0 for two parts." if len(parts) == 3 else ".")
        )
    # rows up to and including distinct value j: cum[j]; a cut after value j is a boundary at cum[j]
    cum = np.cumsum(np.bincount(codes, minlength=distinct))
    train, validation, _ = config.fractions
    aims = [train * n] if len(parts) == 2 else [train * n, (train + validation) * n]
    cuts: list[int] = []
    low = 0
    for k, aim in enumerate(aims):
        high = distinct - 1 - (len(aims) - 1 - k)  # leave one distinct value for every later part
        candidates = np.arange(low, high)
        j = int(candidates[np.argmin(np.abs(cum[candidates] - aim))])
        cuts.append(j)
        low = j + 1
    bounds = [-1, *cuts, distinct - 1]
    found = {
        name: np.flatnonzero((codes > bounds[i]) & (codes <= bounds[i + 1])) for i, name in enumerate(parts)
    }
    cutoffs = [uniques[j + 1] for j in cuts]
    c1, c2 = (cutoffs[0], cutoffs[0]) if len(parts) == 2 else (cutoffs[0], cutoffs[1])
    notes.append(
        "rows sorted by time and cut by the fractions; all rows of one time value go to the same part, so each cut "
        "is made at the change of time value nearest its aim"
    )
    return found, (c1, c2), notes
