"""``steward feasibility`` and ``steward train``: the study with its go / no-go, then baselines and tuned
candidates, tracked, with a live progress display."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from mlsteward.cli.common import JSON, open_workspace, project_spec
from mlsteward.cli.output import console, print_json


def train(
    train_ref: str = typer.Option(..., "--train", help="The training split, NAME@VERSION."),
    validation: str = typer.Option(..., "--validation", help="The split candidates are scored on, NAME@VERSION."),
    feature_set: str | None = typer.Option(None, "--feature-set", "-f",
                                           help="The fitted feature set (default: the project's latest)."),
    json_: bool = JSON,
) -> None:
    """Train the baselines and tune each candidate of steward.yaml `training:` (every trial a tracked child
    run of one parent), then profile and save the best of each; prints the comparison with uplifts."""
    from mlsteward.lifecycle.training import train_models

    workspace = open_workspace()
    spec = project_spec(workspace)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("best {task.fields[best]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                  console=console, transient=True, disable=json_) as bar:
        tasks: dict[str, int] = {}

        def progress(what: str, done: int, total: int, best: float | None) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(what, total=total, best="-")
            bar.update(tasks[what], completed=done, best="-" if best is None else f"{best:.4f}")

        result = train_models(workspace, spec, train=train_ref, validation=validation, feature_set=feature_set,
                              progress=progress)
    if json_:
        print_json(result)
        return
    for note in result.notes:
        console.print(f"[dim]note: {note}[/]")
    table = Table(title=f"{result.metric} on {result.validation} (parent run {result.parent_run[:8]})",
                  title_justify="left", header_style="bold")
    for col in ("model", result.metric, "uplift", "trials", "fit s", "p99 ms", "budgets", "run"):
        table.add_column(col)
    for b in result.baselines:
        table.add_row(f"baseline {b.name}", f"{b.value:.4f}", "", "", "", "", "", b.run_id[:8])
    for c in result.candidates:
        budgets = " ".join(f"{b.name}:{'ok' if b.passed else 'over'}" for b in c.budgets) or "-"
        table.add_row(f"{c.name}{' *' if c.name == result.best else ''}", f"{c.value:.4f}", f"{c.uplift:+.4f}",
                      f"{c.trials}" + (f" ({c.pruned} pruned)" if c.pruned else ""),
                      f"{c.efficiency.train_seconds:.2f}", f"{c.efficiency.latency_p99_ms:.2f}", budgets, c.run_id[:8])
    console.print(table)
    console.print("* best candidate; `steward runs show RUN` has each one's full efficiency profile, and "
                  "`steward runs reproduce RUN` fits it again from the record.")
    _print_cost(workspace, spec, result.parent_run)


def _print_cost(workspace, spec, run_id: str) -> None:  # noqa: ANN001
    """The training's wall and CPU time and their cost at the rates of costs.training."""
    from mlsteward.costs import run_cost_usd

    record = workspace.store.runs.get(run_id)
    rates = spec.costs.training
    wall = record.duration_s or 0.0
    cost = run_cost_usd(wall, record.cpu_seconds, cpu_hour_usd=rates.cpu_hour_usd,
                        machine_hour_usd=rates.machine_hour_usd)
    console.print(f"cost: {cost:,.4f} USD for {wall:.1f} s wall and {record.cpu_seconds or 0:.1f} s CPU "
                  "(`steward costs` has the month)", highlight=False)


def feasibility(
    dataset: str = typer.Argument(..., help="The labelled data, NAME@VERSION."),
    json_: bool = JSON,
) -> None:
    """The feasibility study: baselines, prototypes, a learning curve, compute viability, labeling cost and
    an error taxonomy on a stratified sample; go / no-go by the feasibility gate; an HTML report."""
    from mlsteward.lifecycle.feasibility import run_feasibility

    workspace = open_workspace()
    with console.status("feasibility study", spinner="dots") as status:
        outcome = run_feasibility(workspace, project_spec(workspace), dataset,
                                  step=lambda what: status.update(f"feasibility study: {what}"))
    if json_:
        print_json(outcome)
        return
    result = outcome.result
    colour = "green" if result.decision == "go" else "red"
    console.print(f"[bold {colour}]{result.decision.upper()}[/] on {outcome.dataset} "
                  f"({result.sample.rows:,} rows sampled, {result.elapsed_seconds:.0f} s)")
    for reason in result.reasons:
        console.print(f"  - {reason}")
    for check in result.gate_checks:
        mark = {True: "[green]met[/]", False: "[red]not met[/]", None: "[yellow]pending[/]"}[check.passed]
        console.print(f"  gate: {check.check}: {mark}" + (f" ({check.note})" if check.note else ""))
    if result.labeling_cost is not None:
        console.print(f"  labeling: {result.labeling_cost.summary}")
    console.print(f"report: {outcome.report_path}  (run {outcome.run_id[:8]})")
