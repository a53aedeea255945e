"""The ``ks`` test on tied data: exact permutation p-values, checked against independent references.

With ties (integer counts, ages, rounded values) ``ks`` gives the exact p-value of D given the pooled
values (``ks_ties_p_value``); without ties it gives ``scipy.stats.ks_2samp``'s numbers. The
references here share no code with the implementation: every split enumerated (small samples), a
Monte Carlo permutation test (small and medium samples), the row-by-row recursion of R's
``psmirnov`` (exact, with ties, upper tail) transcribed literally, and scipy's exact p-value where
there are no ties.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mlsteward.datasets import gss_label_events
from mlsteward.errors import InvalidInput
from mlsteward.monitor import DRIFT_TESTS, column_drift, dataset_drift, ks_exact, reference_profile
from mlsteward.monitor.drift_tests import ks_test, ks_ties_p_value

# scipy's continuous p-value on tied data, used below as a bound, falls back to asymp on some draws
pytestmark = pytest.mark.filterwarnings("ignore:ks_2samp. Exact calculation unsuccessful:RuntimeWarning")


def gap_of(x: np.ndarray, y: np.ndarray) -> int:
    """``D * len(x) * len(y)`` from the definition: the empirical CDFs at every distinct value."""
    at = np.unique(np.concatenate([x, y]))
    below_x = (x[:, None] <= at[None, :]).sum(axis=0)
    below_y = (y[:, None] <= at[None, :]).sum(axis=0)
    return int(np.max(np.abs(below_x * len(y) - below_y * len(x))))


def r_psmirnov_upper(x: np.ndarray, y: np.ndarray) -> float:
    """P(D >= observed D) by R's exact recursion with ties (``psmirnov_exact_ties_upper`` in R's
    ks.c, R >= 4.3): ``u[j]`` is the probability that a random path to (i, j) has met the boundary,
    checked only where the pooled sorted values change (``z``). Pure Python, for moderate sizes."""
    m, n = len(x), len(y)
    gap = gap_of(x, y)
    pooled = np.sort(np.concatenate([x, y]))
    z = [False, *(pooled[1:] != pooled[:-1]).tolist(), True]  # z[k]: step k ends a block of ties

    def hit(i: int, j: int) -> bool:
        return abs(i * n - j * m) >= gap and z[i + j]

    u = [0.0] * (n + 1)
    for j in range(1, n + 1):
        u[j] = 1.0 if hit(0, j) else u[j - 1]
    for i in range(1, m + 1):
        if hit(i, 0):
            u[0] = 1.0
        for j in range(1, n + 1):
            if hit(i, j):
                u[j] = 1.0
            else:
                u[j] = i / (i + j) * u[j] + j / (i + j) * u[j - 1]
    return u[n]


def tied(seed: int, m: int, n: int, levels: int, shift: int = 0) -> tuple[np.ndarray, np.ndarray]:
    g = np.random.default_rng(seed)
    return (g.integers(0, levels, m).astype(float),
            (g.integers(0, levels, n) + g.binomial(1, 0.5, n) * shift).astype(float))


# --- without ties: scipy's numbers ----------------------------------------------------------------


@pytest.mark.parametrize("m, n", [(5, 7), (50, 80), (1_000, 1_000), (999, 1_001), (20_000, 300)])
def test_without_ties_ks_gives_scipys_numbers(m: int, n: int) -> None:
    g = np.random.default_rng(m + n)
    x, y = g.normal(size=m), g.normal(0.1, 1.0, size=n)
    expected = stats.ks_2samp(x, y)
    assert DRIFT_TESTS["ks"].compute(x, y) == (expected.statistic, expected.pvalue)


@pytest.mark.parametrize("m, n", [(5, 7), (40, 60), (300, 200), (1_000, 1_000), (999, 1_001)])
def test_without_ties_the_exact_method_is_scipys_exact_p_value(m: int, n: int) -> None:
    g = np.random.default_rng(m * n)
    x, y = g.normal(size=m), g.normal(0.15, 1.0, size=n)
    expected = stats.ks_2samp(x, y, method="exact").pvalue
    assert ks_ties_p_value(x, y) == pytest.approx(expected, rel=1e-9)


# --- with ties: the exact permutation p-value -----------------------------------------------------


CASES = [(1, 1, 1, 2), (2, 3, 4, 2), (3, 5, 5, 3), (4, 6, 6, 2), (5, 7, 7, 4), (6, 8, 8, 3),
         (7, 8, 5, 2), (8, 1, 8, 3), (9, 8, 8, 1), (10, 6, 8, 9)]


@pytest.mark.parametrize("seed, m, n, levels", CASES)
def test_small_samples_against_every_split(seed: int, m: int, n: int, levels: int) -> None:
    """All C(m + n, m) ways to split the pooled values: the p-value is the share whose D is at least
    the observed one, exactly (up to rounding)."""
    x, y = tied(seed, m, n, levels, shift=1)
    pooled = np.concatenate([x, y])
    observed = gap_of(x, y)
    splits = list(itertools.combinations(range(m + n), m))
    as_large = 0
    for split in splits:
        chosen = np.zeros(m + n, dtype=bool)
        chosen[list(split)] = True
        as_large += gap_of(pooled[chosen], pooled[~chosen]) >= observed
    assert len(splits) == math.comb(m + n, m)
    p = ks_ties_p_value(x, y)
    assert abs(p * len(splits) - as_large) < 1e-9, (p, as_large, len(splits))
    assert ks_test(x, y)[1] == p
    assert ks_test(x, y)[0] == stats.ks_2samp(x, y).statistic


def monte_carlo_p_value(x: np.ndarray, y: np.ndarray, permutations: int, seed: int) -> float:
    """Share of random relabellings of the pooled values whose D is at least the observed one."""
    m, n = len(x), len(y)
    pooled = np.sort(np.concatenate([x, y]))
    at = np.unique(pooled)
    upto = np.searchsorted(pooled, at, side="right")  # values <= each distinct value
    observed = gap_of(x, y)
    g = np.random.default_rng(seed)
    labels = np.zeros((2_000, m + n), dtype=np.int8)
    labels[:, :m] = 1
    as_large = 0
    for _ in range(permutations // 2_000):
        below_x = np.cumsum(g.permuted(labels, axis=1), axis=1)[:, upto - 1]
        as_large += int(np.sum(np.max(np.abs(below_x * n - (upto - below_x) * m), axis=1) >= observed))
    return as_large / permutations


def gss_draw(column: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    values = gss_label_events()[column].dropna().to_numpy(dtype=np.float64)
    draw = values[np.random.default_rng(seed).integers(0, len(values), 2_000)]
    return draw[:1_000], draw[1_000:]


@pytest.mark.parametrize("case", ["small", "medium", "unequal", "childs", "prestg10"])
def test_against_a_monte_carlo_permutation_test(case: str) -> None:
    x, y = {"small": lambda: tied(3, 15, 25, 5, shift=1),
            "medium": lambda: tied(2, 200, 300, 12, shift=1),
            "unequal": lambda: tied(3, 60, 700, 20, shift=2),
            "childs": lambda: gss_draw("childs", 10),  # exact 0.029, scipy 0.108
            "prestg10": lambda: gss_draw("prestg10", 16)}[case]()  # exact 0.032, scipy 0.055
    permutations = 20_000
    p = ks_ties_p_value(x, y)
    assert 0.005 < p < 0.8  # a p-value the simulation can check
    estimate = monte_carlo_p_value(x, y, permutations, seed=11)
    standard_error = math.sqrt(p * (1 - p) / permutations)
    assert abs(estimate - p) < 4 * standard_error, (p, estimate, standard_error)
    assert p < stats.ks_2samp(x, y).pvalue  # the ties matter here: scipy's is larger


@pytest.mark.parametrize("seed, m, n, levels, shift", [(1, 40, 60, 6, 0), (2, 150, 120, 25, 1),
                                                       (3, 30, 400, 10, 1), (4, 200, 250, 8, 6),
                                                       (5, 300, 300, 40, 0)])
def test_against_rs_recursion(seed: int, m: int, n: int, levels: int, shift: int) -> None:
    """Medium samples, and a tiny p-value (shift=6): agreement to a relative 1e-10."""
    x, y = tied(seed, m, n, levels, shift)
    expected = r_psmirnov_upper(x, y)
    assert ks_ties_p_value(x, y) == pytest.approx(expected, rel=1e-10, abs=0)
    assert ks_ties_p_value(y, x) == pytest.approx(expected, rel=1e-10, abs=0)


def test_tiny_p_values_keep_their_relative_accuracy() -> None:
    x, y = tied(4, 200, 250, 8, shift=6)
    p = ks_ties_p_value(x, y)
    assert 0 < p < 1e-18
    assert p == pytest.approx(r_psmirnov_upper(x, y), rel=1e-10)


@pytest.mark.parametrize("seed", range(6))
def test_the_statistic_is_scipys_and_the_p_value_at_most_scipys(seed: int) -> None:
    """D is the number ks_2samp reports (on its lattice up to 10,000 values per sample, as is above
    it); with ties the p-value is at most scipy's exact continuous one (the boundary is checked at
    fewer points), and not far from it where ties are few."""
    g = np.random.default_rng(seed)
    for _ in range(40):
        m, n = (int(v) for v in g.integers(1, 3_000, 2))
        levels = int(g.integers(2, 400))
        x, y = tied(int(g.integers(1 << 30)), m, n, levels, shift=int(g.integers(0, 2)))
        statistic, p = ks_test(x, y)
        expected = stats.ks_2samp(x, y)
        assert statistic == expected.statistic
        assert p <= expected.pvalue * (1 + 1e-9) + 1e-12
    for m, n in [(20_000, 3_000), (10_001, 40), (10_000, 10_000)]:
        x, y = tied(seed, m, n, 50)
        assert ks_test(x, y)[0] == stats.ks_2samp(x, y).statistic


@pytest.mark.filterwarnings("ignore:One or more sample arguments is too small")
def test_edge_cases() -> None:
    assert ks_test(np.array([3.0]), np.array([3.0])) == (0.0, 1.0)
    assert ks_test(np.ones(5), np.ones(7)) == (0.0, 1.0)
    assert ks_test(np.array([1.0, 1.0]), np.array([2.0, 2.0, 2.0])) == (1.0, pytest.approx(0.1))
    integers = np.array([0, 1, 1, 2, 5]), np.array([1, 2, 2, 3])
    assert ks_test(*integers) == ks_test(*(v.astype(float) for v in integers))
    empty, some = np.array([]), np.array([1.0, 1.0])  # as scipy: no p-value without a sample
    np.testing.assert_equal(ks_test(empty, some), tuple(stats.ks_2samp(empty, some))[:2])
    with pytest.raises(InvalidInput, match="at least one value in each sample"):
        ks_ties_p_value(empty, some)


# --- when which p-value ---------------------------------------------------------------------------


def test_beyond_the_limits_and_with_nan_scipy_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    x, y = tied(1, 300, 400, 20)
    exact = ks_test(x, y)
    scipy = stats.ks_2samp(x, y)
    assert exact[0] == scipy.statistic and exact[1] < scipy.pvalue
    for limit, value in [("KS_TIES_EXACT_MAX_VALUES", 699), ("KS_TIES_EXACT_MAX_PRODUCT", 119_999),
                         ("KS_TIES_EXACT_MAX_DISTINCT", 19)]:
        with monkeypatch.context() as patch:
            patch.setattr(ks_exact, limit, value)
            assert ks_test(x, y) == (scipy.statistic, scipy.pvalue), limit
    with monkeypatch.context() as patch:  # each limit is inclusive
        for limit, value in [("KS_TIES_EXACT_MAX_VALUES", 700), ("KS_TIES_EXACT_MAX_PRODUCT", 120_000),
                             ("KS_TIES_EXACT_MAX_DISTINCT", 20)]:
            patch.setattr(ks_exact, limit, value)
        assert ks_test(x, y) == exact
    with_nan = np.append(x, np.nan)
    nan_result = stats.ks_2samp(with_nan, y)
    np.testing.assert_equal(ks_test(with_nan, y), (nan_result.statistic, nan_result.pvalue))


def test_the_profile_and_the_frame_give_the_same_numbers() -> None:
    g = np.random.default_rng(3)
    reference = pd.DataFrame({"count": g.poisson(2.0, 900), "age": g.integers(18, 90, 900).astype(float)})
    current = pd.DataFrame({"count": g.poisson(2.2, 700), "age": g.integers(18, 92, 700).astype(float)})
    from_frame = dataset_drift(reference, current)
    from_profile = dataset_drift(reference_profile(reference), current)
    for column in ["count", "age"]:
        a, b = from_frame.column(column), from_profile.column(column)
        assert a.test == b.test == "ks"
        assert (a.statistic, a.p_value) == (b.statistic, b.p_value)
        assert (a.statistic, a.p_value) == ks_test(reference[column].to_numpy(float),
                                                   current[column].to_numpy(float))
    single = column_drift(reference["count"], current["count"])
    assert single.p_value == from_frame.column("count").p_value
