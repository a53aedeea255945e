"""Schema contracts: what a dataset version promises about its columns, and checking new data against it.

``infer_contract(df, name=...)`` reads a data frame and returns a ``DataContract``: per column the
pandas dtype, whether nulls are allowed, the observed range of numeric columns, the allowed values of
low-cardinality text and categorical columns, and uniqueness of identifier columns.
``check_contract(df, contract)`` validates new data against it and returns a ``ContractCheck``:
missing and new columns, dtype changes, and per column the violations grouped by kind. Distribution
shift is not checked here: that is ``mlsteward.monitor.drift``, and the workflow combines both.

pandera is the engine. ``DataContract.to_pandera()`` builds a ``pandera.pandas.DataFrameSchema``
(one ``Column`` per column: dtype, ``nullable``, ``unique``, and the checks ``ge(min)``, ``le(max)``,
``isin(allowed)``, in that order), and ``check_contract`` runs ``validate(lazy=True)`` and turns
``SchemaErrors.failure_cases`` into the typed result.

What is inferred, per column (nothing else is; a column name must be a string):

* ``dtype``: ``str(series.dtype)``, e.g. ``int64``, ``float64``, ``str``, ``category``,
  ``datetime64[us, UTC]``, ``Int64``.
* ``nullable``: true when the column holds at least one null, false otherwise.
* ``min`` / ``max``: integer and float columns (not booleans, datetimes or timedeltas: time moves on,
  so a date range would fail every later batch). The observed minimum and maximum of the non-null
  values, widened by ``range_margin`` times the span ``max - min`` on each side (integer bounds are
  rounded outwards to integers). Infinities count as values, so a column holding ``inf`` has an
  unbounded side.
* ``allowed``: text columns (``str``/``string`` dtypes, or ``object`` columns whose non-null values
  are all strings) and ``category`` columns with at least one and at most ``categorical_max_levels``
  distinct non-null values: the set observed, sorted. Categories declared by a ``category`` dtype but
  never observed are not allowed: a contract states what the data showed.
* ``unique``: the column looks like an identifier, with the rule of the data profile: no nulls, at
  least ``IDENTIFIER_MIN_COUNT`` (50) values, all distinct, and key-like: integers dense enough to be
  a sequence (``max - min + 1 <= 2 * count``), or text without whitespace. An identifier gets no
  ``allowed`` set (every new key would be unseen).

The YAML format is Steward's own, not pandera's ``to_yaml``. pandera 0.35's YAML does not round-trip
what a contract needs: it drops the schema ``metadata``, it rewrites dtypes to pandera's names (the
pandas 3 ``str`` dtype is written ``string[pyarrow]``), and its layout changes between pandera
versions, while a stored contract must stay readable for as long as its dataset version exists.
The format (``format_version: 1``), as ``to_yaml`` writes it::

    format_version: 1
    name: customers
    strict: true              # new columns fail the check (false: reported, but the check can pass)
    rows: 1000                # rows of the data the contract was inferred from (information only)
    columns:
      customer_id:
        dtype: int64
        nullable: false
        min: 1
        max: 1000
        unique: true
      income:
        dtype: float64
        nullable: true
        min: 0.0
        max: 250000.0
      plan:
        dtype: category
        nullable: false
        allowed: [basic, premium]

Each column has ``dtype`` and ``nullable`` and, when set, ``min``, ``max`` (inclusive bounds),
``allowed`` and ``unique``; floats are written so that they read back to the same number.
``DataContract.from_yaml`` reads it back to an equal contract; text that does not parse, repeats a
key or does not match the format raises ``InvalidInput`` naming the line.

Dtype compatibility (``dtype_compatible``). pandera's dtype check is exact; a column whose dtype
pandera rejects is reported as a dtype change unless the rule below accepts the pair. Dtypes fall
into families: boolean (``bool``, ``boolean``), integer (numpy, nullable and Arrow integers of any
width, signed or not), float (any width), text (``str``, ``string``, Arrow strings; an ``object``
column counts as text when its non-null values are all strings), category, datetime (any
resolution), timedelta, object (mixed values), and any other dtype by its exact name (``period[M]``,
``interval[int64, right]``, ...).

* Same family: compatible (``int32`` data against ``int64``, ``Int64`` against ``int64``,
  ``datetime64[ns]`` against ``datetime64[us]``); datetimes must also have the same time zone
  (naive against aware, or another zone, is a change).
* Integer data against a float contract: compatible (every integer a float column held is still a
  number; the range check still applies). Float data against an integer contract is a change: the
  values may have fractions, and it is how nulls appearing in an integer column usually show.
* Text and category: compatible both ways (a category column saved to CSV comes back as text);
  the ``allowed`` check still guards the values. An ``object`` contract accepts text and category.
* Anything else is a change: boolean against integer, integer against text, and so on.

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

import math
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa
import yaml
from pandera.errors import SchemaErrors
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    computed_field,
    field_validator,
    model_validator,
)

from mlsteward.errors import InvalidInput

IDENTIFIER_MIN_COUNT = 50
TOP_UNSEEN = 10
EXAMPLES = 5
FORMAT_VERSION = 1

Scalar = str | bool | int | float
Number = int | float

_DtypeFamily = Literal["boolean", "integer", "float", "text", "category", "datetime", "timedelta",
                       "object", "other"]


# --- the contract ---------------------------------------------------------------------------------


class ColumnContract(BaseModel):
    """What one column promises. ``min``/``max`` are inclusive bounds; ``allowed`` the value set."""

    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="strings")

    dtype: str = Field(description="pandas dtype name, e.g. int64, float64, str, category")
    nullable: bool = Field(description="whether nulls are allowed")
    min: Number | None = Field(None, description="smallest allowed value (numeric columns)")
    max: Number | None = Field(None, description="largest allowed value (numeric columns)")
    allowed: list[Scalar] | None = Field(None, description="the allowed values (text, category)")
    unique: bool = Field(False, description="every non-null value distinct (identifiers)")

    @field_validator("dtype")
    @classmethod
    def _known_dtype(cls, value: str) -> str:
        try:
            pd.api.types.pandas_dtype(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"'{value}' is not a pandas dtype; use a name pandas knows, such as "
                             "int64, float64, bool, str, category or datetime64[ns]") from exc
        return value

    @field_validator("min", "max", mode="before")
    @classmethod
    def _number_not_bool(cls, value: Any) -> Any:
        if value in ("Infinity", "-Infinity"):  # how the JSON form writes infinite bounds
            return float(value.replace("Infinity", "inf"))
        if isinstance(value, bool) or (value is not None and not isinstance(value, int | float)):
            raise ValueError(f"a bound must be a number; got {value!r}")
        if isinstance(value, float) and math.isnan(value):
            raise ValueError("a bound cannot be NaN; leave it out for no bound")
        return value

    @field_validator("allowed")
    @classmethod
    def _allowed_set(cls, value: list[Scalar] | None) -> list[Scalar] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("'allowed' must list at least one value; leave it out to allow any value")
        seen: set[tuple[type, Any]] = set()
        for item in value:
            key = (type(item), item)
            if key in seen:
                raise ValueError(f"'allowed' lists {item!r} twice")
            seen.add(key)
        return value

    @model_validator(mode="after")
    def _bounds_in_order(self) -> ColumnContract:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is larger than max ({self.max})")
        return self

    def check_kinds(self) -> list[Literal["min", "max", "allowed"]]:
        """The value checks of this column, in the order ``to_pandera`` adds them."""
        kinds: list[Literal["min", "max", "allowed"]] = []
        if self.min is not None:
            kinds.append("min")
        if self.max is not None:
            kinds.append("max")
        if self.allowed is not None:
            kinds.append("allowed")
        return kinds

    def to_pandera(self, name: str) -> pa.Column:
        """This column as a pandera ``Column`` named ``name``."""
        checks = []
        for kind in self.check_kinds():
            if kind == "min":
                checks.append(pa.Check.ge(self.min))
            elif kind == "max":
                checks.append(pa.Check.le(self.max))
            else:
                checks.append(pa.Check.isin(list(self.allowed or [])))
        try:
            return pa.Column(self.dtype, checks=checks, nullable=self.nullable, unique=self.unique,
                             report_duplicates="exclude_first", name=name)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"Column '{name}': pandera cannot check the dtype '{self.dtype}' "
                               f"({exc}). "
                               "Change the dtype in the contract to one pandera supports, e.g. "
                               "object.") from exc

    def _yaml_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dtype": self.dtype, "nullable": self.nullable}
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        if self.allowed is not None:
            out["allowed"] = list(self.allowed)
        if self.unique:
            out["unique"] = True
        return out


class DataContract(BaseModel):
    """The contract of a dataset: its columns, and whether columns it does not list are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="strings")

    format_version: Literal[1] = Field(FORMAT_VERSION, description="version of the YAML layout")
    name: str = Field(min_length=1, description="the dataset (or contract) name")
    strict: bool = Field(True, description="columns not in the contract fail the check")
    rows: int | None = Field(None, ge=0, description="rows of the data it was inferred from")
    columns: dict[str, ColumnContract] = Field(description="column name -> what it promises")

    @field_validator("columns")
    @classmethod
    def _some_columns(cls, value: dict[str, ColumnContract]) -> dict[str, ColumnContract]:
        if not value:
            raise ValueError("a contract needs at least one column")
        return value

    def to_pandera(self) -> pa.DataFrameSchema:
        """The contract as a pandera schema (``coerce=False``: the data is checked as it is)."""
        return self._schema(strict=self.strict)

    def _schema(self, *, strict: bool) -> pa.DataFrameSchema:
        columns = {name: column.to_pandera(name) for name, column in self.columns.items()}
        return pa.DataFrameSchema(columns, strict=strict, coerce=False, name=self.name,
                                  metadata={"steward_contract_format": self.format_version})

    def to_yaml(self) -> str:
        """The contract as YAML (the format in this module's docstring)."""
        doc: dict[str, Any] = {"format_version": self.format_version, "name": self.name,
                               "strict": self.strict}
        if self.rows is not None:
            doc["rows"] = self.rows
        doc["columns"] = {name: column._yaml_dict() for name, column in self.columns.items()}
        return yaml.dump(doc, Dumper=_ContractDumper, sort_keys=False, allow_unicode=True,
                         default_flow_style=False, width=100)

    @classmethod
    def from_yaml(cls, text: str) -> DataContract:
        """Read a contract written by ``to_yaml`` (or by hand in the same format)."""
        if not isinstance(text, str):
            raise InvalidInput(f"DataContract.from_yaml expects the YAML text as a str; got "
                               f"{type(text).__name__}. Read the file first, e.g. Path(p).read_text().")
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
            _reject_duplicate_keys(root)
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidInput(f"The contract YAML does not parse{_where(exc)}: "
                               f"{_yaml_problem(exc)}. Fix the YAML there and load it again.") from exc
        if doc is None:
            raise InvalidInput("The contract YAML is empty; it needs at least 'name' and 'columns'.")
        if not isinstance(doc, dict):
            raise InvalidInput("The contract YAML must be a mapping with 'name' and 'columns' (see "
                               f"mlsteward.data.contract); got {type(doc).__name__}.")
        try:
            return cls.model_validate(doc)
        except ValidationError as exc:
            problems = []
            for error in exc.errors()[:5]:
                loc = tuple(part for part in error["loc"] if part != "[key]")
                line = _line_of(root, loc)
                path = ".".join(str(part) for part in loc) or "(top)"
                where = f"line {line}, " if line is not None else ""
                message = str(error["msg"]).removeprefix("Value error, ")
                problems.append(f"{where}{path}: {message}")
            more = f" (and {exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
            raise InvalidInput("The contract YAML does not match the contract format: "
                               + "; ".join(problems) + more + ". Fix these entries and load it again."
                               ) from exc


class _ContractDumper(yaml.SafeDumper):
    """Block style, with value lists in flow style (``allowed: [a, b]``) so they stay readable."""


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


_ContractDumper.add_representer(list, _represent_list)


# --- the result of a check ------------------------------------------------------------------------


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


# --- inferring a contract -------------------------------------------------------------------------


def infer_contract(df: Any, *, name: str, categorical_max_levels: int = 50,
                   range_margin: float = 0.0) -> DataContract:
    """The contract a data frame satisfies: dtypes, nullability, ranges, value sets, identifiers.

    ``categorical_max_levels``: text and category columns with at most this many distinct values get
    an ``allowed`` set (0: none do). ``range_margin``: numeric bounds are widened by this fraction of
    the observed span on each side (0: the observed min and max).
    """
    df = _frame(df, "infer_contract")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("The 'name' parameter of infer_contract must be a non-empty string; "
                           f"got {name!r}.")
    levels = categorical_max_levels
    if isinstance(levels, bool) or not isinstance(levels, int | np.integer) or levels < 0:
        raise InvalidInput("The 'categorical_max_levels' parameter of infer_contract must be an integer "
                           f">= 0; got {categorical_max_levels!r}.")
    if isinstance(range_margin, bool) or not isinstance(range_margin, int | float | np.floating) \
            or not math.isfinite(range_margin) or range_margin < 0:
        raise InvalidInput("The 'range_margin' parameter of infer_contract must be a finite number >= 0 "
                           f"(a fraction of the observed span); got {range_margin!r}.")
    columns = {column: _infer_column(df[column], int(categorical_max_levels), float(range_margin))
               for column in df.columns}
    return DataContract(name=name.strip(), rows=len(df), columns=columns)


def _infer_column(s: pd.Series, max_levels: int, margin: float) -> ColumnContract:
    values = s.dropna()
    family = _series_family(s)
    low: Number | None = None
    high: Number | None = None
    allowed: list[Scalar] | None = None
    unique = False
    if len(values) and family in ("integer", "float"):
        low, high = _bounds(values, family, margin)
    if len(values) == len(s) and len(s) >= IDENTIFIER_MIN_COUNT and family in ("integer", "text"):
        unique = _identifier_like(values, family)
    if not unique and family in ("text", "category") and len(values):
        distinct = pd.unique(values.to_numpy(dtype=object))
        if len(distinct) <= max_levels:
            allowed = _value_set(distinct)
    return ColumnContract(dtype=str(s.dtype), nullable=bool(len(values) < len(s)), min=low, max=high,
                          allowed=allowed, unique=unique)


def _bounds(values: pd.Series, family: str, margin: float) -> tuple[Number, Number]:
    low, high = _python(values.min()), _python(values.max())
    if family == "integer":
        low, high = int(low), int(high)
        if margin > 0:
            span = high - low
            return math.floor(low - margin * span), math.ceil(high + margin * span)
        return low, high
    low, high = float(low), float(high)
    if margin > 0:
        span = high - low
        return low - margin * span, high + margin * span
    return low, high


def _identifier_like(values: pd.Series, family: str) -> bool:
    if not values.is_unique:
        return False
    if family == "integer":
        return int(values.max()) - int(values.min()) + 1 <= 2 * len(values)
    return not bool(values.astype(str).str.contains(r"\s", regex=True).any())


def _value_set(distinct: Iterable[Any]) -> list[Scalar] | None:
    items = [_python(v) for v in distinct]
    if not all(isinstance(v, str | bool | int | float) for v in items):
        return None  # e.g. categories of timestamps: no value set
    return sorted(items, key=lambda v: (type(v).__name__, v))


# --- checking data --------------------------------------------------------------------------------


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


# --- dtypes ---------------------------------------------------------------------------------------


def dtype_compatible(expected: str, found: str | pd.Series) -> bool:
    """Whether data of dtype ``found`` (a dtype name, or the column itself) satisfies a contract's
    ``expected`` dtype, by the rule in this module's docstring. Pass the column to let an ``object``
    column of strings count as text."""
    found_name = str(found.dtype) if isinstance(found, pd.Series) else str(found)
    if expected == found_name:
        return True
    e_family, e_tz = _dtype_family(expected)
    if isinstance(found, pd.Series):
        f_family, f_tz = _series_family(found), _dtype_family(found.dtype)[1]
    else:
        f_family, f_tz = _dtype_family(found_name)
    if e_family == f_family:
        if e_family == "datetime":
            return e_tz == f_tz
        return e_family != "other"  # other dtypes only by their exact name
    if e_family == "float" and f_family == "integer":
        return True
    if {e_family, f_family} <= {"text", "category"}:
        return True
    return e_family == "object" and f_family in ("text", "category")


def _dtype_family(dtype: Any) -> tuple[_DtypeFamily, str | None]:
    """The family of a dtype (or dtype name) and, for datetimes, its time zone."""
    if isinstance(dtype, str):
        if dtype in ("str", "string") or dtype.startswith("string["):
            return "text", None
        try:
            dtype = pd.api.types.pandas_dtype(dtype)
        except (TypeError, ValueError):
            return "other", None
    types = pd.api.types
    if isinstance(dtype, pd.CategoricalDtype):
        return "category", None
    if types.is_bool_dtype(dtype):
        return "boolean", None
    if types.is_integer_dtype(dtype):
        return "integer", None
    if types.is_float_dtype(dtype):
        return "float", None
    if types.is_datetime64_any_dtype(dtype):
        tz = getattr(dtype, "tz", None)
        if tz is None and isinstance(dtype, pd.ArrowDtype):
            tz = getattr(dtype.pyarrow_dtype, "tz", None)
        return "datetime", None if tz is None else str(tz)
    if types.is_timedelta64_dtype(dtype):
        return "timedelta", None
    if dtype == np.dtype(object):
        return "object", None
    if isinstance(dtype, pd.StringDtype) or types.is_string_dtype(dtype):
        return "text", None
    return "other", None


def _series_family(s: pd.Series) -> _DtypeFamily:
    family, _ = _dtype_family(s.dtype)
    if family == "object" and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        return "text"
    return family


# --- the boundary and small helpers -------------------------------------------------------------------


def _frame(data: Any, caller: str) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        df = data
    else:
        module = type(data).__module__.split(".")[0]
        if module in ("polars", "pyarrow") and hasattr(data, "to_pandas"):
            df = data.to_pandas()
        else:
            raise InvalidInput(f"{caller} expects a pandas DataFrame, a polars DataFrame or a pyarrow "
                               f"Table; got {type(data).__module__}.{type(data).__name__}.")
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise InvalidInput(f"The data is empty ({df.shape[0]} rows, {df.shape[1]} columns); {caller} "
                           "needs at least one row and one column. Check the file or the filter that "
                           "produced it.")
    bad = [c for c in df.columns if not isinstance(c, str)]
    if bad:
        raise InvalidInput(f"Column names must be strings; got {bad[:5]!r}. Rename them, e.g. "
                           "df.columns = df.columns.astype(str).")
    repeated = sorted(set(df.columns[df.columns.duplicated()]))
    if repeated:
        raise InvalidInput(f"Column names must be unique; repeated: {repeated!r}. Rename them first.")
    return df


def _python(value: Any) -> Any:
    """A numpy / pandas scalar as the plain Python value (YAML and JSON take those)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _reject_duplicate_keys(node: yaml.Node | None) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    raise InvalidInput(f"The contract YAML repeats the key '{key.value}' at line "
                                       f"{key.start_mark.line + 1} (first at line {seen[key.value]}); "
                                       "keep one of them.")
                seen[key.value] = key.start_mark.line + 1
            _reject_duplicate_keys(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _reject_duplicate_keys(item)


def _line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the entry at pydantic location ``loc`` (its key's line; as deep as it
    exists in the YAML)."""
    if root is None:
        return None
    node, line = root, root.start_mark.line
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value
                          if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None)
            if match is None:
                break
            line, node = match[0].start_mark.line, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line
        else:
            break
    return line + 1


def _where(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is None:
        return ""
    return f" at line {mark.line + 1}, column {mark.column + 1}"


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    if problem and context:
        return f"{problem} ({context})"
    return str(problem or context or exc).strip()


__all__ = [
    "EXAMPLES",
    "IDENTIFIER_MIN_COUNT",
    "TOP_UNSEEN",
    "CheckError",
    "ColumnContract",
    "ColumnViolations",
    "ContractCheck",
    "DataContract",
    "DtypeChange",
    "DuplicateViolation",
    "NullabilityViolation",
    "Problem",
    "RangeViolation",
    "UnseenCategories",
    "UnseenValue",
    "check_contract",
    "dtype_compatible",
    "infer_contract",
]
