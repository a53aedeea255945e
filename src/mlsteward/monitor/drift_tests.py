"""Drift tests, registered by name: the statistics behind ``column_drift`` and ``dataset_drift``.

Each test is a ``DriftTest`` in ``DRIFT_TESTS``: a name (what ``steward.yaml``, the CLI and the REST
API select it by), the column type it applies to, its kind, a default threshold, and a pure
function ``(reference, current) -> (statistic, p_value or None)`` on the non-missing values of one
column. ``register_drift_test`` adds one.

Kinds: ``p_value`` tests call drift when ``p_value < threshold`` *and* their effect size reaches
the effect-size floor (see below); ``distance`` tests call drift when ``statistic >= threshold``.

Tests (defaults in brackets):

* ``ks`` (numeric, p_value, [0.05], effect floor [0.05]): two-sample Kolmogorov-Smirnov,
  two-sided. The statistic is ``scipy.stats.ks_2samp``'s D (with its defaults), the largest gap
  between the two empirical CDFs; it is also the effect size. The p-value depends on ties:

  - no value occurs twice in the pooled sample: scipy's (``method="auto"``: exact when both
    samples have at most 10,000 values, asymptotic above), the same numbers as ``ks_2samp``.
  - ties (integer counts, ages, rounded values): scipy's p-values assume continuous data and are
    conservative there: over 20,000 no-shift draws of 1,000 vs 1,000 rows of GSS's integer
    columns they called drift in 1.1% (childs) to 4.2% (occ10) of draws at the 5% level. The
    p-value is then the exact permutation p-value given the pooled values, ``ks_ties_p_value``
    (the number R's ``ks.test(exact=TRUE)`` gives), provided ``m + n <= KS_TIES_EXACT_MAX_VALUES``
    (200,000), ``m * n <= KS_TIES_EXACT_MAX_PRODUCT`` (10**8) and the pooled sample has at most
    ``KS_TIES_EXACT_MAX_DISTINCT`` (20,000) distinct values, limits that bound its cost (0.2-1.5
    ms for 1,000 vs 1,000 GSS integer values, at most about 0.1-0.3 s within them); beyond them,
    scipy's. An exact test calls drift in at most 5% of no-shift draws; with ties D takes few
    values, so the level it can attain is a little lower: over the same draws 4.3% (age), 4.6%
    (year), 4.7% (childs, prestg10, occ10). See tests/monitor/test_ks_ties.py and
    test_drift_false_alarms.py.
* ``wasserstein`` (numeric, distance, [0.1]): the Wasserstein-1 (earth mover's) distance, in the
  column's units (the same number as ``scipy.stats.wasserstein_distance``, computed about three
  times faster: ``wasserstein_distance`` below), divided by the population standard deviation
  (ddof=0) of the reference, so 0.1 reads "the distributions are 0.1 reference standard deviations
  apart" (a shift of the whole distribution by 0.1 sd scores exactly 0.1). A constant reference
  has no spread to divide by: the distance is divided by the std of reference and current pooled
  instead; if that is zero too, both are the same constant and the result is 0.
* ``psi_numeric`` (numeric, distance, [0.1]): population stability index over 10 quantile bins of
  the reference (binning below).
* ``chi2`` (categorical, p_value, [0.05], effect floor [0.1]): Pearson's chi-squared test of
  independence on the 2 x k contingency table of reference and current counts over the union of
  their categories, ``scipy.stats.chi2_contingency(table, correction=False)``. This is a true
  two-sample test: both samples carry sampling noise. (A goodness-of-fit test of the current counts
  against the reference proportions treated as exact, as Evidently does, ignores the reference's
  noise and at equal sample sizes raises false alarms several times its nominal rate; see the
  tests.) Without Yates' correction the 2 x 2 case is exactly the pooled two-proportion z-test
  (chi2 = z**2), so a binary column needs no separate test. Effect size: Cramér's V,
  ``sqrt(chi2 / n)`` for a 2 x k table (n = all values of both samples), 0 with one category.
  The chi-squared approximation wants expected counts of about 5 or more per cell; categories
  rarer than that make p-values less exact.
* ``jensen_shannon`` (categorical, distance, [0.1]): ``scipy.spatial.distance.jensenshannon`` with
  ``base=2`` of the two category share vectors over the union of categories: a distance in [0, 1].
* ``psi_categorical`` (categorical, distance, [0.1]): population stability index over the
  categories (each category its own bin).

PSI: ``PSI = sum_i (cur_i - ref_i) * ln(cur_i / ref_i)`` over bins, with ``ref_i`` and ``cur_i``
the shares of each sample in bin i; a share of exactly 0 is replaced by ``PSI_EPSILON = 1e-4``
(shares are not renormalised). 0.1 is the customary "some change", 0.25 "major shift".
Numeric binning (``psi_bin_edges``): the edges are the distinct ``k/bins`` quantiles of the
reference, k = 1..bins-1, with ``method="inverted_cdf"`` (each edge is a reference value), keeping
those below the reference maximum; bins are right-closed, ``(-inf, e1], (e1, e2], ..., (e_last,
+inf)``, so current values outside the reference's range fall in the outer bins. Every bin holds at
least one reference value, so the epsilon only ever applies to the current side; a continuous
reference puts about ``1/bins`` of its values in each bin, a discrete one gets fewer bins (a 0/1
column gets two). A constant reference gets three bins: below, equal to, and above its value.

Default choice (``default_drift_test``), by column type and the *smaller* of the two sample sizes:

* at most ``SMALL_SAMPLE_MAX_ROWS`` (1,000) values on either side: ``ks`` (numeric) or ``chi2``
  (categorical). A hypothesis test knows how much noise a small sample carries.
* more on both sides: ``wasserstein`` >= 0.1 (numeric) or ``jensen_shannon`` >= 0.1 (categorical),
  which measure how far apart the distributions are rather than how sure we are that they differ
  (with a million rows every test is "significant").

Evidently uses the same families but decides by the reference size alone. A large reference with a
small current window then gets a distance test whose sampling noise exceeds its threshold: measured
here, a 100,000-row reference against 50 (200) current rows drawn from the *same* normal
distribution gave normalised Wasserstein >= 0.1 in 93% (33%) of draws; the same with 10 equally
likely categories gave Jensen-Shannon >= 0.1 in 97% (28%). With 1,000 or more rows on both sides
it was 0%. Hence the smaller sample decides.

Effect-size floor: with huge samples a p-value test finds any difference, however trivial. A
p-value test therefore calls drift only when its effect size is also at least the floor (0
disables it). Defaults are set to agree with the distance tests used above 1,000 rows: KS D >= 0.05
(a normal distribution shifted by 0.125 sd has D = 0.05, and normalised Wasserstein 0.125; at 1,000
vs 1,000 tie-free rows D must exceed 0.061 to be significant anyway, so the floor binds only on
large samples, or on coarse columns, where the exact p-value with ties is significant at smaller D:
at 1,000 vs 1,000 rows from 0.057 for GSS's age or prestg10, 0.049-0.05 for childs (9 values),
0.045 for a 0/1 column half ones, 0.027 for one with 10% ones); Cramér's V >= 0.1 (Cohen's
"small" effect; for two equal samples V is about 1.18 times the Jensen-Shannon distance, so V = 0.1
matches a distance of about 0.085).

Multiple-testing corrections for a dataset's verdict (``CORRECTIONS``): ``bonferroni`` and
``benjamini_hochberg`` adjusted p-values, below; ``mlsteward.monitor.drift_dataset`` says how they
apply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel
from scipy import stats
from scipy.spatial.distance import jensenshannon

from mlsteward.errors import InvalidInput
from mlsteward.monitor.ks_exact import (  # noqa: F401 - the constants are importable from here too
    KS_TIES_EXACT_MAX_DISTINCT,
    KS_TIES_EXACT_MAX_PRODUCT,
    KS_TIES_EXACT_MAX_VALUES,
    ks_test,
    ks_ties_p_value,
)

ColumnType = Literal["numeric", "categorical"]
TestKind = Literal["p_value", "distance"]
Correction = Literal["bonferroni", "benjamini_hochberg"]
CORRECTIONS: tuple[str, ...] = ("bonferroni", "benjamini_hochberg")

SMALL_SAMPLE_MAX_ROWS = 1_000
PSI_EPSILON = 1e-4
PSI_BINS = 10

TestFunction = Callable[[np.ndarray, np.ndarray], tuple[float, float | None]]
EffectFunction = Callable[[np.ndarray, np.ndarray, float], float]


class DriftTestInfo(BaseModel):
    """What a registered drift test is, for listings (CLI, REST, documentation)."""

    name: str
    applies_to: ColumnType
    kind: TestKind
    default_threshold: float
    effect_size_name: str | None = None
    default_effect_floor: float | None = None
    description: str = ""


@dataclass(frozen=True)
class DriftTest:
    """A named drift test. ``compute(reference, current)`` returns ``(statistic, p_value)``.

    ``compute`` receives the non-missing values of one column of each sample as numpy arrays:
    floats for numeric tests, any hashable values (or integer codes standing for them) for
    categorical tests. ``p_value`` tests return a p-value and may give an ``effect_size``
    function ``(reference, current, statistic) -> float`` with its floor; ``distance`` tests
    return ``None`` as p-value.
    """

    name: str
    applies_to: ColumnType
    kind: TestKind
    default_threshold: float
    compute: TestFunction = field(repr=False)
    effect_size: EffectFunction | None = field(default=None, repr=False)
    effect_size_name: str | None = None
    default_effect_floor: float = 0.0
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name or not self.name.isidentifier():
            raise InvalidInput(f"A drift test name must be a non-empty identifier such as "
                               f"'my_test'. Got {self.name!r} instead.")
        if self.applies_to not in ("numeric", "categorical"):
            raise InvalidInput(f"The 'applies_to' of drift test '{self.name}' must be 'numeric' or "
                               f"'categorical'. Got {self.applies_to!r} instead.")
        if self.kind not in ("p_value", "distance"):
            raise InvalidInput(f"The 'kind' of drift test '{self.name}' must be 'p_value' or "
                               f"'distance'. Got {self.kind!r} instead.")
        check_threshold(self, self.default_threshold)
        check_effect_floor(self.default_effect_floor)
        if self.effect_size is not None and self.kind != "p_value":
            raise InvalidInput(f"Drift test '{self.name}' is a distance test; only p-value tests "
                               "take an effect size (the distance is the effect).")

    def __call__(self, reference: np.ndarray, current: np.ndarray) -> tuple[float, float | None]:
        return self.compute(reference, current)

    def info(self) -> DriftTestInfo:
        has_effect = self.effect_size is not None
        return DriftTestInfo(
            name=self.name, applies_to=self.applies_to, kind=self.kind,
            default_threshold=self.default_threshold, effect_size_name=self.effect_size_name,
            default_effect_floor=self.default_effect_floor if has_effect else None,
            description=self.description)


DRIFT_TESTS: dict[str, DriftTest] = {}


def register_drift_test(test: DriftTest, *, replace: bool = False) -> DriftTest:
    """Add ``test`` to ``DRIFT_TESTS`` under its name; ``replace=True`` to overwrite one."""
    if not isinstance(test, DriftTest):
        raise InvalidInput(f"register_drift_test takes a DriftTest. Got {type(test).__name__}.")
    if test.name in DRIFT_TESTS and not replace:
        raise InvalidInput(f"A drift test named '{test.name}' is already registered; pass "
                           "replace=True to overwrite it, or choose another name.")
    DRIFT_TESTS[test.name] = test
    return test


def check_threshold(test: DriftTest, threshold: float) -> float:
    """``threshold`` as a float if it suits ``test`` (p-value in (0, 1), distance > 0)."""
    value = finite_number(threshold, f"threshold of drift test '{test.name}'")
    if test.kind == "p_value" and not 0.0 < value < 1.0:
        raise InvalidInput(f"The threshold of p-value test '{test.name}' is a significance level "
                           f"and must be between 0 and 1 (e.g. 0.05). Got {threshold!r} instead.")
    if test.kind == "distance" and value <= 0.0:
        raise InvalidInput(f"The threshold of distance test '{test.name}' must be positive "
                           f"(e.g. 0.1). Got {threshold!r} instead.")
    return value


def check_effect_floor(floor: float) -> float:
    value = finite_number(floor, "effect_floor")
    if value < 0.0:
        raise InvalidInput(f"The effect_floor must be 0 (no floor) or positive (e.g. 0.1). "
                           f"Got {floor!r} instead.")
    return value


def finite_number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidInput(f"The {what} must be a number. Got {value!r} instead.")
    number = float(value)
    if not np.isfinite(number):
        raise InvalidInput(f"The {what} must be a finite number. Got {value!r} instead.")
    return number


def default_drift_test(column_type: ColumnType, reference_count: int, current_count: int) -> str:
    """Name of the default test for a column (rules in the module docstring)."""
    small = min(reference_count, current_count) <= SMALL_SAMPLE_MAX_ROWS
    if column_type == "numeric":
        return "ks" if small else "wasserstein"
    return "chi2" if small else "jensen_shannon"


# --- numeric tests --------------------------------------------------------------------------------


def _ks_effect(reference: np.ndarray, current: np.ndarray, statistic: float) -> float:
    return statistic


def wasserstein_distance(u: np.ndarray, v: np.ndarray) -> float:
    """The 1-Wasserstein distance of two samples, ``integral |F_u(x) - F_v(x)| dx``.

    The same quantity and formula as ``scipy.stats.wasserstein_distance(u, v)`` (unweighted):
    the sum over the merged sorted values of ``|F_u - F_v| * gap to the next value``. scipy
    argsorts both samples and binary-searches the merged values; here each sample is sorted once
    and the two sorted runs are merged (``wasserstein_sorted``), which is about three times faster
    on a million rows. The tests check it equals scipy's to 1e-12.
    """
    return wasserstein_sorted(np.sort(u), np.sort(v))


def wasserstein_sorted(us: np.ndarray, vs: np.ndarray) -> float:
    """``wasserstein_distance`` of two samples already sorted ascending (not checked)."""
    merged = np.concatenate([us, vs])
    order = np.argsort(merged, kind="stable")  # two sorted runs: a linear merge
    from_u = order < len(us)
    u_cdf = np.cumsum(from_u)[:-1] / len(us)
    v_cdf = np.cumsum(~from_u)[:-1] / len(vs)
    return float(np.sum(np.multiply(np.abs(u_cdf - v_cdf), np.diff(merged[order]))))


def normed_wasserstein(reference: np.ndarray, current: np.ndarray) -> tuple[float, float | None]:
    distance = wasserstein_distance(reference, current)
    if distance == 0.0:
        return 0.0, None
    return normed_distance(distance, float(np.std(reference)), reference, current), None


def normed_distance(distance: float, reference_std: float, reference: np.ndarray,
                    current: np.ndarray) -> float:
    """``distance`` in reference standard deviations (pooled std for a constant reference)."""
    scale = reference_std
    if scale == 0.0:  # a constant reference: the order of its values does not matter here
        scale = float(np.std(np.concatenate([reference, current])))
    return distance / scale


def psi_bin_edges(reference: np.ndarray, bins: int = PSI_BINS) -> np.ndarray:
    """Interior edges of the right-closed PSI bins of a numeric reference (module docstring)."""
    if bins < 1:
        raise InvalidInput(f"The number of PSI bins must be at least 1. Got {bins!r} instead.")
    lowest, highest = float(np.min(reference)), float(np.max(reference))
    if lowest == highest:
        return np.array([np.nextafter(lowest, -np.inf), lowest])
    probabilities = np.arange(1, bins) / bins
    edges = np.unique(np.quantile(reference, probabilities, method="inverted_cdf"))
    return edges[edges < highest]


def psi_bin_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts of ``values`` in the bins ``(-inf, e1], (e1, e2], ..., (e_last, +inf)``."""
    index = np.searchsorted(edges, values, side="left")
    return np.bincount(index, minlength=len(edges) + 1)


def psi_from_counts(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """PSI of two count vectors over the same bins (zero shares become ``PSI_EPSILON``)."""
    ref = reference_counts / reference_counts.sum()
    cur = current_counts / current_counts.sum()
    ref = np.where(ref == 0.0, PSI_EPSILON, ref)
    cur = np.where(cur == 0.0, PSI_EPSILON, cur)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def psi_numeric(reference: np.ndarray, current: np.ndarray) -> tuple[float, float | None]:
    edges = psi_bin_edges(reference)
    return psi_from_counts(psi_bin_counts(reference, edges), psi_bin_counts(current, edges)), None


# --- categorical tests ----------------------------------------------------------------------------


def category_counts(reference: np.ndarray, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts of each sample over the union of their categories (same order on both sides)."""
    codes, uniques = pd.factorize(np.concatenate([np.asarray(reference), np.asarray(current)]))
    k = len(uniques)
    n_ref = len(reference)
    return (np.bincount(codes[:n_ref], minlength=k), np.bincount(codes[n_ref:], minlength=k))


def chi2_test(reference: np.ndarray, current: np.ndarray) -> tuple[float, float | None]:
    return chi2_from_counts(*category_counts(reference, current))


def chi2_from_counts(reference_counts: np.ndarray,
                     current_counts: np.ndarray) -> tuple[float, float | None]:
    """``chi2_test`` of two count vectors over the same categories."""
    if len(reference_counts) < 2:
        return 0.0, 1.0
    table = np.vstack([reference_counts, current_counts])
    result = stats.chi2_contingency(table, correction=False)
    return float(result.statistic), float(result.pvalue)


def _cramers_v(reference: np.ndarray, current: np.ndarray, statistic: float) -> float:
    return cramers_v(statistic, len(reference) + len(current))


def cramers_v(statistic: float, n: int) -> float:
    """Cramér's V of a 2 x k chi-squared statistic over ``n`` values."""
    return float(np.sqrt(statistic / n)) if n else 0.0


def jensen_shannon(reference: np.ndarray, current: np.ndarray) -> tuple[float, float | None]:
    return jensen_shannon_from_counts(*category_counts(reference, current))


def jensen_shannon_from_counts(reference_counts: np.ndarray,
                               current_counts: np.ndarray) -> tuple[float, float | None]:
    distance = jensenshannon(reference_counts / reference_counts.sum(),
                             current_counts / current_counts.sum(), base=2)
    return float(distance), None


def psi_categorical(reference: np.ndarray, current: np.ndarray) -> tuple[float, float | None]:
    return psi_from_counts(*category_counts(reference, current)), None


# --- the built-in tests --------------------------------------------------------------------------


for _test in (
    DriftTest("ks", "numeric", "p_value", 0.05, ks_test, _ks_effect, "ks_statistic", 0.05,
              "two-sample Kolmogorov-Smirnov (scipy.stats.ks_2samp; exact p-value with ties)"),
    DriftTest("wasserstein", "numeric", "distance", 0.1, normed_wasserstein,
              description="Wasserstein-1 distance (as scipy.stats.wasserstein_distance) "
                          "/ reference std"),
    DriftTest("psi_numeric", "numeric", "distance", 0.1, psi_numeric,
              description="population stability index over 10 reference quantile bins"),
    DriftTest("chi2", "categorical", "p_value", 0.05, chi2_test, _cramers_v, "cramers_v", 0.1,
              "chi-squared two-sample test on the 2 x k table (scipy.stats.chi2_contingency)"),
    DriftTest("jensen_shannon", "categorical", "distance", 0.1, jensen_shannon,
              description="Jensen-Shannon distance, base 2 (scipy.spatial.distance.jensenshannon)"),
    DriftTest("psi_categorical", "categorical", "distance", 0.1, psi_categorical,
              description="population stability index over the categories"),
):
    register_drift_test(_test)
del _test


# --- multiple-testing corrections -----------------------------------------------------------------


def bonferroni(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Bonferroni-adjusted p-values: ``min(1, m * p)``."""
    p = _p_array(p_values)
    return np.minimum(p * len(p), 1.0)


def benjamini_hochberg(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (step-up): ``min_{j >= i} (m / j) p_(j)``, at most 1."""
    p = _p_array(p_values)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    stepped = np.minimum.accumulate(scaled[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def _p_array(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    p = np.asarray(p_values, dtype=np.float64).ravel()
    outside = ~((p >= 0.0) & (p <= 1.0))
    if outside.any():
        raise InvalidInput(f"p-values must lie between 0 and 1. Got {p[outside][:5].tolist()}.")
    return p
