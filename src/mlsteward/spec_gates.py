"""Gate checks of ``steward.yaml``: one registered pydantic model per kind of check.

A gate is a list of checks. Each item names its kind by a key, and that key is also a field of the
kind's model, so every model has exactly the item's YAML shape (and dumps back to it)::

    - metric: roc_auc                                   # MetricThreshold
      min: 0.70
    - uplift_over_baseline: {metric: roc_auc, min: 0.05}  # UpliftOverBaseline
    - fairness: {metric: demographic_parity_difference, by: sex, max: 0.10}  # FairnessThreshold
    - signoff: [product_owner, compliance_officer]      # SignOff

New kinds are added with ``register_check_kind``; an item is validated by the one kind whose key
it holds. The base model ``SpecModel`` and ``problem_error`` are shared with ``mlsteward.spec``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

Loc = tuple[str | int, ...]


class SpecModel(BaseModel):
    """Base of every steward.yaml model: an unknown key is an error, so typos are reported."""

    model_config = ConfigDict(extra="forbid")


def unique_names(items: list, what: str) -> list:
    """Reject items whose ``name`` repeats an earlier item's, pointing at each repeat."""
    first: dict[str, int] = {}
    problems = []
    for i, item in enumerate(items):
        if item.name in first:
            expected = f"a unique {what} name ('{item.name}' is already item [{first[item.name]}])"
            problems.append(((i, "name"), item.name, expected))
        first.setdefault(item.name, i)
    if problems:
        raise problem_error(what, problems)
    return items


def problem_error(title: str, problems: Iterable[tuple[Loc, object, str]]) -> ValidationError:
    """A ValidationError with one item per ``(location, value found, what is expected)``.

    Raised inside a validator, pydantic merges its items into the outer error, each location
    prefixed with the validated field's own: that is how checks report the exact key at fault.
    """
    return ValidationError.from_exception_data(
        title,
        [
            {
                "type": PydanticCustomError("spec_problem", "{expected}", {"expected": expected}),
                "loc": loc,
                "input": value,
            }
            for loc, value, expected in problems
        ],
    )


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` when ``word`` looks like a misspelt choice, else ``""``."""
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def format_number(value: float) -> str:
    """Short form of a number that still reads back as the same number (0.70 -> '0.7')."""
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


class GateCheck(SpecModel):
    """Base of the gate-check kinds. ``kind`` is the key that names the kind in a gate item."""

    kind: ClassVar[str] = ""

    def describe(self) -> str:
        """A short human description, e.g. ``roc_auc >= 0.7``."""
        raise NotImplementedError


class Bounds(SpecModel):
    """A metric with a lower bound, an upper bound or both."""

    metric: str = Field(min_length=1, description="the metric's name, e.g. roc_auc")
    min: float | None = Field(None, description="the lowest acceptable value")
    max: float | None = Field(None, description="the highest acceptable value")

    @model_validator(mode="after")
    def _one_bound_at_least(self) -> Bounds:
        if self.min is None and self.max is None:
            raise ValueError("a bound: min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(
                f"min <= max, but min is {format_number(self.min)} and max is {format_number(self.max)}"
            )
        return self

    def bounded(self, subject: str) -> str:
        """``subject`` with the bounds: 'x >= 0.7', 'x <= 0.1' or '0.7 <= x <= 0.9'."""
        low = None if self.min is None else format_number(self.min)
        high = None if self.max is None else format_number(self.max)
        if low is not None and high is not None:
            return f"{low} <= {subject} <= {high}"
        return f"{subject} >= {low}" if low is not None else f"{subject} <= {high}"


class MetricThreshold(GateCheck, Bounds):
    """``{metric: roc_auc, min: 0.7}``: the model's metric must lie within the bounds."""

    kind: ClassVar[str] = "metric"

    def describe(self) -> str:
        return self.bounded(self.metric)


class UpliftOverBaseline(GateCheck):
    """``{uplift_over_baseline: {metric: roc_auc, min: 0.05}}``: model minus baseline, bounded."""

    kind: ClassVar[str] = "uplift_over_baseline"
    uplift_over_baseline: Bounds

    def describe(self) -> str:
        return self.uplift_over_baseline.bounded(f"{self.uplift_over_baseline.metric} uplift over baseline")


class FairnessBounds(Bounds):
    """A fairness metric computed across the groups of one column."""

    by: str = Field(min_length=1, description="the column whose groups are compared, e.g. sex")


class FairnessThreshold(GateCheck):
    """``{fairness: {metric: demographic_parity_difference, by: sex, max: 0.1}}``."""

    kind: ClassVar[str] = "fairness"
    fairness: FairnessBounds

    def describe(self) -> str:
        return self.fairness.bounded(f"{self.fairness.metric} by {self.fairness.by}")


class RobustnessBounds(SpecModel):
    """How much the metric may drop on mildly damaged rows."""

    max_drop: float = Field(ge=0, description="the largest drop of the metric at the mildest noise / missing level")


class RobustnessThreshold(GateCheck):
    """``{robustness: {max_drop: 0.05}}``: invalid rows are scored or cleanly refused, and the metric drops
    at most ``max_drop`` at the mildest level of each perturbation."""

    kind: ClassVar[str] = "robustness"
    robustness: RobustnessBounds

    def describe(self) -> str:
        return f"metric drop under mild perturbation <= {format_number(self.robustness.max_drop)}, invalid rows handled"


class SignOff(GateCheck):
    """``{signoff: [product_owner, compliance_officer]}``: a person in each role must sign off."""

    kind: ClassVar[str] = "signoff"
    signoff: list[Annotated[str, Field(min_length=1)]] = Field(
        min_length=1, description="the stakeholder roles that must sign off, e.g. [product_owner]"
    )

    def describe(self) -> str:
        return "sign-off by " + ", ".join(self.signoff)


GATE_CHECK_KINDS: dict[str, type[GateCheck]] = {}


def register_check_kind(key: str, model: type[GateCheck]) -> type[GateCheck]:
    """Make gate items that hold ``key`` validate as ``model``; returns ``model``.

    ``model`` subclasses ``GateCheck``, has a field named ``key`` and implements ``describe()``;
    its ``kind`` is set to ``key``. A key already taken by another model is an error.
    """
    if not (isinstance(model, type) and issubclass(model, GateCheck)):
        raise TypeError(f"a gate check kind must subclass GateCheck; got {model!r}")
    if key not in model.model_fields:
        raise ValueError(f"{model.__name__} has no field '{key}': a kind's key must be one of its fields")
    if GATE_CHECK_KINDS.get(key, model) is not model:
        raise ValueError(f"gate check kind '{key}' is already registered as {GATE_CHECK_KINDS[key].__name__}")
    model.kind = key
    GATE_CHECK_KINDS[key] = model
    return model


for _model in (MetricThreshold, UpliftOverBaseline, FairnessThreshold, RobustnessThreshold, SignOff):
    register_check_kind(_model.kind, _model)


def check_kind_for(item: Any) -> type[GateCheck]:
    """The registered kind that validates gate item ``item``; a ValidationError says why none does."""
    known = ", ".join(sorted(GATE_CHECK_KINDS))
    example = "e.g. {metric: roc_auc, min: 0.7}"
    if not isinstance(item, dict) or not item:
        raise problem_error("GateCheck", [((), item, f"a gate check naming its kind ({known}), {example}")])
    named = [key for key in item if key in GATE_CHECK_KINDS]
    if len(named) == 1:
        return GATE_CHECK_KINDS[named[0]]
    if named:
        found = " and ".join(f"'{key}'" for key in named)
        raise problem_error("GateCheck", [((), item, f"one check per list item, but this one names {found}")])
    key = next((k for k in item if did_you_mean(k, GATE_CHECK_KINDS)), next(iter(item)))
    expected = f"a gate check kind, one of {known}{did_you_mean(key, GATE_CHECK_KINDS)}"
    raise problem_error("GateCheck", [((key,), key, expected)])


def parse_gate_check(item: Any) -> GateCheck:
    """Validate one gate item with the kind whose key it holds (used as a BeforeValidator)."""
    if isinstance(item, GateCheck):
        return item
    return check_kind_for(item).model_validate(item)


GateCheckItem = Annotated[SerializeAsAny[GateCheck], BeforeValidator(parse_gate_check)]
"""The type of one item of a gate list in ``Spec.gates``."""

__all__ = [
    "GATE_CHECK_KINDS",
    "Bounds",
    "FairnessBounds",
    "FairnessThreshold",
    "GateCheck",
    "GateCheckItem",
    "MetricThreshold",
    "RobustnessBounds",
    "RobustnessThreshold",
    "SignOff",
    "SpecModel",
    "UpliftOverBaseline",
    "check_kind_for",
    "parse_gate_check",
    "problem_error",
    "register_check_kind",
]
