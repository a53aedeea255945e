"""The ``data:`` section of steward.yaml: the target, time and sensitive columns, and the quality
SLAs every ``steward data add`` is checked against."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from mlsteward.spec_gates import SpecModel


class QualitySLA(SpecModel):
    """Service levels a dataset version must meet; every key is optional."""

    min_completeness: float | None = Field(None, ge=0, le=1, description="share of non-missing cells, 0 to 1")
    max_duplicate_rate: float | None = Field(None, ge=0, le=1, description="share of duplicate rows, 0 to 1")
    min_rows: int | None = Field(None, ge=0, description="fewest rows accepted")
    max_rows: int | None = Field(None, ge=0, description="most rows accepted")
    max_age_days: float | None = Field(None, gt=0, description="newest time_column value at most this old, in days")

    @model_validator(mode="after")
    def _bounds_in_order(self) -> QualitySLA:
        if self.min_rows is not None and self.max_rows is not None and self.min_rows > self.max_rows:
            raise ValueError(f"min_rows ({self.min_rows}) must not exceed max_rows ({self.max_rows})")
        return self


def _check_period(value: str) -> str:
    if not re.fullmatch(r"[1-9]\d{0,4}[dwy]", value):
        raise ValueError("a period such as 90d, 12w or 2y")
    return value


def period_days(value: str) -> int:
    """``90d`` -> 90, ``12w`` -> 84, ``2y`` -> 730."""
    return int(value[:-1]) * {"d": 1, "w": 7, "y": 365}[value[-1]]


class DataSpec(SpecModel):
    """What the data stage needs to know about the project's data."""

    target: str | None = Field(None, description="the column the model predicts")
    time_column: str | None = Field(None, description="the column saying when a row happened")
    prediction_time_column: str | None = Field(
        None, description="the column holding when the prediction is made; later timestamps leak")
    sensitive_attributes: list[str] = Field(
        [], description="columns for fairness audits (e.g. sex, age): kept, never masked")
    quality: QualitySLA = QualitySLA()
    retention: dict[str, Annotated[str, AfterValidator(_check_period)]] = Field(
        {}, description="how long each dataset's versions are kept, e.g. {gss: 730d, '*': 5y}: `steward data "
                        "expire` deletes older versions (d, w or y; '*' for every other dataset)")
