"""Request rows checked against a model version's input schema: shapes, types, nulls, every problem named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlsteward.errors import InvalidInput
from mlsteward.serving.schema import (
    InvalidRows,
    columns_from_body,
    columns_from_v2_inputs,
    frame_for_schema,
    v2_datatype,
)

SCHEMA = {"columns": [
    {"name": "age", "dtype": "double", "kind": "numeric", "nullable": False, "min": 18.0, "max": 89.0},
    {"name": "childs", "dtype": "double", "kind": "numeric", "nullable": True, "min": 0.0, "max": 8.0},
    {"name": "educcat", "dtype": "dictionary", "kind": "categorical", "nullable": True,
     "categories": ["Bachelor", "Graduate", "High School"]}]}


def problems(excinfo: pytest.ExceptionInfo) -> dict[str, dict]:
    return {p.field: p.model_dump() for p in excinfo.value.problems}


def test_records_columns_and_one_row_give_the_same_frame() -> None:
    by_records = frame_for_schema(columns_from_body({"records": [
        {"age": 30, "childs": 1, "educcat": "Bachelor", "id": "a"},
        {"educcat": "Graduate", "childs": None, "age": 41.5}]}), SCHEMA)
    by_columns = frame_for_schema(columns_from_body({"columns": {
        "educcat": ["Bachelor", "Graduate"], "age": [30, 41.5], "childs": [1, None]}}), SCHEMA)
    expected = pd.DataFrame({"age": [30.0, 41.5], "childs": [1.0, np.nan],
                             "educcat": pd.Series(["Bachelor", "Graduate"], dtype=object)})
    pd.testing.assert_frame_equal(by_records, expected)  # schema order, float64 numbers, extra column dropped
    pd.testing.assert_frame_equal(by_columns, expected)
    one = frame_for_schema(columns_from_body({"inputs": {"age": 30, "childs": 1, "educcat": "Bachelor"}}), SCHEMA)
    pd.testing.assert_frame_equal(one, expected.head(1))
    assert frame_for_schema(columns_from_body({"records": {"age": 30, "childs": 1, "educcat": "x"}}), SCHEMA) \
        .shape == (1, 3)


def test_every_missing_column_and_wrong_type_is_named_with_why_and_rows() -> None:
    with pytest.raises(InvalidRows) as excinfo:
        frame_for_schema(columns_from_body({"records": [
            {"age": "thirty", "educcat": "Bachelor"},
            {"age": 40, "educcat": ["a list"]},
            {"age": True, "educcat": {"an": "object"}}]}), SCHEMA)
    found = problems(excinfo)
    assert set(found) == {"age", "childs", "educcat"}
    assert found["childs"]["problem"].startswith("missing: the model reads this numeric column")
    assert "seen 0 to 8 in training" in found["childs"]["problem"]
    assert found["age"]["problem"] == "expected a number, got the string 'thirty' (row 0 and 1 more)"
    assert found["age"]["rows"] == [0, 2]  # a boolean is not a number either
    assert found["educcat"]["problem"].startswith("expected a string or a number, got a list (row 1")
    assert found["educcat"]["rows"] == [1, 2]
    assert isinstance(excinfo.value, InvalidInput) and excinfo.value.code == "invalid_input"
    assert "age: expected a number" in excinfo.value.message


def test_unseen_categories_and_out_of_range_numbers_are_served_nulls_only_where_training_had_them() -> None:
    frame = frame_for_schema({"age": [120, 5], "childs": [None, 30], "educcat": ["Doctorate", 7]}, SCHEMA)
    assert frame["age"].tolist() == [120.0, 5.0] and frame["educcat"].tolist() == ["Doctorate", 7]
    assert np.isnan(frame["childs"][0])
    with pytest.raises(InvalidRows) as excinfo:
        frame_for_schema({"age": [30, None, None], "childs": [1, 2, 3], "educcat": ["a", "b", "c"]}, SCHEMA)
    assert problems(excinfo)["age"]["rows"] == [1, 2]
    assert "no missing values in the training data" in problems(excinfo)["age"]["problem"]
    with pytest.raises(InvalidRows, match="finite number"):
        frame_for_schema({"age": [float("inf")], "childs": [1], "educcat": ["a"]}, SCHEMA)


@pytest.mark.parametrize(("body", "says"), [
    ([1, 2], "expected a JSON object"),
    ({"records": [], "columns": {}}, "exactly one of"),
    ({"rows": [{"age": 1}]}, "exactly one of"),
    ({"records": []}, "no rows"),
    ({"records": [{"age": 1}, 3]}, "row 1 is int"),
    ({"columns": {"age": [1, 2], "childs": [1]}}, "different lengths (age 2, childs 1)"),
    ({"columns": {"age": [1, 2], "childs": 1}}, "not a list: childs"),
    ({"columns": {"age": []}}, "no rows"),
    ({"columns": "age"}, "expected an object"),
])
def test_bodies_of_the_wrong_shape_say_what_to_send(body: object, says: str) -> None:
    with pytest.raises(InvalidRows) as excinfo:
        columns_from_body(body)
    assert says in excinfo.value.message


def test_v2_tensors_become_columns_and_bad_tensors_are_named() -> None:
    columns = columns_from_v2_inputs([
        {"name": "age", "shape": [2], "datatype": "FP64", "data": [30, 41.5]},
        {"name": "childs", "shape": [2, 1], "datatype": "INT64", "data": [[1], [None]]},
        {"name": "educcat", "shape": [2], "datatype": "BYTES", "data": ["Bachelor", "Graduate"]}])
    assert columns == {"age": [30, 41.5], "childs": [1, None], "educcat": ["Bachelor", "Graduate"]}
    with pytest.raises(InvalidRows) as excinfo:
        columns_from_v2_inputs([
            {"name": "age", "shape": [3], "datatype": "FP64", "data": [30, 41.5]},
            {"name": "childs", "shape": [2], "datatype": "FLOAT", "data": [1, 2]},
            {"name": "educcat", "shape": [2, 3], "datatype": "BYTES", "data": ["a", "b"]},
            {"name": "w", "shape": [2], "datatype": "INT64", "data": [1, "2"]},
            {"shape": [1]}])
    found = problems(excinfo)
    assert found["age"]["problem"] == "shape [3] says 3 rows but data holds 2 values"
    assert "'FLOAT' is not an Open Inference Protocol datatype" in found["childs"]["problem"]
    assert "send one tensor per column" in found["educcat"]["problem"]
    assert found["w"]["rows"] == [1] and "datatype INT64 but row 1 holds the string '2'" in found["w"]["problem"]
    assert "inputs[4]" in found
    with pytest.raises(InvalidRows, match="non-empty list of tensors"):
        columns_from_v2_inputs({"age": [1]})
    assert [v2_datatype(c) for c in SCHEMA["columns"]] == ["FP64", "FP64", "BYTES"]


def test_a_version_without_an_input_schema_passes_rows_through() -> None:
    frame = frame_for_schema({"x": [1, 2], "y": ["a", "b"]}, {"columns": [], "note": "no feature set"})
    assert frame.to_dict("list") == {"x": [1, 2], "y": ["a", "b"]}
