"""Drift: every statistic against an independent reference (scipy, hand-worked examples)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon
from sklearn.datasets import load_breast_cancer

from mlsteward.errors import InvalidInput
from mlsteward.monitor import (
    DRIFT_TESTS,
    PSI_EPSILON,
    ColumnDrift,
    DatasetDrift,
    DriftTest,
    benjamini_hochberg,
    bonferroni,
    column_drift,
    dataset_drift,
    default_drift_test,
    psi_bin_edges,
    register_drift_test,
)
from mlsteward.monitor.drift_tests import wasserstein_distance

RTOL = 1e-12


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def crosstab(reference: np.ndarray, current: np.ndarray) -> np.ndarray:
    """The 2 x k table of counts, built independently of the code under test."""
    categories = sorted(set(reference) | set(current))
    return np.array([[np.sum(reference == c) for c in categories],
                     [np.sum(current == c) for c in categories]])


# --- the registry ---------------------------------------------------------------------------------


def test_registry_holds_the_six_tests_with_documented_defaults() -> None:
    expected = {
        "ks": ("numeric", "p_value", 0.05, "ks_statistic", 0.05),
        "wasserstein": ("numeric", "distance", 0.1, None, None),
        "psi_numeric": ("numeric", "distance", 0.1, None, None),
        "chi2": ("categorical", "p_value", 0.05, "cramers_v", 0.1),
        "jensen_shannon": ("categorical", "distance", 0.1, None, None),
        "psi_categorical": ("categorical", "distance", 0.1, None, None),
    }
    assert set(expected) <= set(DRIFT_TESTS)
    for name, (applies_to, kind, threshold, effect_name, floor) in expected.items():
        info = DRIFT_TESTS[name].info()
        assert (info.applies_to, info.kind, info.default_threshold, info.effect_size_name,
                info.default_effect_floor) == (applies_to, kind, threshold, effect_name, floor)


@pytest.fixture
def custom_test():
    def mean_gap(reference: np.ndarray, current: np.ndarray) -> tuple[float, None]:
        return abs(float(np.mean(current) - np.mean(reference))), None

    test = register_drift_test(DriftTest("mean_gap", "numeric", "distance", 1.0, mean_gap))
    yield test
    del DRIFT_TESTS["mean_gap"]


def test_a_registered_test_is_chosen_by_name(custom_test: DriftTest) -> None:
    df_ref = pd.DataFrame({"x": np.arange(100.0)})
    df_cur = pd.DataFrame({"x": np.arange(100.0) + 2.5})
    result = dataset_drift(df_ref, df_cur, tests={"x": "mean_gap"})
    x = result.column("x")
    assert (x.test, x.test_source, x.statistic, x.threshold, x.drifted) == (
        "mean_gap", "configured", 2.5, 1.0, True)
    assert dataset_drift(df_ref, df_cur, tests={"x": "mean_gap"},
                         thresholds={"x": 3.0}).column("x").drifted is False
    with pytest.raises(InvalidInput, match="already registered"):
        register_drift_test(custom_test)


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "bad name"}, "identifier"),
    ({"kind": "p_value", "default_threshold": 5.0}, "between 0 and 1"),
    ({"default_threshold": -1.0}, "must be positive"),
    ({"applies_to": "text"}, "'numeric' or 'categorical'"),
])
def test_a_malformed_test_is_refused(kwargs: dict, message: str) -> None:
    fields = {"name": "t", "applies_to": "numeric", "kind": "distance", "default_threshold": 0.1,
              "compute": lambda r, c: (0.0, None)} | kwargs
    with pytest.raises(InvalidInput, match=message):
        DriftTest(**fields)


# --- numeric statistics against scipy -------------------------------------------------------------


@pytest.mark.parametrize("n_ref, n_cur, shift", [(50, 80, 0.5), (900, 1000, 0.1),
                                                  (20_000, 15_000, 0.02)])
def test_ks_equals_scipy(n_ref: int, n_cur: int, shift: float) -> None:
    reference, current = rng(1).normal(size=n_ref), rng(2).normal(shift, size=n_cur)
    expected = stats.ks_2samp(reference, current)
    result = column_drift(reference, current, test="ks")
    assert result.statistic == pytest.approx(expected.statistic, rel=RTOL)
    assert result.p_value == pytest.approx(expected.pvalue, rel=RTOL)
    assert result.effect_size == result.statistic
    assert result.drifted == (expected.pvalue < 0.05 and expected.statistic >= 0.05)


@pytest.mark.parametrize("reference, current", [
    (rng(1).normal(size=2_000), rng(2).normal(0.3, 2.0, size=3_000)),
    (rng(3).integers(0, 5, 1_000).astype(float), rng(4).integers(0, 7, 1_300).astype(float)),
    (rng(5).exponential(size=10), rng(6).exponential(size=1)),
])
def test_wasserstein_equals_scipy_divided_by_reference_std(reference: np.ndarray,
                                                           current: np.ndarray) -> None:
    raw = stats.wasserstein_distance(reference, current)
    assert wasserstein_distance(reference, current) == pytest.approx(raw, rel=RTOL)
    result = column_drift(reference, current, test="wasserstein")
    assert result.statistic == pytest.approx(raw / np.std(reference), rel=RTOL)
    assert result.p_value is None and result.effect_size is None


def test_wasserstein_reads_in_reference_standard_deviations() -> None:
    reference = rng(1).normal(10.0, 3.0, size=5_000)
    result = column_drift(reference, reference + 0.1 * np.std(reference), test="wasserstein")
    assert result.statistic == pytest.approx(0.1, rel=1e-9)


def test_wasserstein_of_a_constant_reference() -> None:
    constant = np.full(100, 4.0)
    assert column_drift(constant, constant, test="wasserstein").statistic == 0.0
    # nothing to divide by: the pooled std of both samples, [4]*100 + [6]*100 -> std 1, distance 2
    result = column_drift(constant, np.full(100, 6.0), test="wasserstein")
    assert result.statistic == pytest.approx(2.0)
    assert result.drifted


# --- categorical statistics against scipy ---------------------------------------------------------


def categorical_pair(n_ref: int, n_cur: int, p_ref: list[float], p_cur: list[float],
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    levels = np.array(["a", "b", "c", "d", "e", "f"][:len(p_ref)])
    g = rng(seed)
    return g.choice(levels, n_ref, p=p_ref), g.choice(levels, n_cur, p=p_cur)


def test_chi2_is_scipys_contingency_test_with_cramers_v() -> None:
    reference, current = categorical_pair(700, 400, [0.4, 0.3, 0.2, 0.1], [0.3, 0.3, 0.25, 0.15])
    current = np.concatenate([current, ["new"] * 7])  # a category the reference never saw
    table = crosstab(reference, current)
    expected = stats.chi2_contingency(table, correction=False)
    result = column_drift(reference, current, test="chi2")
    assert result.statistic == pytest.approx(expected.statistic, rel=RTOL)
    assert result.p_value == pytest.approx(expected.pvalue, rel=RTOL)
    assert result.effect_size == pytest.approx(
        stats.contingency.association(table, method="cramer"), rel=RTOL)


def test_chi2_on_two_categories_is_the_two_proportion_z_test() -> None:
    reference, current = categorical_pair(500, 300, [0.5, 0.5], [0.42, 0.58], seed=3)
    p1, p2 = np.mean(reference == "a"), np.mean(current == "a")
    pooled = (np.sum(reference == "a") + np.sum(current == "a")) / 800
    z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / 500 + 1 / 300))
    result = column_drift(reference, current, test="chi2")
    assert result.statistic == pytest.approx(z * z, rel=1e-10)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)


def test_jensen_shannon_equals_scipy_base_2() -> None:
    reference, current = categorical_pair(2_000, 3_000, [0.4, 0.3, 0.2, 0.1], [0.2, 0.3, 0.3, 0.2])
    counts = crosstab(reference, current)
    expected = jensenshannon(counts[0] / counts[0].sum(), counts[1] / counts[1].sum(), base=2)
    result = column_drift(reference, current, test="jensen_shannon")
    assert result.statistic == pytest.approx(expected, rel=RTOL)
    assert result.drifted == (expected >= 0.1)


# --- PSI, hand-worked -----------------------------------------------------------------------------


def test_psi_categorical_hand_worked() -> None:
    # shares a: 0.5 -> 0.2, b: 0.3 -> 0.3, c: 0.2 -> 0.5
    # PSI = (0.2-0.5) ln(0.2/0.5) + 0 + (0.5-0.2) ln(0.5/0.2) = 0.6 ln 2.5 = 0.5497744391...
    reference = np.array(list("aaaaabbbcc"))
    current = np.array(list("aabbbccccc"))
    assert column_drift(reference, current, test="psi_categorical").statistic == pytest.approx(
        0.5497744391, abs=1e-10)
    # a category absent from the reference: its share 0 becomes epsilon = 1e-4
    # ref a 0.5, b 0.5, c 0; cur a 0.4, b 0.4, c 0.2
    # PSI = 2 * (-0.1) ln(0.8) + (0.2 - 1e-4) ln(0.2 / 1e-4) = 0.0446287 + 1.5194204 = 1.5640491
    result = column_drift(list("aaaaabbbbb"), list("aaaabbbbcc"), test="psi_categorical")
    assert PSI_EPSILON == 1e-4
    assert result.statistic == pytest.approx(1.5640491, abs=1e-6)


def test_psi_numeric_hand_worked() -> None:
    reference = np.arange(1.0, 21.0)  # 1..20: deciles 2, 4, ..., 18 are the edges
    np.testing.assert_array_equal(psi_bin_edges(reference), np.arange(2.0, 19.0, 2.0))
    # bins (-inf,2] (2,4] ... (18,+inf) hold 2 reference values each: shares 0.1
    # current: 4 values in the first bin (two of them below the reference range), 2 in each of
    # the next eight, none in the last -> shares 0.2, 0.1 x 8, 0 (-> epsilon)
    current = np.array([-5.0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18])
    # PSI = (0.2-0.1) ln 2 + (1e-4 - 0.1) ln(1e-4 / 0.1) = 0.0693147 + 0.6900848
    expected = 0.1 * math.log(2) + (1e-4 - 0.1) * math.log(1e-4 / 0.1)
    assert expected == pytest.approx(0.7593995, abs=1e-7)
    assert column_drift(reference, current, test="psi_numeric").statistic == pytest.approx(
        expected, rel=RTOL)
    assert column_drift(reference, reference, test="psi_numeric").statistic == 0.0


def test_psi_bins_of_discrete_and_constant_references() -> None:
    zero_one = np.array([0.0] * 60 + [1.0] * 40)
    np.testing.assert_array_equal(psi_bin_edges(zero_one), [0.0])  # two bins: 0 and 1
    edges = psi_bin_edges(np.full(10, 3.0))  # three bins: below, equal to, above 3
    assert len(edges) == 2 and edges[1] == 3.0 and edges[0] < 3.0
    assert column_drift(np.full(10, 3.0), np.full(10, 5.0), test="psi_numeric").drifted
    continuous = rng(0).normal(size=10_000)
    counts = np.histogram(continuous, np.concatenate([[-np.inf], psi_bin_edges(continuous),
                                                      [np.inf]]))[0]
    assert counts.min() >= 999 and counts.max() <= 1_001  # deciles: about 1,000 each


# --- default choice and the effect-size floor -----------------------------------------------------


@pytest.mark.parametrize("column_type, n_ref, n_cur, expected", [
    ("numeric", 1_000, 1_000, "ks"),
    ("numeric", 1_001, 1_001, "wasserstein"),
    ("numeric", 100_000, 200, "ks"),  # a small current window decides, not the reference
    ("numeric", 200, 100_000, "ks"),
    ("categorical", 1_000, 50_000, "chi2"),
    ("categorical", 5_000, 5_000, "jensen_shannon"),
])
def test_default_test_by_type_and_smaller_sample(column_type: str, n_ref: int, n_cur: int,
                                                 expected: str) -> None:
    assert default_drift_test(column_type, n_ref, n_cur) == expected
    g = rng(0)
    make = ((lambda n: g.normal(size=n)) if column_type == "numeric"
            else (lambda n: g.choice(["x", "y", "z"], n)))
    result = column_drift(make(n_ref), make(n_cur))
    assert (result.test, result.test_source) == (expected, "default")


def test_effect_floor_keeps_huge_samples_from_alarming_on_trivial_shifts() -> None:
    n = 1_000_000
    reference, current = rng(1).normal(size=n), rng(2).normal(0.01, size=n)  # a 0.01 sd shift
    with_floor = column_drift(reference, current, test="ks")
    assert with_floor.p_value < 1e-6
    assert with_floor.effect_size == pytest.approx(0.004, abs=0.002)
    assert with_floor.effect_floor == 0.05
    assert not with_floor.drifted
    without = column_drift(reference, current, test="ks", effect_floor=0)
    assert without.drifted and without.p_value == with_floor.p_value


def test_effect_floor_of_chi2() -> None:
    n = 1_000_000
    reference, current = categorical_pair(n, n, [0.5, 0.3, 0.2], [0.505, 0.3, 0.195], seed=4)
    assert not column_drift(reference, current, test="chi2").drifted  # V ~ 0.005 < 0.1
    result = column_drift(reference, current, test="chi2", effect_floor=0.0)
    assert result.p_value < 1e-6 and result.effect_size < 0.01 and result.drifted


# --- false alarms: a two-sample test, not a goodness-of-fit test ----------------------------------


def test_chi2_false_alarm_rate_is_nominal_where_goodness_of_fit_is_not() -> None:
    """1,000 vs 1,000 from the same 5-level distribution, 300 times: how often is drift called?"""
    g = rng(2026)
    p = np.array([0.35, 0.25, 0.2, 0.12, 0.08])
    repetitions, n = 300, 1_000
    ref_counts = g.multinomial(n, p, size=repetitions)
    cur_counts = g.multinomial(n, p, size=repetitions)
    chi2 = DRIFT_TESTS["chi2"]
    levels = np.array(list("abcde"))
    two_sample, goodness_of_fit, with_floor = [], [], []
    for ref, cur in zip(ref_counts, cur_counts, strict=True):
        reference, current = np.repeat(levels, ref), np.repeat(levels, cur)
        _, p_value = chi2.compute(reference, current)
        two_sample.append(p_value < 0.05)
        # what drift tools commonly do: the reference proportions taken as exact
        gof = stats.chisquare(cur, f_exp=ref / ref.sum() * cur.sum())
        goodness_of_fit.append(gof.pvalue < 0.05)
        result = column_drift(reference, current)  # default: chi2 with the effect floor
        with_floor.append(result.drifted)
    two_sample_rate, gof_rate = np.mean(two_sample), np.mean(goodness_of_fit)
    assert 0.02 <= two_sample_rate <= 0.09, two_sample_rate
    assert gof_rate >= 0.2 and gof_rate >= 3 * two_sample_rate, gof_rate
    assert np.mean(with_floor) <= two_sample_rate


# --- the dataset: share, corrections, skipped columns ---------------------------------------------


def test_benjamini_hochberg_equals_scipy() -> None:
    g = rng(7)
    for p in (g.uniform(size=50), np.concatenate([g.uniform(0, 0.01, 10), g.uniform(size=20)]),
              np.array([0.01, 0.01, 0.04, 0.04, 0.5, 1.0]), np.array([0.3])):
        np.testing.assert_allclose(benjamini_hochberg(p),
                                   stats.false_discovery_control(p, method="bh"), rtol=RTOL)


def test_bonferroni_by_hand() -> None:
    np.testing.assert_allclose(bonferroni([0.01, 0.02, 0.2, 0.5]), [0.04, 0.08, 0.8, 1.0])
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        bonferroni([0.5, 1.5])


def shifted_frame(rows: int, shifts: list[float], seed: int) -> pd.DataFrame:
    g = rng(seed)
    return pd.DataFrame({f"x{i}": g.normal(s, size=rows) for i, s in enumerate(shifts)})


@pytest.mark.parametrize("correction", ["bonferroni", "benjamini_hochberg"])
def test_correction_adjusts_p_values_before_the_decision(correction: str) -> None:
    shifts = [0.0, 0.0, 0.0, 0.1, 0.15, 0.2, 0.25, 0.5, 0.0, 0.0]
    reference, current = shifted_frame(800, [0.0] * 10, 1), shifted_frame(800, shifts, 2)
    plain = dataset_drift(reference, current)
    corrected = dataset_drift(reference, current, correction=correction)
    raw = np.array([c.p_value for c in plain.columns])
    expected = (np.minimum(raw * 10, 1.0) if correction == "bonferroni"
                else stats.false_discovery_control(raw, method="bh"))
    adjusted = np.array([c.adjusted_p_value for c in corrected.columns])
    np.testing.assert_allclose(adjusted, expected, rtol=RTOL)
    for column, p_adj in zip(corrected.columns, adjusted, strict=True):
        assert column.drifted == (p_adj < 0.05 and column.effect_size >= column.effect_floor)
    assert corrected.drifted_count <= plain.drifted_count
    assert corrected.correction == correction and plain.columns[0].adjusted_p_value is None


def test_correction_leaves_distance_tests_alone() -> None:
    reference, current = shifted_frame(300, [0, 0], 1), shifted_frame(300, [0.5, 0.5], 2)
    result = dataset_drift(reference, current, tests={"x1": "psi_numeric"}, correction="bonferroni")
    assert result.column("x1").p_value is None and result.column("x1").adjusted_p_value is None
    assert result.column("x0").adjusted_p_value == pytest.approx(result.column("x0").p_value)


def test_dataset_share_and_verdict() -> None:
    reference = shifted_frame(2_000, [0, 0, 0, 0], 1)
    current = shifted_frame(2_000, [0.5, 0.5, 0, 0], 2)
    result = dataset_drift(reference, current)
    assert [c.test for c in result.columns] == ["wasserstein"] * 4
    assert result.drifted_columns() == ["x0", "x1"]
    assert (result.tested_count, result.drifted_count, result.drifted_share) == (4, 2, 0.5)
    assert result.drifted  # 0.5 >= drift_share 0.5
    assert not dataset_drift(reference, current, drift_share=0.75).drifted
    assert DatasetDrift.model_validate_json(result.model_dump_json()) == result


def test_real_drift_breast_cancer_split_by_a_feature() -> None:
    data = load_breast_cancer(as_frame=True).frame
    small = data["mean radius"] <= data["mean radius"].median()
    by_size = dataset_drift(data[small], data[~small], target="target")
    assert by_size.column("mean radius").drifted and by_size.column("mean area").drifted
    assert by_size.drifted and by_size.drifted_share >= 0.5
    assert by_size.target is not None and by_size.target.drifted  # large tumours: malignant
    assert by_size.target.column_type == "numeric" and by_size.target.test == "ks"

    shuffled = data.sample(frac=1.0, random_state=0)
    random_split = dataset_drift(shuffled.iloc[:285], shuffled.iloc[285:], target="target")
    assert not random_split.drifted and random_split.drifted_share <= 0.1
    assert not random_split.target.drifted
    assert random_split.tested_count == 30  # the target is tested apart


def test_prediction_and_target_drift_are_reported_apart() -> None:
    g = rng(3)
    reference = pd.DataFrame({"x": g.normal(size=500), "score": g.uniform(size=500),
                              "label": g.choice(["yes", "no"], 500)})
    current = pd.DataFrame({"x": g.normal(size=500), "score": g.uniform(0.3, 1.0, size=500)})
    result = dataset_drift(reference, current, prediction="score", target="label")
    assert [c.column for c in result.columns] == ["x"]
    assert result.prediction.column == "score" and result.prediction.drifted
    assert result.target is None
    reasons = {s.column: s.reason for s in result.skipped}
    assert "labels have not arrived" in reasons["label"]


def test_missing_values_are_left_out_and_their_shares_reported() -> None:
    g = rng(4)
    ref = g.normal(size=400)
    cur = g.normal(size=500)
    cur_with_gaps = cur.copy()
    cur_with_gaps[:100] = np.nan
    result = column_drift(pd.Series(ref), pd.Series(cur_with_gaps), test="ks")
    expected = stats.ks_2samp(ref, cur[100:])
    assert result.statistic == pytest.approx(expected.statistic, rel=RTOL)
    assert (result.current_count, result.current_missing_share) == (400, 0.2)
    assert result.reference_missing_share == 0.0

    labels = pd.Series(["a", None, "b", "a", np.nan] * 20)
    cat = column_drift(labels, pd.Series(["a", "b"] * 50), test="chi2")
    assert cat.reference_missing_share == 0.4 and cat.reference_count == 60
    expected_cat = stats.chi2_contingency([[40, 20], [50, 50]], correction=False)
    assert cat.p_value == pytest.approx(expected_cat.pvalue, rel=RTOL)

    infinite = column_drift([1.0, 2.0, np.inf, 3.0], [1.0, 2.0, 3.0, 4.0], test="ks")
    assert infinite.reference_count == 3 and any("infinite" in n for n in infinite.notes)


def test_column_types_from_dtype_and_skipped_columns() -> None:
    g = rng(5)
    n = 300
    reference = pd.DataFrame({
        "amount": g.normal(size=n),
        "count": pd.array(g.integers(0, 5, n), dtype="Int64"),
        "flag": g.uniform(size=n) < 0.3,
        "city": pd.Series(g.choice(["Oslo", "Rome", "Lima"], n), dtype="category"),
        "note": pd.Series(g.choice(["x", "y"], n), dtype="string"),
        "when": pd.date_range("2024-01-01", periods=n, freq="h"),
        "gone": g.normal(size=n),
    })
    current = reference.drop(columns=["gone"]).sample(frac=1.0, random_state=1)
    current["city"] = current["city"].astype(str)  # a different dtype, the same categories
    result = dataset_drift(reference, current)
    types = {c.column: c.column_type for c in result.columns}
    assert types == {"amount": "numeric", "count": "numeric", "flag": "categorical",
                     "city": "categorical", "note": "categorical"}
    assert not any(c.drifted for c in result.columns)  # the same rows, shuffled
    skipped = {s.column: s.reason for s in result.skipped}
    assert set(skipped) == {"when", "gone"}
    assert "datetime" in skipped["when"] and "missing from the current data" in skipped["gone"]


def test_renderer_data_histograms_and_frequency_tables() -> None:
    g = rng(6)
    numeric = column_drift(g.normal(size=1_000), g.normal(1.0, size=600))
    hist = numeric.histogram
    assert len(hist.edges) == 21 and len(hist.reference_counts) == 20
    assert sum(hist.reference_counts) == 1_000 and sum(hist.current_counts) == 600
    assert numeric.frequencies is None

    levels = [f"c{i:02d}" for i in range(25)]
    reference = np.repeat(levels, np.arange(25, 0, -1))  # c00 most frequent
    current = np.concatenate([reference, ["brand_new"] * 400])
    categorical = column_drift(reference, current, test="psi_categorical")
    table = categorical.frequencies
    assert len(table.categories) == 20 and table.other_category_count == 6
    assert table.categories[0].value == "brand_new"  # largest summed share, new in current
    assert table.categories[0].reference_count == 0
    total_ref = sum(c.reference_share for c in table.categories) + table.other.reference_share
    assert total_ref == pytest.approx(1.0)
    current_total = sum(c.current_count for c in table.categories) + table.other.current_count
    assert current_total == len(current)
    assert ColumnDrift.model_validate_json(categorical.model_dump_json()) == categorical


# --- validation at the boundary -------------------------------------------------------------------


def test_bad_input_says_what_to_do() -> None:
    df = pd.DataFrame({"amount": [1.0, 2.0, 3.0], "city": ["a", "b", "c"]})
    with pytest.raises(InvalidInput, match="did you mean 'jensen_shannon'"):
        dataset_drift(df, df, tests={"city": "jensen_shanon"})
    with pytest.raises(InvalidInput, match="categorical, but drift test 'ks' applies to numeric"):
        dataset_drift(df, df, tests={"city": "ks"})
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        dataset_drift(df, df, tests={"amount": "ks"}, thresholds={"amount": 5.0})
    with pytest.raises(InvalidInput, match="needs the test it is for"):
        dataset_drift(df, df, thresholds={"amount": 0.2})
    with pytest.raises(InvalidInput, match="needs the test it is for"):
        column_drift([1.0, 2.0], [1.0, 2.0], threshold=0.2)
    with pytest.raises(InvalidInput, match="must be positive"):
        column_drift([1.0, 2.0], [1.0, 2.0], test="wasserstein", threshold=-1)
    with pytest.raises(InvalidInput, match="did you mean 'benjamini_hochberg'"):
        dataset_drift(df, df, correction="benjamini-hochberg")
    with pytest.raises(InvalidInput, match="drift_share"):
        dataset_drift(df, df, drift_share=0)
    with pytest.raises(InvalidInput, match="did you mean 'amount'"):
        dataset_drift(df, df, columns=["amont"])
    with pytest.raises(InvalidInput, match="not among the columns"):
        dataset_drift(df, df, columns=["amount"], tests={"city": "chi2"})
    with pytest.raises(InvalidInput, match="effect_floor"):
        column_drift([1.0, 2.0], [1.0, 2.0], effect_floor=-0.1)
    with pytest.raises(InvalidInput, match="no current values"):
        column_drift([1.0, 2.0], [np.nan, np.nan])
    with pytest.raises(InvalidInput, match="data frame"):
        dataset_drift({"amount": [1.0]}, df)


def test_public_api_is_curated() -> None:
    from mlsteward import monitor

    assert monitor.__all__ == sorted(monitor.__all__)
    assert all(hasattr(monitor, name) for name in monitor.__all__)
