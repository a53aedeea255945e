"""``steward evaluate`` (the evaluation suite on a trained model) and ``steward evaluations`` (the
recorded evaluations: list, show, the model card)."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mlsteward.cli.common import JSON, open_workspace, project_spec
from mlsteward.cli.output import console, print_json, when

app = typer.Typer(help="Recorded evaluations: list them, show one, print its model card.", no_args_is_help=True)

STATUS_STYLE = {"pass": "green", "fail": "red", "warn": "yellow", "error": "red", "info": "blue",
                "skipped": "dim", "pending": "yellow", "no gate": "dim"}


def evaluate(
    model: str = typer.Argument(..., help="The model: `best` (of the latest `steward train`), a candidate's "
                                          "name, or a run id."),
    data: str = typer.Option(..., "--data", "-d", help="The labelled test data, NAME@VERSION."),
    check: list[str] | None = typer.Option(None, "--check", "-c",
                                           help="Run only this check (repeatable); default: the configured suite."),
    json_: bool = JSON,
) -> None:
    """Evaluate a trained model: metrics with confidence intervals, cross-validation, calibration, the
    cost-optimal threshold, slices, fairness, explanations, stress tests, ablation, failure modes, uplift
    and the promotion gate; writes the Model Performance Report and the model card."""
    from mlsteward.lifecycle.evaluation import evaluate_model

    workspace = open_workspace()
    spec = project_spec(workspace)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True, disable=json_) as bar:
        task = bar.add_task("evaluating", total=None)

        def progress(title: str, done: int, total: int) -> None:
            bar.update(task, description=title, completed=done, total=total)

        outcome = evaluate_model(workspace, spec, model, data, checks=check or None, progress=progress)
    if json_:
        print_json(outcome)
        return
    result = outcome.result
    table = Table(title=f"{outcome.candidate} (run {outcome.model_run[:8]}) on {outcome.evaluation.dataset}: "
                        f"{result.n_rows:,} rows, {result.seconds:.1f} s", title_justify="left", header_style="bold")
    for col in ("check", "status", "summary", "s"):
        table.add_column(col, overflow="fold")
    for c in result.checks:
        table.add_row(c.title, f"[{STATUS_STYLE[c.status]}]{c.status}[/]", c.summary, f"{c.seconds:.1f}")
    console.print(table)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}")
    if result.gate and result.gate.checks:
        _print_gate(result.gate)
    console.print(f"report: {outcome.report_path}\nmodel card: {outcome.card_path}  ({outcome.card_html_path})\n"
                  f"evaluation {outcome.evaluation.id[:8]} recorded")


def _print_gate(gate) -> None:  # noqa: ANN001
    colour = STATUS_STYLE[gate.decision]
    console.print(f"promotion gate: [bold {colour}]{gate.decision}[/]")
    for c in gate.checks:
        mark = {True: "[green]met[/]", False: "[red]not met[/]", None: "[yellow]pending[/]"}[c.passed]
        observed = f", observed {c.observed:.4g}" if c.observed is not None else ""
        console.print(f"  {c.check}: {mark}{observed}" + (f" ({c.note})" if c.note and c.passed is None else ""))


@app.command("list")
def list_(
    model: str | None = typer.Option(None, "--model", "-m", help="Only evaluations of this model run."),
    json_: bool = JSON,
) -> None:
    """Recorded evaluations, newest first."""
    workspace = open_workspace()
    run_id = workspace.store.runs.resolve_id(model) if model else None
    records = workspace.store.evaluations.list(model_run_id=run_id)
    if json_:
        print_json(records)
        return
    if not records:
        console.print("No evaluations yet: `steward evaluate best --data NAME@VERSION` runs one.")
        return
    table = Table(header_style="bold")
    for col in ("id", "model run", "data", "metric", "gate", "failed / warned checks", "when"):
        table.add_column(col)
    for r in records:
        flagged = ", ".join(f"{k}:{v}" for k, v in r.checks.items() if v in ("fail", "warn", "error")) or "-"
        value = f"{r.metric} {r.value:.4f}" if r.value is not None else r.metric
        table.add_row(r.id[:8], r.model_run_id[:8], r.dataset, value,
                      f"[{STATUS_STYLE.get(r.gate, 'white')}]{r.gate}[/]", flagged, when(r.created_at_ms))
    console.print(table)


@app.command("show")
def show(
    evaluation: str = typer.Argument(..., help="An evaluation id (or a prefix of 4+ characters)."),
    card: bool = typer.Option(False, "--card", help="Print the model card (Markdown) instead."),
    json_: bool = JSON,
) -> None:
    """One evaluation: its checks and gate (``--json``: every result), or its model card."""
    from mlsteward.evaluate.suite import SuiteResult

    workspace = open_workspace()
    record = workspace.store.evaluations.get(evaluation)
    if card:
        typer.echo(workspace.artifacts.get_bytes(record.card_digest).decode())
        return
    result = SuiteResult.model_validate_json(workspace.artifacts.get_bytes(record.results_digest))
    if json_:
        print_json({"evaluation": record, "result": result})
        return
    console.print(f"evaluation {record.id[:8]}: model run {record.model_run_id[:8]} on {record.dataset}, "
                  f"{when(record.created_at_ms)} by {record.created_by}")
    for c in result.checks:
        console.print(f"  [{STATUS_STYLE[c.status]}]{c.status:>7}[/] {c.title}: {c.summary}")
    if result.gate and result.gate.checks:
        _print_gate(result.gate)
