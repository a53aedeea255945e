"""Checking data against a contract: ``check_contract``, with pandera as the engine.

The contract's pandera schema (``DataContract.to_pandera``, always strict here so that new columns
are reported; ``strict`` decides whether they fail) runs ``validate(lazy=True)``, and
``SchemaErrors.failure_cases`` are turned into the typed ``ContractCheck``. A dtype failure is a
change unless ``dtype_compatible`` (``mlsteward.data.contract_dtypes``) accepts the pair.

Values of a column with a dtype change are still checked when the check can run (float data against
an integer contract is range-checked); a check that cannot run on the new dtype (comparing strings
with a number) is listed in ``ContractCheck.check_errors``.

Counting: ``nullability`` counts the null values of a column that does not allow them; ``range`` the
non-null values below ``min`` and above ``max`` (bounds inclusive), with up to ``EXAMPLES`` (5) of the
most extreme distinct values each side; ``unseen_categories`` the non-null values not in ``allowed``,
with the ``TOP_UNSEEN`` (10) most frequent distinct values (ties by value); ``duplicates`` the values
of a ``unique`` column equal to an earlier value (``Series.duplicated()``, nulls not counted).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pandera.errors import SchemaErrors

from mlsteward.data.contract_dtypes import _frame, _python, dtype_compatible
from mlsteward.data.contract_model import ColumnContract, DataContract, Number
from mlsteward.data.contract_result import (
    CheckError,
    ColumnViolations,
    ContractCheck,
    DtypeChange,
    DuplicateViolation,
    NullabilityViolation,
    RangeViolation,
    UnseenCategories,
    UnseenValue,
)
from mlsteward.errors import InvalidInput

TOP_UNSEEN = 10
EXAMPLES = 5


def check_contract(df: Any, contract: DataContract) -> ContractCheck:
    """Check ``df`` against ``contract`` with pandera (``validate(lazy=True)``, every failure)."""
    df = _frame(df, "check_contract")
    if not isinstance(contract, DataContract):
        raise InvalidInput("The 'contract' parameter of check_contract must be a DataContract (from "
                           "infer_contract or DataContract.from_yaml); got "
                           f"{type(contract).__name__}.")
    schema = contract._schema(strict=True)  # always report new columns; `strict` decides if they fail
    try:
        schema.validate(df, lazy=True)
        failures = None
    except SchemaErrors as exc:
        failures = exc.failure_cases
    found: dict[str, Any] = {}
    if failures is not None and not failures.empty:
        found = _read_failures(failures, df, contract)
    return ContractCheck(contract=contract.name, rows=len(df), strict=contract.strict, **found)


def _read_failures(fc: pd.DataFrame, df: pd.DataFrame, contract: DataContract) -> dict[str, Any]:
    """pandera's failure cases (one row per failing value or column) as ``ContractCheck`` fields."""
    check = fc["check"].astype(str)
    missing = set(fc.loc[check == "column_in_dataframe", "failure_case"].astype(str))
    new = set(fc.loc[check == "column_in_schema", "failure_case"].astype(str))

    dtype_failed = set(fc.loc[check.str.startswith("dtype("), "column"])
    dtype_changes = [
        DtypeChange(column=c, expected=spec.dtype, found=str(df[c].dtype))
        for c, spec in contract.columns.items()
        if c in dtype_failed and not dtype_compatible(spec.dtype, df[c])
    ]

    nulls = fc.loc[check == "not_nullable"].groupby("column", sort=False).size()
    dups = fc.loc[check == "field_uniqueness"].groupby("column", sort=False).size()
    has_number = fc["check_number"].notna()
    value_rows = fc.loc[has_number & fc["index"].notna()]
    error_rows = fc.loc[has_number & fc["index"].isna()]  # a check that raised instead of answering

    violations: dict[str, ColumnViolations] = {}
    for column, spec in contract.columns.items():
        v = ColumnViolations()
        if column in nulls.index:
            v.nullability = NullabilityViolation(count=int(nulls[column]))
        if column in dups.index:
            v.duplicates = DuplicateViolation(count=int(dups[column]))
        rows = value_rows.loc[value_rows["column"] == column]
        if len(rows):
            kinds = spec.check_kinds()
            kind_of_row = rows["check_number"].astype(int).map(dict(enumerate(kinds)))
            groups = {kind: group["failure_case"]
                      for kind, group in rows.groupby(kind_of_row, sort=False)}
            if "min" in groups or "max" in groups:
                v.range = _range_violation(spec, groups.get("min"), groups.get("max"))
            if "allowed" in groups:
                v.unseen_categories = _unseen(groups["allowed"])
        if v != ColumnViolations():
            violations[column] = v

    check_errors = [
        CheckError(column=row.column,
                   check=contract.columns[row.column].check_kinds()[int(row.check_number)],
                   pandera_check=str(row.check), message=str(row.failure_case))
        for row in error_rows.itertuples(index=False)
    ]
    return {"missing_columns": [c for c in contract.columns if c in missing],
            "new_columns": [c for c in df.columns if c in new],
            "dtype_changes": dtype_changes, "violations": violations, "check_errors": check_errors}


def _range_violation(spec: ColumnContract, below: pd.Series | None, above: pd.Series | None
                     ) -> RangeViolation:
    def examples(values: pd.Series | None, lowest: bool) -> list[Number]:
        if values is None:
            return []
        distinct = pd.Series(pd.unique(values.to_numpy(dtype=object)), dtype=object)
        ordered = sorted(distinct.map(_python), reverse=not lowest)
        return ordered[:EXAMPLES]

    return RangeViolation(min=spec.min, max=spec.max,
                          below=0 if below is None else len(below),
                          above=0 if above is None else len(above),
                          below_examples=examples(below, True), above_examples=examples(above, False))


def _unseen(values: pd.Series) -> UnseenCategories:
    counts = values.astype(object).value_counts(sort=False)
    ordered = sorted(((_python(v), int(n)) for v, n in counts.items()),
                     key=lambda vn: (-vn[1], type(vn[0]).__name__, str(vn[0])))
    top = [UnseenValue(value=v if isinstance(v, str | bool | int | float) else str(v), count=n)
           for v, n in ordered[:TOP_UNSEEN]]
    return UnseenCategories(rows=len(values), distinct=len(counts), top=top)
