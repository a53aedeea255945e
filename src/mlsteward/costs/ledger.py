"""A run's training cost and a day's inference cost.

**Training.** ``cost = cpu_seconds / 3600 * cpu_hour_usd + wall_seconds / 3600 * machine_hour_usd``: the CPU
time the run's process used while the run was open, and the wall-clock time it held the machine. A run with
no CPU measurement (recorded by another tool, or an Optuna trial written by the callback) costs its wall time
only; a nested run's time is inside its parent's, so totals add the top-level runs alone.

**Inference.** A UTC day costs ``predictions * per_prediction_usd + hours * per_hour_usd`` where ``hours`` is
24 for a day with logged predictions, or the hours elapsed so far when that day is today: the serving
infrastructure (``monitoring.cost.per_hour_usd``) is charged for every day it answered, once for the project
however many models it serves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
from pydantic import BaseModel, computed_field

SECONDS_PER_HOUR = 3600.0
MS_PER_DAY = 86_400_000


class RunCost(BaseModel):
    """One run's resources and what they cost."""

    run_id: str
    name: str
    kind: str  # the run's ``kind`` tag: training, tuning, candidate-fit, baseline, ... ("" for a user's run)
    parent_id: str | None
    status: str
    started_ms: int
    wall_seconds: float
    cpu_seconds: float | None
    cost_usd: float


class DayCost(BaseModel):
    """One UTC day of serving: predictions per model, the infrastructure hours charged, and the cost."""

    day: dt.date
    predictions: int
    by_model: dict[str, int]
    infrastructure_hours: float
    predictions_usd: float
    infrastructure_usd: float

    @computed_field
    @property
    def cost_usd(self) -> float:
        return self.predictions_usd + self.infrastructure_usd


def run_cost_usd(wall_seconds: float, cpu_seconds: float | None, *, cpu_hour_usd: float,
                 machine_hour_usd: float) -> float:
    """What a run cost (module docstring)."""
    cpu = (cpu_seconds or 0.0) / SECONDS_PER_HOUR * cpu_hour_usd
    return cpu + wall_seconds / SECONDS_PER_HOUR * machine_hour_usd


def daily_inference_costs(times_ms: Mapping[str, np.ndarray], *, per_prediction_usd: float, per_hour_usd: float,
                          now_ms: int) -> list[DayCost]:
    """Each UTC day with logged predictions, oldest first, from each model's prediction times (ms)."""
    counts: dict[dt.date, dict[str, int]] = {}
    for model, times in times_ms.items():
        times = np.asarray(times, dtype="int64")
        if times.size == 0:
            continue
        days, per_day = np.unique(times // MS_PER_DAY, return_counts=True)
        for day, count in zip(days.tolist(), per_day.tolist(), strict=True):
            counts.setdefault(_date(day), {})[model] = int(count)
    today = _date(now_ms // MS_PER_DAY)
    hours_today = (now_ms % MS_PER_DAY) / MS_PER_DAY * 24
    result = []
    for day in sorted(counts):
        predictions = sum(counts[day].values())
        hours = hours_today if day == today else 24.0
        result.append(DayCost(day=day, predictions=predictions, by_model=dict(sorted(counts[day].items())),
                              infrastructure_hours=hours, predictions_usd=predictions * per_prediction_usd,
                              infrastructure_usd=hours * per_hour_usd))
    return result


def _date(day_number: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(day_number))


__all__ = ["DayCost", "RunCost", "daily_inference_costs", "run_cost_usd"]
