"""`steward costs`: the project's training and inference costs from what the store recorded, the month's
forecast, and the budgets of ``costs.budgets`` checked with alerts.

Training: the runs of the project's experiment (``RunStore.usage``: training, tuning, evaluation and the other
tracked work; a run not yet ended counts nothing) at the rates of ``costs.training``. A run
nested inside its parent's time is already in the parent's time, so totals count the others only (the
top-level runs, and a child run after its parent ended, such as a reproduction). Inference: each model of the
project's prediction log (only the time column is read) at the rates of ``monitoring.cost``. The formulas are
in ``mlsteward.costs``.

A budget check is recorded as a monitor run of the reserved monitor ``budgets``; its alerts take the
monitors' path (de-duplicated while open, resolved when no longer firing, cooldown, delivery to the alert log
and webhook) and are listed by ``steward monitor alerts``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel

from mlsteward.costs import (
    BudgetStatus,
    DayCost,
    MonthForecast,
    RunCost,
    budget_status,
    daily_inference_costs,
    month_forecast,
    run_cost_usd,
)
from mlsteward.lifecycle.alerting import deliver
from mlsteward.spec import Spec
from mlsteward.spec_monitoring import BUDGET_MONITOR, duration_ms
from mlsteward.store.monitoring import FiredAlert, NewMonitorRun
from mlsteward.store.runs import RunUsage
from mlsteward.workspace import Workspace

PROJECT_WIDE = "-"  # the model column of a budget check: it covers the whole project


class CostSummary(BaseModel):
    """The month so far and forecast, for training, inference and both, with each budget's standing."""

    project: str
    at_ms: int
    training: MonthForecast
    inference: MonthForecast
    total: MonthForecast
    budgets: list[BudgetStatus]
    runs: int  # runs started this month
    predictions: int  # predictions logged this month
    notes: list[str]


class BudgetCheck(BaseModel):
    summary: CostSummary
    monitor_run: str
    alerts: list[str]  # the messages of the alerts firing now
    delivery_problems: list[str] = []


def training_costs(workspace: Workspace, spec: Spec, *, since_ms: int | None = None,
                   until_ms: int | None = None) -> list[RunCost]:
    """Every run of the project started in [since_ms, until_ms), oldest first, with its cost."""
    return [_priced(u, spec) for u in workspace.store.runs.usage(spec.project, since_ms=since_ms, until_ms=until_ms)]


def _priced(usage: RunUsage, spec: Spec) -> RunCost:
    rates, wall = spec.costs.training, _wall(usage)
    return RunCost(run_id=usage.id, name=usage.name, kind=usage.tags.get("kind", ""), parent_id=usage.parent_id,
                   status=usage.status, started_ms=usage.start_time_ms, wall_seconds=wall,
                   cpu_seconds=usage.cpu_seconds, cost_usd=run_cost_usd(wall, usage.cpu_seconds,
                                                                        cpu_hour_usd=rates.cpu_hour_usd,
                                                                        machine_hour_usd=rates.machine_hour_usd))


def counted(costs: list[RunCost]) -> list[RunCost]:
    """The runs a total adds: those not inside their parent's time (module docstring)."""
    spans = {c.run_id: (c.started_ms, c.started_ms + c.wall_seconds * 1000) for c in costs}
    return [c for c in costs if c.parent_id not in spans
            or not spans[c.parent_id][0] <= c.started_ms <= spans[c.parent_id][1]]


def inference_costs(workspace: Workspace, spec: Spec, *, since_ms: int | None = None,
                    now_ms: int | None = None) -> list[DayCost]:
    """Each UTC day of logged predictions of the project's models since ``since_ms``, oldest first."""
    store = workspace.store
    times = {}
    for model in store.models.models(project=spec.project):
        segments = store.predictions.segments("predictions", model=model.name, since_ms=since_ms)
        times[model.name] = _times(workspace, segments, since_ms)
    cost = spec.monitoring.cost
    return daily_inference_costs(times, per_prediction_usd=cost.per_prediction_usd, per_hour_usd=cost.per_hour_usd,
                                 now_ms=now_ms if now_ms is not None else _now_ms())


def cost_summary(workspace: Workspace, spec: Spec, *, now: dt.datetime | None = None) -> CostSummary:
    """Spent this month and forecast, per kind and in all, and the budgets against them."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    at_ms = int(now.timestamp() * 1000)
    month_start = now.date().replace(day=1)
    since = min(month_start, now.date() - dt.timedelta(days=spec.costs.forecast_days - 1))
    since_ms = int(dt.datetime.combine(since, dt.time(), dt.UTC).timestamp() * 1000)
    month_ms = int(dt.datetime.combine(month_start, dt.time(), dt.UTC).timestamp() * 1000)
    runs = counted(training_costs(workspace, spec, since_ms=since_ms, until_ms=at_ms + 1))
    days = inference_costs(workspace, spec, since_ms=since_ms, now_ms=at_ms)
    training_daily = _by_day((_day(c.started_ms), c.cost_usd) for c in runs)
    inference_daily = _by_day((d.day, d.cost_usd) for d in days)
    total_daily = _by_day([*training_daily.items(), *inference_daily.items()])
    lookback = spec.costs.forecast_days
    forecasts = {name: month_forecast(daily, now, lookback_days=lookback) for name, daily in
                 (("training", training_daily), ("inference", inference_daily), ("total", total_daily))}
    budgets = [budget_status(name=b.name, scope=b.scope, monthly_usd=b.monthly_usd, alert_at=b.alert_at,
                             spent_usd=forecasts[b.scope].spent_usd, forecast_usd=forecasts[b.scope].forecast_usd,
                             alert_on_forecast=b.alert_on_forecast) for b in spec.costs.budgets]
    return CostSummary(project=spec.project, at_ms=at_ms, **forecasts, budgets=budgets,
                       runs=sum(c.started_ms >= month_ms for c in runs),
                       predictions=sum(d.predictions for d in days if d.day >= month_start), notes=rate_notes(spec))


def rate_notes(spec: Spec) -> list[str]:
    """What is priced at zero because steward.yaml gives no rate."""
    notes = []
    rates = spec.costs.training
    if rates.cpu_hour_usd == 0 and rates.machine_hour_usd == 0:
        notes.append("costs.training gives no rate: training shows as free (set cpu_hour_usd and machine_hour_usd)")
    serving = spec.monitoring.cost
    if serving.per_prediction_usd == 0 and serving.per_hour_usd == 0:
        notes.append("monitoring.cost gives no rate: inference shows as free (set per_prediction_usd and "
                     "per_hour_usd)")
    return notes


def check_budgets(workspace: Workspace, spec: Spec, *, now: dt.datetime | None = None,
                  spec_dir: Path | None = None) -> BudgetCheck:
    """Check every budget, record the check with the alerts it raises, and deliver the new ones."""
    summary = cost_summary(workspace, spec, now=now)
    fired = [alert for status in summary.budgets for alert in _alerts(status)]
    signals: dict[str, float | None] = {
        f"{kind}_{what}_usd": getattr(getattr(summary, kind), f"{what}_usd")
        for kind in ("training", "inference", "total") for what in ("spent", "forecast")}
    signals |= {f"budget.{b.name}.share_spent": b.share_spent for b in summary.budgets}
    month_ms = int(dt.datetime.combine(dt.date.fromisoformat(f"{summary.total.month}-01"), dt.time(), dt.UTC)
                   .timestamp() * 1000)
    alerting = spec.monitoring.alerting
    run, alerts = workspace.store.monitoring.record_run(
        NewMonitorRun(project=spec.project, monitor=BUDGET_MONITOR, model=PROJECT_WIDE, window_start_ms=month_ms,
                      window_end_ms=summary.at_ms, rows=summary.runs + summary.predictions, signals=signals,
                      result=summary.model_dump(mode="json")),
        fired, cooldown_ms=duration_ms(alerting.cooldown))
    problems = deliver(spec_dir or Path.cwd(), alerts, webhook=alerting.webhook, log_path=alerting.log)
    return BudgetCheck(summary=summary, monitor_run=run.id, alerts=[a.message for a in fired],
                       delivery_problems=problems)


def training_cpu_hours(workspace: Workspace, spec: Spec, *, now: dt.datetime | None = None) -> float:
    """The CPU hours the project's counted runs used this calendar month (UTC)."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    month_ms = int(dt.datetime.combine(now.date().replace(day=1), dt.time(), dt.UTC).timestamp() * 1000)
    runs = counted(training_costs(workspace, spec, since_ms=month_ms))
    return sum(c.cpu_seconds or 0.0 for c in runs) / 3600


def _alerts(status: BudgetStatus) -> list[FiredAlert]:
    out = []
    if status.crossed is not None:
        out.append(FiredAlert(fingerprint=f"{BUDGET_MONITOR}:{status.name}:spent:{status.crossed:g}",
                              signal=f"budget.{status.name}.share_spent", severity="warning",
                              observed=status.share_spent, threshold=status.crossed, message=status.messages()[0]))
    if status.forecast_over:
        out.append(FiredAlert(fingerprint=f"{BUDGET_MONITOR}:{status.name}:forecast",
                              signal=f"budget.{status.name}.share_forecast", severity="warning",
                              observed=status.share_forecast, threshold=1.0, message=status.messages()[-1]))
    return out


def _times(workspace: Workspace, segments: list, since_ms: int | None) -> np.ndarray:
    """The prediction times of these segments (each read hash-verified, the time column only)."""
    parts = [pq.read_table(pa.BufferReader(workspace.artifacts.get_bytes(s.digest)), columns=["time_ms"])
             .column("time_ms").to_numpy() for s in segments]
    times = np.concatenate(parts).astype("int64") if parts else np.empty(0, dtype="int64")
    return times[times >= since_ms] if since_ms is not None else times


def _by_day(items: Iterable[tuple[dt.date, float]]) -> dict[dt.date, float]:
    out: dict[dt.date, float] = {}
    for day, value in items:
        out[day] = out.get(day, 0.0) + value
    return out


def _day(ms: int) -> dt.date:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).date()


def _wall(usage: RunUsage) -> float:
    """Seconds the run held the machine; a run not ended (still going, or its process died) counts none yet."""
    return 0.0 if usage.end_time_ms is None else max(0.0, (usage.end_time_ms - usage.start_time_ms) / 1000)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


__all__ = [
    "PROJECT_WIDE",
    "BudgetCheck",
    "CostSummary",
    "check_budgets",
    "cost_summary",
    "counted",
    "inference_costs",
    "rate_notes",
    "training_costs",
    "training_cpu_hours",
]
