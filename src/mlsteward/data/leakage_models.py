"""The kinds of leak, the thresholds and the report of a leakage review (see ``mlsteward.data.leakage``).

``LEAKAGE_KINDS`` names the four kinds of leak and says what each means; ``LeakageConfig`` holds the
thresholds (its defaults are the documented ones); ``LeakageReport`` is the result: the evidence of
every column (``ColumnLeakage``) and the flags raised (``LeakageFlag``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

LeakageKind = Literal["target_proxy", "target_copy", "row_identifier", "future_timestamp"]
Task = Literal["binary", "multiclass", "regression"]

LEAKAGE_KINDS: dict[str, str] = {
    "target_proxy": "predicts the target almost perfectly on its own (single-feature cross-validated score)",
    "target_copy": "equals the target, or a one-to-one relabelling of it, on almost every row",
    "row_identifier": "identifies rows (all values distinct: integer keys, an id name, UUIDs, fixed-length codes)",
    "future_timestamp": "holds times later than the prediction time",
}


class LeakageConfig(BaseModel):
    """Thresholds and settings of ``review_leakage``; the defaults are the documented ones."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    proxy_auc_threshold: float = Field(0.98, gt=0.5, le=1, description="flag target_proxy at this ROC AUC or above")
    proxy_r2_threshold: float = Field(0.95, gt=0, le=1, description="flag target_proxy at this R² or above")
    copy_share_threshold: float = Field(
        0.99, gt=0, le=1, description="flag target_copy at this share of rows or above"
    )
    future_share_threshold: float = Field(
        0.01, gt=0, le=1, description="flag future_timestamp when this share of rows or more is later"
    )
    cv_folds: int = Field(5, ge=2, description="cross-validation folds of the single-feature score")
    max_depth: int = Field(4, ge=1, description="depth of the single-feature decision tree")
    max_rows: int = Field(50_000, ge=10, description="rows sampled (seeded) for the single-feature scores")
    max_classes: int = Field(20, ge=2, description="numeric targets with at most this many whole values are classes")
    seed: int = Field(0, description="seed of the sample, the folds and the trees")


class LeakageFlag(BaseModel):
    """One suspected leak, with what was observed and the threshold it crossed."""

    column: str
    kind: LeakageKind
    evidence: str = Field(description="what was observed, in words")
    observed: float = Field(description="the observed value: score, share of rows or distinct share")
    threshold: float = Field(description="the value at or above which the flag is raised")
    details: dict[str, Any] = Field(default_factory=dict, description="further observations, by name")


class ColumnLeakage(BaseModel):
    """The evidence gathered on one column, flagged or not."""

    column: str
    dtype: str
    encoding: Literal["numeric", "ordinal", "time_rank"] = Field(description="how the column was fed to the tree")
    single_feature_score: float = Field(description="mean cross-validated score of the column on its own")
    score_std: float = Field(description="standard deviation of the score over the folds")
    distinct_share: float | None = Field(description="distinct non-null values / non-null values; None if all null")
    later_share: float | None = Field(
        None, description="share of rows later than the prediction time (time columns checked only)"
    )
    flags: list[LeakageKind] = Field(default_factory=list)


class LeakageReport(BaseModel):
    """Leakage review of a data frame against its target."""

    target: str
    task: Task
    metric: Literal["roc_auc", "roc_auc_ovr", "r2"] = Field(description="scikit-learn scoring name of the scores")
    proxy_threshold: float = Field(description="the target_proxy threshold for this task's metric")
    rows: int = Field(description="rows in the data frame")
    rows_scored: int = Field(description="rows used for the single-feature scores")
    cv_folds: int = Field(description="folds actually used")
    prediction_time: datetime | None = None
    prediction_time_column: str | None = None
    time_columns: list[str] = Field(default_factory=list, description="columns checked for future timestamps")
    config: LeakageConfig
    columns: list[ColumnLeakage]
    flags: list[LeakageFlag]
    notes: list[str] = Field(default_factory=list)

    def flagged(self) -> dict[str, list[LeakageKind]]:
        """``{column: [kind, …]}`` for the flagged columns, in column order."""
        found: dict[str, list[LeakageKind]] = {}
        for flag in self.flags:
            found.setdefault(flag.column, []).append(flag.kind)
        return found

    def column(self, name: str) -> ColumnLeakage:
        """The evidence for column ``name``."""
        for column in self.columns:
            if column.column == name:
                return column
        raise KeyError(name)
