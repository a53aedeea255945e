"""The rows of a prediction request, checked against a model version's input schema (pure: no I/O).

A request carries its rows in one of three shapes, one row or many:

- records: ``[{"age": 41, "educcat": "Bachelor"}, ...]`` (a single object is one row);
- columns: ``{"age": [41, 37], "educcat": ["Bachelor", "Graduate"]}``;
- Open Inference Protocol V2 tensors: ``[{"name": "age", "shape": [2], "datatype": "FP64", "data": [41, 37]}]``.

What is checked, per column of the version's ``input_schema`` (the rules, kept simple on purpose):

- a column the model reads that is absent is an error ("missing");
- a numeric column takes JSON numbers only (a string or a boolean is an error); a categorical column
  takes strings, numbers or booleans (an object or a list is an error). Values never seen in training
  (a new category, a number out of the training range) are accepted: the feature pipeline handles
  unknown categories, and drift monitoring, not the server, judges how far rows are from training;
- ``null`` is accepted where the training data had missing values (``nullable``: the pipeline imputes
  them) and is an error where it had none (the model was never shown a missing value there);
- columns the model does not read are ignored.

Every problem is reported at once, each naming the column, the first offending rows and why, in an
``InvalidRows`` error (HTTP 422). A version registered without a feature set has no input schema: its
rows are passed through unchecked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from mlsteward.errors import InvalidInput

MAX_EXAMPLES = 3
V2_NUMERIC = ("FP64", "FP32", "FP16", "INT64", "INT32", "INT16", "INT8", "UINT64", "UINT32", "UINT16", "UINT8")
V2_DATATYPES = (*V2_NUMERIC, "BOOL", "BYTES")


class RowProblem(BaseModel):
    """One thing wrong with the rows: the field (a column, or the body), why, and where."""

    field: str
    problem: str
    rows: list[int] = []


class InvalidRows(InvalidInput):
    """The rows do not fit the model's input schema; ``problems`` lists every field that is wrong."""

    def __init__(self, message: str, problems: list[RowProblem]) -> None:
        super().__init__(message)
        self.problems = problems


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def columns_from_body(body: Any) -> dict[str, list]:
    """The rows of a v1 request body as columns: ``{"records": ...}``, ``{"columns": ...}`` or
    ``{"inputs": records-or-columns}``. Raises ``InvalidRows`` for any other shape."""
    if not isinstance(body, dict):
        raise _shape_error("body", f"expected a JSON object with 'records' or 'columns', got {_type_name(body)}")
    keys = [k for k in ("records", "columns", "inputs") if k in body]
    if len(keys) != 1:
        found = ", ".join(repr(k) for k in body) or "no keys"
        raise _shape_error("body", "give the rows in exactly one of 'records' (a list of objects, one per row), "
                                   f"'columns' (an object of equal-length lists) or 'inputs' (either); found {found}")
    data = body[keys[0]]
    if keys[0] == "records" or (keys[0] == "inputs" and isinstance(data, list)):
        return columns_from_records(data, field=keys[0])
    return columns_from_columnar(data, field=keys[0])


def columns_from_records(records: Any, *, field: str = "records") -> dict[str, list]:
    """``[{col: value, ...}, ...]`` (or one object, one row) -> ``{col: [values]}``; a key absent from a
    row is ``None`` there, so a column missing from every row stays missing."""
    if isinstance(records, dict):
        records = [records]
    if not isinstance(records, list):
        raise _shape_error(field, f"expected a list of objects (one per row), got {_type_name(records)}")
    if not records:
        raise _shape_error(field, "no rows: send at least one")
    bad = [i for i, r in enumerate(records) if not isinstance(r, dict)]
    if bad:
        raise _shape_error(field, f"every row must be an object of column: value; row {bad[0]} is "
                                  f"{_type_name(records[bad[0]])}", bad)
    names = list(dict.fromkeys(k for r in records for k in r))
    return {name: [r.get(name) for r in records] for name in names}


def columns_from_columnar(columns: Any, *, field: str = "columns") -> dict[str, list]:
    """``{col: [values]}`` (all lists of one length), or ``{col: value}`` for one row."""
    if not isinstance(columns, dict):
        raise _shape_error(field, f"expected an object of column: list of values, got {_type_name(columns)}")
    if not columns:
        raise _shape_error(field, "no columns: send at least one")
    lists = [isinstance(v, list) for v in columns.values()]
    if not any(lists):  # one row written as {column: value}
        return {name: [value] for name, value in columns.items()}
    if not all(lists):
        scalars = [name for name, v in columns.items() if not isinstance(v, list)]
        raise _shape_error(field, f"every column must be a list of values (one per row); not a list: "
                                  f"{', '.join(scalars[:5])}")
    lengths = {name: len(v) for name, v in columns.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{k} {n}" for k, n in list(lengths.items())[:8])
        raise _shape_error(field, f"columns have different lengths ({shown}): every column needs one value per row")
    if not next(iter(lengths.values())):
        raise _shape_error(field, "no rows: send at least one")
    return dict(columns)


def columns_from_v2_inputs(inputs: Any) -> dict[str, list]:
    """Open Inference Protocol V2 ``inputs`` (one tensor per column, shape ``[n]`` or ``[n, 1]``, data
    flat or nested) -> ``{col: [values]}``. The datatype must be a V2 datatype; whether it suits the
    column is checked with the values, by ``frame_for_schema``."""
    if not isinstance(inputs, list) or not inputs:
        raise _shape_error("inputs", "expected a non-empty list of tensors {name, shape, datatype, data}, "
                                     "one per column")
    columns: dict[str, list] = {}
    problems: list[RowProblem] = []
    for i, tensor in enumerate(inputs):
        if not isinstance(tensor, dict) or not isinstance(tensor.get("name"), str):
            problems.append(RowProblem(field=f"inputs[{i}]", problem="a tensor is an object with a string 'name', "
                                                                     "'shape', 'datatype' and 'data'"))
            continue
        name, datatype, shape = tensor["name"], tensor.get("datatype"), tensor.get("shape")
        if datatype not in V2_DATATYPES:
            problems.append(RowProblem(field=name, problem=f"datatype {datatype!r} is not an Open Inference "
                                                           f"Protocol datatype ({', '.join(V2_DATATYPES)})"))
            continue
        data = _flatten(tensor.get("data"))
        if data is None:
            problems.append(RowProblem(field=name, problem="'data' must be a list of values"))
            continue
        if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)
                and 1 <= len(shape) <= 2 and (len(shape) == 1 or shape[1] == 1)):
            problems.append(RowProblem(field=name, problem=f"shape {shape!r} is not [rows] or [rows, 1]: send one "
                                                           "tensor per column"))
            continue
        if shape[0] != len(data):
            problems.append(RowProblem(field=name, problem=f"shape {shape} says {shape[0]} rows but data holds "
                                                           f"{len(data)} values"))
            continue
        if datatype in V2_NUMERIC or datatype == "BOOL":
            wrong = [j for j, v in enumerate(data) if v is not None and (
                isinstance(v, str) or (datatype == "BOOL") != isinstance(v, bool))]
            if wrong:
                problems.append(RowProblem(field=name, rows=wrong[:MAX_EXAMPLES],
                                           problem=f"datatype {datatype} but row {wrong[0]} holds "
                                                   f"{_type_name(data[wrong[0]])}"))
                continue
        columns[name] = data
    if problems:
        raise _rows_error(problems)
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise _shape_error("inputs", "tensors have different numbers of rows: every column needs one value per row")
    if not lengths or not lengths.pop():
        raise _shape_error("inputs", "no rows: send at least one")
    return columns


def frame_for_schema(columns: Mapping[str, Sequence], input_schema: Mapping[str, Any]) -> pd.DataFrame:
    """The rows as the model's data frame (its input columns, in schema order), or ``InvalidRows``
    naming every column that is missing or holds a value of the wrong type."""
    spec = list(input_schema.get("columns") or [])
    if not spec:  # registered without a feature set: nothing to check against
        return pd.DataFrame({name: list(values) for name, values in columns.items()})
    problems: list[RowProblem] = []
    out: dict[str, Any] = {}
    for col in spec:
        name, kind = col["name"], col.get("kind") or "categorical"
        if name not in columns:
            problems.append(RowProblem(field=name, problem=f"missing: the model reads this {kind} column "
                                                           f"({_expectation(col)})"))
            continue
        values = list(columns[name])
        problem = _check_values(values, col)
        if problem is not None:
            problems.append(problem)
            continue
        out[name] = _as_column(values, kind)
    if problems:
        raise _rows_error(problems)
    return pd.DataFrame(out)


def v2_datatype(column: Mapping[str, Any]) -> str:
    """The Open Inference Protocol datatype of a schema column: FP64 for numeric, BYTES for categorical."""
    return "FP64" if column.get("kind") == "numeric" else "BYTES"


def _check_values(values: list, col: Mapping[str, Any]) -> RowProblem | None:
    name, numeric, nullable = col["name"], col.get("kind") == "numeric", bool(col.get("nullable", True))
    nulls, wrong = [], []
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            nulls.append(i)
        elif not _fits(v, numeric):
            wrong.append(i)
    if wrong:
        first = values[wrong[0]]
        why = f"expected {'a number' if numeric else 'a string or a number'}, got {_type_name(first)}"
        if numeric and isinstance(first, float):
            why = f"expected a finite number, got {first}"
        return RowProblem(field=name, rows=wrong[:MAX_EXAMPLES], problem=f"{why} (row {wrong[0]}"
                          + (f" and {len(wrong) - 1} more)" if len(wrong) > 1 else ")"))
    if nulls and not nullable:
        return RowProblem(field=name, rows=nulls[:MAX_EXAMPLES],
                          problem=f"null in row {nulls[0]}, but this column had no missing values in the training "
                                  "data, so the model was never shown one: send a value")
    return None


def _fits(value: Any, numeric: bool) -> bool:
    if numeric:
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    return isinstance(value, str | int | float | bool)


def _as_column(values: list, kind: str) -> Any:
    if kind == "numeric":
        return np.array([np.nan if v is None else float(v) for v in values], dtype="float64")
    return pd.Series([None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in values],
                     dtype="object")


def _expectation(col: Mapping[str, Any]) -> str:
    if col.get("kind") == "numeric":
        span = f", seen {col['min']:g} to {col['max']:g} in training" if "min" in col and "max" in col else ""
        return f"send numbers{span}"
    cats = [str(c) for c in col.get("categories") or []]
    return f"send strings such as {', '.join(repr(c) for c in cats[:4])}" if cats else "send strings"


def _flatten(data: Any) -> list | None:
    if not isinstance(data, list):
        return None
    if all(isinstance(v, list) for v in data) and data:  # [[v], [v], ...] for shape [n, 1]
        flat = [x for v in data for x in v]
        return flat if all(not isinstance(x, list) for x in flat) else None
    return data


def _shape_error(field: str, problem: str, rows: list[int] | None = None) -> InvalidRows:
    return _rows_error([RowProblem(field=field, problem=problem, rows=(rows or [])[:MAX_EXAMPLES])])


def _rows_error(problems: list[RowProblem]) -> InvalidRows:
    listed = "; ".join(f"{p.field}: {p.problem}" for p in problems)
    return InvalidRows(f"the rows do not fit the model's input schema: {listed}", problems)


__all__ = ["InvalidRows", "RowProblem", "columns_from_body", "columns_from_columnar", "columns_from_records",
           "columns_from_v2_inputs", "frame_for_schema", "v2_datatype"]
