"""``steward monitor``: drift checks, monitor runs over the prediction logs, their history and alerts."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.table import Table

from mlsteward.cli import monitor_drift
from mlsteward.cli.common import JSON, open_workspace, project_spec
from mlsteward.cli.output import console, err_console, number, print_json, when

app = typer.Typer(help="Monitoring: drift of data and predictions, performance, operations and cost, alerts.",
                  no_args_is_help=True)
app.command("drift")(monitor_drift.drift)

_SEVERITY_STYLE = {"sev1": "bold red", "sev2": "red", "sev3": "yellow", "warning": "yellow", "info": "dim"}
_HEADLINE = ("rows", "drift_share", "prediction_drifted", "target_drifted", "labelled_rows", "accuracy", "roc_auc",
             "estimated_accuracy", "expected_calibration_error", "p95_latency_ms", "error_rate",
             "cost_per_prediction_usd", "importance_spearman")


@app.command("run")
def run(name: str | None = typer.Argument(None, help="The monitor (default: the only one in steward.yaml)."),
        engine: str = typer.Option("local", "--engine", help="local, or ray: the input drift over the window's log "
                                                             "segments as Ray tasks (pip install 'mlsteward[ray]')."),
        json_: bool = JSON) -> None:
    """Run a monitor over its window of logged traffic: drift, performance, operations and cost; record the run,
    raise its alerts (an incident for a SEV one), and say whether a retraining trigger fired.
    Exit code 1 when the run raised an alert."""
    from mlsteward.lifecycle.monitoring import run_monitor

    workspace = open_workspace()
    if engine not in ("local", "ray"):
        raise typer.BadParameter(f"{engine!r}: give local or ray", param_hint="--engine")
    outcome = run_monitor(workspace, project_spec(workspace), name, engine=engine,
                          spec_dir=Path(workspace.settings.project_root))
    if json_:
        print_json(outcome)
    else:
        _print_outcome(outcome)
    if outcome.alerts:
        raise typer.Exit(1)


@app.command("watch")
def watch(name: str | None = typer.Argument(None, help="The monitor (default: the only one in steward.yaml)."),
          every: str | None = typer.Option(None, "--every", help="Time between runs, e.g. 15m (default: the "
                                                                 "monitor's schedule)."),
          max_runs: int | None = typer.Option(None, "--max-runs", min=1, help="Stop after this many runs.")) -> None:
    """Run a monitor on its schedule until stopped (Ctrl-C), printing each run's headline."""
    from mlsteward.lifecycle.monitoring import run_monitor
    from mlsteward.spec_monitoring import duration_ms

    workspace = open_workspace()
    spec = project_spec(workspace)
    monitor = spec.monitoring.monitor(name)
    try:
        interval = duration_ms(every or monitor.schedule) / 1000
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--every") from None
    done = 0
    try:
        while True:
            outcome = run_monitor(workspace, spec, monitor.name, spec_dir=Path(workspace.settings.project_root))
            _print_outcome(outcome, brief=True)
            done += 1
            if max_runs is not None and done >= max_runs:
                return
            time.sleep(interval)
    except KeyboardInterrupt:
        err_console.print(f"stopped after {done} run(s)")


@app.command("runs")
def runs(name: str | None = typer.Argument(None, help="Only this monitor's runs."),
         limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many, newest first."),
         json_: bool = JSON) -> None:
    """Monitor runs over time, newest first, with their headline signals (the dashboard's data)."""
    records = open_workspace().store.monitoring.runs(monitor=name, limit=limit, with_result=False)
    if json_:
        print_json(records)
        return
    if not records:
        console.print("No monitor runs yet: `steward monitor run` runs one.")
        return
    table = Table(header_style="bold")
    for col in ("run", "when (UTC)", "monitor", "model", "rows", "drift share", "roc_auc", "est. accuracy",
                "p95 ms", "alerts"):
        table.add_column(col)
    for r in records:
        s = r.signals
        table.add_row(r.id[:8], when(r.created_at_ms), r.monitor, f"{r.model}@{number(s.get('live_version'))}",
                      str(r.rows), number(s.get("drift_share")), number(s.get("roc_auc")),
                      number(s.get("estimated_accuracy")), number(s.get("p95_latency_ms")), str(r.alerts))
    console.print(table)


@app.command("show")
def show(run_id: str = typer.Argument(..., help="The run's id (or the first 8 characters)."),
         html: Path | None = typer.Option(None, "--html", help="Write the run's drift report to this file."),
         json_: bool = JSON) -> None:
    """One monitor run in full: its drift table, performance, operations and signals."""
    from mlsteward.lifecycle.monitoring import MonitorResult

    workspace = open_workspace()
    record = _find_run(workspace, run_id)
    result = MonitorResult.model_validate(record.result)
    if html is not None:
        from mlsteward.report import render_drift_report, write_report

        if result.drift is None:
            raise typer.BadParameter(f"run {record.id[:8]} has no drift result (no traffic in its window)")
        write_report(render_drift_report(result.drift), html)
        err_console.print(f"drift report written to {html}")
    if json_:
        print_json(record)
        return
    console.print(f"[bold]{record.monitor}[/] run {record.id[:8]} at {when(record.created_at_ms)}: "
                  f"{record.rows} rows of {record.model}, window {when(record.window_start_ms)} to "
                  f"{when(record.window_end_ms)}, reference {result.reference}", highlight=False)
    if result.drift is not None:
        monitor_drift.print_drift(result.drift, result.reference, f"{result.model} traffic")
    _print_signals(result.signals)
    for note in result.notes:
        console.print(f"[dim]note: {note}[/]", highlight=False)


@app.command("alerts")
def alerts(status: str | None = typer.Option("open", "--status", help="open, resolved, or all."),
           name: str | None = typer.Option(None, "--monitor", help="Only this monitor's alerts."),
           json_: bool = JSON) -> None:
    """Alerts raised by monitor runs (open ones by default), newest first."""
    records = open_workspace().store.monitoring.alerts(status=None if status == "all" else status, monitor=name)
    if json_:
        print_json(records)
        return
    if not records:
        console.print(f"No {'' if status == 'all' else status + ' '}alerts.")
        return
    table = Table(header_style="bold")
    for col in ("id", "severity", "status", "signal", "observed", "threshold", "times", "last seen (UTC)",
                "incident"):
        table.add_column(col)
    for a in records:
        table.add_row(str(a.id), f"[{_SEVERITY_STYLE.get(a.severity, '')}]{a.severity}[/]", a.status, a.signal,
                      number(a.observed), number(a.threshold), str(a.count), when(a.last_seen_ms),
                      f"INC-{a.incident_id}" if a.incident_id else "-")
    console.print(table)


def _find_run(workspace, run_id: str):  # noqa: ANN001, ANN202
    from mlsteward.errors import InvalidInput, NotFound

    if len(run_id) == 32:
        return workspace.store.monitoring.run(run_id)
    matches = [r for r in workspace.store.monitoring.runs(with_result=False) if r.id.startswith(run_id)]
    if not matches:
        raise NotFound(f"no monitor run {run_id!r}: `steward monitor runs` lists them")
    if len(matches) > 1:
        raise InvalidInput(f"{run_id!r} starts {len(matches)} run ids: give more characters")
    return workspace.store.monitoring.run(matches[0].id)


def _print_outcome(outcome, brief: bool = False) -> None:  # noqa: ANN001
    result = outcome.result
    console.print(f"[bold]{result.monitor}[/] run {outcome.run.id[:8]}: {result.rows} rows of "
                  f"{result.model}@{result.live_version} from {when(result.window_start_ms)} to "
                  f"{when(result.window_end_ms)} against {result.reference}", highlight=False)
    if not brief and result.drift is not None:
        monitor_drift.print_drift(result.drift, result.reference, f"{result.model} traffic")
    if not brief:
        _print_signals(result.signals)
    for alert in outcome.alerts:
        style = _SEVERITY_STYLE.get(alert.severity, "")
        repeat = f" (seen {alert.count} times)" if alert.count > 1 else ""
        console.print(f"[{style}]{alert.severity} alert[/]: {alert.message}{repeat}", highlight=False)
    for incident in outcome.incidents:
        console.print(f"[bold red]incident {incident}[/] open: `steward incident show {incident}`")
    for trigger in outcome.retrain_due:
        console.print(f"[yellow]retraining trigger[/]: {trigger}: `steward retrain {result.model} ...`",
                      highlight=False)
    if outcome.rolled_back:
        console.print(f"[bold red]{outcome.rolled_back}[/]", highlight=False)
    for problem in outcome.delivery_problems:
        err_console.print(f"[yellow]alert delivery:[/] {problem}", highlight=False)
    for note in result.notes if not brief else []:
        console.print(f"[dim]note: {note}[/]", highlight=False)


def _print_signals(signals: dict) -> None:
    shown = [(k, signals[k]) for k in _HEADLINE if signals.get(k) is not None]
    shown += [(k, v) for k, v in sorted(signals.items())
              if k.startswith(("demographic_parity_difference.", "estimated_")) and v is not None
              and k not in _HEADLINE]
    if shown:
        console.print("  ".join(f"{k} [bold]{number(v)}[/]" for k, v in shown), highlight=False)
