"""The result of PII detection: ``PiiReport``, a ``ColumnPii`` per column, a ``PiiTag`` per finding.

A tag records which of the two ways found it (``confidence``: ``name``, ``values`` or
``name_and_values``), the matched share and a sentence of evidence.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Confidence = Literal["name", "values", "name_and_values"]


class PiiTag(BaseModel):
    """One kind of personal data found in a column, with the evidence."""

    detector: str = Field(description="the registered detector that found it, e.g. email")
    confidence: Confidence = Field(description="found by the column name, by its values, or both")
    evidence: str = Field(description="what was observed, in words")
    name_matched: bool = Field(description="whether the column name matches the detector's name pattern")
    matched_share: float | None = Field(
        description="share of the sampled non-null values that match; None when no value was tested"
    )


class ColumnPii(BaseModel):
    """What detection found in one column."""

    column: str
    dtype: str
    examined: bool = Field(description="False when the column's type cannot hold PII identifiers")
    note: str | None = Field(None, description="why the column was not examined")
    non_null: int = Field(description="non-null values in the column")
    sampled: int = Field(description="non-null values whose text was tested")
    tags: list[PiiTag] = Field(default_factory=list)

    @property
    def detectors(self) -> list[str]:
        """The names of the detectors that tagged this column."""
        return [tag.detector for tag in self.tags]


class PiiReport(BaseModel):
    """Sensitivity tags of every column of a data frame."""

    columns: list[ColumnPii]
    detectors: list[str] = Field(description="the detectors that were run")
    sample_size: int
    min_share: float
    seed: int

    def tagged(self) -> dict[str, list[str]]:
        """``{column: [detector, …]}`` for the columns with at least one tag (``mask_columns`` takes it)."""
        return {column.column: column.detectors for column in self.columns if column.tags}

    def column(self, name: str) -> ColumnPii:
        """The result for column ``name``."""
        for column in self.columns:
            if column.column == name:
                return column
        raise KeyError(name)
