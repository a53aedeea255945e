"""The ``ks`` drift test's numbers: scipy's D, and its p-value, exact given ties when the data are tied.

``mlsteward.monitor.drift_tests`` documents when which p-value is used and why (scipy's p-values assume
continuous data and are conservative on tied values); ``ks_ties_p_value`` documents the method.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special, stats

from mlsteward.errors import InvalidInput

KS_TIES_EXACT_MAX_VALUES = 200_000
KS_TIES_EXACT_MAX_PRODUCT = 10**8
KS_TIES_EXACT_MAX_DISTINCT = 20_000
SCIPY_KS_EXACT_MAX_N = 10_000  # scipy.stats.ks_2samp's method="auto" is exact up to this size


def ks_test(reference: np.ndarray, current: np.ndarray) -> tuple[float, float | None]:
    """The ``ks`` test: scipy's D; scipy's p-value without ties, else ``ks_ties_p_value``'s."""
    pooled = _ks_tied_pooled(reference, current)
    if pooled is None:
        result = stats.ks_2samp(reference, current)
        return float(result.statistic), float(result.pvalue)
    m, n = len(reference), len(current)
    gap, ends = _ks_gap(np.sort(reference), np.sort(current), pooled)
    if max(m, n) <= SCIPY_KS_EXACT_MAX_N:
        # ks_2samp's method="auto" is exact here and reports D as h / lcm(m, n), h = D * lcm an
        # integer: the same number, without computing scipy's p-value only to discard it
        g = math.gcd(m, n)
        statistic = (gap // g) / (m // g * n)
    else:
        statistic = float(stats.ks_2samp(reference, current, method="asymp").statistic)
    return statistic, _smirnov_hit_probability(m, n, gap, ends)


def _ks_tied_pooled(reference: np.ndarray, current: np.ndarray) -> np.ndarray | None:
    """The sorted pooled values if ``ks_ties_p_value`` is to give the p-value, else None."""
    m, n = len(reference), len(current)
    if not (m and n and m + n <= KS_TIES_EXACT_MAX_VALUES and m * n <= KS_TIES_EXACT_MAX_PRODUCT):
        return None
    pooled = np.sort(np.concatenate([reference, current]))
    if pooled.dtype.kind == "f" and np.isnan(pooled[-1]):  # NaN sorts last; leave it to scipy
        return None
    ties = int(np.count_nonzero(pooled[1:] == pooled[:-1]))
    return pooled if 0 < ties and m + n - ties <= KS_TIES_EXACT_MAX_DISTINCT else None


def ks_ties_p_value(reference: np.ndarray, current: np.ndarray) -> float:
    """Exact two-sided p-value of the two-sample Kolmogorov-Smirnov D, ties allowed.

    The permutation (conditional) p-value given the pooled values: the share of the
    ``C(m + n, m)`` ways to split the pooled sample into groups of ``m`` and ``n`` values whose D
    is at least the observed one. It is exact with or without ties; R's ``ks.test(exact=TRUE)``
    (R >= 4.3, ``psmirnov``) computes the same number.

    Method (the lattice-path count of Schröer & Trenkler 1995, as in R): a split is a monotone
    path from (0, 0) to (m, n) through the pooled values in sorted order, a step right for a
    reference value and up for a current one. Tied values may come in any order, so the path is
    read only at the end of each block of equal values, the points where the two empirical CDFs
    are compared: the split's D reaches the observed ``D = K / (m n)`` iff the path meets
    ``|i n - j m| >= K`` at the end of a block. The p-value is the probability that a uniformly
    random path does. R walks the lattice point by point; here it goes from block end to block
    end, carrying ``w_k(i) = P(met by step k | path at (i, k - i)) * Binomial(k, m/(m +
    n)).pmf(i)`` over the points ``i`` inside the band ``|i n - j m| < K`` (outside it the hit
    probability is 1): ``t`` unchecked steps (a block of ``t`` tied values) convolve ``w`` with
    ``Binomial(t, m/(m + n)).pmf``, because ``C(k + t, i) = sum_s C(t, s) C(k, i - s)``; at the end
    ``p = w_(m+n)(m) / Binomial(m + n, m/(m + n)).pmf(m)``. Every term is positive, so the p-value
    has a relative error of about 1e-12 however small it is. Cost: a few numpy calls per block and
    one ``np.correlate`` of the band (about ``2 K / (m + n)`` points) with the block's size: 0.2-1.5
    ms for 1,000 vs 1,000 GSS integer values, 4-7 ms when nearly all 2,000 values are distinct.
    """
    x, y = np.sort(np.asarray(reference)), np.sort(np.asarray(current))
    if not (len(x) and len(y)):
        raise InvalidInput("ks_ties_p_value needs at least one value in each sample.")
    gap, ends = _ks_gap(x, y, np.sort(np.concatenate([x, y])))
    return _smirnov_hit_probability(len(x), len(y), gap, ends)


def _ks_gap(x: np.ndarray, y: np.ndarray, pooled: np.ndarray) -> tuple[int, list[int]]:
    """``D * m * n`` (an integer) of sorted samples ``x`` and ``y``, and the positions (1-based)
    in their sorted pooled values ``pooled`` of the last value of each block of equal values."""
    m, n = len(x), len(y)
    last = np.flatnonzero(pooled[1:] != pooled[:-1])  # the last value of each block but the final
    values = np.append(pooled[last], pooled[-1])
    gaps = (np.searchsorted(x, values, side="right") * n
            - np.searchsorted(y, values, side="right") * m)
    return int(np.max(np.abs(gaps))), [*(last + 1).tolist(), m + n]


def _smirnov_hit_probability(m: int, n: int, gap: int, ends: list[int]) -> float:
    """P(a uniformly random path (0, 0) -> (m, n) meets ``|i n - j m| >= gap`` at some step count
    ``i + j`` in ``ends``) (the last of which is ``m + n``), as ``ks_ties_p_value`` describes."""
    if gap <= 0:
        return 1.0
    total = m + n
    log_p, log_q = math.log(m / total), math.log(n / total)
    log_fact = special.gammaln(np.arange(1.0, total + 2.0))  # log(k!) for k = 0..total
    part = np.arange(total + 1) * (log_p - log_q) - log_fact  # log pmf = const(k) + part[i] - ...
    log_fact_list, part_list = log_fact.tolist(), part.tolist()

    def pmf(out: np.ndarray, offset: int, k: int, low: int, high: int) -> None:
        """``out[offset + i - low] = Binomial(k, m / total).pmf(i)`` for ``low <= i <= high``."""
        const = log_fact_list[k] + k * log_q
        if high - low < 4:
            for i in range(low, high + 1):
                out[offset + i - low] = math.exp(const + part_list[i] - log_fact_list[k - i])
        else:
            np.exp(const + part[low:high + 1] - log_fact[k - high:k - low + 1][::-1],
                   out=out[offset:offset + high - low + 1])

    kernels: dict[int, np.ndarray] = {}
    weights = np.zeros(1)  # w over the band [a, b] of the last block end k1; w_0(0) = 0
    a = b = k1 = 0
    for k2 in ends:
        t = k2 - k1
        # the band at k2: valid points (0 <= i <= m, 0 <= k2 - i <= n) with |i total - k2 m| < gap
        low = max((k2 * m - gap) // total + 1, k2 - n, 0)
        high = min(-(-(k2 * m + gap) // total) - 1, k2, m)
        if low > high:
            return 1.0  # every path meets the boundary here
        start = low - t  # w_k1 is needed over [start, high]: the band [a, b], and the pmf around it
        previous = np.empty(high - start + 1)
        if start < 0:
            previous[:-start] = 0.0
        pmf(previous, max(start, 0) - start, k1, max(start, 0), a - 1)
        previous[a - start:b - start + 1] = weights
        top = min(high, k1)
        pmf(previous, b + 1 - start, k1, b + 1, top)
        if high > max(top, b):
            previous[max(top, b) + 1 - start:] = 0.0  # i > k1: no such point
        kernel = kernels.get(t)
        if kernel is None:
            kernel = np.empty(t + 1)
            pmf(kernel, 0, t, 0, t)
            kernel = kernels[t] = kernel[::-1].copy()
        weights = np.correlate(previous, kernel, "valid")
        a, b, k1 = low, high, k2
    end = np.empty(1)
    pmf(end, 0, total, m, m)
    return float(min(1.0, weights[0] / end[0]))


__all__ = ["KS_TIES_EXACT_MAX_DISTINCT", "KS_TIES_EXACT_MAX_PRODUCT", "KS_TIES_EXACT_MAX_VALUES", "SCIPY_KS_EXACT_MAX_N",
           "ks_test", "ks_ties_p_value"]
