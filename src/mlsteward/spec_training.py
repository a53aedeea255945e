"""The ``training:`` and ``feasibility:`` sections of steward.yaml: candidate model families with their
parameter spaces, tuning budgets, the metric to optimise, and the feasibility study's settings."""

from __future__ import annotations

import math
from typing import Any

from pydantic import Field, field_validator, model_validator

from mlsteward.spec_gates import SpecModel, unique_names


class ParamRange(SpecModel):
    """A numeric range (``low``/``high``, ``log`` for a log scale, ``step`` or ``int`` for whole numbers)
    or a list of ``choices``."""

    low: float | None = None
    high: float | None = None
    log: bool = False
    int: bool = False
    step: float | None = Field(None, gt=0)
    choices: list[Any] | None = None

    @model_validator(mode="after")
    def _a_range_or_choices(self) -> ParamRange:
        if self.choices is not None:
            if not self.choices:
                raise ValueError("choices must list at least one value")
            if self.low is not None or self.high is not None:
                raise ValueError("give either choices or low/high, not both")
            return self
        if self.low is None or self.high is None:
            raise ValueError("a range needs low and high (or give choices)")
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.low >= self.high:
            raise ValueError(f"low must be below high, both finite; got low={self.low:g}, high={self.high:g}")
        if self.log and self.low <= 0:
            raise ValueError(f"a log range needs low > 0; got low={self.low:g}")
        if self.log and self.step is not None:
            raise ValueError("a log range cannot have a step")
        return self


class Candidate(SpecModel):
    """A model family: a scikit-learn-API estimator by import path, fixed parameters and a search space."""

    name: str = Field(min_length=1, description="a short name, e.g. logreg or gbm")
    model: str = Field(min_length=3, description="the import path, e.g. sklearn.linear_model.LogisticRegression")
    params: dict[str, Any] = Field({}, description="parameters fixed for every trial")
    space: dict[str, ParamRange] = Field({}, description="parameters tuned, each a range or choices")

    @field_validator("model")
    @classmethod
    def _dotted(cls, value: str) -> str:
        if "." not in value or value.startswith(".") or value.endswith("."):
            raise ValueError("a dotted import path, e.g. sklearn.ensemble.RandomForestClassifier")
        return value

    @model_validator(mode="after")
    def _no_param_twice(self) -> Candidate:
        both = sorted(set(self.params) & set(self.space))
        if both:
            raise ValueError(f"{both} is both fixed (params) and tuned (space): keep it in one of them")
        return self


class Tuning(SpecModel):
    """The tuning budget of each candidate (Optuna's TPE sampler, seeded)."""

    trials: int = Field(20, ge=1, description="trials per candidate")
    timeout_s: float | None = Field(None, gt=0, description="stop a candidate's tuning after this many seconds")
    pruning: bool = Field(True, description="stop unpromising trials early when the model reports progress")


class TrainingSpec(SpecModel):
    """How `steward train` searches: the candidates, the metric it optimises, the budget and the seed."""

    metric: str | None = Field(None, description="the metric to optimise; default: the charter's first ML KPI")
    seed: int = 0
    candidates: list[Candidate] = []
    tuning: Tuning = Tuning()

    @field_validator("candidates")
    @classmethod
    def _names_unique(cls, candidates: list[Candidate]) -> list[Candidate]:
        return unique_names(candidates, "candidate")


class FeasibilitySpec(SpecModel):
    """The feasibility study: a sample, prototypes, a learning curve and the labeling-cost inputs."""

    sample_rows: int = Field(20_000, ge=100, description="rows in the stratified sample studied")
    timebox_s: float = Field(300, gt=0, description="the study's time budget, in seconds")
    label_cost_per_row: float | None = Field(None, ge=0, description="what labelling one row costs (USD)")
    labelled_rows: int | None = Field(None, ge=0, description="rows labelled so far, if not all")
