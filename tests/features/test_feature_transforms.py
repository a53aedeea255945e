"""Every transformation kind, fitted through FeatureSet / compile_pipeline, against a direct reference:
scikit-learn used on its own, pandas/numpy computation, or a hand-worked example."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import KBinsDiscretizer, MinMaxScaler, RobustScaler, StandardScaler, TargetEncoder

from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput
from mlsteward.features.definitions import FeatureDefinition
from mlsteward.features.feature_set import FeatureSet
from mlsteward.features.pipeline import compile_pipeline
from mlsteward.features.transformers import register_transform
from mlsteward.features.transforms import TRANSFORMS

F = FeatureDefinition
TARGET = "high_income"


@functools.cache
def _gss() -> tuple[pd.DataFrame, pd.DataFrame]:
    data = gss_wages_with_target().sample(n=8000, random_state=11)
    return data.iloc[:6000], data.iloc[6000:]


@pytest.fixture
def gss():
    train, test = _gss()
    return train.copy(), test.copy()


def _fit(defs, train, target=None):
    return FeatureSet.fit(defs, train, target=target)


def _values(frame_or_series) -> np.ndarray:
    return np.asarray(frame_or_series, dtype=float)


# -- registered custom functions (unique names: the registry is process-wide) -----------------------------

@register_transform("tf_age_plus_twice_childs")
def _age_plus_twice_childs(frame: pd.DataFrame) -> pd.Series:
    return frame["age"] + 2 * frame["childs"]


@register_transform("tf_two_columns")
def _two_columns(frame: pd.DataFrame) -> np.ndarray:
    x = frame.iloc[:, 0].to_numpy(dtype=float)
    return np.column_stack([x, -x])


@register_transform("tf_too_short")
def _too_short(frame: pd.DataFrame) -> list:
    return [0.0] * (len(frame) - 1)


@register_transform("tf_reciprocal")
def _reciprocal(frame: pd.DataFrame) -> list:
    return [1 / v for v in frame.iloc[:, 0]]  # ZeroDivisionError on rows holding 0


COVERED = {"identity", "impute", "standard_scale", "minmax_scale", "robust_scale", "one_hot", "ordinal",
           "target_encode", "bin", "date_parts", "ratio", "difference", "interaction", "sum", "log", "custom"}


def test_every_registered_kind_is_covered_here():
    assert set(TRANSFORMS) == COVERED, "a transformation kind was added or removed: test it here"


# -- impute --------------------------------------------------------------------------------------------

def test_impute_median_equals_simple_imputer_and_pandas(gss):
    train, test = gss
    assert train["age"].isna().any() and test["age"].isna().any()
    feature_set, out = _fit([F(name="age", transform="impute")], train, TARGET)
    reference = SimpleImputer(strategy="median").fit(train[["age"]])
    np.testing.assert_array_equal(_values(out["age"]), reference.transform(train[["age"]])[:, 0])
    got = feature_set.transform(test)
    np.testing.assert_array_equal(_values(got["age"]), test["age"].fillna(train["age"].median()).to_numpy())
    assert list(got.index) == list(test.index)


def test_impute_most_frequent_on_a_category(gss):
    train, test = gss
    assert test["educcat"].isna().any()
    feature_set, _ = _fit([F(name="edu", transform="impute", inputs=["educcat"],
                             params={"strategy": "most_frequent"})], train)
    got = feature_set.transform(test)["edu"].astype(str)
    mode = train["educcat"].astype(object).mode()[0]
    expected = test["educcat"].astype(object).fillna(mode).astype(str)
    assert got.tolist() == expected.tolist()
    reference = SimpleImputer(strategy="most_frequent").fit(train[["educcat"]]).transform(test[["educcat"]])
    assert got.tolist() == [str(v) for v in reference[:, 0]]


def test_impute_constant(gss):
    train, test = gss
    assert test["childs"].isna().any()
    feature_set, _ = _fit([F(name="kids", transform="impute", inputs=["childs"],
                             params={"strategy": "constant", "fill_value": -1})], train)
    got = _values(feature_set.transform(test)["kids"])
    np.testing.assert_array_equal(got, test["childs"].fillna(-1).to_numpy())
    reference = SimpleImputer(strategy="constant", fill_value=-1).fit(train[["childs"]])
    np.testing.assert_array_equal(got, reference.transform(test[["childs"]])[:, 0])


# -- scaling -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "scaler"), [("standard_scale", StandardScaler), ("minmax_scale", MinMaxScaler),
                                              ("robust_scale", RobustScaler)])
def test_scalers_equal_sklearn_after_median_imputation(gss, kind, scaler):
    train, test = gss
    feature_set, out = _fit([F(name="prestige", transform=kind, inputs=["prestg10"])], train, TARGET)
    reference = make_pipeline(SimpleImputer(strategy="median"), scaler()).fit(train[["prestg10"]])
    np.testing.assert_allclose(_values(out["prestige"]), reference.transform(train[["prestg10"]])[:, 0], rtol=1e-12)
    np.testing.assert_allclose(_values(feature_set.transform(test)["prestige"]),
                               reference.transform(test[["prestg10"]])[:, 0], rtol=1e-12)


def test_standard_scale_by_hand(gss):
    train, test = gss
    feature_set, _ = _fit([F(name="age_z", transform="standard_scale", inputs=["age"])], train)
    filled = train["age"].fillna(train["age"].median()).to_numpy()
    mean, std = filled.mean(), filled.std(ddof=0)  # population std, as StandardScaler
    expected = (test["age"].fillna(train["age"].median()).to_numpy() - mean) / std
    np.testing.assert_allclose(_values(feature_set.transform(test)["age_z"]), expected, rtol=1e-12, atol=1e-12)


def test_minmax_and_robust_scale_by_hand():
    train = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0, 4.0, np.nan]})  # median 2 fills the gap
    test = pd.DataFrame({"x": [2.0, 8.0, np.nan]})
    minmax, _ = _fit([F(name="m", transform="minmax_scale", inputs=["x"])], train)
    np.testing.assert_allclose(_values(minmax.transform(test)["m"]), [0.5, 2.0, 0.5])
    robust, _ = _fit([F(name="r", transform="robust_scale", inputs=["x"])], train)
    # values 0,1,2,2,3,4: median 2, quartiles 1.25 and 2.75 (linear), IQR 1.5
    np.testing.assert_allclose(_values(robust.transform(test)["r"]), [0.0, 4.0, 0.0])


def test_scale_without_imputation_keeps_missing():
    train = pd.DataFrame({"x": [1.0, 3.0, np.nan]})
    feature_set, _ = _fit([F(name="z", transform="standard_scale", inputs=["x"], params={"impute": False})], train)
    np.testing.assert_allclose(_values(feature_set.transform(pd.DataFrame({"x": [2.0, np.nan, 5.0]}))["z"]),
                               [0.0, np.nan, 3.0])


# -- one-hot ------------------------------------------------------------------------------------------

def test_one_hot_columns_and_values_equal_get_dummies(gss):
    train, test = gss
    feature_set, out = _fit([F(name="work", transform="one_hot", inputs=["wrkstat"])], train, TARGET)
    categories = sorted(train["wrkstat"].astype(object).unique())
    columns = [f"work={c}" for c in categories]
    assert list(out.columns) == columns
    assert feature_set.output_columns == columns
    for rows, frame in ((train, out), (test, feature_set.transform(test))):
        dummies = pd.get_dummies(rows["wrkstat"].astype(object)).reindex(columns=categories, fill_value=False)
        np.testing.assert_array_equal(_values(frame), _values(dummies))


def test_one_hot_missing_is_its_own_category(gss):
    train, test = gss
    assert train["educcat"].isna().any()
    feature_set, _ = _fit([F(name="edu", transform="one_hot", inputs=["educcat"])], train)
    got = feature_set.transform(test)
    assert "edu=(missing)" in got.columns
    np.testing.assert_array_equal(_values(got["edu=(missing)"]), test["educcat"].isna().to_numpy(dtype=float))
    dummies = pd.get_dummies(test["educcat"].astype(object))
    for category in dummies.columns:
        np.testing.assert_array_equal(_values(got[f"edu={category}"]), _values(dummies[category]))


def test_one_hot_unseen_category_is_all_zeros():
    train = pd.DataFrame({"colour": ["red", "blue", "red", "green"]})
    feature_set, _ = _fit([F(name="c", transform="one_hot", inputs=["colour"])], train)
    got = feature_set.transform(pd.DataFrame({"colour": ["green", "purple", "red"]}))
    assert list(got.columns) == ["c=blue", "c=green", "c=red"]
    np.testing.assert_array_equal(_values(got), [[0, 1, 0], [0, 0, 0], [0, 0, 1]])


def test_one_hot_with_a_single_category_keeps_the_suffix():
    feature_set, out = _fit([F(name="c", transform="one_hot", inputs=["colour"])],
                            pd.DataFrame({"colour": ["red", "red"]}))
    assert list(out.columns) == ["c=red"]


def test_one_hot_category_named_none_is_not_missing():
    _, out = _fit([F(name="c", transform="one_hot")], pd.DataFrame({"c": ["None", None, "a"]}))
    assert out.shape == (3, 3) and out.columns.is_unique
    assert "c=None" in out.columns
    np.testing.assert_array_equal(_values(out["c=None"]), [1, 0, 0])  # the text, not the missing row


# -- ordinal ------------------------------------------------------------------------------------------

def test_ordinal_sorted_codes_unseen_and_missing():
    train = pd.DataFrame({"size": ["m", "s", "l", "m", None]})
    feature_set, out = _fit([F(name="size_code", transform="ordinal", inputs=["size"])], train)
    # categories sorted: l=0, m=1, s=2; missing -2
    np.testing.assert_array_equal(_values(out["size_code"]), [1, 2, 0, 1, -2])
    got = feature_set.transform(pd.DataFrame({"size": ["xl", "s", None, "l"]}))
    np.testing.assert_array_equal(_values(got["size_code"]), [-1, 2, -2, 0])


def test_ordinal_with_given_categories_equals_pandas_codes(gss):
    train, test = gss
    order = list(train["educcat"].cat.categories)  # Less Than High School, ..., Graduate
    feature_set, _ = _fit([F(name="edu", transform="ordinal", inputs=["educcat"],
                             params={"categories": order})], train)
    present = test["educcat"].notna().to_numpy()
    expected = test["educcat"].cat.codes.to_numpy(dtype=float)
    got = _values(feature_set.transform(test)["edu"])
    np.testing.assert_array_equal(got[present], expected[present])
    got = feature_set.transform(pd.DataFrame({"educcat": ["Graduate", "PhD", "Less Than High School"]}))
    np.testing.assert_array_equal(_values(got["edu"]), [order.index("Graduate"), -1, 0])


@pytest.mark.parametrize(("train", "params"), [(["a", "b", None], {"categories": ["b", "a"]}),
                                               (["a", "b"], {})])
def test_ordinal_missing_is_always_minus_two(train, params):
    feature_set, _ = _fit([F(name="c", transform="ordinal", params=params)], pd.DataFrame({"c": train}))
    got = feature_set.transform(pd.DataFrame({"c": ["a", None, "z"]}))
    np.testing.assert_array_equal(_values(got["c"]), [params.get("categories", ["a"]).index("a"), -2, -1])


# -- target encoding ----------------------------------------------------------------------------------

def test_target_encode_transform_equals_target_encoder(gss):
    train, test = gss
    assert train["occrecode"].isna().any()
    feature_set, _ = _fit([F(name="occ", transform="target_encode", inputs=["occrecode"])], train, TARGET)
    reference = TargetEncoder(smooth="auto", cv=5).fit(train[["occrecode"]], train[TARGET])
    np.testing.assert_allclose(_values(feature_set.transform(test)["occ"]),
                               reference.transform(test[["occrecode"]])[:, 0], rtol=1e-12)


def test_target_encode_training_output_is_cross_fitted(gss):
    train, _ = gss
    definition = [F(name="occ", transform="target_encode", inputs=["occrecode"], params={"smooth": 5.0, "cv": 3})]
    feature_set, out = _fit(definition, train, TARGET)
    folds = KFold(n_splits=3, shuffle=True, random_state=0)  # the documented folds: seeded, shuffled
    expected = TargetEncoder(smooth=5.0, cv=folds).fit_transform(train[["occrecode"]], train[TARGET])[:, 0]
    np.testing.assert_allclose(_values(out["occ"]), expected, rtol=1e-12)
    # no row sees its own label: the training features differ from encoding the training rows afterwards
    assert not np.allclose(_values(out["occ"]), _values(feature_set.transform(train)["occ"]))


def test_target_encode_training_output_is_reproducible(gss):
    train, _ = gss
    definition = [F(name="occ", transform="target_encode", inputs=["occrecode"])]
    np.random.seed(1)
    _, first = _fit(definition, train, TARGET)
    np.random.seed(2)
    _, second = _fit(definition, train, TARGET)
    pd.testing.assert_frame_equal(first, second)


# -- binning ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("bins", "strategy"), [(5, "quantile"), (4, "uniform")])
def test_bin_equals_imputer_and_kbins(gss, bins, strategy):
    train, test = gss
    assert train["prestg10"].isna().any()
    feature_set, out = _fit([F(name="pb", transform="bin", inputs=["prestg10"],
                               params={"bins": bins, "strategy": strategy})], train)
    reference = make_pipeline(SimpleImputer(strategy="median"),
                              KBinsDiscretizer(n_bins=bins, encode="ordinal", strategy=strategy,
                                               quantile_method="averaged_inverted_cdf")).fit(train[["prestg10"]])
    np.testing.assert_array_equal(_values(out["pb"]), reference.transform(train[["prestg10"]])[:, 0])
    np.testing.assert_array_equal(_values(feature_set.transform(test)["pb"]),
                                  reference.transform(test[["prestg10"]])[:, 0])


def test_bin_by_hand():
    train = pd.DataFrame({"x": [float(v) for v in range(1, 11)]})  # median 5.5 is the one inner edge
    feature_set, _ = _fit([F(name="half", transform="bin", inputs=["x"], params={"bins": 2})], train)
    got = feature_set.transform(pd.DataFrame({"x": [1.0, 5.0, 5.4, 5.6, 10.0, 99.0, np.nan]}))
    np.testing.assert_array_equal(_values(got["half"]), [0, 0, 0, 1, 1, 1, 1])  # missing -> median 5.5 -> 1


# -- date parts ---------------------------------------------------------------------------------------

def test_date_parts_equal_pandas_dt_and_missing_stays_missing():
    when = pd.Series(["2024-01-06 10:30", "2023-12-31 23:00", None, "2024-02-29 00:15", "2024-07-01 08:00"])
    data = pd.DataFrame({"when": when})
    parts = ["year", "quarter", "month", "day", "dayofweek", "dayofyear", "hour", "is_weekend"]
    feature_set, out = _fit([F(name="t", transform="date_parts", inputs=["when"], params={"parts": parts})], data)
    assert list(out.columns) == [f"t.{p}" for p in parts]
    dt = pd.to_datetime(when).dt
    pandas_name = {"dayofweek": "day_of_week", "dayofyear": "day_of_year"}
    for part in parts[:-1]:
        expected = getattr(dt, pandas_name.get(part, part)).to_numpy(dtype=float, na_value=np.nan)
        np.testing.assert_array_equal(_values(out[f"t.{part}"]), expected)
    # 2024-01-06 Saturday, 2023-12-31 Sunday, 2024-02-29 Thursday, 2024-07-01 Monday
    np.testing.assert_array_equal(_values(out["t.is_weekend"]), [1, 1, np.nan, 0, 0])
    assert np.isnan(_values(out.iloc[2])).all()
    np.testing.assert_array_equal(_values(out["t.dayofweek"]), [5, 6, np.nan, 3, 0])


def test_date_parts_default_parts():
    data = pd.DataFrame({"d": pd.to_datetime(["2021-03-04", "2022-11-20"])})
    _, out = _fit([F(name="d", transform="date_parts")], data)
    assert list(out.columns) == ["d.year", "d.month", "d.dayofweek"]
    np.testing.assert_array_equal(_values(out), [[2021, 3, 3], [2022, 11, 6]])


def test_date_parts_single_part_keeps_the_suffix():
    data = pd.DataFrame({"day": pd.to_datetime(["2021-03-04", "2022-11-20"])})
    _, out = _fit([F(name="d", transform="date_parts", inputs=["day"], params={"parts": ["year"]})], data)
    assert list(out.columns) == ["d.year"]


def test_date_part_names_do_not_depend_on_the_input_column_name():
    data = pd.DataFrame({"is": pd.to_datetime(["2024-01-06", "2024-01-08"])})
    _, out = _fit([F(name="d", transform="date_parts", inputs=["is"], params={"parts": ["year", "is_weekend"]})],
                  data)
    assert list(out.columns) == ["d.year", "d.is_weekend"]


def test_unknown_date_part_is_refused():
    data = pd.DataFrame({"d": pd.to_datetime(["2021-03-04"])})
    with pytest.raises(InvalidInput, match=r"unknown date parts \['week'\]"):
        _fit([F(name="d", transform="date_parts", params={"parts": ["year", "week"]})], data)


# -- arithmetic, log, identity ------------------------------------------------------------------------

def test_ratio_by_hand_division_by_zero_is_missing():
    data = pd.DataFrame({"a": [1.0, 0.0, 2.0, np.nan, -3.0, 5.0], "b": [2.0, 0.0, 0.0, 1.0, 4.0, np.nan]})
    _, out = _fit([F(name="r", transform="ratio", inputs=["a", "b"])], data)
    np.testing.assert_array_equal(_values(out["r"]), [0.5, np.nan, np.nan, np.nan, -0.75, np.nan])
    assert np.isfinite(_values(out["r"])).sum() == 2  # no inf anywhere


@pytest.mark.parametrize(("kind", "operation"), [("ratio", None), ("difference", np.subtract),
                                                 ("interaction", np.multiply), ("sum", np.add)])
def test_arithmetic_on_gss_equals_numpy(gss, kind, operation):
    train, test = gss
    feature_set, _ = _fit([F(name="f", transform=kind, inputs=["childs", "age"])], train)
    a, b = test["childs"].to_numpy(dtype=float), test["age"].to_numpy(dtype=float)
    if operation is None:  # ratio: NaN where b is 0 or missing
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = np.where(b == 0, np.nan, a / b)
    else:
        expected = operation(a, b)
    got = _values(feature_set.transform(test)["f"])
    assert np.isnan(got).any()  # missing inputs give missing outputs
    np.testing.assert_array_equal(got, expected)


def test_difference_order_of_inputs():
    data = pd.DataFrame({"a": [10.0, 1.0], "b": [3.0, 4.0]})
    _, out = _fit([F(name="d", transform="difference", inputs=["a", "b"]),
                   F(name="e", transform="difference", inputs=["b", "a"])], data)
    np.testing.assert_array_equal(_values(out), [[7, -7], [-3, 3]])


def test_log_is_log1p(gss):
    train, test = gss
    feature_set, _ = _fit([F(name="kids_log", transform="log", inputs=["childs"])], train)
    np.testing.assert_array_equal(_values(feature_set.transform(test)["kids_log"]),
                                  np.log1p(test["childs"].to_numpy(dtype=float)))
    _, out = _fit([F(name="l", transform="log", inputs=["x"])], pd.DataFrame({"x": [0.0, np.e - 1, np.nan]}))
    np.testing.assert_allclose(_values(out["l"]), [0.0, 1.0, np.nan])


def test_identity_is_the_input(gss):
    train, test = gss
    feature_set, _ = _fit([F(name="year"), F(name="p", inputs=["prestg10"])], train)
    got = feature_set.transform(test)
    np.testing.assert_array_equal(got["year"].to_numpy(), test["year"].to_numpy())
    np.testing.assert_array_equal(_values(got["p"]), test["prestg10"].to_numpy(dtype=float))


# -- custom -------------------------------------------------------------------------------------------

def test_custom_registered_function(gss):
    train, test = gss
    feature_set, _ = _fit([F(name="mix", transform="custom", inputs=["age", "childs"],
                             params={"function": "tf_age_plus_twice_childs"})], train)
    expected = test["age"].to_numpy(dtype=float) + 2 * test["childs"].to_numpy(dtype=float)
    np.testing.assert_array_equal(_values(feature_set.transform(test)["mix"]), expected)


def test_custom_function_with_several_columns():
    data = pd.DataFrame({"x": [1.0, 2.5]})
    _, out = _fit([F(name="pm", transform="custom", inputs=["x"], params={"function": "tf_two_columns"})], data)
    assert list(out.columns) == ["pm=0", "pm=1"]
    np.testing.assert_array_equal(_values(out), [[1.0, -1.0], [2.5, -2.5]])


def test_custom_unregistered_function_fails_at_fit():
    data = pd.DataFrame({"x": [1.0, 2.0]})
    with pytest.raises(InvalidInput) as info:
        _fit([F(name="c", transform="custom", inputs=["x"], params={"function": "tf_not_registered"})], data)
    message = str(info.value)
    assert "'tf_not_registered' is not registered" in message
    assert "register_transform('tf_not_registered')" in message


def test_custom_without_function_name():
    with pytest.raises(InvalidInput, match=r"feature 'c': a custom transformation needs params.function"):
        compile_pipeline([F(name="c", transform="custom", inputs=["x"])], ["x"])


def test_custom_wrong_length_fails():
    data = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    with pytest.raises(InvalidInput, match=r"'tf_too_short' returned 2 values for 3 rows: return one value per row"):
        _fit([F(name="c", transform="custom", inputs=["x"], params={"function": "tf_too_short"})], data)


@pytest.mark.parametrize("definition", [
    F(name="feat_c", transform="custom", inputs=["x"], params={"function": "tf_not_registered"}),
    F(name="feat_c", transform="custom", inputs=["x"], params={"function": "tf_too_short"}),
    F(name="feat_c", transform="date_parts", inputs=["x"], params={"parts": ["week"]}),
])
def test_errors_inside_a_transformation_name_the_feature(definition):
    with pytest.raises(InvalidInput, match="feat_c"):
        _fit([definition], pd.DataFrame({"x": [1.0, 2.0, 3.0]}))


def test_custom_failing_rows_are_named_at_fit_and_transform():
    train = pd.DataFrame({"x": [1.0, 0.0, 2.0, 4.0, 0.0, 5.0, 8.0]})
    with pytest.raises(InvalidInput) as info:
        _fit([F(name="inv", transform="custom", inputs=["x"], params={"function": "tf_reciprocal"})], train)
    message = str(info.value)
    assert "feature 'inv' failed on rows [1, 4]" in message
    assert "ZeroDivisionError" in message and "fix those rows" in message
    feature_set, out = _fit([F(name="inv", transform="custom", inputs=["x"], params={"function": "tf_reciprocal"})],
                            pd.DataFrame({"x": [1.0, 2.0, 4.0]}))
    np.testing.assert_array_equal(_values(out["inv"]), [1.0, 0.5, 0.25])
    serving = pd.DataFrame({"x": [2.0, 3.0, 4.0, 0.0, 1.0]}, index=[50, 51, 52, 53, 54])
    with pytest.raises(InvalidInput, match=r"feature 'inv' failed on rows \[3\]"):  # positions, not labels
        feature_set.transform(serving)


def test_non_numeric_value_in_arithmetic_names_its_row():
    data = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": ["1", "2", "oops", "4"]})
    with pytest.raises(InvalidInput, match=r"feature 'r' failed on rows \[2\]"):
        _fit([F(name="r", transform="ratio", inputs=["a", "b"])], data)


# -- definition errors ---------------------------------------------------------------------------------

def test_unknown_transform():
    with pytest.raises(InvalidInput) as info:
        compile_pipeline([F(name="f", transform="sqrtt", inputs=["x"])], ["x"])
    assert "feature 'f' uses unknown transformation 'sqrtt'" in str(info.value)
    assert "log" in str(info.value) and "one_hot" in str(info.value)  # the known kinds are listed


def test_unknown_parameter():
    with pytest.raises(InvalidInput) as info:
        compile_pipeline([F(name="f", transform="bin", inputs=["x"], params={"bins": 3, "n_bins": 4})], ["x"])
    assert "feature 'f': transformation 'bin' has no parameter 'n_bins'" in str(info.value)
    assert "['bins', 'strategy']" in str(info.value)


@pytest.mark.parametrize(("kind", "inputs", "wanted"), [("ratio", ["x"], "takes 2 inputs, got 1"),
                                                        ("sum", ["x", "y", "z"], "takes 2 inputs, got 3"),
                                                        ("log", ["x", "y"], "takes 1 inputs, got 2"),
                                                        ("one_hot", ["x", "y"], "takes 1 inputs, got 2")])
def test_wrong_number_of_inputs(kind, inputs, wanted):
    with pytest.raises(InvalidInput) as info:
        compile_pipeline([F(name="f", transform=kind, inputs=inputs)], ["x", "y", "z"])
    assert f"feature 'f': transformation '{kind}' {wanted}" in str(info.value)
    assert str(inputs) in str(info.value)


@pytest.mark.parametrize("kind", ["one_hot", "date_parts"])
def test_reading_a_multi_output_feature_is_refused(kind):
    defs = [F(name="multi", transform=kind, inputs=["x"]),
            F(name="reader", transform="log", inputs=["multi"])]
    with pytest.raises(InvalidInput) as info:
        compile_pipeline(defs, ["x"])
    message = str(info.value)
    assert f"feature 'reader' reads 'multi', whose transformation '{kind}'" in message
    assert "read its input instead" in message


# -- output columns -----------------------------------------------------------------------------------

def test_output_order_follows_definitions_and_helpers_are_hidden(gss):
    train, test = gss
    defs = [
        F(name="ratio_scaled", transform="standard_scale", inputs=["kids_per_age"]),  # level 2
        F(name="work", transform="one_hot", inputs=["wrkstat"]),  # level 0, several columns
        F(name="kids", transform="impute", inputs=["childs"], output=False),  # helper
        F(name="kids_per_age", transform="ratio", inputs=["kids", "age_f"]),  # level 1
        F(name="age_f", transform="impute", inputs=["age"]),
        F(name="year"),
    ]
    feature_set, out = _fit(defs, train, TARGET)
    work = [f"work={c}" for c in sorted(train["wrkstat"].astype(object).unique())]
    expected = ["ratio_scaled", *work, "kids_per_age", "age_f", "year"]
    assert list(out.columns) == expected
    got = feature_set.transform(test)
    assert list(got.columns) == expected and "kids" not in got.columns
    # the chain computed by hand: median-imputed childs / median-imputed age, then standardised
    kids = train["childs"].fillna(train["childs"].median())
    age = train["age"].fillna(train["age"].median())
    ratio = np.where(age == 0, np.nan, kids / age)
    np.testing.assert_allclose(_values(out["kids_per_age"]), ratio, rtol=1e-12)
    filled = np.where(np.isnan(ratio), np.nanmedian(ratio), ratio)
    np.testing.assert_allclose(_values(out["ratio_scaled"]), (filled - filled.mean()) / filled.std(), rtol=1e-9,
                               atol=1e-12)
