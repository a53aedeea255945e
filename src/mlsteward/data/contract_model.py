"""The contract itself: ``DataContract`` and ``ColumnContract``, as pandera schema and as YAML.

pandera is the engine. ``DataContract.to_pandera()`` builds a ``pandera.pandas.DataFrameSchema``
(one ``Column`` per column: dtype, ``nullable``, ``unique``, and the checks ``ge(min)``, ``le(max)``,
``isin(allowed)``, in that order), and ``check_contract`` runs ``validate(lazy=True)`` and turns
``SchemaErrors.failure_cases`` into the typed result.

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
"""

from __future__ import annotations

import math
from typing import Any, Literal

import pandas as pd
import pandera.pandas as pa
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from mlsteward.errors import InvalidInput

FORMAT_VERSION = 1

Scalar = str | bool | int | float
Number = int | float


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
