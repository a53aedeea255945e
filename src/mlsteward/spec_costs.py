"""The ``costs:`` part of ``steward.yaml``: what training compute costs, monthly budgets with their alert
thresholds, and the quota that tuning keeps to. What serving costs is ``monitoring.cost``::

    costs:
      training: {cpu_hour_usd: 0.05, machine_hour_usd: 0.20}   # a run: CPU hours and wall-clock hours
      budgets:
        - {name: experiments, scope: training, monthly_usd: 20}                     # alerts at 50%, 80%, 100%
        - {name: serving, scope: inference, monthly_usd: 300, alert_at: [0.9, 1.0]}
      quota:
        max_trials: 20                    # trials per candidate, whatever training.tuning.trials says
        max_runtime_minutes: 30           # the tuning of one `steward train`, all candidates together
        monthly_training_cpu_hours: 40    # `steward train` refuses once the month's training used this
      forecast_days: 7                    # the month's forecast extends the last 7 days' daily cost
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from mlsteward.spec_gates import SpecModel, unique_names

BudgetScope = Literal["training", "inference", "total"]
DEFAULT_THRESHOLDS = (0.5, 0.8, 1.0)


class TrainingRates(SpecModel):
    """What a training run costs: its CPU time and its wall-clock time, each at an hourly rate."""

    cpu_hour_usd: float = Field(0.0, ge=0, description="one CPU-hour of a run's process (USD)")
    machine_hour_usd: float = Field(0.0, ge=0, description="one hour of the machine a run holds, wall clock (USD)")


class Budget(SpecModel):
    """A monthly budget for training, inference or both, with the shares of it that raise an alert."""

    name: str = Field(min_length=1, max_length=100, description="what the budget is called in alerts")
    scope: BudgetScope = Field(description="what it covers: training, inference or total")
    monthly_usd: float = Field(gt=0, description="what may be spent in a calendar month (USD)")
    alert_at: list[Annotated[float, Field(gt=0, le=10)]] = Field(
        list(DEFAULT_THRESHOLDS), min_length=1, description="shares of the budget spent that raise an alert")
    alert_on_forecast: bool = Field(True, description="also alert when the month's forecast exceeds the budget")

    @field_validator("alert_at")
    @classmethod
    def _sorted(cls, shares: list[float]) -> list[float]:
        return sorted(set(shares))


class Quota(SpecModel):
    """Caps on experimentation that tuning keeps to."""

    max_trials: int | None = Field(None, ge=1, description="tuning trials per candidate, at most")
    max_runtime_minutes: float | None = Field(None, gt=0, description="wall-clock minutes one `steward train` "
                                                                      "may spend tuning, all candidates together")
    monthly_training_cpu_hours: float | None = Field(None, gt=0, description="training CPU-hours a calendar "
                                                                             "month may use")


class CostsSpec(SpecModel):
    """Training rates, budgets, the experiment quota, and the forecast's look-back."""

    training: TrainingRates = Field(default_factory=TrainingRates)
    budgets: list[Budget] = Field([], description="monthly budgets, each with its alert thresholds")
    quota: Quota = Field(default_factory=Quota)
    forecast_days: int = Field(7, ge=1, le=31, description="days of recent spending the month's forecast extends")

    @field_validator("budgets")
    @classmethod
    def _names_unique(cls, budgets: list[Budget]) -> list[Budget]:
        return unique_names(budgets, "budget")


__all__ = ["DEFAULT_THRESHOLDS", "Budget", "BudgetScope", "CostsSpec", "Quota", "TrainingRates"]
