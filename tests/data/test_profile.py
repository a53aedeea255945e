"""The data profile, every statistic against an independent reference (numpy, scipy, pandas, a
hand-worked example) and every flag on a frame made to raise it."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from collections import Counter

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import scipy.stats as st
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

from mlsteward.data.profile import (
    DatasetProfile,
    Moments,
    ProfileConfig,
    histogram_counts,
    histogram_edges,
    profile_dataset,
)
from mlsteward.data.profile_target import correlation_ratio, cramers_v
from mlsteward.errors import InvalidInput

QS = [0.05, 0.25, 0.5, 0.75, 0.95]


def _numeric_frame(n: int = 2_000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    skewed = rng.lognormal(0.0, 1.0, n)
    skewed[rng.choice(n, 40, replace=False)] = np.nan
    skewed[:3] = [np.inf, -np.inf, np.inf]
    return pd.DataFrame({
        "normal": rng.normal(10.0, 3.0, n),
        "skewed": skewed,
        "counts": rng.poisson(3.0, n),
        "ties": rng.integers(0, 5, n).astype(float),
    })


# --- numeric statistics ---------------------------------------------------------------------------


@pytest.mark.parametrize("column", ["normal", "skewed", "counts", "ties"])
def test_numeric_statistics_match_numpy_and_scipy(column: str) -> None:
    df = _numeric_frame()
    col = profile_dataset(df).column(column)
    raw = df[column].to_numpy(dtype=float)
    present = raw[~np.isnan(raw)]
    finite = present[np.isfinite(present)]
    stats = col.numeric
    assert col.count == len(present)
    assert col.missing_count == len(raw) - len(present)
    assert col.missing_share == pytest.approx((len(raw) - len(present)) / len(raw))
    assert col.distinct_count == len(np.unique(present))
    assert stats.count == len(finite)
    assert stats.infinite_count == len(present) - len(finite)
    assert stats.min == finite.min() and stats.max == finite.max()
    assert stats.mean == pytest.approx(np.mean(finite), rel=1e-12)
    assert stats.std == pytest.approx(np.std(finite, ddof=1), rel=1e-10)
    assert stats.skewness == pytest.approx(st.skew(finite), rel=1e-8)
    expected_q = np.quantile(finite, QS, method="linear")
    assert [stats.quantiles[k] for k in ("5%", "25%", "50%", "75%", "95%")] == \
        pytest.approx(expected_q.tolist(), rel=1e-12, abs=1e-12)
    assert stats.iqr == pytest.approx(st.iqr(finite), rel=1e-12, abs=1e-12)
    q1, q3 = np.quantile(finite, [0.25, 0.75])
    low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    assert stats.lower_fence == pytest.approx(low) and stats.upper_fence == pytest.approx(high)
    assert stats.outlier_count == int(np.sum((finite < low) | (finite > high)))
    assert stats.outlier_share == pytest.approx(stats.outlier_count / len(finite))
    counts, edges = np.histogram(finite, bins=20)
    assert stats.histogram.counts == counts.tolist()
    assert stats.histogram.edges == pytest.approx(edges.tolist(), rel=1e-15)
    top = Counter(present.tolist()).most_common()
    assert col.top_values[0].count == top[0][1]
    assert sum(v.count for v in col.top_values) == sum(c for _, c in top[:10])


def test_skewed_column_counts_infinities_apart_and_warns() -> None:
    col = profile_dataset(_numeric_frame()).column("skewed")
    assert col.numeric.infinite_count == 3
    assert col.missing_count == 40  # the three infinities are values, not missing
    assert any("3 infinite values" in w for w in col.warnings)
    assert col.numeric.outlier_share > 0.05  # a lognormal has a long right tail
    assert any("outside the IQR fences" in w for w in col.warnings)


def test_iqr_outliers_hand_worked() -> None:
    # 1..9 and 100: Q1 = 3.25, Q3 = 7.75 (linear), IQR = 4.5, fences -3.5 and 14.5 -> 100 only
    df = pd.DataFrame({"x": [1, 2, 3, 4, 5, 6, 7, 8, 9, 100]})
    stats = profile_dataset(df).column("x").numeric
    assert stats.quantiles["25%"] == 3.25 and stats.quantiles["75%"] == 7.75
    assert stats.iqr == 4.5
    assert stats.lower_fence == -3.5 and stats.upper_fence == 14.5
    assert stats.outlier_count == 1 and stats.outlier_share == 0.1
    wide = profile_dataset(df, config=ProfileConfig(iqr_factor=25.0)).column("x").numeric
    assert wide.upper_fence == 7.75 + 25 * 4.5 and wide.outlier_count == 0


def test_histogram_bins_config_and_constant_column() -> None:
    df = pd.DataFrame({"x": np.arange(100, dtype=float), "k": [3.0] * 100})
    prof = profile_dataset(df, config=ProfileConfig(histogram_bins=7))
    counts, edges = np.histogram(df["x"], bins=7)
    assert prof.column("x").numeric.histogram.counts == counts.tolist()
    assert prof.column("x").numeric.histogram.edges == pytest.approx(edges.tolist())
    k = prof.column("k").numeric.histogram
    assert k.edges[0] == 2.5 and k.edges[-1] == 3.5 and sum(k.counts) == 100
    assert k.counts == np.histogram(df["k"], bins=7)[0].tolist()


def test_top_values_counts_shares_and_ties() -> None:
    df = pd.DataFrame({
        "c": ["a"] * 5 + ["b"] * 3 + ["c"] + [None],
        "n": [2.5] * 5 + [1.0] * 3 + [7.0] + [np.nan],
    })
    prof = profile_dataset(df, config=ProfileConfig(top_k=2))
    c = prof.column("c")
    assert [(v.value, v.count) for v in c.top_values] == [("a", 5), ("b", 3)]
    assert c.top_values[0].share == pytest.approx(5 / 9)
    n = prof.column("n")
    assert [(v.value, v.count) for v in n.top_values] == [("2.5", 5), ("1.0", 3)]
    ties = profile_dataset(pd.DataFrame({"t": [3, 1, 2, 3, 1, 2]}), config=ProfileConfig(top_k=2))
    assert [v.value for v in ties.column("t").top_values] == ["1", "2"]  # ties: smaller value first


def test_moments_and_histograms_merge_across_chunks() -> None:
    rng = np.random.default_rng(3)
    x = rng.gamma(2.0, 3.0, 10_001)
    chunks = np.array_split(x, 7)
    merged = Moments()
    for chunk in chunks:
        merged = merged.merge(Moments.of(chunk))
    assert merged.n == len(x)
    assert merged.mean == pytest.approx(np.mean(x), rel=1e-12)
    assert merged.std == pytest.approx(np.std(x, ddof=1), rel=1e-12)
    assert merged.skewness == pytest.approx(st.skew(x), rel=1e-10)
    edges = histogram_edges(x.min(), x.max(), 20)
    total = sum(histogram_counts(np.sort(c), edges) for c in chunks)
    assert total.tolist() == np.histogram(x, bins=20)[0].tolist()


# --- types and flags ------------------------------------------------------------------------------


def test_inferred_types() -> None:
    n = 200
    rng = np.random.default_rng(0)
    df = pd.DataFrame({
        "num": rng.normal(size=n),
        "flag01": rng.integers(0, 2, n),
        "cat": rng.choice(["red", "green", "blue"], n),
        "category": pd.Categorical(rng.choice(["x", "y"], n)),
        "boolean": rng.random(n) < 0.5,
        "nullable_bool": pd.array([True, False, None, True] * 50, dtype="boolean"),
        "when": pd.date_range("2024-01-01", periods=n, freq="h", tz="UTC"),
        "dates": pd.Series([dt.date(2024, 1, 1 + i % 28) for i in range(n)], dtype=object),
        "waited": pd.to_timedelta(np.arange(n), unit="min"),
        "decimals": pd.Series([decimal.Decimal(i) / 4 for i in range(n)], dtype=object),
        "row_id": rng.permutation(n) + 1000,
        "big_ints": rng.choice(10**9, n, replace=False),
        "uuid": [f"c-{i:06x}" for i in rng.permutation(n)],
        "names": [f"Person {i}" for i in range(n)],
        "review": [f"I bought this item and it was fine, rating {i}" for i in range(n)],
    })
    prof = profile_dataset(df)
    types = {c.name: c.inferred_type for c in prof.column_profiles}
    assert types == {
        "num": "numeric", "flag01": "numeric", "cat": "categorical", "category": "categorical",
        "boolean": "boolean", "nullable_bool": "boolean", "when": "datetime", "dates": "datetime",
        "waited": "numeric", "decimals": "numeric", "row_id": "identifier", "big_ints": "numeric",
        "uuid": "identifier", "names": "categorical", "review": "text",
    }
    assert prof.column("waited").numeric.max == (n - 1) * 60.0  # timedeltas in seconds
    assert prof.column("decimals").numeric.mean == pytest.approx(np.mean(np.arange(n) / 4))
    when = prof.column("when").datetime
    assert when.min == dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    assert when.max == dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=n - 1)
    assert prof.column("dates").datetime.max == dt.datetime(2024, 1, 28)
    assert prof.column("nullable_bool").missing_count == 50
    # identifiers and text are kept out of correlations
    assert set(prof.correlations.columns) == {"num", "flag01", "waited", "decimals", "big_ints"}


def test_nullable_arrow_and_object_dtypes() -> None:
    df = pd.DataFrame({
        "Int": pd.array([7, None, 7, 9], dtype="Int64"),
        "arrow_int": pd.array([1, None, 3, 3], dtype="int64[pyarrow]"),
        "arrow_str": pd.array(["a", "b", None, "a"], dtype="string[pyarrow]"),
        "tz_mixed": pd.Series([pd.Timestamp("2020-01-01", tz="UTC"),
                               pd.Timestamp("2020-01-01", tz="Europe/Paris"), None, None], dtype=object),
        "bytes": [b"a", b"b", b"a", None],
        "lists": pd.Series([[1], [2], [1], None], dtype=object),
    })
    prof = profile_dataset(df)
    assert [(v.value, v.count) for v in prof.column("Int").top_values] == [("7", 2), ("9", 1)]
    assert prof.column("Int").missing_count == 1 and prof.column("Int").numeric.mean == pytest.approx(23 / 3)
    assert [(v.value, v.count) for v in prof.column("arrow_int").top_values] == [("3", 2), ("1", 1)]
    assert prof.column("arrow_str").inferred_type == "categorical"
    assert prof.column("arrow_str").distinct_count == 2
    tz = prof.column("tz_mixed")  # instants compared in UTC: Paris midnight is 23:00 UTC the day before
    assert tz.inferred_type == "datetime"
    assert tz.datetime.min == dt.datetime(2019, 12, 31, 23, tzinfo=dt.UTC)
    assert prof.column("bytes").inferred_type == "categorical"
    assert prof.column("bytes").python_types == ["bytes"]
    assert prof.column("lists").distinct_count == 2  # unhashable values compared by their text


def test_flags_constant_near_constant_all_missing() -> None:
    df = pd.DataFrame({
        "constant": ["x"] * 99 + [None],
        "near": ["a"] * 96 + ["b"] * 4,
        "not_near": ["a"] * 94 + ["b"] * 6,
        "near_num": [0.0] * 95 + [1.0] * 5,
        "empty": [np.nan] * 100,
    })
    prof = profile_dataset(df)
    assert prof.column("constant").flags.constant and not prof.column("constant").flags.near_constant
    assert prof.column("constant").distinct_count == 1
    assert prof.column("near").flags.near_constant and not prof.column("near").flags.constant
    assert not prof.column("not_near").flags.near_constant
    assert prof.column("near_num").flags.near_constant  # exactly 95% reaches the threshold
    assert "Near-constant: 'a' is 96.0%" in " ".join(prof.column("near").warnings)
    empty = prof.column("empty")
    assert empty.flags.all_missing and not empty.flags.constant
    assert empty.count == 0 and empty.missing_share == 1.0 and empty.distinct_share is None
    assert empty.numeric is None and empty.warnings == ["All 100 values are missing; drop the column."]
    strict = profile_dataset(df, config=ProfileConfig(near_constant_share=0.97))
    assert not strict.column("near").flags.near_constant


def test_flag_high_cardinality() -> None:
    n = 120
    df = pd.DataFrame({
        "many": [f"v {i % 61}" for i in range(n)],  # 61 distinct (50.8%, > 50): flagged
        "fifty": [f"v {i % 50}" for i in range(100)] + ["v 0"] * 20,  # 50 distinct: not > 50
        "numeric": np.arange(n) * 1.5,  # numbers are never high-cardinality
    })
    prof = profile_dataset(df)
    assert prof.column("many").flags.high_cardinality
    assert prof.column("many").inferred_type == "categorical"
    assert "High cardinality: 61 distinct values" in " ".join(prof.column("many").warnings)
    assert not prof.column("fifty").flags.high_cardinality
    assert not prof.column("numeric").flags.high_cardinality
    looser = profile_dataset(df, config=ProfileConfig(high_cardinality_min_distinct=40))
    assert looser.column("fifty").flags.high_cardinality is False  # 50 / 120 < 0.5
    assert profile_dataset(df, config=ProfileConfig(high_cardinality_min_distinct=40,
                                                    high_cardinality_share=0.4)
                           ).column("fifty").flags.high_cardinality


def test_flag_mixed_types() -> None:
    df = pd.DataFrame({
        "num_and_str": pd.Series([1, "a", 2.5, None, "b"], dtype=object),
        "bool_and_str": pd.Series([True, "x", False, "y", True], dtype=object),
        "int_and_float": pd.Series([1, 2.5, 3, None, 4], dtype=object),
        "strings": pd.Series(["a", "b", None, "a", "c"], dtype=object),
    })
    prof = profile_dataset(df)
    mixed = prof.column("num_and_str")
    assert mixed.flags.mixed_types and mixed.python_types == ["float", "int", "str"]
    assert mixed.inferred_type == "categorical" and mixed.count == 4
    assert "Mixed types: the values are float, int, str" in " ".join(mixed.warnings)
    assert prof.column("bool_and_str").flags.mixed_types
    ints = prof.column("int_and_float")
    assert not ints.flags.mixed_types and ints.inferred_type == "numeric"
    assert ints.numeric.mean == pytest.approx(np.mean([1, 2.5, 3, 4]))
    assert not prof.column("strings").flags.mixed_types
    assert prof.column("strings").python_types == ["str"]


def test_identifier_rules() -> None:
    rng = np.random.default_rng(5)
    df = pd.DataFrame({
        "seq": rng.permutation(60),  # dense integers, all distinct: a key
        "sparse": rng.choice(10**6, 60, replace=False),  # all distinct, not dense: a measurement
        "code": [f"SKU{i:04d}" for i in range(60)],
        "code_dup": [f"SKU{i:04d}" for i in range(59)] + ["SKU0000"],
        "spaced": [f"item {i}" for i in range(60)],
    })
    prof = profile_dataset(df)
    assert prof.column("seq").inferred_type == "identifier"
    assert prof.column("seq").numeric.min == 0  # an identifier still gets its range
    assert prof.column("sparse").inferred_type == "numeric"
    assert prof.column("code").inferred_type == "identifier"
    assert prof.column("code_dup").inferred_type == "categorical"
    assert prof.column("spaced").inferred_type == "categorical"
    assert "looks like an identifier" in " ".join(prof.column("code").warnings)
    small = profile_dataset(df.head(49))  # fewer than identifier_min_count values
    assert small.column("seq").inferred_type == "numeric"


def test_missing_warning_threshold() -> None:
    df = pd.DataFrame({"a": list(range(96)) + [np.nan] * 4, "b": list(range(94)) + [np.nan] * 6})
    prof = profile_dataset(df)
    assert prof.column("a").missing_count == 4 and prof.column("a").warnings == []
    assert "6 of 100 values (6.0%) are missing." in prof.column("b").warnings


# --- dataset --------------------------------------------------------------------------------------


def test_duplicate_rows_hand_made() -> None:
    df = pd.DataFrame({
        "a": [1.0, 1.0, np.nan, np.nan, 0.0, -0.0, 2.0],
        "b": ["x", "x", None, None, "z", "z", "x"],
        "c": [True, True, False, False, True, True, True],
    })
    prof = profile_dataset(df)
    assert int(df.duplicated().sum()) == 3
    assert prof.duplicate_rows == 3  # row 1, row 3 (missing equals missing), row 5 (-0.0 == 0.0)
    assert prof.duplicate_share == pytest.approx(3 / 7)
    assert prof.warnings[0].startswith("3 rows (42.9%) repeat an earlier row")
    assert profile_dataset(df.drop_duplicates()).duplicate_rows == 0


def test_duplicate_rows_match_pandas_on_a_mixed_frame() -> None:
    rng = np.random.default_rng(11)
    base = pd.DataFrame({
        "f": rng.normal(size=300).round(1),
        "i": rng.integers(0, 3, 300),
        "s": rng.choice(["a", "b", None], 300),
        "d": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 3, 300), unit="D"),
        "o": pd.Series(rng.choice([1, "one", 2.0], 300), dtype=object),
    })
    df = base.iloc[rng.integers(0, 300, 5_000)].reset_index(drop=True)
    prof = profile_dataset(df)
    assert prof.duplicate_rows == int(df.duplicated().sum())
    assert prof.duplicate_rows > 4_000
    assert prof.rows == 5_000 and prof.columns == 5
    assert prof.memory_bytes == int(df.memory_usage(deep=True).sum())
    assert [c.memory_bytes for c in prof.column_profiles] == \
        df.memory_usage(deep=True, index=False).tolist()


def test_correlations_match_scipy_pairwise_complete() -> None:
    rng = np.random.default_rng(2)
    n = 500
    x = rng.normal(size=n)
    df = pd.DataFrame({
        "x": x,
        "y": 2 * x + rng.normal(size=n),
        "z": np.exp(x) + rng.normal(scale=0.1, size=n),
        "ties": rng.integers(0, 4, n).astype(float),
    })
    df.loc[rng.choice(n, 60, replace=False), "y"] = np.nan
    df.loc[rng.choice(n, 30, replace=False), "ties"] = np.nan
    corr = profile_dataset(df).correlations
    assert corr.columns == ["x", "y", "z", "ties"] and corr.rows == n and not corr.sampled
    for a in corr.columns:
        for b in corr.columns:
            both = df[[a, b]].dropna()
            assert corr.pearson[a][b] == pytest.approx(st.pearsonr(both[a], both[b])[0], abs=1e-12)
            assert corr.spearman[a][b] == pytest.approx(st.spearmanr(both[a], both[b])[0], abs=1e-12)
    assert corr.pearson["x"]["x"] == pytest.approx(1.0)
    # pandas agrees on pairwise-complete rows
    assert corr.spearman["y"]["ties"] == pytest.approx(df.corr(method="spearman").loc["y", "ties"])


def test_correlations_sampled_above_max_rows_and_reproducible() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=20_000)
    df = pd.DataFrame({"x": x, "y": x + rng.normal(size=20_000), "k": np.ones(20_000)})
    cfg = ProfileConfig(correlation_max_rows=5_000, seed=1)
    first = profile_dataset(df, config=cfg).correlations
    assert first.sampled and first.rows == 5_000
    assert first.columns == ["x", "y"]  # a constant column has no correlation
    full = st.pearsonr(df["x"], df["y"])[0]
    assert first.pearson["x"]["y"] == pytest.approx(full, abs=0.03)
    assert first.pearson["x"]["y"] != pytest.approx(full, abs=1e-9)  # it really is a sample
    assert profile_dataset(df, config=cfg).correlations == first


def test_json_has_no_nan_and_round_trips() -> None:
    df = _numeric_frame(300)
    df["label"] = np.where(df["normal"] > 10, "hi", "lo")
    df["k"] = 1.0
    prof = profile_dataset(df, target="label")
    text = prof.model_dump_json()
    assert "NaN" not in text and "Infinity" not in text
    json.loads(text)
    assert DatasetProfile.model_validate_json(text) == prof


def test_accepts_pyarrow_tables() -> None:
    df = pd.DataFrame({"a": [1.0, 2.0, None, 4.0], "b": ["x", "y", "x", None]})
    from_arrow = profile_dataset(pa.Table.from_pandas(df, preserve_index=False))
    from_pandas = profile_dataset(df)
    assert from_arrow.column("a") .numeric == from_pandas.column("a").numeric
    assert from_arrow.column("b").top_values == from_pandas.column("b").top_values


def test_invalid_input() -> None:
    df = pd.DataFrame({"age": [1, 2], "income": [3.0, 4.0]})
    with pytest.raises(InvalidInput) as err:
        profile_dataset(df, target="incme")
    message = str(err.value)
    assert "'incme'" in message and "did you mean 'income'" in message
    assert "Available columns (2): 'age', 'income'" in message
    with pytest.raises(InvalidInput, match="empty"):
        profile_dataset(pd.DataFrame())
    with pytest.raises(InvalidInput, match="0 rows, 2 columns"):
        profile_dataset(df.iloc[:0])
    with pytest.raises(InvalidInput, match="expects a pandas DataFrame"):
        profile_dataset([[1, 2]])
    with pytest.raises(InvalidInput, match="unique"):
        profile_dataset(pd.DataFrame([[1, 2]], columns=["a", "a"]))
    with pytest.raises(InvalidInput, match="no values"):
        profile_dataset(pd.DataFrame({"x": [1, 2], "y": [None, None]}), target="y")
    with pytest.raises(InvalidInput, match="2 distinct|3 distinct"):
        profile_dataset(pd.DataFrame({"y": [1, 2, 3]}), target="y",
                        config=ProfileConfig(target_kind="binary"))
    with pytest.raises(ValueError):
        ProfileConfig(quantiles=(0.5, 1.5))


# --- target and associations ----------------------------------------------------------------------


def test_eta_hand_worked() -> None:
    # groups a: 1 2 3, b: 4 5 6. Mean 3.5; SS_total = 17.5; SS_between = 3*1.5^2 * 2 = 13.5
    groups = np.array([0, 0, 0, 1, 1, 1, -1])
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 100.0])
    value, rows = correlation_ratio(groups, 2, x)
    assert rows == 6 and value == pytest.approx(math.sqrt(13.5 / 17.5))
    assert correlation_ratio(np.array([0, 0, 1, 1]), 2, np.ones(4))[0] is None  # no spread


@pytest.mark.parametrize("shape", [(2, 2), (3, 4)])
def test_cramers_v_matches_chi2_contingency(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(shape))
    a = rng.integers(0, shape[0], 400)
    b = (a + rng.integers(0, 2, 400)) % shape[1]
    table = pd.crosstab(a, b).to_numpy()
    chi2 = st.chi2_contingency(table, correction=False).statistic
    expected = math.sqrt(chi2 / (400 * (min(table.shape) - 1)))
    value, rows = cramers_v(a, shape[0], b, shape[1])
    assert rows == 400 and value == pytest.approx(expected, rel=1e-12)
    assert value == pytest.approx(st.contingency.association(table, method="cramer"), rel=1e-12)


def test_binary_target_on_breast_cancer() -> None:
    data = load_breast_cancer(as_frame=True).frame
    prof = profile_dataset(data, target="target")
    t = prof.target
    assert t.kind == "binary" and t.count == 569 and t.missing_count == 0
    assert [(c.label, c.count) for c in t.classes] == [("1", 357), ("0", 212)]
    assert t.classes[0].share == pytest.approx(357 / 569)
    assert t.classes[1].balanced_weight == pytest.approx(569 / (2 * 212))
    assert t.imbalance_ratio == pytest.approx(357 / 212)
    assert t.imbalance == "moderate" and t.recommendation == "class_weights"
    assert "class weights" in t.recommendation_text
    assocs = {a.feature: a for a in prof.associations}
    assert len(assocs) == 30 and "target" not in assocs
    for feature, assoc in assocs.items():  # eta with two groups = |point-biserial r|
        assert assoc.method == "eta" and assoc.rows == 569
        r = st.pearsonr(data[feature], data["target"])[0]
        assert assoc.value == pytest.approx(abs(r), rel=1e-10)
    assert prof.associations[0].feature == "worst concave points"
    assert prof.associations[0].value == pytest.approx(0.7935660171, rel=1e-9)
    assert prof.duplicate_rows == 0


def test_multiclass_target_on_iris() -> None:
    data = load_iris(as_frame=True).frame
    data["species"] = load_iris().target_names[data.pop("target")]
    data["size"] = np.where(data["petal length (cm)"] > 4.0, "large", "small")
    prof = profile_dataset(data, target="species")
    t = prof.target
    assert t.kind == "multiclass"
    assert sorted((c.label, c.count) for c in t.classes) == \
        [("setosa", 50), ("versicolor", 50), ("virginica", 50)]
    assert t.imbalance_ratio == 1.0 and t.imbalance == "balanced" and t.recommendation == "none"
    assert prof.duplicate_rows == 1  # iris has one repeated row
    groups = [g.to_numpy() for _, g in data.groupby("species")["petal length (cm)"]]
    f = st.f_oneway(*groups).statistic  # eta^2 = F (k-1) / (F (k-1) + n - k)
    eta2 = f * 2 / (f * 2 + 150 - 3)
    assoc = {a.feature: a for a in prof.associations}
    assert assoc["petal length (cm)"].value == pytest.approx(math.sqrt(eta2), rel=1e-10)
    table = pd.crosstab(data["size"], data["species"]).to_numpy()
    chi2 = st.chi2_contingency(table, correction=False).statistic
    assert assoc["size"].method == "cramers_v"
    assert assoc["size"].value == pytest.approx(math.sqrt(chi2 / 150), rel=1e-12)
    # numeric 0/1/2 codes are multiclass too
    numeric = profile_dataset(load_iris(as_frame=True).frame, target="target").target
    assert numeric.kind == "multiclass" and [c.count for c in numeric.classes] == [50, 50, 50]


def test_regression_target_on_diabetes() -> None:
    data = load_diabetes(as_frame=True, scaled=False).frame
    data["sex"] = data["sex"].map({1.0: "f", 2.0: "m"})
    prof = profile_dataset(data, target="target")
    t = prof.target
    assert t.kind == "regression" and t.classes is None and t.imbalance_ratio is None
    y = data["target"].to_numpy()
    assert t.mean == pytest.approx(y.mean()) and t.std == pytest.approx(np.std(y, ddof=1))
    assert t.skewness == pytest.approx(st.skew(y), rel=1e-10)
    assert t.quantiles["50%"] == np.median(y) and t.min == 25.0 and t.max == 346.0
    assert "roughly symmetric" in t.recommendation_text  # skew 0.44 < 1
    assoc = {a.feature: a for a in prof.associations}
    for feature in ("age", "bmi", "s5"):
        assert assoc[feature].method == "pearson"
        assert assoc[feature].value == pytest.approx(st.pearsonr(data[feature], y)[0], rel=1e-10)
    groups = [y[data["sex"] == s] for s in ("f", "m")]
    f = st.f_oneway(*groups).statistic
    assert assoc["sex"].method == "eta"
    assert assoc["sex"].value == pytest.approx(math.sqrt(f / (f + 442 - 2)), rel=1e-10)
    assert prof.associations[0].feature == "bmi"  # the strongest, by absolute value


def test_skewed_regression_target_and_kind_rules() -> None:
    rng = np.random.default_rng(8)
    y = rng.lognormal(0, 1.2, 1_000)
    prof = profile_dataset(pd.DataFrame({"x": rng.normal(size=1_000), "y": y}), target="y")
    assert prof.target.skewness == pytest.approx(st.skew(y), rel=1e-10) and prof.target.skewness > 1
    assert "log1p" in prof.target.recommendation_text
    assert prof.warnings and prof.warnings[-1].startswith("Target: The target is strongly right-skewed")
    counts = pd.DataFrame({"y": rng.integers(0, 40, 1_000)})  # whole numbers, 40 distinct
    assert profile_dataset(counts, target="y").target.kind == "regression"
    few = pd.DataFrame({"y": rng.integers(0, 5, 1_000)})
    assert profile_dataset(few, target="y").target.kind == "multiclass"
    assert profile_dataset(few, target="y", config=ProfileConfig(target_kind="regression")
                           ).target.kind == "regression"
    nullable = pd.DataFrame({"y": pd.array([1, 0, None, 1, 1], dtype="Int64")})
    t = profile_dataset(nullable, target="y").target
    assert t.kind == "binary" and [(c.label, c.count) for c in t.classes] == [("1", 3), ("0", 1)]
    assert t.missing_count == 1 and t.imbalance_ratio == 3.0


@pytest.mark.parametrize(("majority", "minority", "level", "recommendation"), [
    (140, 100, "balanced", "none"),
    (150, 100, "moderate", "class_weights"),  # exactly 1.5
    (950, 100, "moderate", "class_weights"),
    (1000, 100, "severe", "resampling_or_threshold_tuning"),  # exactly 10
])
def test_imbalance_thresholds(majority: int, minority: int, level: str, recommendation: str) -> None:
    df = pd.DataFrame({"y": ["no"] * majority + ["yes"] * minority + [None] * 5,
                       "x": np.arange(majority + minority + 5, dtype=float) % 7})
    t = profile_dataset(df, target="y").target
    assert t.imbalance_ratio == pytest.approx(majority / minority)
    assert t.imbalance == level and t.recommendation == recommendation
    assert t.missing_count == 5 and "5 rows" in t.warnings[0]
    if level == "severe":
        assert "Resample the training folds" in t.recommendation_text


def test_association_drops_missing_rows() -> None:
    df = pd.DataFrame({
        "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, np.nan, 7.0],
        "c": ["a", "a", "b", "b", "a", "b", "a", None],
        "y": ["p", "p", "p", "q", "q", "q", "q", None],
    })
    prof = profile_dataset(df, target="y")
    assoc = {a.feature: a for a in prof.associations}
    assert assoc["x"].rows == 6
    g = [np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])]
    f = st.f_oneway(*g).statistic
    assert assoc["x"].value == pytest.approx(math.sqrt(f / (f + 4)))
    table = pd.crosstab(df["c"], df["y"]).to_numpy()
    chi2 = st.chi2_contingency(table, correction=False).statistic
    assert assoc["c"].rows == 7 and assoc["c"].value == pytest.approx(math.sqrt(chi2 / 7))
