"""The results of drift: ``ColumnDrift`` for one column, ``DatasetDrift`` for a dataset.

Pydantic models that ``report/`` renders and the store keeps as JSON. A numeric ``ColumnDrift``
holds both samples' histograms (``DriftHistogram``), a categorical one both frequency tables
(``CategoryFrequencies``); ``mlsteward.monitor.drift_columns`` says how they are binned.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from mlsteward.monitor.drift_tests import ColumnType, Correction, TestKind


class DriftHistogram(BaseModel):
    """Both samples of a numeric column counted over the same bins."""

    edges: list[float] = Field(
        description="bins + 1 edges; each bin is [left, right), the last closed")
    reference_counts: list[int]
    current_counts: list[int]


class CategoryShare(BaseModel):
    value: str = Field(description="the category, as text; 'other' for the rest")
    reference_count: int
    current_count: int
    reference_share: float = Field(description="of the reference's non-missing values")
    current_share: float = Field(description="of the current's non-missing values")


class CategoryFrequencies(BaseModel):
    """Both frequency tables of a categorical column: the top categories and the rest."""

    categories: list[CategoryShare] = Field(description="largest summed share first")
    other: CategoryShare | None = Field(None, description="all further categories together")
    other_category_count: int = Field(0, description="how many categories 'other' holds")


class ColumnDrift(BaseModel):
    """Drift of one column between a reference and a current sample."""

    column: str | None = None
    column_type: ColumnType
    test: str
    test_kind: TestKind
    test_source: Literal["default", "configured"] = Field(
        description="chosen by the default rules or named by the caller / steward.yaml")
    statistic: float
    p_value: float | None = Field(None, description="p-value tests only")
    adjusted_p_value: float | None = Field(
        None, description="after the dataset's multiple-testing correction; None without one")
    effect_size: float | None = Field(None, description="p-value tests: KS D, Cramér's V, ...")
    effect_size_name: str | None = None
    effect_floor: float | None = Field(None, description="the effect size drift needs; 0 = none")
    threshold: float = Field(description="p-value tests: drift when p < threshold; "
                             "distance tests: drift when statistic >= threshold")
    drifted: bool
    reference_count: int = Field(description="values tested (non-missing, finite)")
    current_count: int
    reference_missing_share: float = Field(description="missing values / rows")
    current_missing_share: float
    histogram: DriftHistogram | None = None
    frequencies: CategoryFrequencies | None = None
    notes: list[str] = Field(default_factory=list)


class SkippedColumn(BaseModel):
    column: str
    reason: str


class DatasetDrift(BaseModel):
    """Drift of a dataset: every feature column, the share that drifted, and the verdict."""

    reference_rows: int
    current_rows: int
    columns: list[ColumnDrift] = Field(description="the feature columns tested, in order")
    skipped: list[SkippedColumn] = Field(default_factory=list,
                                         description="columns not tested, with the reason")
    tested_count: int
    drifted_count: int
    drifted_share: float | None = Field(description="drifted / tested; None when none was tested")
    drift_share: float = Field(description="the dataset drifts when drifted_share >= this")
    drifted: bool
    correction: Correction | None = None
    prediction: ColumnDrift | None = Field(None, description="drift of the model's predictions")
    target: ColumnDrift | None = Field(None, description="drift of the labels, once they arrive")

    def column(self, name: str) -> ColumnDrift:
        """The result of feature column ``name``."""
        for result in self.columns:
            if result.column == name:
                return result
        raise KeyError(name)

    def drifted_columns(self) -> list[str]:
        return [result.column for result in self.columns if result.drifted and result.column]
