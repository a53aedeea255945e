"""Feature validation generated from the training data: missing-rate spikes, cardinality explosions,
unseen categories and out-of-range values, checked on new rows before training and at serving."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from mlsteward.features.config import ValidationConfig

MAX_KEPT_CATEGORIES = 1000
_EPSILON = 1e-9  # a share exactly at its limit passes, whatever the float rounding

CheckName = Literal["missing_rate_spike", "cardinality_explosion", "unseen_categories", "out_of_range", "missing_column"]


class ColumnReference(BaseModel):
    """What a column looked like in the training data."""

    column: str
    kind: Literal["numeric", "categorical"]
    missing_rate: float
    distinct: int
    min: float | None = None
    max: float | None = None
    categories: list[str] | None = Field(None, description=f"the categories seen (up to {MAX_KEPT_CATEGORIES})")


class ValidationReference(BaseModel):
    rows: int
    columns: list[ColumnReference]
    config: ValidationConfig = ValidationConfig()


class ValidationIssue(BaseModel):
    column: str
    check: CheckName
    observed: float = Field(description="the share, rate or count observed on the new rows")
    allowed: float = Field(description="the largest value the check accepts")
    message: str
    examples: list[str] = Field(default_factory=list, description="offending values, a few")
    rows: list[int] = Field(default_factory=list, description="positions of offending rows, a few")


class ValidationResult(BaseModel):
    rows: int
    passed: bool
    issues: list[ValidationIssue]


def validation_reference(data: pd.DataFrame, columns: Sequence[str], config: ValidationConfig | None = None
                         ) -> ValidationReference:
    """Record, per input column, its kind, missing rate, distinct count, range and categories."""
    refs = []
    for name in columns:
        column = data[name]
        missing = float(column.isna().mean()) if len(column) else 0.0
        distinct = int(column.nunique(dropna=True))
        if _is_numeric(column):
            values = pd.to_numeric(column, errors="coerce").astype(float)
            refs.append(ColumnReference(column=name, kind="numeric", missing_rate=missing, distinct=distinct,
                                        min=_finite(values.min()), max=_finite(values.max())))
        else:
            seen = column.dropna().astype(str).unique()
            refs.append(ColumnReference(column=name, kind="categorical", missing_rate=missing, distinct=distinct,
                                        categories=sorted(seen)[:MAX_KEPT_CATEGORIES]
                                        if len(seen) <= MAX_KEPT_CATEGORIES else None))
    return ValidationReference(rows=len(data), columns=refs, config=config or ValidationConfig())


def validate_features(data: pd.DataFrame, reference: ValidationReference) -> ValidationResult:
    """Check new rows against the training reference; every failed check is an issue."""
    issues: list[ValidationIssue] = []
    config = reference.config
    for ref in reference.columns:
        if ref.column not in data.columns:
            issues.append(ValidationIssue(column=ref.column, check="missing_column", observed=1, allowed=0,
                                          message=f"column '{ref.column}' is absent: the features read it"))
            continue
        column = data[ref.column]
        issues.extend(_missing_spike(ref, column, config))
        if ref.kind == "numeric":
            issues.extend(_out_of_range(ref, column, config))
        else:
            issues.extend(_categories(ref, column, config))
    return ValidationResult(rows=len(data), passed=not issues, issues=issues)


def _missing_spike(ref: ColumnReference, column: pd.Series, config: ValidationConfig) -> list[ValidationIssue]:
    if not len(column):
        return []
    mask = column.isna().to_numpy()
    rate = float(mask.mean())
    allowed = min(1.0, ref.missing_rate + config.missing_rate_increase)
    if rate <= allowed + _EPSILON:
        return []
    return [ValidationIssue(column=ref.column, check="missing_rate_spike", observed=rate, allowed=allowed,
                            message=f"'{ref.column}' is missing on {rate:.1%} of rows (training: {ref.missing_rate:.1%})",
                            rows=_positions(mask))]


def _out_of_range(ref: ColumnReference, column: pd.Series, config: ValidationConfig) -> list[ValidationIssue]:
    if ref.min is None or ref.max is None:
        return []
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    present = ~np.isnan(values)
    if not present.any():
        return []
    with np.errstate(invalid="ignore"):
        outside = present & ((values < ref.min) | (values > ref.max))
    share = float(outside.sum() / present.sum())
    if share <= config.out_of_range_share + _EPSILON:
        return []
    return [ValidationIssue(column=ref.column, check="out_of_range", observed=share, allowed=config.out_of_range_share,
                            message=f"{share:.1%} of '{ref.column}' values lie outside the training range "
                                    f"[{ref.min:g}, {ref.max:g}]",
                            examples=[f"{v:g}" for v in values[outside][:5]], rows=_positions(outside))]


def _categories(ref: ColumnReference, column: pd.Series, config: ValidationConfig) -> list[ValidationIssue]:
    issues = []
    text = column.dropna().astype(str)
    distinct = int(text.nunique())
    allowed = max(ref.distinct * config.cardinality_factor, ref.distinct + 10)
    if distinct > allowed:
        issues.append(ValidationIssue(column=ref.column, check="cardinality_explosion", observed=distinct,
                                      allowed=allowed, message=f"'{ref.column}' has {distinct} distinct values "
                                                               f"(training: {ref.distinct})"))
    if ref.categories is not None and len(text):
        unseen = (column.notna() & ~column.astype(str).isin(ref.categories)).to_numpy()
        share = float(unseen.sum() / len(text))
        if share > config.unseen_share + _EPSILON:
            issues.append(ValidationIssue(
                column=ref.column, check="unseen_categories", observed=share, allowed=config.unseen_share,
                message=f"{share:.1%} of '{ref.column}' values are categories not seen in training",
                examples=sorted(set(column[unseen].astype(str)))[:5], rows=_positions(unseen)))
    return issues


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _finite(value: object) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def _positions(mask: np.ndarray, limit: int = 5) -> list[int]:
    return [int(i) for i in np.flatnonzero(mask)[:limit]]
