"""The as-of match behind ``historical_features``: for each label, the position of its view row.

The labels are sorted by time once and their entity keys coded once per key column
(``LabelSide``); per view, only the rows that can match are kept (a labelled entity, inside that
entity's window [first label time - TTL, last label time]), sorted by time, and matched with
``pandas.merge_asof(by=entity code, direction="backward", allow_exact_matches=True,
tolerance=TTL)``. Ties at one event time: the later row in the view's frame wins (stable sorts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

_INT64_MIN, _INT64_MAX = np.iinfo(np.int64).min, np.iinfo(np.int64).max


@dataclass(frozen=True)
class LabelSide:
    """The label rows in time order, their entities coded: what every view's match reuses."""

    order: np.ndarray  # positions that sort the labels by time (stable)
    ticks: np.ndarray  # the label times, in that order
    codes: np.ndarray  # each sorted label's entity, as an index into ``keys``
    keys: np.ndarray  # the distinct entity keys (int64)
    first: np.ndarray  # per entity: its earliest label time
    last: np.ndarray  # per entity: its latest label time

    @classmethod
    def build(cls, keys: np.ndarray, order: np.ndarray, sorted_ticks: np.ndarray) -> LabelSide:
        codes, uniques = pd.factorize(keys[order])
        first = np.full(len(uniques), _INT64_MAX, dtype=np.int64)
        last = np.full(len(uniques), _INT64_MIN, dtype=np.int64)
        np.minimum.at(first, codes, sorted_ticks)
        np.maximum.at(last, codes, sorted_ticks)
        return cls(order, sorted_ticks, codes.astype(np.int64, copy=False), np.asarray(uniques), first, last)


def index_of(uniques: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The position of each value in ``uniques`` (-1 if absent): a direct table for dense integer
    keys, a hash lookup otherwise."""
    if len(uniques) and len(values):
        low = min(int(uniques.min()), int(values.min()))
        span = max(int(uniques.max()), int(values.max())) - low + 1
        if span <= 4 * (len(uniques) + len(values)):
            table = np.full(span, -1, dtype=np.int64)
            table[uniques - low] = np.arange(len(uniques))
            return table[values - low]
    return pd.Index(uniques).get_indexer(values)


def asof_positions(
    side: LabelSide, right_keys: np.ndarray, right_ticks: np.ndarray, tolerance: int | None
) -> np.ndarray:
    """For each label row (original order): the position of its matching view row, or -1."""
    positions = np.full(len(side.order), -1, dtype=np.int64)
    if len(side.order) == 0 or len(right_keys) == 0:
        return positions
    entity = index_of(side.keys, right_keys)
    rows = np.flatnonzero(entity >= 0)
    entity, ticks = entity[rows], right_ticks[rows]
    keep = ticks <= side.last[entity]
    if tolerance is not None:
        keep &= ticks >= side.first[entity] - tolerance
    rows, entity, ticks = rows[keep], entity[keep], ticks[keep]
    if len(rows) == 0:
        return positions
    by_time = np.argsort(ticks, kind="stable")
    left = pd.DataFrame({"t": side.ticks, "k": side.codes}, copy=False)
    right = pd.DataFrame({"t": ticks[by_time], "k": entity[by_time], "p": rows[by_time]}, copy=False)
    merged = pd.merge_asof(
        left, right, on="t", by="k", direction="backward", allow_exact_matches=True, tolerance=tolerance
    )
    found = merged["p"].to_numpy(dtype=np.float64, na_value=np.nan)
    hit = ~np.isnan(found)
    positions[side.order[hit]] = found[hit].astype(np.int64)
    return positions
