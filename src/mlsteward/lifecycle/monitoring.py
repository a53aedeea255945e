"""`steward monitor run`: one monitor over a window of logged traffic, recorded with its alerts.

A run reads the window's logged predictions and their feedback (``monitor_inputs``), computes drift
against the stored reference statistics, prediction and target drift, performance over time with the
labels that have arrived (and a confidence-based estimate where they have not), operations and cost,
and optionally explainability drift (``monitor_checks``). It flattens them into signals, fires the alert
rules, and records the run, its alerts and the incidents its SEV alerts open in one transaction; then
it delivers the new alerts, says which retraining triggers fired, and applies the automatic rollback
rule (``monitoring.retraining.rollback``).
"""

from __future__ import annotations

import time
from pathlib import Path

from pydantic import BaseModel

from mlsteward.errors import StewardError
from mlsteward.lifecycle import monitor_checks
from mlsteward.lifecycle.alerting import deliver, fire
from mlsteward.lifecycle.board import note_stage
from mlsteward.lifecycle.deployment import endpoint_of, rollback_deployment
from mlsteward.lifecycle.monitor_inputs import logged_window, reference_of
from mlsteward.monitor import DatasetDrift
from mlsteward.spec import Spec
from mlsteward.spec_monitoring import Monitor, RollbackRule, duration_ms
from mlsteward.stages import Stage, StageStatus
from mlsteward.store.models import ModelVersion
from mlsteward.store.monitoring import AlertRecord, MonitorRunRecord, NewMonitorRun
from mlsteward.workspace import Workspace

DAY_MS = 86_400_000


class MonitorResult(BaseModel):
    """What one monitor run found; stored with the run (``steward monitor show RUN``)."""

    monitor: str
    model: str
    live_version: int
    versions: dict[str, int] = {}  # answering version → rows in the window
    window_start_ms: int
    window_end_ms: int
    rows: int
    reference: str
    drift: DatasetDrift | None = None
    prediction_drift: dict | None = None
    performance: dict | None = None
    operations: dict | None = None
    importance: dict | None = None
    signals: dict[str, float | None] = {}
    notes: list[str] = []


class MonitorOutcome(BaseModel):
    run: MonitorRunRecord
    result: MonitorResult
    alerts: list[AlertRecord]  # fired by this run (new, or open and seen again)
    incidents: list[str]  # opened by this run
    retrain_due: list[str]
    rolled_back: str | None = None
    delivery_problems: list[str] = []


def run_monitor(workspace: Workspace, spec: Spec, name: str | None = None, *, end_ms: int | None = None,
                spec_dir: Path | None = None, engine: str = "local") -> MonitorOutcome:
    """Run the monitor ``name`` (or the only one) over the window ending at ``end_ms`` (default: now);
    ``engine="ray"`` reads the window's log segments for the input drift as Ray tasks."""
    monitor = spec.monitoring.monitor(name)
    store = workspace.store
    endpoint, _ = endpoint_of(workspace, monitor.model)
    version = store.models.get(monitor.model, str(endpoint.live) if endpoint else None)
    end = end_ms if end_ms is not None else int(time.time() * 1000)
    start = end - duration_ms(monitor.window)
    reference = reference_of(workspace, version, monitor.reference)
    frame = logged_window(workspace, monitor.model, start, end)
    result = MonitorResult(monitor=monitor.name, model=monitor.model, live_version=version.version,
                           window_start_ms=start, window_end_ms=end, rows=len(frame), reference=reference)
    if frame.empty:
        result.notes.append("no logged traffic in the window: nothing to compare")
    else:
        result.versions = {str(k): int(v) for k, v in frame["version"].value_counts().sort_index().items()}
        monitor_checks.compute(workspace, spec, monitor, version, reference, frame, result, engine)
    result.signals.update(_lifecycle_signals(workspace, version, reference, end))
    result.signals.setdefault("rows", float(len(frame)))
    previous = f"{monitor.model}@{endpoint.previous}" if endpoint and endpoint.previous else None
    fired = fire(spec, monitor, result.signals, model_ref=version.ref, rollback_target=previous,
                 reference=reference, window=(start, end))
    alerting = spec.monitoring.alerting
    run, alerts = store.monitoring.record_run(
        NewMonitorRun(project=spec.project, monitor=monitor.name, model=monitor.model, window_start_ms=start,
                      window_end_ms=end, rows=len(frame), signals=result.signals,
                      result=result.model_dump(mode="json")),
        fired, cooldown_ms=duration_ms(alerting.cooldown))
    problems = deliver(spec_dir or Path.cwd(), alerts, webhook=alerting.webhook, log_path=alerting.log)
    note_stage(store, spec.project, Stage.MONITORING, StageStatus.IN_PROGRESS,
               f"{monitor.name}: run {run.id[:8]} over {len(frame)} rows, {len(alerts)} alert(s)")
    retrain_due = [rule.describe(result.signals.get(rule.signal)) for rule in spec.monitoring.retraining.triggers
                   if rule.fires(result.signals.get(rule.signal))]
    rolled_back = _auto_rollback(workspace, spec, monitor, version, endpoint is not None and endpoint.previous)
    return MonitorOutcome(run=run, result=result, alerts=alerts, retrain_due=retrain_due, rolled_back=rolled_back,
                          incidents=[f"INC-{a.incident_id}" for a in alerts if a.incident_id and a.count == 1],
                          delivery_problems=problems)


def _lifecycle_signals(workspace: Workspace, version: ModelVersion, reference: str, end: int) -> dict[str, float]:
    """Age of the model and of its reference, and the volume of new labelled data since the live version was
    registered: the labels sent back (feedback rows) and the low-confidence predictions reviewed in labeling."""
    from mlsteward.lifecycle.label_queue import reviewed_labels_since

    store = workspace.store
    dataset = store.datasets.get(reference)
    feedback = store.predictions.segments("feedback", since_ms=version.created_at_ms)
    new_labels = sum(s.rows for s in feedback if s.model in (version.name, None))
    new_labels += reviewed_labels_since(workspace, version.created_at_ms)
    return {"live_version": float(version.version), "days_since_training": (end - version.created_at_ms) / DAY_MS,
            "reference_age_days": (end - dataset.created_at_ms) / DAY_MS,
            "labels_since_training": float(new_labels)}


def _auto_rollback(workspace: Workspace, spec: Spec, monitor: Monitor, version: ModelVersion,
                   can_roll_back: object) -> str | None:
    """Apply the automatic rollback rule (``sustained_regression``); returns what was done."""
    rule = spec.monitoring.retraining.rollback
    if rule is None or not can_roll_back:
        return None
    runs = workspace.store.monitoring.runs(monitor=monitor.name, limit=rule.sustained_runs, with_result=False)
    reason = sustained_regression(rule, version, [r.signals for r in runs])
    if reason is None:
        return None
    try:
        record = rollback_deployment(workspace, spec, monitor.model, reason)
    except StewardError as exc:
        return f"{reason}, but the rollback was refused: {exc.message}"
    for incident in workspace.store.incidents.list(model=monitor.model, status="open"):
        workspace.store.incidents.update(incident.id, note=f"{reason}; now serving version {record.state['live']}")
    return reason


def sustained_regression(rule: RollbackRule, version: ModelVersion, recent: list[dict]) -> str | None:
    """Why to roll back, or None: the rule's signal was ``max_regression`` worse than ``version``'s evaluation
    (below it; above it for an ``_error`` / ``_loss`` metric) in each of the last ``sustained_runs`` runs'
    signals (``recent``, newest first), all of them runs of this version."""
    baseline = version.metrics.get(rule.signal)
    if not baseline or len(recent) < rule.sustained_runs:
        return None
    lower_is_better = rule.signal.endswith(("_error", "_loss"))
    limit = baseline * (1 + rule.max_regression if lower_is_better else 1 - rule.max_regression)
    window = recent[:rule.sustained_runs]
    observed = [signals.get(rule.signal) for signals in window]
    if not all(value is not None and (value > limit if lower_is_better else value < limit)
               and signals.get("live_version") == version.version for value, signals in zip(observed, window,
                                                                                          strict=True)):
        return None
    side = "above" if lower_is_better else "below"
    return (f"automatic rollback: {rule.signal} {observed[0]:.4g} is more than {rule.max_regression:.0%} {side} "
            f"{version.ref}'s evaluation ({baseline:.4g}) for {rule.sustained_runs} monitor runs in a row")


__all__ = ["MonitorOutcome", "MonitorResult", "run_monitor", "sustained_regression"]
