"""The settings of feature selection and validation: plain models, cheap to import (steward.yaml uses them)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator


class SelectionConfig(BaseModel):
    """Keep the ``keep`` best features, or those scoring at least ``min_score``."""

    method: Literal["mutual_info", "model"] = "mutual_info"
    keep: int | None = Field(None, ge=1, description="how many features to keep, the best first")
    min_score: float | None = Field(None, ge=0, description="drop features scoring below this")
    task: Literal["auto", "classification", "regression"] = "auto"
    seed: int = 0

    @model_validator(mode="after")
    def _one_rule(self) -> SelectionConfig:
        if self.keep is None and self.min_score is None:
            raise ValueError("say how to select: keep (a count) or min_score (a threshold)")
        return self


class ValidationConfig(BaseModel):
    """How far new rows may move from the training data before a check fails."""

    missing_rate_increase: float = Field(0.05, ge=0, le=1, description="allowed rise of a column's missing share")
    cardinality_factor: float = Field(2.0, ge=1, description="allowed growth factor of distinct values")
    unseen_share: float = Field(0.01, ge=0, le=1, description="allowed share of rows with unseen categories")
    out_of_range_share: float = Field(0.01, ge=0, le=1, description="allowed share of values outside the training range")
