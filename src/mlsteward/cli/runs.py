"""``steward runs``: list, show, compare and reproduce tracked runs."""

from __future__ import annotations

import math

import typer
from rich.table import Table

from mlsteward.cli.common import JSON, open_workspace
from mlsteward.cli.output import console, duration, number, print_json, when
from mlsteward.store.filters import FILTER_HELP
from mlsteward.store.runs import RunRecord
from mlsteward.tracking.compare import compare_runs

app = typer.Typer(help="Tracked runs: list with a filter, show one, compare several.",
                  no_args_is_help=True)

class RunDetail(RunRecord):
    """A run with the dataset versions it used: what `runs show --json` prints."""

    datasets: list[dict[str, str]]


STATUS_STYLE = {"running": "cyan", "finished": "green", "failed": "red", "killed": "yellow"}


@app.command("list", help=f"List runs, newest first (`runs show` has the params).\n\n{FILTER_HELP}")
def list_(
    filter_: str = typer.Option("", "--filter", "-f", help="e.g. \"metrics.roc_auc > 0.8 and params.model = 'lgbm'\""),
    experiment: str | None = typer.Option(None, "--experiment", "-e", help="Only this experiment."),
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="At most this many runs."),
    json_: bool = JSON,
) -> None:
    records = open_workspace().store.runs.search(filter_, experiment=experiment, limit=limit)
    if json_:
        print_json(records)
        return
    if not records:
        console.print("No runs match." if filter_ or experiment else
                      "No runs yet: log one with mlsteward.start_run() in your code.")
        return
    table = Table(box=None, header_style="bold")
    for col, width in (("id", 8), ("experiment", 10), ("name", 10), ("status", 8), ("started (UTC)", 16),
                       ("duration", 8)):
        table.add_column(col, no_wrap=True, overflow="ellipsis", min_width=width)
    table.add_column("metrics", no_wrap=True, overflow="ellipsis", ratio=1)
    for r in records:
        table.add_row(r.id[:8], r.experiment, r.name, f"[{STATUS_STYLE.get(r.status, '')}]{r.status}",
                      when(r.start_time_ms, seconds=False), duration(r.duration_s), _summary(r.metrics, number))
    console.print(table)


@app.command()
def show(run: str = typer.Argument(..., help="Run id or a unique prefix of it."), json_: bool = JSON) -> None:
    """Everything recorded for one run."""
    store = open_workspace().store
    record = store.runs.get(run)
    datasets = store.datasets.runs_of(record.id)
    if json_:
        print_json(RunDetail(**record.model_dump(), datasets=[{"dataset": ref, "role": role}
                                                              for ref, role in datasets]))
        return
    console.print(f"[bold]{record.experiment} / {record.name}[/]  {record.id}")
    git = record.environment.get("git") or {}
    console.print(
        f"status [{STATUS_STYLE.get(record.status, '')}]{record.status}[/]  started {when(record.start_time_ms)}"
        f"  duration {duration(record.duration_s)}  by {record.created_by}"
        + (f"  parent {record.parent_id[:8]}" if record.parent_id else "")
        + (f"  seed {record.seed}" if record.seed is not None else ""))
    env = record.environment
    if env:
        console.print(f"python {env.get('python')} on {env.get('platform')}"
                      + (f"  git {git.get('commit', '')[:10]}{' (dirty)' if git.get('dirty') else ''}"
                         if git else ""))
    for title, values, fmt in (("params", record.params, str), ("metrics", record.metrics, number),
                               ("tags", record.tags, str)):
        if values:
            table = Table(title=title, title_justify="left", box=None, show_header=False)
            for key in sorted(values):
                table.add_row(key, fmt(values[key]))
            console.print(table)
    if datasets:
        console.print("datasets  " + ", ".join(f"{ref} ({role})" for ref, role in datasets))
    if record.artifacts:
        table = Table(title="artifacts", title_justify="left", box=None, header_style="bold")
        for col in ("path", "size", "digest"):
            table.add_column(col)
        for a in record.artifacts:
            table.add_row(a.path, f"{a.size:,}", a.digest[:19])
        console.print(table)


@app.command()
def compare(
    runs: list[str] = typer.Argument(..., help="Two or more run ids (or unique prefixes)."),
    json_: bool = JSON,
) -> None:
    """Params and metrics side by side; rows that differ are highlighted."""
    if len(runs) < 2:
        raise typer.BadParameter("give at least two runs to compare", param_hint="RUNS")
    records = open_workspace().store.runs.get_many(runs)
    result = compare_runs(records)
    if json_:
        print_json(result)
        return
    table = Table(header_style="bold", box=None)
    table.add_column("")
    for r in records:
        table.add_column(f"{r.name}\n{r.id[:8]}", justify="right")
    differing = set(result.differing)
    for section, rows, fmt in (("params", result.params, lambda v: "-" if v is None else v),
                               ("metrics", result.metrics, number)):
        for key, per_run in rows.items():
            style = "bold yellow" if f"{section}.{key}" in differing else "dim"
            table.add_row(f"{section}.{key}", *(fmt(per_run[i]) for i in result.run_ids), style=style)
    console.print(table)
    console.print(f"{len(differing)} of {len(result.params) + len(result.metrics)} values differ "
                  "(highlighted).")


@app.command()
def reproduce(run: str = typer.Argument(..., help="A `best-<candidate>` run of `steward train` (id or prefix)."),
              json_: bool = JSON) -> None:
    """Fit a trained candidate again from its record and compare the metric; exits 1 if it differs."""
    from mlsteward.lifecycle.training import reproduce_run

    with console.status("retraining from the record", spinner="dots"):
        result = reproduce_run(open_workspace(), run)
    if json_:
        print_json(result)
    else:
        verdict = "[green]reproduced[/]" if result.matches else "[red]differs[/]"
        console.print(f"{verdict}: {result.metric} recorded {result.recorded:.12g}, now {result.reproduced:.12g} "
                      f"(run {result.new_run[:8]})")
        for name, (then, now) in result.environment_changes.items():
            console.print(f"[dim]environment: {name} {then or '-'} -> {now or '-'}[/]")
    if not result.matches:
        raise typer.Exit(1)


def _summary(values: dict, fmt, most: int = 3) -> str:  # noqa: ANN001
    items = [f"{k}={fmt(v) if not (isinstance(v, float) and math.isnan(v)) else 'nan'}"
             for k, v in sorted(values.items())[:most]]
    return ", ".join(items) + (" …" if len(values) > most else "")
