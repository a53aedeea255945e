"""Reference profiles: drift against stored statistics gives exactly the numbers of the raw frame."""

from __future__ import annotations

import datetime
import io
import zipfile
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from mlsteward.errors import InvalidInput
from mlsteward.monitor import (
    DRIFT_TESTS,
    DriftTest,
    ReferenceProfile,
    dataset_drift,
    drift,
    psi_bin_edges,
    reference_profile,
    register_drift_test,
)
from mlsteward.monitor.drift_columns import HISTOGRAM_BINS, sorted_histogram

REGISTERED = sorted(DRIFT_TESTS)  # the built-in tests, at collection time
NUMERIC = ["normal", "rounded", "gappy", "constant", "counts"]
CATEGORICAL = ["city", "flag", "level", "mixed"]


def frames(n_ref: int, n_cur: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A reference and a shifted current window with missing values, infinities, ties, a constant
    column, nullable integers, new categories and categories of several types."""
    g = np.random.default_rng(seed)

    def make(n: int, shift: float, new: bool) -> pd.DataFrame:
        gappy = g.normal(shift, 2.0, n)
        gappy[g.uniform(size=n) < 0.1] = np.nan
        gappy[:3] = [np.inf, -np.inf, np.nan]
        cities = ["Oslo", "Rome", "Lima", "Pune"] + (["Nuuk", "Baku"] if new else [])
        city = pd.Series(g.choice(cities, n), dtype="str")
        city[g.uniform(size=n) < 0.05] = None
        mixed = pd.Series(g.choice(np.array(["a", 1, 2.5, True, "1"], dtype=object), n), dtype=object)
        return pd.DataFrame({
            "normal": g.normal(shift, 1.0, n),
            "rounded": np.round(g.exponential(1.0 + shift, n), 1),
            "gappy": gappy,
            "constant": np.full(n, 4.0 + (2.0 if new else 0.0)),
            "counts": pd.array(g.integers(0, 6, n), dtype="Int64"),
            "city": city,
            "flag": g.uniform(size=n) < 0.3 + shift / 4,
            "level": pd.Series(g.choice(["low", "mid", "high"], n), dtype="category"),
            "mixed": mixed,
            "when": pd.date_range("2024-01-01", periods=n, freq="min"),
        })

    return make(n_ref, 0.0, False), make(n_cur, 0.3, True)


def roundtrip(profile: ReferenceProfile) -> ReferenceProfile:
    return ReferenceProfile.from_bytes(profile.to_bytes())


def assert_same_results(reference: pd.DataFrame, current: pd.DataFrame, **kwargs) -> None:
    expected = dataset_drift(reference, current, **kwargs).model_dump()
    profile = reference_profile(reference)
    for stand_in in (profile, roundtrip(profile)):
        assert dataset_drift(stand_in, current, **kwargs).model_dump() == expected  # exact, not close


# --- the same numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize("test_name", REGISTERED)
@pytest.mark.parametrize("sizes", [(700, 500), (3_000, 2_500)])
def test_every_registered_test_gives_the_same_numbers_from_a_profile(test_name: str,
                                                                     sizes: tuple[int, int]) -> None:
    reference, current = frames(*sizes)
    columns = NUMERIC if DRIFT_TESTS[test_name].applies_to == "numeric" else CATEGORICAL
    assert_same_results(reference, current, columns=columns, tests=dict.fromkeys(columns, test_name))


@pytest.mark.parametrize("sizes", [(900, 800), (5_000, 4_000), (1_500, 300)])
def test_default_tests_corrections_and_roles_give_the_same_numbers(sizes: tuple[int, int]) -> None:
    reference, current = frames(*sizes, seed=3)
    assert_same_results(reference, current)  # datetime column skipped the same way
    assert_same_results(reference, current, correction="benjamini_hochberg", effect_floor=0.0)
    assert_same_results(reference, current, prediction="normal", target="flag")
    assert_same_results(reference, current.drop(columns=["rounded", "flag"]), target="flag")


def test_same_numbers_with_no_usable_values_and_unreadable_current_values() -> None:
    reference = pd.DataFrame({"x": [np.nan] * 5 + [1.0] * 5, "gone": [np.nan] * 10,
                              "y": np.arange(10.0), "z": list("aabbccddee")})
    current = pd.DataFrame({"x": ["1", "2", "oops", None, "3"] * 2, "gone": np.arange(10.0),
                            "y": [np.nan] * 10, "z": [None] * 10})
    assert_same_results(reference, current)
    result = drift(reference_profile(reference), current)
    assert {s.column for s in result.skipped} == {"gone", "y", "z"}
    assert any("not readable as a number" in n for n in result.column("x").notes)


def test_profiled_statistics_against_scipy() -> None:
    g = np.random.default_rng(11)
    reference = pd.DataFrame({"x": g.normal(size=4_000), "c": g.choice(list("abcd"), 4_000)})
    current = pd.DataFrame({"x": g.normal(0.2, 1.5, size=3_000),
                            "c": g.choice(list("abcde"), 3_000, p=[0.3, 0.3, 0.2, 0.1, 0.1])})
    result = drift(reference_profile(reference), current,
                   tests={"x": "wasserstein", "c": "jensen_shannon"})
    x, ref_x = result.column("x"), reference["x"].to_numpy()
    assert x.statistic == pytest.approx(
        stats.wasserstein_distance(ref_x, current["x"]) / np.std(ref_x), rel=1e-12)
    table = pd.crosstab(pd.concat([reference["c"], current["c"]]),
                        np.repeat(["ref", "cur"], [4_000, 3_000])).to_numpy().T
    ref_share, cur_share = table[1] / table[1].sum(), table[0] / table[0].sum()
    assert result.column("c").statistic == pytest.approx(
        jensenshannon(ref_share, cur_share, base=2), rel=1e-12)
    ks = drift(reference_profile(reference), current, tests={"x": "ks", "c": "chi2"})
    expected = stats.ks_2samp(ref_x, current["x"])
    assert (ks.column("x").statistic, ks.column("x").p_value) == (expected.statistic, expected.pvalue)
    chi2 = stats.chi2_contingency(table, correction=False)
    assert ks.column("c").p_value == pytest.approx(chi2.pvalue, rel=1e-12)


def test_the_profile_holds_what_the_tests_need() -> None:
    g = np.random.default_rng(5)
    raw = g.normal(size=1_000)
    raw[[3, 30]] = [np.nan, np.inf]
    df = pd.DataFrame({"x": raw, "c": pd.Series(["b", "a", None, "b"] * 250, dtype="str")})
    profile = reference_profile(df)
    x, c = profile.column("x"), profile.column("c")
    finite = raw[np.isfinite(raw)]
    np.testing.assert_array_equal(x.values, np.sort(finite))
    assert x.std == np.std(finite)  # in row order, exactly as the frame's test computes it
    np.testing.assert_array_equal(x.psi_edges, psi_bin_edges(finite))
    assert x.psi_counts.sum() == 998 and len(x.psi_counts) == 10
    assert (x.rows, x.missing, x.count, x.missing_share) == (1_000, 1, 998, 0.001)
    assert x.notes == ("reference: 1 infinite value left out of the test",)
    assert c.categories == ("b", "a") and c.counts.tolist() == [500, 250]
    assert (c.missing, c.column_type, profile.rows) == (250, "categorical", 1_000)
    assert "x" in profile and list(profile) == ["x", "c"]


def test_sorted_histogram_equals_numpy_on_values_at_the_edges() -> None:
    g = np.random.default_rng(2)
    for values in (g.integers(0, 21, 5_000).astype(float), g.normal(size=5_000),
                   np.array([1.0, 1.0, 2.0]), np.round(g.uniform(-1, 1, 3_000), 1)):
        for low, high in ((values.min(), values.max()), (values.min() - 1.5, values.max() + 0.25)):
            counts, edges = np.histogram(values, HISTOGRAM_BINS, range=(low, high))
            np.testing.assert_array_equal(sorted_histogram(np.sort(values), edges), counts)


# --- registered tests of one's own ----------------------------------------------------------------


@pytest.fixture
def own_tests():
    seen: dict[str, np.ndarray] = {}

    def spread(reference: np.ndarray, current: np.ndarray) -> tuple[float, None]:
        seen["numeric"] = reference
        return float(np.max(current) - np.max(reference)), None

    def levels(reference: np.ndarray, current: np.ndarray) -> tuple[float, None]:
        seen["categorical"] = reference
        return float(abs(len(np.unique(current)) - len(np.unique(reference)))), None

    added = [register_drift_test(DriftTest("spread", "numeric", "distance", 1.0, spread)),
             register_drift_test(DriftTest("levels", "categorical", "distance", 1.0, levels))]
    yield seen
    for test in added:
        del DRIFT_TESTS[test.name]


def test_a_test_of_ones_own_receives_values_rebuilt_from_the_profile(own_tests: dict) -> None:
    reference = pd.DataFrame({"x": [3.0, 1.0, np.nan, 2.0, 1.0], "c": ["q", "p", "q", None, "r"]})
    current = pd.DataFrame({"x": [5.0, 1.0], "c": ["p", "s"]})
    tests = {"x": "spread", "c": "levels"}
    raw = dataset_drift(reference, current, tests=tests)
    assert own_tests["numeric"].tolist() == [3.0, 1.0, 2.0, 1.0]  # row order from a frame
    assert own_tests["categorical"].tolist() == [0, 1, 0, 2]  # codes of q, p, q, r
    profiled = dataset_drift(reference_profile(reference), current, tests=tests)
    assert own_tests["numeric"].tolist() == [1.0, 1.0, 2.0, 3.0]  # sorted from a profile
    assert own_tests["categorical"].tolist() == [0, 0, 1, 2]  # grouped by category
    assert profiled.model_dump() == raw.model_dump()
    assert (profiled.column("x").statistic, profiled.column("c").statistic) == (2.0, 1.0)


def test_a_test_registered_in_place_of_a_built_in_one_runs_as_given() -> None:
    original = DRIFT_TESTS["wasserstein"]
    calls = []

    def counted(reference: np.ndarray, current: np.ndarray) -> tuple[float, None]:
        calls.append(len(reference))
        return 0.5, None

    register_drift_test(DriftTest("wasserstein", "numeric", "distance", 0.1, counted), replace=True)
    try:
        result = drift(reference_profile(pd.DataFrame({"x": np.arange(5_000.0)})),
                       pd.DataFrame({"x": np.arange(4_000.0)}))
    finally:
        register_drift_test(original, replace=True)
    assert calls == [5_000] and result.column("x").statistic == 0.5


# --- categories and their kinds -------------------------------------------------------------------


def test_categories_of_every_kind_map_current_values_as_the_originals_did() -> None:
    day = datetime.date(2024, 5, 1)
    reference = pd.DataFrame({"v": pd.Series(["a", 1, 2.5, True, "1", day, -0.0, Decimal(7)] * 30,
                                             dtype=object)})
    current = pd.DataFrame({"v": pd.Series([1.0, "a", np.int64(1), "1", datetime.date(2024, 5, 1),
                                            "new", 2.5, np.float64(2.5), False, 0.0, Decimal(7)] * 20,
                                           dtype=object)})
    assert_same_results(reference, current, tests={"v": "chi2"})
    profile = roundtrip(reference_profile(reference))
    kinds = [type(c).__name__ for c in profile.column("v").categories]
    # 1 and True are one category (1 == True), as pandas counts them
    assert kinds == ["str", "int", "float", "str", "_OtherCategory", "float", "_OtherCategory"]
    rows = [(row.value, row.reference_count, row.current_count)
            for row in drift(profile, current, tests={"v": "chi2"}).column("v").frequencies.categories]
    # by equality, as with the original objects: 1.0 and np.int64(1) join 1 (and True); np.float64(2.5)
    # joins 2.5; False and 0.0 join -0.0; "1" stays apart from 1; the date and the Decimal match theirs
    assert rows == [("1", 60, 40), ("2.5", 30, 40), ("-0.0", 30, 40), ("a", 30, 20), ("1", 30, 20),
                    ("2024-05-01", 30, 20), ("7", 30, 20), ("new", 0, 20)]


def test_two_categories_that_print_the_same_are_refused() -> None:
    class Thing:
        def __str__(self) -> str:
            return "thing"

    df = pd.DataFrame({"v": pd.Series([Thing(), Thing()], dtype=object)})
    with pytest.raises(InvalidInput, match="two different categories that read 'thing'"):
        reference_profile(df)


# --- storage --------------------------------------------------------------------------------------


def test_bytes_round_trip_without_pickle() -> None:
    reference, _ = frames(2_000, 10)
    profile = reference_profile(reference, columns=["normal", "city"], target="flag")
    data = profile.to_bytes()
    back = ReferenceProfile.from_bytes(data)
    assert back == profile and back.target == "flag" and list(back) == ["normal", "city", "flag"]
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:  # no object arrays inside
        assert all(archive[key].dtype != object for key in archive.files)
        assert "c0_values" in archive.files


def test_repeated_values_are_stored_as_distinct_values_and_counts() -> None:
    values = np.repeat([-1.5, -0.0, 0.0, 2.0, 7.25], [300, 5, 5, 400, 290]).astype(float)
    np.random.default_rng(0).shuffle(values)
    profile = reference_profile(pd.DataFrame({"x": values}))
    data = profile.to_bytes()
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        assert "c0_distinct" in archive.files and "c0_values" not in archive.files
    back = ReferenceProfile.from_bytes(data)
    np.testing.assert_array_equal(back.column("x").values.view(np.int64),
                                  profile.column("x").values.view(np.int64))  # bit for bit
    assert len(data) < reference_profile(pd.DataFrame({"x": np.arange(1_000.0)})).to_bytes().__len__()


def test_bytes_that_are_not_a_profile_are_refused() -> None:
    with pytest.raises(InvalidInput, match="not a readable reference profile"):
        ReferenceProfile.from_bytes(b"not a profile")
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.frombuffer(b'{"format": "other"}', dtype=np.uint8))
    with pytest.raises(InvalidInput, match="reference_profile"):
        ReferenceProfile.from_bytes(buffer.getvalue())
    data = reference_profile(pd.DataFrame({"x": [1.0, 2.0]})).to_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        meta = archive.read("meta.npy")
    newer = io.BytesIO()
    with zipfile.ZipFile(newer, "w") as archive:
        archive.writestr("meta.npy", meta.replace(b'"version": 1', b'"version": 9'))
    with pytest.raises(InvalidInput, match="format version 9"):
        ReferenceProfile.from_bytes(newer.getvalue())


# --- the call: drift, roles, progress, errors -----------------------------------------------------


def test_drift_is_the_dataset_check_and_a_plain_function() -> None:
    import mlsteward.monitor.drift_dataset  # importing the module must not shadow the function

    assert callable(mlsteward.monitor.drift) and mlsteward.monitor.drift is drift
    reference, current = frames(600, 400, seed=9)
    assert drift(reference, current).model_dump() == dataset_drift(reference, current).model_dump()


def test_a_profile_remembers_its_prediction_and_target() -> None:
    reference, current = frames(800, 600, seed=4)
    profile = reference_profile(reference, columns=["normal", "city"], prediction="rounded",
                                target="flag")
    result = drift(profile, current)
    expected = dataset_drift(reference[["normal", "city", "rounded", "flag"]], current,
                             prediction="rounded", target="flag")
    assert result.model_dump() == expected.model_dump()
    assert [c.column for c in result.columns] == ["normal", "city"] and result.target.column == "flag"


def test_progress_counts_every_column() -> None:
    reference, current = frames(300, 200, seed=1)
    calls: list[tuple[int, int]] = []
    result = drift(reference_profile(reference), current.drop(columns=["city"]), target="flag",
                   progress=lambda done, total: calls.append((done, total)))
    assert calls == [(i, 10) for i in range(11)]  # 9 features (2 skipped) and the target
    assert len(result.skipped) == 2
    with pytest.raises(InvalidInput, match="progress must be a callable"):
        drift(reference, current, progress=True)


def test_bad_profile_calls_say_what_to_do() -> None:
    reference, current = frames(100, 100)
    profile = reference_profile(reference, columns=["normal"])
    with pytest.raises(InvalidInput, match=r"not in the reference profile.*reference_profile\(reference_df, "
                                           r"columns="):
        drift(profile, current, columns=["normal", "city"])
    with pytest.raises(InvalidInput, match="target column 'flag' is not in the reference profile"):
        drift(profile, current, target="flag")
    with pytest.raises(InvalidInput, match="current data must be a data frame"):
        drift(reference, profile)
    with pytest.raises(InvalidInput, match="categorical, but drift test 'ks'"):
        drift(reference_profile(reference), current, tests={"city": "ks"})
    with pytest.raises(InvalidInput, match="did you mean 'normal'"):
        reference_profile(reference, columns=["norml"])
    with pytest.raises(InvalidInput, match="must be a data frame"):
        reference_profile({"x": [1.0]})
    with pytest.raises(InvalidInput, match="text or integers"):
        reference_profile(pd.DataFrame({("a", "b"): [1.0]}))
