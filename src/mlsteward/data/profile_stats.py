"""Mergeable pieces of the data profile: moments, histograms and quantiles of sorted values.

Chunked computation: ``Moments`` (count, mean, central sums) merge exactly across chunks and
histogram counts over fixed edges add up; value counts add up too. Quantiles are exact here; a
chunked profile will need a sketch for them.

``histogram_edges`` / ``histogram_counts`` reproduce ``np.histogram``'s edges and counts, and
``sorted_quantiles`` ``np.quantile``'s default ``linear`` method, read off an already sorted array.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Moments:
    """Count, mean and central sums ``m2 = sum((x - mean)**2)``, ``m3 = sum((x - mean)**3)``.

    ``merge`` combines two chunks exactly (Chan et al.; Pébay 2008 for m3), so mean, std and
    skewness of a dataset read in chunks equal those of the whole.
    """

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    m3: float = 0.0

    @classmethod
    def of(cls, values: np.ndarray) -> Moments:
        n = len(values)
        if n == 0:
            return cls()
        mean = float(np.mean(values, dtype=np.float64))
        d = values - mean if values.dtype == np.float64 else values.astype(np.float64) - mean
        sq = d * d
        m2 = float(sq.sum())
        np.multiply(sq, d, out=sq)
        return cls(n, mean, m2, float(sq.sum()))

    def merge(self, other: Moments) -> Moments:
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        na, nb = self.n, other.n
        n = na + nb
        delta = other.mean - self.mean
        mean = self.mean + delta * nb / n
        m2 = self.m2 + other.m2 + delta * delta * na * nb / n
        m3 = (self.m3 + other.m3 + delta**3 * na * nb * (na - nb) / (n * n)
              + 3.0 * delta * (na * other.m2 - nb * self.m2) / n)
        return Moments(n, mean, m2, m3)

    @property
    def std(self) -> float | None:
        return math.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else None

    @property
    def skewness(self) -> float | None:
        if self.n == 0 or self.m2 <= 0.0:
            return None
        return (self.m3 / self.n) / (self.m2 / self.n) ** 1.5


def histogram_edges(low: float, high: float, bins: int) -> np.ndarray:
    """``np.histogram``'s equal-width edges between ``low`` and ``high``."""
    if low == high:
        low, high = low - 0.5, high + 0.5
    return np.linspace(low, high, bins + 1)


def histogram_counts(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin of sorted finite values, bins ``[left, right)`` and the last closed."""
    idx = np.searchsorted(sorted_values, edges, side="left")
    idx[-1] = np.searchsorted(sorted_values, edges[-1], side="right")
    return np.diff(idx)


def sorted_quantiles(sorted_values: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    """``np.quantile(values, qs)`` (linear method) read off an already sorted array."""
    n = len(sorted_values)
    virtual = np.asarray(qs, dtype=np.float64) * (n - 1)
    lo = np.floor(virtual).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    t = virtual - lo
    a = sorted_values[lo].astype(np.float64)
    b = sorted_values[hi].astype(np.float64)
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1.0 - t), a + diff * t)
