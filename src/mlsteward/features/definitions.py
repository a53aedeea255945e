"""Feature definitions: what a feature is, where it comes from and how it is made.

A definition names its inputs: source columns of the dataset, or other features. An input that names
another feature refers to that feature, except in the feature's own definition, where its own name is
the source column (``age = impute(age)``). ``resolve_order`` checks the definitions against the
source columns and returns them in an order where every feature comes after its inputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mlsteward.errors import InvalidInput

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,99}")
NAME_RULE = "1 to 100 letters, digits, '_' or '-', starting with a letter or '_'"

DType = Literal["float", "int", "bool", "category", "string"]
ServingClass = Literal["realtime", "near_realtime", "batch"]


class FeatureDefinition(BaseModel):
    """One feature: its meaning, owner, inputs and the transformation that makes it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description=f"the feature's name: {NAME_RULE}")
    transform: str = Field("identity", description="a registered transformation, e.g. impute, one_hot, ratio")
    inputs: list[str] = Field(default_factory=list,
                              description="source columns or other features; empty means the column named like the feature")
    params: dict[str, Any] = Field(default_factory=dict, description="the transformation's parameters")
    description: str = ""
    owner: str = ""
    dtype: DType | None = Field(None, description="the output's type; inferred when not given")
    units: str | None = None
    tags: list[str] = Field(default_factory=list, description="e.g. explainability-critical, pii-derived")
    refresh: str | None = Field(None, description="how often the value is refreshed, e.g. daily")
    serving: ServingClass = Field("batch", description="the serving latency class")
    output: bool = Field(True, description="false for a helper feature only used as another feature's input")

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError(NAME_RULE)
        return value

    @property
    def input_names(self) -> list[str]:
        return self.inputs or [self.name]


def resolve_order(definitions: Sequence[FeatureDefinition], columns: Iterable[str]) -> list[FeatureDefinition]:
    """Check names, inputs and cycles; return the definitions with every input before its user.

    Raises ``InvalidInput`` naming the feature for a duplicate name, an input that is neither a column
    nor a feature, and a cycle (with its path).
    """
    columns = set(columns)
    by_name: dict[str, FeatureDefinition] = {}
    for definition in definitions:
        if definition.name in by_name:
            raise InvalidInput(f"feature '{definition.name}' is defined twice: give each feature its own name")
        by_name[definition.name] = definition
    for definition in definitions:
        for name in definition.input_names:
            if name not in columns and not (name in by_name and name != definition.name):
                raise InvalidInput(
                    f"feature '{definition.name}' reads '{name}', which is neither a column of the data nor a "
                    f"feature: fix the name (columns: {_preview(sorted(columns))})")
    order: list[FeatureDefinition] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = path[path.index(name):] + [name]
            raise InvalidInput(f"features depend on each other in a cycle: {' -> '.join(cycle)}; break the cycle")
        state[name] = "visiting"
        for dependency in feature_inputs(by_name[name], by_name):
            visit(dependency, path + [name])
        state[name] = "done"
        order.append(by_name[name])

    for definition in definitions:
        visit(definition.name, [])
    return order


def feature_inputs(definition: FeatureDefinition, by_name: dict[str, FeatureDefinition]) -> list[str]:
    """The inputs of a definition that are other features."""
    return [n for n in definition.input_names if n in by_name and n != definition.name]


def source_columns(definition: FeatureDefinition, by_name: dict[str, FeatureDefinition]) -> list[str]:
    """The source columns a feature is made from, following other features back to the data."""
    seen: list[str] = []
    for name in definition.input_names:
        if name in by_name and name != definition.name:
            found = source_columns(by_name[name], by_name)
        else:
            found = [name]
        seen.extend(c for c in found if c not in seen)
    return seen


def _preview(names: list[str], limit: int = 12) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")
