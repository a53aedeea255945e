"""Schema contracts: inferred from real and hand-made data, stored as YAML, checked with pandera.

Every count a check reports is compared with an independent pandas computation on the same frame.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pyarrow
import pytest
from pandera.errors import SchemaErrors
from sklearn.datasets import load_breast_cancer, load_iris

from mlsteward.data.contract import (
    IDENTIFIER_MIN_COUNT,
    TOP_UNSEEN,
    ColumnContract,
    ContractCheck,
    DataContract,
    check_contract,
    dtype_compatible,
    infer_contract,
)
from mlsteward.errors import InvalidInput

N = 60


def iris() -> pd.DataFrame:
    bunch = load_iris(as_frame=True)
    df = bunch.frame
    df["species"] = pd.Categorical.from_codes(df["target"], list(bunch.target_names))
    return df


def breast_cancer() -> pd.DataFrame:
    return load_breast_cancer(as_frame=True).frame


def hand_made() -> pd.DataFrame:
    """Strings, categories, ints, floats, nulls, booleans, datetimes and two identifiers."""
    rng = np.random.default_rng(7)
    income = rng.normal(40_000, 9_000, N).round(2)
    income[[3, 17, 40]] = np.nan
    city = rng.choice(["Paris", "Lyon", "Nice"], N).astype(object)
    city[[5, 6]] = None
    score = pd.array(rng.integers(0, 100, N), dtype="Int64")
    score[[1, 2, 3, 4]] = pd.NA
    return pd.DataFrame({
        "customer_id": np.arange(1001, 1001 + N),                       # dense integer key
        "code": [f"C{i:04d}" for i in range(N)],                          # text key
        "age": rng.integers(18, 90, N),
        "income": income,
        "plan": pd.Categorical(rng.choice(["basic", "premium", "trial"], N)),
        "city": pd.Series(city, dtype="str"),
        "note": [f"free text number {i}" for i in range(N)],             # distinct, with spaces
        "score": score,
        "active": rng.random(N) < 0.5,
        "signup": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, N), unit="D"),
    })


# --- inference ------------------------------------------------------------------------------------


def test_infer_iris_ranges_and_species_set() -> None:
    df = iris()
    contract = infer_contract(df, name="iris")
    assert contract.name == "iris" and contract.rows == 150 and contract.strict
    assert list(contract.columns) == list(df.columns)
    for column in load_iris(as_frame=True).feature_names:
        spec = contract.columns[column]
        assert spec.dtype == "float64" and spec.nullable is False
        assert spec.min == df[column].min() and spec.max == df[column].max()
        assert spec.allowed is None and spec.unique is False
    assert contract.columns["target"] == ColumnContract(dtype="int64", nullable=False, min=0, max=2)
    assert contract.columns["species"] == ColumnContract(
        dtype="category", nullable=False, allowed=["setosa", "versicolor", "virginica"])


def test_infer_hand_made_column_by_column() -> None:
    df = hand_made()
    contract = infer_contract(df, name="customers")
    c = contract.columns
    assert c["customer_id"] == ColumnContract(dtype="int64", nullable=False, min=1001, max=1000 + N,
                                              unique=True)
    assert c["code"] == ColumnContract(dtype="str", nullable=False, unique=True)
    assert c["age"] == ColumnContract(dtype="int64", nullable=False, min=int(df["age"].min()),
                                      max=int(df["age"].max()))
    assert c["income"] == ColumnContract(dtype="float64", nullable=True,
                                         min=float(np.nanmin(df["income"])),
                                         max=float(np.nanmax(df["income"])))
    assert c["plan"] == ColumnContract(dtype="category", nullable=False,
                                       allowed=["basic", "premium", "trial"])
    assert c["city"] == ColumnContract(dtype="str", nullable=True, allowed=["Lyon", "Nice", "Paris"])
    assert c["note"] == ColumnContract(dtype="str", nullable=False)  # 60 levels > 50, not key-like
    assert c["score"] == ColumnContract(dtype="Int64", nullable=True, min=int(df["score"].min()),
                                        max=int(df["score"].max()))
    assert c["active"] == ColumnContract(dtype="bool", nullable=False)
    assert c["signup"] == ColumnContract(dtype=str(df["signup"].dtype), nullable=False)
    # bounds are plain Python numbers, so YAML and JSON take them
    assert type(c["age"].min) is int and type(c["income"].max) is float


def test_identifier_needs_enough_distinct_dense_values() -> None:
    n = IDENTIFIER_MIN_COUNT
    df = pd.DataFrame({
        "dense": np.arange(n),
        "sparse": np.arange(n) * 10,                      # max - min + 1 > 2 * count: a measurement
        "short": np.arange(n - 1).tolist() + [0],         # one repeat
        "word_key": [f"k{i}" for i in range(n)],
    })
    c = infer_contract(df, name="ids").columns
    assert c["dense"].unique and c["word_key"].unique
    assert not c["sparse"].unique and not c["short"].unique
    assert c["word_key"].allowed is None
    few = infer_contract(df.head(n - 1), name="ids").columns
    assert not few["dense"].unique and not few["word_key"].unique


def test_categorical_max_levels_is_inclusive() -> None:
    df = pd.DataFrame({"five": list("abcde") * 4, "six": list("abcdef") * 3 + ["a", "b"]})
    c = infer_contract(df, name="levels", categorical_max_levels=5).columns
    assert c["five"].allowed == ["a", "b", "c", "d", "e"]
    assert c["six"].allowed is None
    none = infer_contract(df, name="levels", categorical_max_levels=0).columns
    assert none["five"].allowed is None


def test_range_margin_widens_by_a_share_of_the_span() -> None:
    df = iris()
    contract = infer_contract(df, name="iris", range_margin=0.1)
    for column in load_iris(as_frame=True).feature_names:
        low, high = df[column].min(), df[column].max()
        span = high - low
        assert contract.columns[column].min == pytest.approx(low - 0.1 * span, abs=0)
        assert contract.columns[column].max == pytest.approx(high + 0.1 * span, abs=0)
    # integer bounds are rounded outwards: 0 - 0.2 -> -1, 2 + 0.2 -> 3
    assert (contract.columns["target"].min, contract.columns["target"].max) == (-1, 3)


def test_infinities_are_values_and_round_trip() -> None:
    df = pd.DataFrame({"x": [1.0, np.inf, -np.inf, 2.0]})
    contract = infer_contract(df, name="inf")
    assert contract.columns["x"].min == -math.inf and contract.columns["x"].max == math.inf
    assert DataContract.from_yaml(contract.to_yaml()) == contract
    assert DataContract.model_validate_json(contract.model_dump_json()) == contract
    assert check_contract(df, contract).passed


def test_object_and_arrow_inputs() -> None:
    df = pd.DataFrame({"s": pd.Series(["a", "b", "a"], dtype=object),
                       "mixed": pd.Series([1, "a", 2.5], dtype=object)})
    c = infer_contract(df, name="objects").columns
    assert c["s"] == ColumnContract(dtype="object", nullable=False, allowed=["a", "b"])
    assert c["mixed"] == ColumnContract(dtype="object", nullable=False)  # mixed values: no value set
    table = pyarrow.Table.from_pandas(iris().drop(columns="species"), preserve_index=False)
    assert infer_contract(table, name="t") == infer_contract(iris().drop(columns="species"), name="t")


# --- YAML and pandera ------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [iris, breast_cancer, hand_made])
def test_yaml_round_trip_is_equal(make) -> None:
    contract = infer_contract(make(), name="round-trip", range_margin=0.05)
    text = contract.to_yaml()
    again = DataContract.from_yaml(text)
    assert again == contract
    assert again.to_yaml() == text
    assert DataContract.model_validate_json(contract.model_dump_json()) == contract


def test_yaml_keeps_text_that_looks_like_other_types() -> None:
    df = pd.DataFrame({"answer": ["yes", "no", "1", "null", "1.5", "true", "yes"]})
    contract = infer_contract(df, name="tricky")
    again = DataContract.from_yaml(contract.to_yaml())
    assert again.columns["answer"].allowed == ["1", "1.5", "no", "null", "true", "yes"]
    assert all(isinstance(v, str) for v in again.columns["answer"].allowed)


def test_yaml_layout() -> None:
    df = pd.DataFrame({"id": np.arange(1, IDENTIFIER_MIN_COUNT + 1),
                       "plan": pd.Categorical(["basic", "premium"] * (IDENTIFIER_MIN_COUNT // 2))})
    text = infer_contract(df, name="customers").to_yaml()
    assert text == (
        "format_version: 1\n"
        "name: customers\n"
        "strict: true\n"
        f"rows: {IDENTIFIER_MIN_COUNT}\n"
        "columns:\n"
        "  id:\n"
        "    dtype: int64\n"
        "    nullable: false\n"
        "    min: 1\n"
        f"    max: {IDENTIFIER_MIN_COUNT}\n"
        "    unique: true\n"
        "  plan:\n"
        "    dtype: category\n"
        "    nullable: false\n"
        "    allowed: [basic, premium]\n"
    )


def test_to_pandera_holds_the_checks_and_accepts_its_own_data() -> None:
    df = hand_made()
    contract = infer_contract(df, name="customers")
    schema = contract.to_pandera()
    assert list(schema.columns) == list(df.columns) and schema.strict is True and schema.coerce is False
    age = schema.columns["age"]
    assert [check.statistics for check in age.checks] == [{"min_value": df["age"].min()},
                                                          {"max_value": df["age"].max()}]
    assert schema.columns["plan"].checks[0].statistics == {
        "allowed_values": ["basic", "premium", "trial"]}
    assert schema.columns["income"].nullable and not schema.columns["age"].nullable
    assert schema.columns["customer_id"].unique
    schema.validate(df, lazy=True)  # no SchemaErrors
    bad = df.assign(age=df["age"] + 1000)
    with pytest.raises(SchemaErrors):
        schema.validate(bad, lazy=True)


# --- checking --------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [iris, breast_cancer, hand_made])
def test_the_same_data_passes(make) -> None:
    df = make()
    result = check_contract(df, infer_contract(df, name="same"))
    assert result.passed, result.summary()
    assert result.problems() == []
    assert result.summary() == f"Contract 'same' passed on {len(df)} rows: no problems."


def modified(df: pd.DataFrame, contract: DataContract) -> pd.DataFrame:
    """One of each problem: a dropped and an added column, an int -> string column, values out of
    range, nulls where none are allowed, unseen categories."""
    m = df.drop(columns=["note"]).copy()
    m["channel"] = "web"
    m["age"] = m["age"].astype(str)
    low, high = contract.columns["income"].min, contract.columns["income"].max
    m.loc[[0, 1, 2], "income"] = [low - 1, low - 500, low - 1]
    m.loc[[7, 8, 9, 10], "income"] = [high + 0.01, high * 2, high * 3, high * 4]
    m.loc[[11, 12, 13, 14, 15], "plan"] = np.nan
    m.loc[[20, 21, 22], "city"] = "Berlin"
    m.loc[[23, 24], "city"] = "Rome"
    m.loc[[25], "city"] = "Lille"
    return m


def test_a_modified_frame_reports_exactly_each_problem() -> None:
    df = hand_made()
    contract = infer_contract(df, name="customers")
    m = modified(df, contract)
    result = check_contract(m, contract)

    assert result.passed is False
    assert result.missing_columns == ["note"]
    assert result.new_columns == ["channel"]
    assert [(d.column, d.expected, d.found) for d in result.dtype_changes] == [("age", "int64", "str")]
    assert set(result.violations) == {"income", "plan", "city"}

    # independent pandas counts
    income, spec = m["income"], contract.columns["income"]
    below, above = income[income < spec.min], income[income > spec.max]
    r = result.violations["income"].range
    assert (r.below, r.above) == (len(below), len(above)) == (3, 4)
    assert (r.min, r.max) == (spec.min, spec.max)
    assert r.below_examples == sorted(below.unique().tolist())[:5]
    assert r.above_examples == sorted(above.unique().tolist(), reverse=True)[:5]
    assert result.violations["income"].nullability is None  # nulls are allowed there

    assert result.violations["plan"].nullability.count == int(m["plan"].isna().sum()) == 5
    assert result.violations["plan"].unseen_categories is None

    city = m["city"]
    allowed = contract.columns["city"].allowed
    unseen = city[city.notna() & ~city.isin(allowed)].value_counts()
    u = result.violations["city"].unseen_categories
    assert u.rows == int(unseen.sum()) == 6 and u.distinct == len(unseen) == 3
    assert [(item.value, item.count) for item in u.top] == [("Berlin", 3), ("Rome", 2), ("Lille", 1)]
    assert {item.value: item.count for item in u.top} == unseen.to_dict()
    assert result.violations["city"].nullability is None  # city was nullable

    # the string column cannot be compared with the integer bounds: said, not hidden
    assert [(e.column, e.check) for e in result.check_errors] == [("age", "min"), ("age", "max")]

    kinds = [(p.column, p.kind) for p in result.problems()]
    assert kinds == [("note", "missing_column"), ("channel", "new_column"), ("age", "dtype"),
                     ("income", "range"), ("plan", "nullability"), ("city", "unseen_categories"),
                     ("age", "check_error")]
    summary = result.summary()
    assert summary.startswith("Contract 'customers' FAILED on 60 rows: 7 problem(s).")
    assert "'Berlin' (3)" in summary and "3 below min" in summary and "4 above max" in summary


def test_the_result_serialises_for_the_api() -> None:
    df = hand_made()
    contract = infer_contract(df, name="customers")
    result = check_contract(modified(df, contract), contract)
    data = json.loads(result.model_dump_json())
    assert data["passed"] is False
    assert data["violations"]["plan"]["nullability"] == {"count": 5}
    assert ContractCheck.model_validate(data) == result


def test_a_missing_column_does_not_hide_the_others() -> None:
    df = iris()
    contract = infer_contract(df, name="iris")
    m = df.drop(columns=["petal width (cm)"])
    m.loc[:9, "sepal length (cm)"] = 100.0
    result = check_contract(m, contract)
    assert result.missing_columns == ["petal width (cm)"]
    assert result.violations["sepal length (cm)"].range.above == 10


def test_breast_cancer_shifted_ranges_match_pandas() -> None:
    df = breast_cancer()
    contract = infer_contract(df, name="wdbc")
    shifted = df.copy()
    shifted["mean radius"] = df["mean radius"] * 1.2
    shifted["worst area"] = df["worst area"] - 300
    result = check_contract(shifted, contract)
    assert set(result.violations) == {"mean radius", "worst area"}
    for column in ("mean radius", "worst area"):
        spec, values = contract.columns[column], shifted[column]
        r = result.violations[column].range
        assert r.below == int((values < spec.min).sum())
        assert r.above == int((values > spec.max).sum())
        assert r.below + r.above > 0
    assert not result.dtype_changes and not result.missing_columns and not result.new_columns


def test_duplicates_in_a_unique_column_are_counted() -> None:
    df = hand_made()
    contract = infer_contract(df, name="customers")
    m = df.copy()
    m.loc[[5, 6, 7], "customer_id"] = 1001
    m.loc[[8], "customer_id"] = 1002
    result = check_contract(m, contract)
    expected = int(m["customer_id"].duplicated().sum())
    assert result.violations["customer_id"].duplicates.count == expected == 4
    assert set(result.violations) == {"customer_id"}


def test_top_unseen_values_are_the_most_frequent() -> None:
    contract = DataContract(name="t", columns={"c": ColumnContract(dtype="str", nullable=False,
                                                                   allowed=["ok"])})
    values = ["ok"] * 5
    for i in range(12):  # value v00 12 times, v01 11 times, ... v11 once; v10 and v11 tie-break by value
        values += [f"v{i:02d}"] * (12 - i)
    values += ["v10b"] * 2
    result = check_contract(pd.DataFrame({"c": values}), contract)
    u = result.violations["c"].unseen_categories
    expected = pd.Series(values)[lambda s: s != "ok"].value_counts()
    assert u.rows == int(expected.sum()) and u.distinct == len(expected) == 13
    assert len(u.top) == TOP_UNSEEN
    assert [(t.value, t.count) for t in u.top] == [(f"v{i:02d}", 12 - i) for i in range(TOP_UNSEEN)]
    assert "..." in result.summary()


def test_new_columns_pass_when_the_contract_is_not_strict() -> None:
    df = iris()
    contract = infer_contract(df, name="iris").model_copy(update={"strict": False})
    result = check_contract(df.assign(extra=1), contract)
    assert result.new_columns == ["extra"] and result.passed
    assert [(p.kind, p.fails) for p in result.problems()] == [("new_column", False)]
    assert "(reported only)" in result.summary()
    assert not check_contract(df.assign(extra=1), contract.model_copy(update={"strict": True})).passed


# --- dtype rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("expected", "data", "ok"), [
    ("float64", pd.Series([1, 2, 3]), True),                                   # int into float
    ("int64", pd.Series([1.0, 2.0, 3.0]), False),                              # float into int
    ("int64", pd.Series([1, 2], dtype="int32"), True),
    ("int64", pd.Series([1, None], dtype="Int64"), True),
    ("Int64", pd.Series([1, 2]), True),
    ("float64", pd.Series([1.0, 2.0], dtype="float32"), True),
    ("int64", pd.Series([True, False]), False),
    ("bool", pd.Series([1, 0]), False),
    ("bool", pd.Series([True, None], dtype="boolean"), True),
    ("str", pd.Categorical(["a", "b"]), True),
    ("category", pd.Series(["a", "b"]), True),
    ("category", pd.Series(["a", "b"], dtype=object), True),
    ("str", pd.Series(["a", "b"], dtype=object), True),
    ("str", pd.Series(["a", 1], dtype=object), False),
    ("object", pd.Series(["a", "b"]), True),
    ("str", pd.Series([1, 2]), False),
    ("int64", pd.Series(["1", "2"]), False),
    ("datetime64[ns]", pd.Series(pd.date_range("2024", periods=2, unit="us")), True),
    ("datetime64[us]", pd.Series(pd.date_range("2024", periods=2, tz="UTC")), False),
    ("datetime64[us, UTC]", pd.Series(pd.date_range("2024", periods=2, tz="Europe/Paris")), False),
    ("datetime64[us, UTC]", pd.Series(pd.date_range("2024", periods=2, tz="UTC", unit="ns")), True),
    ("period[M]", pd.Series(pd.period_range("2024-01", periods=2, freq="D")), False),
])
def test_dtype_rule(expected: str, data, ok: bool) -> None:
    series = pd.Series(data)
    assert dtype_compatible(expected, series) is ok
    # and through the check: a change is reported exactly when the rule says so
    contract = DataContract(name="d", columns={"x": ColumnContract(dtype=expected, nullable=True)})
    result = check_contract(pd.DataFrame({"x": series}), contract)
    changes = [(d.expected, d.found) for d in result.dtype_changes]
    assert changes == ([] if ok else [(expected, str(series.dtype))])


def test_int_data_against_a_float_contract_is_still_range_checked() -> None:
    contract = DataContract(name="d", columns={"x": ColumnContract(dtype="float64", nullable=False,
                                                                   min=0.0, max=10.0)})
    result = check_contract(pd.DataFrame({"x": [1, 5, 11, 12, -1]}), contract)
    assert not result.dtype_changes
    r = result.violations["x"].range
    assert (r.below, r.above, r.below_examples, r.above_examples) == (1, 2, [-1], [12, 11])


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize("frame", [pd.DataFrame(), pd.DataFrame({"a": []}), pd.DataFrame(index=[0, 1])])
def test_an_empty_frame_is_refused(frame: pd.DataFrame) -> None:
    with pytest.raises(InvalidInput, match="empty"):
        infer_contract(frame, name="x")
    contract = infer_contract(iris(), name="iris")
    with pytest.raises(InvalidInput, match="empty"):
        check_contract(frame, contract)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"name": ""}, "'name'"),
    ({"name": "x", "categorical_max_levels": -1}, "categorical_max_levels"),
    ({"name": "x", "categorical_max_levels": 2.5}, "categorical_max_levels"),
    ({"name": "x", "range_margin": -0.1}, "range_margin"),
    ({"name": "x", "range_margin": float("nan")}, "range_margin"),
])
def test_bad_parameters_are_refused(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        infer_contract(iris(), **kwargs)


def test_bad_frames_are_refused() -> None:
    with pytest.raises(InvalidInput, match="pandas DataFrame"):
        infer_contract([[1, 2]], name="x")
    with pytest.raises(InvalidInput, match="must be strings"):
        infer_contract(pd.DataFrame({0: [1], 1: [2]}), name="x")
    with pytest.raises(InvalidInput, match="unique"):
        infer_contract(pd.DataFrame([[1, 2]], columns=["a", "a"]), name="x")
    with pytest.raises(InvalidInput, match="DataContract"):
        check_contract(iris(), {"name": "iris"})


GOOD = "format_version: 1\nname: d\ncolumns:\n  a:\n    dtype: int64\n    nullable: false\n"


@pytest.mark.parametrize(("text", "match"), [
    ("name: d\ncolumns:\n\ta: 1\n", r"does not parse at line 3, column 1"),
    ("name: d\ncolumns:\n  a: {dtype: int64, nullable: [false}\n", r"does not parse at line 3"),
    (GOOD + "    min: abc\n", r"line 7, columns\.a\.min: a bound must be a number; got 'abc'"),
    (GOOD.replace("int64", "integer64"),
     r"line 5, columns\.a\.dtype: 'integer64' is not a pandas dtype"),
    (GOOD + "    min: 5\n    max: 1\n", r"line 4, columns\.a: min \(5\) is larger than max \(1\)"),
    (GOOD + "    colour: red\n", r"line 7, columns\.a\.colour"),
    (GOOD + "  a:\n    dtype: str\n    nullable: true\n",
     r"repeats the key 'a' at line 7 \(first at line 4\)"),
    (GOOD.replace("format_version: 1", "format_version: 2"), r"line 1, format_version"),
    ("name: d\ncolumns: {}\n", r"line 2, columns: a contract needs at least one column"),
    ("- a\n- b\n", "must be a mapping"),
    ("", "empty"),
])
def test_bad_yaml_names_the_line(text: str, match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        DataContract.from_yaml(text)


def test_good_yaml_by_hand_loads() -> None:
    contract = DataContract.from_yaml(GOOD + "    min: 0\n    max: 9\n")
    assert contract.columns["a"] == ColumnContract(dtype="int64", nullable=False, min=0, max=9)
    assert contract.strict and contract.rows is None
