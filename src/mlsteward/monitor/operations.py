"""Operations and cost of a deployed model: latency, throughput, errors, cost per prediction, budgets.

**Input.** ``time_ms``: when each answered request (one prediction) was answered, epoch ms;
``latency_ms``: its latency in milliseconds, one per entry of ``time_ms``; ``errors``: the failed
requests, either their number or their times (epoch ms; then each window counts its own).

**Period.** ``period_ms = (start, end)`` is the time observed, in epoch ms; by default from the first
to the last request (answered or failed). ``observed_seconds = (end - start) / 1000``.

**Latency.** p50, p95 and p99 of the answered requests' latencies: ``numpy.percentile`` with its
default ``method="linear"`` (linear interpolation between the closest ranks), the same as the load
test's; ``mean`` and ``max`` beside them. None when no request was answered.

**Throughput** = answered requests / ``observed_seconds`` (requests per second; None over an empty
period, e.g. a single request). **Error rate** = errors / (answered + errors), None when there was no
request at all.

**Cost.** A ``CostModel`` (``mlsteward.spec_monitoring.CostModel``: ``monitoring.cost`` of
steward.yaml) charges ``per_prediction_usd`` for each answered request and ``per_hour_usd`` for each
hour of the period (the infrastructure, running whether used or not). Over the period:
``total_cost_usd = per_prediction_usd * answered + per_hour_usd * hours_observed`` and
``cost_per_prediction_usd = total_cost_usd / answered = per_prediction_usd + per_hour_usd *
hours_observed / answered`` (None without answered requests).

**Windows** (with ``window_ms``): aligned to whole multiples of ``window_ms`` since the Unix epoch
(``[s, s + window_ms)`` with ``s = floor(t / window_ms) * window_ms``), every window that overlaps the
period, oldest first, empty ones included (a window without requests is an outage worth seeing).
A window's throughput divides its answered requests by the seconds of the window inside the period,
so the first and last, partly observed windows are not understated.

**Budgets.** Each budget given is checked against the observed value: ``p95_latency_ms``,
``p99_latency_ms``, ``error_rate`` and ``cost_per_prediction_usd`` are ceilings (passed when observed
<= limit), ``min_throughput_rps`` a floor (passed when observed >= limit). ``passed`` is None when the
value could not be observed; ``within_budget`` is False when any check failed, None when none failed
but one could not be observed, else True.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mlsteward.errors import InvalidInput
from mlsteward.spec_monitoring import CostModel

_MAX_WINDOWS = 100_000
_HOUR_MS = 3_600_000


# --- config and results -------------------------------------------------------------------------------------


class Budgets(BaseModel):
    """Operating budgets, each optional: latency and error-rate and cost ceilings, a throughput floor."""

    model_config = ConfigDict(extra="forbid")

    p95_latency_ms: float | None = Field(None, gt=0, description="ceiling on the 95th percentile latency")
    p99_latency_ms: float | None = Field(None, gt=0, description="ceiling on the 99th percentile latency")
    error_rate: float | None = Field(None, ge=0, le=1, description="ceiling on errors / (answered + errors)")
    cost_per_prediction_usd: float | None = Field(None, ge=0, description="ceiling on the cost per prediction")
    min_throughput_rps: float | None = Field(None, ge=0, description="floor on answered requests per second")


class LatencyPercentiles(BaseModel):
    """Latencies in milliseconds: numpy.percentile (linear interpolation), mean and max."""

    p50: float
    p95: float
    p99: float
    mean: float
    max: float


class OperationsWindow(BaseModel):
    """One window ``[start_ms, end_ms)``."""

    start_ms: int
    end_ms: int
    requests: int | None = Field(description="answered + errors; None when the errors were given as a count")
    answered: int
    errors: int | None = Field(description="None when the errors were given as a count, not as times")
    error_rate: float | None
    latency_ms: LatencyPercentiles | None
    throughput_rps: float | None = Field(description="answered / seconds of the window inside the period")


class BudgetCheck(BaseModel):
    """One budget: the observed value against its limit."""

    budget: str
    kind: Literal["max", "min"] = Field(description="max: a ceiling; min: a floor")
    limit: float
    observed: float | None
    passed: bool | None = Field(description="None when the value could not be observed")


class OperationsSummary(BaseModel):
    """Latency, throughput, errors and cost of a deployed model over a period (module docstring: definitions)."""

    requests: int = Field(description="answered + errors")
    answered: int
    errors: int
    error_rate: float | None
    start_ms: int | None = Field(description="the period observed, [start_ms, end_ms]")
    end_ms: int | None
    observed_seconds: float | None
    latency_ms: LatencyPercentiles | None
    throughput_rps: float | None = Field(description="answered requests per second over the period")
    cost_model: CostModel | None = None
    hours_observed: float | None = None
    total_cost_usd: float | None = None
    cost_per_prediction_usd: float | None = None
    window_ms: int | None = None
    windows: list[OperationsWindow] | None = None
    budgets: list[BudgetCheck] = Field(default_factory=list)
    within_budget: bool | None = Field(None, description="False: a budget failed; None: no budget, or one "
                                                         "could not be observed")
    notes: list[str] = Field(default_factory=list)


# --- validation ---------------------------------------------------------------------------------------------------


def _numbers(values: Any, name: str, example: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype="float64")
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{name} must be numbers, e.g. {example}: {exc}") from exc
    if array.ndim != 1:
        raise InvalidInput(f"{name} must be one value per request (1-D); got an array of shape {array.shape}")
    if not np.isfinite(array).all():
        raise InvalidInput(f"{name} holds {int((~np.isfinite(array)).sum())} missing or infinite values: drop "
                           "those requests, or count them as errors")
    return array


def _epoch(values: Any, name: str) -> np.ndarray:
    array = _numbers(values, name, "epoch milliseconds such as 1717200000000")
    if (array != np.floor(array)).any():
        raise InvalidInput(f"{name} must hold whole epoch milliseconds: round them first")
    return array.astype("int64")


def _model(value: Any, cls: type[BaseModel], name: str) -> Any:
    if value is None or isinstance(value, cls):
        return value
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{name} must be a {cls.__name__} or a mapping of its fields "
                           f"{list(cls.model_fields)}; got {type(value).__name__}")
    try:
        return cls.model_validate(dict(value))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or name}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(f"{name} is not valid ({problems}); its fields are {list(cls.model_fields)}") from exc


def _window(window_ms: Any) -> int | None:
    if window_ms is None:
        return None
    if (isinstance(window_ms, bool) or not isinstance(window_ms, int | float | np.integer | np.floating)
            or not math.isfinite(window_ms) or window_ms <= 0 or window_ms != int(window_ms)):
        raise InvalidInput("window_ms must be a positive whole number of milliseconds, e.g. 86400000 for a day. "
                           f"Got {window_ms!r} instead.")
    return int(window_ms)


def _period(period_ms: Any, times: np.ndarray) -> tuple[int, int] | None:
    if period_ms is None:
        return (int(times.min()), int(times.max())) if len(times) else None
    try:
        start, end = (float(v) for v in period_ms)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"period_ms must be (start, end) in epoch ms, e.g. (1717200000000, 1717804800000); "
                           f"got {period_ms!r}") from exc
    if not (math.isfinite(start) and math.isfinite(end)) or end < start or start % 1 or end % 1:
        raise InvalidInput(f"period_ms must be (start, end) in whole epoch ms with start <= end; got {period_ms!r}")
    if len(times) and (times.min() < start or times.max() > end):
        raise InvalidInput(f"requests lie outside period_ms ({start:.0f}, {end:.0f}): the earliest is at "
                           f"{int(times.min())} and the latest at {int(times.max())}; widen the period or drop "
                           "those requests")
    return int(start), int(end)


# --- statistics ------------------------------------------------------------------------------------------------


def _latency(ms: np.ndarray) -> LatencyPercentiles | None:
    if not len(ms):
        return None
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return LatencyPercentiles(p50=float(p50), p95=float(p95), p99=float(p99), mean=float(ms.mean()),
                              max=float(ms.max()))


def _rate(errors: int, answered: int) -> float | None:
    return errors / (answered + errors) if answered + errors else None


def _windows(window_ms: int, period: tuple[int, int], times: np.ndarray, latency: np.ndarray,
             error_times: np.ndarray | None) -> list[OperationsWindow]:
    first, last = (period[0] // window_ms) * window_ms, (period[1] // window_ms) * window_ms
    count = (last - first) // window_ms + 1
    if count > _MAX_WINDOWS:
        raise InvalidInput(f"window_ms={window_ms} cuts the period into {count:,} windows (more than "
                           f"{_MAX_WINDOWS:,}): use a longer window, e.g. 3600000 for an hour")
    index = (times // window_ms * window_ms - first) // window_ms
    order = np.argsort(index, kind="stable")
    chunks = np.split(latency[order], np.searchsorted(index[order], np.arange(1, count)))
    failed = None if error_times is None else np.bincount((error_times // window_ms * window_ms - first) // window_ms,
                                                          minlength=count)
    out = []
    for i, chunk in enumerate(chunks):
        start = first + i * window_ms
        seconds = (min(start + window_ms, period[1]) - max(start, period[0])) / 1000
        errors = None if failed is None else int(failed[i])
        out.append(OperationsWindow(
            start_ms=start, end_ms=start + window_ms, answered=len(chunk), errors=errors,
            requests=None if errors is None else len(chunk) + errors,
            error_rate=None if errors is None else _rate(errors, len(chunk)), latency_ms=_latency(chunk),
            throughput_rps=len(chunk) / seconds if seconds > 0 else None))
    return out


def _checks(budgets: Budgets, observed: dict[str, float | None]) -> list[BudgetCheck]:
    out = []
    for name in Budgets.model_fields:
        limit = getattr(budgets, name)
        if limit is None:
            continue
        kind: Literal["max", "min"] = "min" if name.startswith("min_") else "max"
        value = observed[name]
        passed = None if value is None else (value >= limit if kind == "min" else value <= limit)
        out.append(BudgetCheck(budget=name, kind=kind, limit=limit, observed=value, passed=passed))
    return out


# --- the public function ---------------------------------------------------------------------------------------


def operations_summary(time_ms: Any, latency_ms: Any, *, errors: int | Any = 0, window_ms: int | None = None,
                       cost_model: CostModel | Mapping[str, float] | None = None,
                       budgets: Budgets | Mapping[str, float] | None = None,
                       period_ms: tuple[int, int] | None = None) -> OperationsSummary:
    """Requests, latency percentiles, throughput, error rate and cost per prediction of answered requests
    (``time_ms``, ``latency_ms``), with per-window figures when ``window_ms`` is given and each budget
    checked. ``errors``: the failed requests' count or times. The module docstring defines every number."""
    times = _epoch(time_ms, "time_ms")
    latency = _numbers(latency_ms, "latency_ms", "12.5 (milliseconds)")
    if len(latency) != len(times):
        raise InvalidInput(f"latency_ms has {len(latency)} values but time_ms has {len(times)}: give one latency "
                           "per answered request")
    if (latency < 0).any():
        raise InvalidInput(f"latency_ms must not be negative; the smallest is {latency.min()}")
    if isinstance(errors, int | np.integer) and not isinstance(errors, bool):
        if errors < 0:
            raise InvalidInput(f"errors must be the number of failed requests (>= 0) or their times; got {errors}")
        error_times, n_errors = None, int(errors)
    elif isinstance(errors, bool | str | float) or errors is None:
        raise InvalidInput("errors must be the number of failed requests (a whole number >= 0) or their times in "
                           f"epoch ms (a list); got {errors!r}")
    else:
        error_times = _epoch(errors, "errors")
        n_errors = len(error_times)
    window = _window(window_ms)
    cost = _model(cost_model, CostModel, "cost_model")
    limits = _model(budgets, Budgets, "budgets")
    all_times = times if error_times is None else np.concatenate([times, error_times])
    period = _period(period_ms, all_times)
    notes = []
    if error_times is None and n_errors and window is not None:
        notes.append("errors was given as a count: the windows' error rates are unknown (pass the failed "
                     "requests' times for them)")
    answered = len(times)
    seconds = None if period is None else (period[1] - period[0]) / 1000
    throughput = answered / seconds if seconds else None
    hours = None if seconds is None else seconds / 3600
    total = per_prediction = None
    if cost is not None and hours is not None:
        total = cost.per_prediction_usd * answered + cost.per_hour_usd * hours
        per_prediction = total / answered if answered else None
    latencies = _latency(latency)
    rate = _rate(n_errors, answered)
    checks = []
    if limits is not None:
        if limits.cost_per_prediction_usd is not None and cost is None:
            notes.append("a cost budget was given without a cost model: pass cost_model= to check it")
        checks = _checks(limits, {
            "p95_latency_ms": None if latencies is None else latencies.p95,
            "p99_latency_ms": None if latencies is None else latencies.p99,
            "error_rate": rate, "cost_per_prediction_usd": per_prediction, "min_throughput_rps": throughput})
    within = None
    if checks:
        within = False if any(c.passed is False for c in checks) else (
            None if any(c.passed is None for c in checks) else True)
    return OperationsSummary(
        requests=answered + n_errors, answered=answered, errors=n_errors, error_rate=rate,
        start_ms=None if period is None else period[0], end_ms=None if period is None else period[1],
        observed_seconds=seconds, latency_ms=latencies, throughput_rps=throughput, cost_model=cost,
        hours_observed=hours, total_cost_usd=total,
        cost_per_prediction_usd=per_prediction, window_ms=window,
        windows=None if window is None or period is None else _windows(window, period, times, latency, error_times),
        budgets=checks, within_budget=within, notes=notes)


__all__ = [
    "BudgetCheck",
    "Budgets",
    "CostModel",
    "LatencyPercentiles",
    "OperationsSummary",
    "OperationsWindow",
    "operations_summary",
]
