"""``steward mitigate``: Fairlearn's post-processing or reductions on a model version that failed a fairness
check, the before/after comparison as a tracked run and a report, and the decision to accept or reject it."""

from __future__ import annotations

import typer
from rich.table import Table

from mlsteward.cli.common import JSON, open_workspace, project_spec
from mlsteward.cli.output import console, print_json

app = typer.Typer(help="Fairness mitigation: mitigate a model version with Fairlearn, then accept or reject it.",
                  no_args_is_help=True)


@app.command("run")
def run(
    model: str = typer.Argument(..., help="The registered model version, NAME@VERSION (or NAME@ALIAS)."),
    method: str = typer.Option(..., "--method", "-m",
                               help="threshold_optimizer (post-processing; needs the sensitive attribute at "
                                    "prediction time) or exponentiated_gradient (reductions; refits the model)."),
    constraint: str | None = typer.Option(
        None, "--constraint", "-c",
        help="demographic_parity, equalized_odds, true_positive_rate_parity, false_positive_rate_parity or "
             "error_rate_parity (exponentiated_gradient only); default: the failed fairness check's."),
    sensitive: str | None = typer.Option(None, "--sensitive", "-s",
                                         help="The sensitive attribute; default: the failed fairness check's."),
    max_iter: int = typer.Option(50, "--max-iter", help="exponentiated_gradient: at most this many iterations."),
    eps: float = typer.Option(0.01, "--eps", help="exponentiated_gradient: the allowed constraint violation."),
    json_: bool = JSON,
) -> None:
    """Mitigate a model version for a fairness constraint, compare it with the model on the evaluation's test
    split (accuracy against the fairness metric, per group), record it as a run and write the report."""
    from mlsteward.lifecycle.mitigation import run_mitigation

    workspace = open_workspace()
    spec = project_spec(workspace)
    with console.status(f"mitigating {model} ({method})", spinner="dots"):
        outcome = run_mitigation(workspace, spec, model, method=method, constraint=constraint, sensitive=sensitive,
                                 max_iter=max_iter, eps=eps)
    if json_:
        print_json(outcome)
        return
    r = outcome.result
    table = Table(title=f"{outcome.model}: {r.method} for {r.constraint} by {r.sensitive_attribute}, on "
                        f"{outcome.test} ({r.test_rows:,} rows)", title_justify="left", header_style="bold")
    for col in ("measure", "before", "after", "change"):
        table.add_column(col, justify="left" if col == "measure" else "right")
    rows = {"accuracy": r.accuracy, **r.metrics, **r.disparities}
    for name, change in rows.items():
        label = f"[bold]{name}[/]" if name == r.fairness_metric else name
        table.add_row(label, *(f"{v:.4f}" if v is not None else "-" for v in (change.before, change.after)),
                      f"{change.change:+.4f}" if change.change is not None else "-")
    console.print(table)
    for g in outcome.gate:
        mark = {True: "[green]met[/]", False: "[red]not met[/]", None: "[yellow]-[/]"}
        console.print(f"gate check {g.check}: before {mark[g.met_before]}, after {mark[g.met_after]}",
                      highlight=False)
    for note in [*outcome.notes, *r.notes, outcome.model_note]:
        console.print(f"[dim]note:[/] {note}", highlight=False)
    console.print(f"report: {outcome.report_path}\nrun {outcome.run_id[:8]} recorded; decide with `steward mitigate "
                  f"decide {outcome.run_id[:8]} --accept|--reject --reason ...`", highlight=False)


@app.command("decide")
def decide(
    run_id: str = typer.Argument(..., metavar="RUN", help="The mitigation run (an id or a prefix of 4+ characters)."),
    accept: bool | None = typer.Option(None, "--accept/--reject", help="Accept or reject the mitigated candidate."),
    reason: str = typer.Option(..., "--reason", "-r", help="Why: recorded in the decision log."),
    json_: bool = JSON,
) -> None:
    """Record in the decision log that a mitigated candidate is accepted or rejected, and why."""
    from mlsteward.errors import InvalidInput
    from mlsteward.lifecycle.mitigation import decide_mitigation

    if accept is None:
        raise InvalidInput("say --accept or --reject: the decision log records which")
    workspace = open_workspace()
    record = decide_mitigation(workspace, project_spec(workspace), run_id, accept, reason)
    if json_:
        print_json(record)
        return
    console.print(f"decision #{record.id} recorded for {record.subject}: {record.title}", highlight=False)
