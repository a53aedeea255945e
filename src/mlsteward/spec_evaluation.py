"""The ``evaluation:`` section of steward.yaml: which checks `steward evaluate` runs and their settings
(the cost matrix that picks the operating point, slices, robustness scales, ablation groups).

Every key is optional: with no section the default suite runs with the defaults below. The sensitive
attributes audited for fairness are ``data.sensitive_attributes``; the promotion thresholds are
``gates.promotion``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from mlsteward.spec_gates import SpecModel, did_you_mean

DEFAULT_CHECKS = ("metrics", "cross_validation", "calibration", "operating_point", "slices", "fairness",
                  "explain", "robustness", "ablation", "failure_modes", "uplift", "gates")
"""The default suite, in report order (the names of ``mlsteward.evaluate.CHECKS``)."""


class Costs(SpecModel):
    """What each kind of prediction costs (per prediction; a benefit is a negative cost)."""

    false_positive: float = Field(description="cost of flagging a case that is not positive")
    false_negative: float = Field(description="cost of missing a positive case")
    true_positive: float = 0.0
    true_negative: float = 0.0
    unit: str = "USD"

    @model_validator(mode="after")
    def _errors_cost_more(self) -> Costs:
        if self.false_positive < self.true_negative or self.false_negative < self.true_positive:
            raise ValueError("a wrong prediction must not cost less than the right one "
                             "(false_positive >= true_negative and false_negative >= true_positive)")
        if self.false_positive == self.true_negative and self.false_negative == self.true_positive:
            raise ValueError("errors cost nothing more than correct predictions: give false_positive or "
                             "false_negative a higher cost")
        return self


class SlicesConfig(SpecModel):
    columns: list[str] | None = Field(None, description="columns to slice by; default: every input column")
    bins: int = Field(5, ge=2, le=50, description="equal-count bins of numeric columns")
    min_size: int | None = Field(None, ge=1, description="smallest segment reported; default max(30, 1% of rows)")


class ExplainConfig(SpecModel):
    max_rows: int = Field(5000, ge=100, description="rows sampled for permutation importance and partial dependence")
    repeats: int = Field(5, ge=1, description="permutations per feature")
    shap: bool | None = Field(None, description="SHAP values: true, false, or unset = when shap is installed")


class RobustnessConfig(SpecModel):
    noise_scales: list[float] = Field([0.05, 0.1, 0.25, 0.5], description="Gaussian noise, in column stds")
    missing_rates: list[float] = Field([0.05, 0.2], description="shares of cells set missing / categories swapped")
    max_rows: int = Field(10_000, ge=100)

    @field_validator("noise_scales", "missing_rates")
    @classmethod
    def _positive(cls, values: list[float]) -> list[float]:
        if not values or any(v <= 0 for v in values):
            raise ValueError("one or more values above 0")
        return values


class AblationConfig(SpecModel):
    groups: dict[str, list[str]] = Field({}, description="feature group -> columns; default: each column alone")
    mode: Literal["permute", "retrain"] = Field("permute", description="permute and rescore, or retrain without")
    repeats: int = Field(3, ge=1)


class EvaluationSpec(SpecModel):
    """How `steward evaluate` checks a model."""

    checks: list[str] = Field(list(DEFAULT_CHECKS), description="checks to run, by name")
    bootstrap: int = Field(1000, ge=0, description="bootstrap resamples for confidence intervals (0: none)")
    confidence: float = Field(0.95, gt=0, lt=1)
    cv_folds: int = Field(5, ge=2, le=20, description="folds of the cross-validation on the training split")
    calibration_bins: int = Field(10, ge=2, le=100, description="equal-width probability bins of the ECE")
    recalibration: Literal["isotonic", "sigmoid", "none"] = Field(
        "isotonic", description="recalibrate on the validation split and report before/after")
    costs: Costs | None = Field(None, description="the cost matrix that picks the decision threshold")
    slices: SlicesConfig = SlicesConfig()
    explain: ExplainConfig = ExplainConfig()
    robustness: RobustnessConfig = RobustnessConfig()
    ablation: AblationConfig = AblationConfig()

    @field_validator("checks")
    @classmethod
    def _known_checks(cls, names: list[str]) -> list[str]:
        unknown = [n for n in names if n not in DEFAULT_CHECKS]
        if unknown:
            raise ValueError(f"unknown check {unknown[0]!r}{did_you_mean(unknown[0], DEFAULT_CHECKS)}; "
                             f"the checks are: {', '.join(DEFAULT_CHECKS)}")
        if len(set(names)) != len(names):
            raise ValueError("a check is named twice")
        return names
