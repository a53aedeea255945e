"""The monitoring stage's deliverables, generated from what monitoring recorded: the dashboard (the monitor
runs over time), the drift and alert configuration (steward.yaml's monitors, as the latest run applied
them), the champion–challenger reports (retrain runs), the retraining trigger criteria, and the monthly
cost-optimisation review."""

from __future__ import annotations

import time

from mlsteward.lifecycle.deliverable_sources import Sources, artifact_digest
from mlsteward.lifecycle.deliverables import DeliverableEvidence, Found, finder
from mlsteward.lifecycle.evidence_lookup import latest_cost_review, latest_monitor_run, latest_retrain
from mlsteward.spec_monitoring import RESERVED_MONITORS


@finder("monitoring_dashboard")
def _dashboard(src: Sources) -> Found:
    runs = src.store.monitoring.runs(project=src.project, with_result=False, exclude_monitor=RESERVED_MONITORS)
    if not runs:
        return Found("missing", "no monitor run: add a monitor under monitoring.monitors in steward.yaml, then "
                                "`steward monitor run`")
    newest, monitors = runs[0], sorted({r.monitor for r in runs})
    return Found("present", f"{len(runs)} run(s) of {', '.join(monitors)}; latest {newest.id[:8]} over "
                            f"{newest.rows} rows (the API serves them: GET /v1/monitor/runs)",
                 [DeliverableEvidence(kind="monitor_run", ref=newest.id, command="steward monitor runs",
                                      at_ms=newest.created_at_ms, by=newest.created_by)])


@finder("drift_alerts")
def _drift_alerts(src: Sources) -> Found:
    monitors = src.spec.monitoring.monitors
    if not monitors:
        return Found("missing", "steward.yaml has no monitors: add monitoring.monitors with their drift tests and "
                                "alert rules")
    link = latest_monitor_run(src.workspace, src.project)
    configured = ", ".join(f"{m.name} ({len(m.alerts) or 'default'} rules)" for m in monitors)
    if link is None:
        return Found("stale", f"configured ({configured}) but never run: `steward monitor run`")
    return Found("present", f"{configured}; applied by monitor run {link.ref[:8]}", [DeliverableEvidence(
        kind="monitor_run", ref=link.ref, command=f"steward monitor show {link.ref[:8]}", at_ms=link.at_ms)])


@finder("champion_challenger")
def _champion_challenger(src: Sources) -> Found:
    run = latest_retrain(src.workspace, src.project)
    if run is None:
        return Found("missing", "no retrain: `steward retrain MODEL --train … --validation … --test …` writes one")
    file = "champion-challenger.html"
    return Found("present", f"retrain of {run.params.get('challenger', '?')} (run {run.id[:8]}): "
                            f"{run.params.get('triggers', '')}",
                 [DeliverableEvidence(kind="run_artifact", ref=f"{run.id}/{file}", digest=artifact_digest(run, file),
                                      file=file, command=f"steward runs show {run.id[:8]}",
                                      at_ms=run.end_time_ms or run.start_time_ms, by=run.created_by)])


@finder("retraining_triggers")
def _retraining_triggers(src: Sources) -> Found:
    retraining = src.spec.monitoring.retraining
    if not retraining.triggers:
        return Found("missing", "steward.yaml has no retraining triggers: add monitoring.retraining.triggers, e.g. "
                                "{signal: drift_share, max: 0.3}")
    rules = "; ".join(f"{r.signal} {'<' if r.min is not None else '>'} {r.threshold:g}" for r in retraining.triggers)
    rollback = retraining.rollback
    if rollback is not None:
        rules += (f"; automatic rollback when {rollback.signal} is {rollback.max_regression:.0%} below the "
                  f"evaluation for {rollback.sustained_runs} runs")
    return Found("present", rules, [DeliverableEvidence(kind="steward_yaml", ref="monitoring.retraining",
                                                        command="steward validate", in_pack=False)])


REVIEW_FRESH_DAYS = 31  # the seed's cost-optimisation review is monthly


@finder("cost_review")
def _cost_review(src: Sources) -> Found:
    run = latest_cost_review(src.workspace, src.project)
    if run is None:
        return Found("missing", "no cost-optimisation review: `steward costs review` (rates under costs.training "
                                "and monitoring.cost of steward.yaml)")
    file = "cost-review.html"
    at = run.end_time_ms or run.start_time_ms
    note = (f"review {run.id[:8]}: {run.metrics.get('spent_usd', 0):,.2f} USD spent this month, forecast "
            f"{run.metrics.get('forecast_usd', 0):,.2f}; {int(run.metrics.get('recommendations', 0))} finding(s)")
    evidence = [DeliverableEvidence(kind="run_artifact", ref=f"{run.id}/{file}", digest=artifact_digest(run, file),
                                    file=file, command="steward costs review", at_ms=at, by=run.created_by)]
    if time.time() * 1000 - at > REVIEW_FRESH_DAYS * 86_400_000:
        return Found("stale", f"{note}; over a month old: review again", evidence)
    return Found("present", note, evidence)
