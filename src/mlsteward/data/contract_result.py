"""The result of checking data against a contract: ``ContractCheck`` and the violations it holds.

Missing and new columns, dtype changes, and per column the violations grouped by kind
(``ColumnViolations``); ``ContractCheck.problems()`` flattens them into the rows of a CLI table and
``summary()`` into a few lines of text. How each kind is counted is in
``mlsteward.data.contract_check``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from mlsteward.data.contract_model import Number, Scalar


class DtypeChange(BaseModel):
    column: str
    expected: str = Field(description="the contract's dtype")
    found: str = Field(description="the data's dtype")


class NullabilityViolation(BaseModel):
    count: int = Field(description="null values in a column that does not allow them")


class RangeViolation(BaseModel):
    min: Number | None = Field(description="the contract's lower bound (inclusive)")
    max: Number | None = Field(description="the contract's upper bound (inclusive)")
    below: int = Field(description="values below min")
    above: int = Field(description="values above max")
    below_examples: list[Number] = Field(default_factory=list, description="lowest distinct values")
    above_examples: list[Number] = Field(default_factory=list, description="highest distinct values")

    model_config = ConfigDict(ser_json_inf_nan="strings")


class UnseenValue(BaseModel):
    value: Scalar
    count: int


class UnseenCategories(BaseModel):
    rows: int = Field(description="values not in the allowed set")
    distinct: int = Field(description="distinct values not in the allowed set")
    top: list[UnseenValue] = Field(description="the most frequent unseen values, with their counts")


class DuplicateViolation(BaseModel):
    count: int = Field(description="values equal to an earlier value of the column")


class ColumnViolations(BaseModel):
    """The problems of one column, by kind; a kind without problems is None."""

    nullability: NullabilityViolation | None = None
    range: RangeViolation | None = None
    unseen_categories: UnseenCategories | None = None
    duplicates: DuplicateViolation | None = None


class CheckError(BaseModel):
    """A value check that raised instead of answering (typically: the column's dtype changed)."""

    column: str
    check: Literal["min", "max", "allowed"]
    pandera_check: str = Field(description="pandera's name of the check, e.g. isin(['a', 'b'])")
    message: str = Field(description="the error the check raised")


class Problem(BaseModel):
    """One row of the table a CLI prints."""

    column: str
    kind: Literal["missing_column", "new_column", "dtype", "nullability", "range", "unseen_categories",
                  "duplicates", "check_error"]
    detail: str
    fails: bool = Field(True, description="False for what is only reported (new columns, not strict)")


class ContractCheck(BaseModel):
    """New data checked against a contract."""

    model_config = ConfigDict(ser_json_inf_nan="strings")

    contract: str = Field(description="the contract's name")
    rows: int = Field(description="rows checked")
    strict: bool = Field(description="whether new columns fail the check")
    missing_columns: list[str] = Field(default_factory=list)
    new_columns: list[str] = Field(default_factory=list)
    dtype_changes: list[DtypeChange] = Field(default_factory=list)
    violations: dict[str, ColumnViolations] = Field(default_factory=dict,
                                                    description="column -> its violations by kind")
    check_errors: list[CheckError] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        return not any(problem.fails for problem in self.problems())

    def problems(self) -> list[Problem]:
        """Every finding, one row each: column, kind, detail (the rows of a CLI table)."""
        rows = [Problem(column=c, kind="missing_column", detail="in the contract, not in the data")
                for c in self.missing_columns]
        rows += [Problem(column=c, kind="new_column", detail="in the data, not in the contract",
                         fails=self.strict) for c in self.new_columns]
        rows += [Problem(column=d.column, kind="dtype", detail=f"expected {d.expected}, found {d.found}")
                 for d in self.dtype_changes]
        for column, v in self.violations.items():
            if v.nullability is not None:
                rows.append(Problem(column=column, kind="nullability",
                                    detail=f"{v.nullability.count} null value(s); nulls not allowed"))
            if v.range is not None:
                rows.append(Problem(column=column, kind="range", detail=_range_detail(v.range)))
            if v.unseen_categories is not None:
                u = v.unseen_categories
                top = ", ".join(f"{item.value!r} ({item.count})" for item in u.top)
                rows.append(Problem(column=column, kind="unseen_categories",
                                    detail=f"{u.rows} value(s), {u.distinct} distinct not allowed: {top}"
                                    + (", ..." if u.distinct > len(u.top) else "")))
            if v.duplicates is not None:
                rows.append(Problem(column=column, kind="duplicates",
                                    detail=f"{v.duplicates.count} repeated value(s); must be unique"))
        errors: dict[str, list[CheckError]] = {}
        for error in self.check_errors:
            errors.setdefault(error.column, []).append(error)
        for column, items in errors.items():
            messages = list(dict.fromkeys(e.message for e in items))
            rows.append(Problem(column=column, kind="check_error",
                                detail=f"{', '.join(e.check for e in items)} check(s) could not run: "
                                + "; ".join(messages)))
        return rows

    def summary(self) -> str:
        """A few lines of text: the verdict, then one line per problem."""
        problems = self.problems()
        verdict = "passed" if self.passed else "FAILED"
        head = f"Contract '{self.contract}' {verdict} on {self.rows} rows"
        if not problems:
            return head + ": no problems."
        lines = [head + f": {len(problems)} problem(s)."]
        width = max(len(p.column) for p in problems)
        kind_width = max(len(p.kind) for p in problems)
        for p in problems:
            note = "" if p.fails else "  (reported only)"
            lines.append(f"  {p.column:<{width}}  {p.kind:<{kind_width}}  {p.detail}{note}")
        return "\n".join(lines)


def _range_detail(r: RangeViolation) -> str:
    parts = []
    if r.below:
        parts.append(f"{r.below} below min {r.min} (e.g. {', '.join(map(str, r.below_examples))})")
    if r.above:
        parts.append(f"{r.above} above max {r.max} (e.g. {', '.join(map(str, r.above_examples))})")
    return "; ".join(parts)
