"""The data profile's configuration and results (see ``mlsteward.data.profile``).

``ProfileConfig`` holds every threshold the rules of the profile name (``profile_types``,
``profile_columns``, ``profile_target_column``); its defaults are what a call without configuration
uses. ``DatasetProfile`` and the models it is built of are the result: pydantic models, serialised to
JSON for the store and the API and rendered by ``report/``. ``distinct_share`` and top-value shares
are of the non-missing values.
"""

from __future__ import annotations

import datetime as _dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mlsteward.data.profile_target import Correlations, TargetAssociation, TargetProfile

InferredType = Literal["numeric", "categorical", "boolean", "datetime", "text", "identifier"]


# --- configuration --------------------------------------------------------------------------------


class ProfileConfig(BaseModel):
    """Thresholds of a profile. The defaults are what a call without configuration uses."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    histogram_bins: int = Field(20, ge=1, le=10_000, description="equal-width bins per numeric column")
    top_k: int = Field(10, ge=0, description="most frequent values listed per column")
    quantiles: tuple[float, ...] = Field((0.05, 0.25, 0.5, 0.75, 0.95),
                                         description="quantiles reported, each in [0, 1]")
    near_constant_share: float = Field(0.95, gt=0, le=1, description="share of the top value")
    high_cardinality_share: float = Field(0.5, ge=0, le=1, description="distinct / non-missing")
    high_cardinality_min_distinct: int = Field(50, ge=0, description="flag only above this many")
    iqr_factor: float = Field(1.5, gt=0, description="fences at Q1 - f*IQR and Q3 + f*IQR")
    missing_warning_share: float = Field(0.05, ge=0, le=1, description="warn at this missing share")
    outlier_warning_share: float = Field(0.05, ge=0, le=1, description="warn at this outlier share")
    identifier_min_count: int = Field(50, ge=2, description="values needed to call a column a key")
    text_min_mean_length: float = Field(20.0, ge=0, description="mean characters of free text")
    text_min_distinct_share: float = Field(0.5, ge=0, le=1, description="distinct share of free text")
    correlation_max_rows: int = Field(100_000, ge=2, description="sample above this many rows")
    seed: int = Field(0, description="seed of every random sample, so a profile is reproducible")
    target_kind: Literal["auto", "binary", "multiclass", "regression"] = "auto"
    target_max_classes: int = Field(20, ge=2, description="whole-number targets up to this many "
                                    "distinct values are multiclass, more are regression")
    imbalance_moderate_ratio: float = Field(1.5, ge=1)
    imbalance_severe_ratio: float = Field(10.0, ge=1)
    skew_warning: float = Field(1.0, gt=0, description="|skewness| of a regression target to warn at")

    @field_validator("quantiles")
    @classmethod
    def _quantiles_in_range(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0.0 <= q <= 1.0 for q in value):
            raise ValueError(f"every quantile must be between 0 and 1; got {list(value)}")
        return tuple(sorted(set(value)))


# --- results --------------------------------------------------------------------------------------


class ValueCount(BaseModel):
    value: str = Field(description="the value, as text")
    count: int
    share: float = Field(description="count / non-missing values")


class Histogram(BaseModel):
    edges: list[float] = Field(description="bins + 1 edges; each bin is [left, right), the last closed")
    counts: list[int]


class NumericStats(BaseModel):
    """Statistics of the finite values of a numeric column."""

    count: int = Field(description="finite values the statistics are computed on")
    infinite_count: int
    min: float
    max: float
    mean: float | None
    std: float | None = Field(description="sample standard deviation (ddof=1); None below 2 values")
    skewness: float | None = Field(description="biased Fisher-Pearson; None without spread")
    quantiles: dict[str, float] = Field(description="'5%' -> value, numpy's linear method")
    iqr: float
    lower_fence: float
    upper_fence: float
    outlier_count: int = Field(description="values strictly outside the fences")
    outlier_share: float = Field(description="outlier_count / count")
    histogram: Histogram


class DatetimeStats(BaseModel):
    min: _dt.datetime | None
    max: _dt.datetime | None


class ColumnFlags(BaseModel):
    all_missing: bool = False
    constant: bool = False
    near_constant: bool = False
    high_cardinality: bool = False
    mixed_types: bool = False


class ColumnProfile(BaseModel):
    """What one column holds."""

    name: str
    dtype: str = Field(description="the pandas dtype")
    inferred_type: InferredType
    count: int = Field(description="non-missing values")
    missing_count: int
    missing_share: float = Field(description="missing_count / rows")
    distinct_count: int = Field(description="distinct non-missing values")
    distinct_share: float | None = Field(description="distinct_count / count; None when all missing")
    top_values: list[ValueCount]
    numeric: NumericStats | None = None
    datetime: DatetimeStats | None = None
    python_types: list[str] | None = Field(None, description="object columns: the values' types")
    memory_bytes: int = Field(description="deep memory of the column")
    flags: ColumnFlags
    warnings: list[str] = Field(default_factory=list)


class DatasetProfile(BaseModel):
    """The profile of a dataset: per column, per dataset, correlations, and the target."""

    rows: int
    columns: int
    duplicate_rows: int = Field(description="rows equal to an earlier row")
    duplicate_share: float = Field(description="duplicate_rows / rows")
    memory_bytes: int = Field(description="deep memory, index included")
    column_profiles: list[ColumnProfile]
    correlations: Correlations | None = Field(description="None with fewer than two numeric columns")
    target: TargetProfile | None = None
    associations: list[TargetAssociation] = Field(
        default_factory=list, description="each feature with the target, strongest first")
    warnings: list[str] = Field(default_factory=list, description="dataset-level warnings")
    config: ProfileConfig

    def column(self, name: str) -> ColumnProfile:
        """The profile of column ``name``."""
        for profile in self.column_profiles:
            if profile.name == name:
                return profile
        raise KeyError(name)
