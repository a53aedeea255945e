"""Monitoring: drift over time per feature, performance and latency over time, alerts and incidents; one monitor
run; one feature's drift history with its latest distributions; one incident."""

from __future__ import annotations

import datetime as dt

from mlsteward.errors import NotFound
from mlsteward.monitor.drift_results import ColumnDrift, DatasetDrift
from mlsteward.report._charts import BLUE, GREY
from mlsteward.report._format import plotly_text
from mlsteward.spec_monitoring import RESERVED_MONITORS
from mlsteward.store.monitoring import MonitorRunRecord
from mlsteward.ui.charts import horizontal_bars, lines
from mlsteward.ui.view import Page, View
from mlsteward.workspace import Workspace

RUNS = 500
PERFORMANCE = ("roc_auc", "accuracy", "f1", "estimated_accuracy", "estimated_roc_auc", "rmse", "mae")
LATENCY = ("p50_latency_ms", "p95_latency_ms", "p99_latency_ms")


def monitoring(view: View) -> Page:
    store = view.store
    runs = store.monitoring.runs(project=view.project, limit=RUNS, with_result=False, exclude_monitor=RESERVED_MONITORS)
    oldest_first = runs[::-1]
    latest = store.monitoring.run(runs[0].id) if runs else None
    drift = _drift_of(latest)
    budget = view.spec.charter.constraints.p95_latency_ms if view.spec else None
    charts = {
        "drift": _over_time(oldest_first, {f"{k[6:]}": k for k in _keys(runs, "drift.")}, "drift statistic"),
        "drift_share": _over_time(oldest_first, {"share of inputs drifted": "drift_share"}, "share",
                                  threshold=drift.drift_share if drift else None),
        "performance": _over_time(oldest_first, {k: k for k in PERFORMANCE if _keys(runs, k, exact=True)}, "value"),
        "latency": _over_time(oldest_first, {k.split("_")[0]: k for k in LATENCY}, "milliseconds", threshold=budget),
        "fairness": _over_time(oldest_first, {k: k for k in _keys(runs, "demographic_parity_difference.")},
                               "demographic parity difference"),
    }
    return Page("monitoring.html", "Monitoring", {
        "runs": runs, "latest": latest, "drift": drift, "charts": charts,
        "alerts": store.monitoring.alerts(), "incidents": store.incidents.list(project=view.project)})


def monitor_run(view: View, run: str) -> Page:
    record = view.store.monitoring.run(run)
    drift = _drift_of(record)
    figure = None
    if drift and drift.columns:
        figure = horizontal_bars([c.column or "" for c in drift.columns], [_score(c) for c in drift.columns],
                                 x_title="drift score (statistic / threshold for distances, 1 - p for tests)",
                                 flagged=[c.drifted for c in drift.columns])
    return Page("monitor_run.html", f"Monitor run {record.id[:8]}", {
        "run": record, "drift": drift, "figure": figure, "result": record.result,
        "signals": sorted(record.signals.items())})


def drift_history(view: View, column: str) -> Page:
    runs = view.store.monitoring.runs(project=view.project, limit=RUNS, with_result=False,
                                      exclude_monitor=RESERVED_MONITORS)[::-1]
    key = f"drift.{column}"
    latest_run = next((r for r in reversed(runs) if key in r.signals), None)
    if latest_run is None:
        raise NotFound(f"no monitor run tested the input {column!r} for drift: the Monitoring page lists the inputs")
    drift = _drift_of(view.store.monitoring.run(latest_run.id))
    result = drift.column(column) if drift else None
    history = _over_time(runs, {column: key}, f"{result.test if result else 'drift'} statistic",
                         threshold=result.threshold if result and result.test_kind == "distance" else None)
    return Page("drift.html", f"Drift of {column}", {"column": column, "result": result, "history": history,
                                                     "distribution": distribution_figure(result) if result else None,
                                                     "run": latest_run})


def incident(view: View, ref: str) -> Page:
    record = view.store.incidents.get(ref)
    return Page("incident.html", f"Incident {record.ref}: {record.title}", {"incident": record})


def drift_report_html(workspace: Workspace, run: str) -> str:
    """The run's drift report page (what `steward monitor show RUN --html` writes)."""
    from mlsteward.report import render_drift_report

    record = workspace.store.monitoring.run(run)
    drift = _drift_of(record)
    if drift is None:
        raise NotFound(f"monitor run {record.id[:8]} measured no drift")
    return render_drift_report(drift, title=f"Drift: {record.model}, monitor {record.monitor}",
                               reference=record.result.get("reference"), current=f"window of run {record.id[:8]}")


def distribution_figure(result: ColumnDrift) -> dict | None:
    """The reference and current samples side by side: shares per bin (numeric) or per category."""
    if result.histogram is not None:
        h = result.histogram
        centres = [(a + b) / 2 for a, b in zip(h.edges, h.edges[1:], strict=False)]
        total_r, total_c = sum(h.reference_counts) or 1, sum(h.current_counts) or 1
        series = {"reference": [c / total_r for c in h.reference_counts],
                  "current": [c / total_c for c in h.current_counts]}
        x = centres
    elif result.frequencies is not None:
        shares = result.frequencies.categories + ([result.frequencies.other] if result.frequencies.other else [])
        x = [plotly_text(s.value, 28) for s in shares]
        series = {"reference": [s.reference_share for s in shares], "current": [s.current_share for s in shares]}
    else:
        return None
    data = [{"type": "bar", "name": name, "x": x, "y": values, "marker": {"color": colour}, "opacity": 0.85}
            for (name, values), colour in zip(series.items(), (GREY, BLUE), strict=True)]
    return {"data": data, "layout": {"barmode": "group", "height": 320, "showlegend": True,
                                     "legend": {"orientation": "h", "y": -0.2}, "yaxis": {"tickformat": ".0%"},
                                     "margin": {"l": 50, "r": 10, "t": 10, "b": 40}, "paper_bgcolor": "white",
                                     "plot_bgcolor": "white"}}


def _drift_of(record: MonitorRunRecord | None) -> DatasetDrift | None:
    if record is None or not record.result.get("drift"):
        return None
    return DatasetDrift.model_validate(record.result["drift"])


def _score(column: ColumnDrift) -> float:
    """One scale for every test: a distance over its threshold, or 1 - p for a p-value test."""
    if column.test_kind == "distance":
        return column.statistic / column.threshold if column.threshold else column.statistic
    p = column.adjusted_p_value if column.adjusted_p_value is not None else column.p_value
    return 1.0 - (p if p is not None else 1.0)


def _keys(runs: list[MonitorRunRecord], prefix: str, *, exact: bool = False) -> list[str]:
    found = {k for r in runs for k, v in r.signals.items() if v is not None
             and (k == prefix if exact else k.startswith(prefix))}
    return sorted(found)


def _over_time(runs: list[MonitorRunRecord], series: dict[str, str], y_title: str,
               threshold: float | None = None) -> dict | None:
    """One line per signal across the runs (x: the end of each run's window); None when no run has any."""
    picked = {name: ([r.window_end_ms for r in runs if r.signals.get(key) is not None],
                     [r.signals[key] for r in runs if r.signals.get(key) is not None]) for name, key in series.items()}
    picked = {name: (list(map(_iso, xs)), ys) for name, (xs, ys) in picked.items() if ys}
    if not picked:
        return None
    return lines(picked, x_title="end of the monitored window (UTC)", y_title=y_title, threshold=threshold)


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
