"""Feature definitions: names, inputs, dependency order, cycles and source-column lineage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from mlsteward.errors import InvalidInput
from mlsteward.features.definitions import NAME_RULE, FeatureDefinition, resolve_order, source_columns
from mlsteward.features.feature_set import FeatureSet
from mlsteward.features.pipeline import compile_pipeline, feature_levels

F = FeatureDefinition


def _names(definitions):
    return [d.name for d in definitions]


def test_order_puts_every_feature_after_its_inputs():
    defs = [
        F(name="c", transform="ratio", inputs=["b", "a"]),
        F(name="b", transform="log", inputs=["a"]),
        F(name="a", transform="impute", inputs=["x"]),
        F(name="d", transform="identity", inputs=["y"]),
    ]
    order = _names(resolve_order(defs, ["x", "y"]))
    assert sorted(order) == ["a", "b", "c", "d"]
    assert order.index("a") < order.index("b") < order.index("c")
    # the levels: a and d read only columns, b reads a, c reads b (and a)
    assert [_names(level) for level in feature_levels(defs, ["x", "y"])] == [["a", "d"], ["b"], ["c"]]


def test_empty_inputs_mean_the_column_named_like_the_feature():
    assert F(name="age").input_names == ["age"]
    assert F(name="age", inputs=["x", "y"]).input_names == ["x", "y"]


def test_feature_named_like_its_column_is_read_by_others_as_the_feature():
    # age = impute(age) with a constant that cannot occur in the data; 'age_copy' reads 'age' and must get
    # the imputed feature, not the raw column (which is missing on rows 1 and 3)
    data = pd.DataFrame({"age": [30.0, np.nan, 50.0, np.nan], "other": [1, 2, 3, 4]})
    defs = [F(name="age", transform="impute", params={"strategy": "constant", "fill_value": -0.5}),
            F(name="age_copy", transform="identity", inputs=["age"]),
            F(name="age_log", transform="log", inputs=["age"])]
    order = _names(resolve_order(defs, data.columns))
    assert order.index("age") < order.index("age_copy")
    feature_set, out = FeatureSet.fit(defs, data)
    assert list(out.columns) == ["age", "age_copy", "age_log"]
    np.testing.assert_array_equal(out["age"].to_numpy(dtype=float), [30.0, -0.5, 50.0, -0.5])
    np.testing.assert_array_equal(out["age_copy"].to_numpy(dtype=float), [30.0, -0.5, 50.0, -0.5])
    np.testing.assert_array_equal(out["age_log"].to_numpy(dtype=float), np.log1p([30.0, -0.5, 50.0, -0.5]))
    assert feature_set.input_columns == ["age"]


def test_feature_named_like_a_column_made_at_a_later_level_reads_the_raw_column():
    # age = ratio(age, kids) where kids is itself a feature: 'age' in its own definition is the column
    data = pd.DataFrame({"age": [10.0, 20.0, 30.0], "childs": [np.nan, 4.0, 5.0]})
    defs = [F(name="kids", transform="impute", inputs=["childs"], params={"strategy": "constant", "fill_value": 2.0}),
            F(name="age", transform="ratio", inputs=["age", "kids"])]
    _, out = FeatureSet.fit(defs, data)
    np.testing.assert_array_equal(out["age"].to_numpy(dtype=float), [5.0, 5.0, 6.0])
    np.testing.assert_array_equal(out["kids"].to_numpy(dtype=float), [2.0, 4.0, 5.0])


def test_duplicate_names_are_refused():
    defs = [F(name="a", inputs=["x"]), F(name="a", transform="log", inputs=["x"])]
    with pytest.raises(InvalidInput, match=r"feature 'a' is defined twice.*own name"):
        resolve_order(defs, ["x"])


def test_input_neither_column_nor_feature_names_feature_and_input():
    defs = [F(name="a", inputs=["x"]), F(name="b", transform="ratio", inputs=["a", "ghost"])]
    with pytest.raises(InvalidInput) as info:
        resolve_order(defs, ["x", "y"])
    message = str(info.value)
    assert "feature 'b'" in message and "'ghost'" in message
    assert "neither a column" in message and "fix the name" in message
    assert "x, y" in message  # the available columns are shown


def test_feature_reading_the_target_is_refused_at_fit():
    data = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "label": [0, 1, 0, 1]})
    with pytest.raises(InvalidInput, match=r"feature 'leak' reads 'label'"):
        FeatureSet.fit([F(name="leak", inputs=["label"])], data, target="label")


def test_own_name_is_not_a_feature_input():
    # a feature whose own name is not a column cannot read itself
    with pytest.raises(InvalidInput, match=r"feature 'z' reads 'z'"):
        resolve_order([F(name="z", transform="log")], ["x"])


def test_cycle_message_shows_the_path():
    defs = [F(name="a", transform="log", inputs=["b"]), F(name="b", transform="log", inputs=["a"])]
    with pytest.raises(InvalidInput) as info:
        resolve_order(defs, ["x"])
    assert "a -> b -> a" in str(info.value)
    assert "break the cycle" in str(info.value)


def test_longer_cycle_path_excludes_the_entry_feature():
    defs = [F(name="start", transform="log", inputs=["p"]),
            F(name="p", transform="log", inputs=["q"]),
            F(name="q", transform="ratio", inputs=["r", "x"]),
            F(name="r", transform="log", inputs=["p"])]
    with pytest.raises(InvalidInput) as info:
        resolve_order(defs, ["x"])
    assert "p -> q -> r -> p" in str(info.value)
    assert "start" not in str(info.value)


@pytest.mark.parametrize("name", ["", "1age", "age.x", "age=x", "a b", "ä", "x" * 101, "-a"])
def test_invalid_names_are_refused(name):
    with pytest.raises(ValidationError) as info:
        F(name=name)
    assert NAME_RULE in str(info.value)


@pytest.mark.parametrize("name", ["_a", "a", "Age_2-x", "x" * 100])
def test_valid_names_are_accepted(name):
    assert F(name=name).name == name


def test_unknown_definition_field_is_refused():
    with pytest.raises(ValidationError, match="extra"):
        F(name="a", input=["x"])


def test_source_columns_follow_features_through_two_levels():
    defs = [F(name="a", transform="impute", inputs=["x"]),
            F(name="b", transform="ratio", inputs=["a", "y"]),
            F(name="c", transform="sum", inputs=["b", "z"]),
            F(name="d", transform="difference", inputs=["c", "x"]),
            F(name="age", transform="impute")]
    by_name = {d.name: d for d in defs}
    assert source_columns(by_name["a"], by_name) == ["x"]
    assert source_columns(by_name["b"], by_name) == ["x", "y"]
    assert source_columns(by_name["c"], by_name) == ["x", "y", "z"]
    assert source_columns(by_name["d"], by_name) == ["x", "y", "z"]  # x once
    assert source_columns(by_name["age"], by_name) == ["age"]
    data = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [1.0, 1.0, 2.0], "z": [0.0, 1.0, 0.0],
                         "age": [1.0, 2.0, 3.0], "unused": [0, 0, 0]})
    feature_set, _ = FeatureSet.fit(defs, data)
    assert feature_set.input_columns == ["x", "y", "z", "age"]


def test_compile_pipeline_needs_definitions_and_an_output():
    with pytest.raises(InvalidInput, match="no features are defined"):
        compile_pipeline([], ["x"])
    with pytest.raises(InvalidInput, match="output: false"):
        compile_pipeline([F(name="a", inputs=["x"], output=False)], ["x"])
