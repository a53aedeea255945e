"""Duplicate rows of the data profile: 64-bit row hashes, confirmed exactly.

``duplicate_rows`` counts rows equal to an earlier row (``DataFrame.duplicated()``;
missing values equal each other). It is found with 64-bit row hashes and then confirmed exactly on
the candidate rows; a column whose values are all distinct proves there are none and ends the
search.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from mlsteward.data.profile_columns import _Work

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_FNV = np.uint64(0x100000001B3)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, vectorised (uint64 arithmetic wraps)."""
    z = x + _GOLDEN
    z ^= z >> np.uint64(30)
    z *= _MIX1
    z ^= z >> np.uint64(27)
    z *= _MIX2
    z ^= z >> np.uint64(31)
    return z


def _row_hash_part(work: _Work) -> np.ndarray:
    """The column's values as 64-bit words, equal exactly when pandas calls them equal, mixed."""
    if work.codes is not None:
        part = work.codes.astype(np.int64, copy=False).view(np.uint64)
    elif work.native.dtype.kind == "f":
        canonical = work.native + 0.0  # -0.0 -> 0.0
        canonical[np.isnan(canonical)] = np.nan  # one NaN bit pattern
        part = canonical.view(np.uint64)
    else:
        part = work.native.astype(np.int64, copy=False).view(np.uint64)
    return _mix(part)


class _RowHasher:
    """A 64-bit hash per row, combined one column at a time."""

    def __init__(self, rows: int) -> None:
        self.hash: np.ndarray | None = np.zeros(rows, dtype=np.uint64)
        self.none = False  # a column with all values distinct: no row can repeat

    def add(self, part: np.ndarray | None, all_distinct: bool) -> None:
        if self.hash is None:
            return
        if all_distinct:
            self.hash, self.none = None, True
            return
        self.hash *= _FNV
        self.hash ^= part

    def duplicates(self, df: pd.DataFrame) -> int:
        if self.none or self.hash is None:
            return 0
        candidates = pd.Series(self.hash).duplicated(keep=False).to_numpy()
        if not candidates.any():
            return 0
        try:  # confirm exactly: all copies of a repeated row share its hash, so all are candidates
            return int(df[candidates].duplicated().sum())
        except TypeError:  # unhashable cells: trust the hashes
            return int(pd.Series(self.hash).duplicated().sum())
