"""Uplift: the model's metric against each baseline's, and against the charter's KPI.

``improvement`` is signed so that a positive number is always better: ``value - baseline`` when the
metric is higher-is-better, ``baseline - value`` when it is lower-is-better. ``relative_improvement``
divides it by ``|baseline|`` (None when the baseline is 0). The best baseline is the one with the best
value; the uplift is the improvement over it. A baseline whose value is missing (None or NaN) is
listed but neither compared nor chosen as best.

KPI: ``reaches_target`` is ``value >= target`` (higher is better) or ``value <= target`` (lower is
better); ``gap_to_target`` how far the value still is from the target (0 once it is reached, in the
KPI's units); ``improvement_over_baseline`` the signed move from the KPI's baseline value, and
``share_of_gap_closed`` that move as a share of the distance from the baseline to the target (1.0:
the target is just reached; None without a baseline or when the baseline already equals the target).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mlsteward.errors import InvalidInput

Direction = Literal["higher_is_better", "lower_is_better"]


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KPITarget(_Result):
    """A KPI to judge the model's value by: its target, its value today (baseline) and its direction."""

    name: str
    target: float
    baseline: float | None = Field(None, description="the KPI's value today, without the model")
    direction: Direction = "higher_is_better"


class BaselineComparison(_Result):
    """The model against one baseline model; ``improvement`` > 0 means the model is better."""

    name: str
    baseline_value: float | None
    difference: float | None = Field(description="model value minus baseline value")
    improvement: float | None = Field(description="the difference signed so that positive is better")
    relative_improvement: float | None = Field(description="improvement / |baseline value|; None when it is 0")
    better: bool | None = Field(description="strictly better than this baseline (None: no baseline value)")


class KPIComparison(_Result):
    """The model's value against a KPI's target and its baseline value."""

    name: str
    direction: Direction
    value: float
    target: float
    baseline: float | None
    reaches_target: bool
    gap_to_target: float = Field(description="how far the value still is from the target; 0 once reached")
    change_from_baseline: float | None = Field(description="value minus the KPI's baseline value")
    improvement_over_baseline: float | None = Field(description="the change signed so that positive is better")
    share_of_gap_closed: float | None = Field(
        description="improvement over the baseline / (target - baseline) in the better direction; 1.0 at the target")


class UpliftResult(_Result):
    """How much better the model is than its baselines, and where it stands against the KPI."""

    metric: str
    greater_is_better: bool
    value: float = Field(description="the model's metric value")
    baselines: list[BaselineComparison] = Field(default_factory=list)
    best_baseline: str | None = None
    best_baseline_value: float | None = None
    uplift: float | None = Field(None, description="improvement over the best baseline (positive: better)")
    relative_uplift: float | None = None
    beats_all_baselines: bool | None = None
    kpi: KPIComparison | None = None


def _number(value: Any, what: str) -> float | None:
    """``value`` as a float; None for a missing value; an error for anything else."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{what} must be a number; got {value!r}: pass the metric's value") from exc
    return None if math.isnan(number) else number


def _compare(name: str, value: float, baseline: float | None, greater_is_better: bool) -> BaselineComparison:
    if baseline is None:
        return BaselineComparison(name=name, baseline_value=None, difference=None, improvement=None,
                                  relative_improvement=None, better=None)
    difference = value - baseline
    improvement = difference if greater_is_better else -difference
    relative = improvement / abs(baseline) if baseline != 0 else None
    return BaselineComparison(name=name, baseline_value=baseline, difference=difference, improvement=improvement,
                              relative_improvement=relative, better=improvement > 0)


def _kpi(value: float, kpi: KPITarget | Mapping[str, Any] | Any) -> KPIComparison:
    if not isinstance(kpi, KPITarget):
        fields = kpi if isinstance(kpi, Mapping) else {
            k: getattr(kpi, k) for k in ("name", "target", "baseline", "direction") if hasattr(kpi, k)}
        try:
            kpi = KPITarget.model_validate(dict(fields))
        except ValueError as exc:
            raise InvalidInput(f"kpi must have a name, a numeric target, an optional baseline and a direction "
                               f"('higher_is_better' or 'lower_is_better'); got {fields!r}: {exc}") from exc
    higher = kpi.direction == "higher_is_better"
    sign = 1.0 if higher else -1.0
    short = sign * (kpi.target - value)
    change = None if kpi.baseline is None else value - kpi.baseline
    improvement = None if change is None else sign * change
    to_close = None if kpi.baseline is None else sign * (kpi.target - kpi.baseline)
    share = improvement / to_close if improvement is not None and to_close else None
    return KPIComparison(name=kpi.name, direction=kpi.direction, value=value, target=kpi.target,
                         baseline=kpi.baseline, reaches_target=short <= 0, gap_to_target=max(short, 0.0),
                         change_from_baseline=change, improvement_over_baseline=improvement,
                         share_of_gap_closed=share)


def uplift(value: float, baselines: Mapping[str, float | None], *, metric: str, greater_is_better: bool,
           kpi: KPITarget | Mapping[str, Any] | None = None) -> UpliftResult:
    """The model's ``metric`` value against each baseline model's value and, optionally, a KPI.

    ``baselines`` maps a baseline's name (e.g. ``majority``, ``rule``) to its value of the same metric;
    ``kpi`` is a ``KPITarget`` (or a dict with its fields, or the charter's ``KPI`` with a ``baseline``
    attribute added) judged on ``value``.
    """
    model_value = _number(value, "value")
    if model_value is None:
        raise InvalidInput("value is missing (None or NaN): pass the model's metric value")
    if not isinstance(baselines, Mapping):
        raise InvalidInput(f"baselines must be a dict of baseline name -> metric value; got {type(baselines).__name__}")
    comparisons = [_compare(str(name), model_value, _number(v, f"the value of baseline {name!r}"), greater_is_better)
                   for name, v in baselines.items()]
    scored = [c for c in comparisons if c.improvement is not None]
    result = UpliftResult(metric=metric, greater_is_better=greater_is_better, value=model_value,
                          baselines=comparisons, kpi=None if kpi is None else _kpi(model_value, kpi))
    if scored:
        best = min(scored, key=lambda c: c.improvement)  # the best baseline leaves the model the least improvement
        result.best_baseline, result.best_baseline_value = best.name, best.baseline_value
        result.uplift, result.relative_uplift = best.improvement, best.relative_improvement
        result.beats_all_baselines = all(c.better for c in scored)
    return result


__all__ = ["BaselineComparison", "KPIComparison", "KPITarget", "UpliftResult", "uplift"]
