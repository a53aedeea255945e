"""``steward costs``: training and inference costs, the month's forecast, budgets with alerts, and the
cost-optimisation review."""

from __future__ import annotations

import time

import typer
from rich.table import Table

from mlsteward.cli.common import JSON, open_workspace, project_spec
from mlsteward.cli.output import console, duration, print_json, when

app = typer.Typer(help="What training and serving cost: per run, per day, the month's forecast, budgets and the "
                       "cost-optimisation review. Rates: costs.training and monitoring.cost of steward.yaml.",
                  invoke_without_command=True)
DAYS = typer.Option(30, "--days", min=1, help="How many days back.")


@app.callback()
def summary(ctx: typer.Context, json_: bool = JSON) -> None:
    """This month so far and its forecast (training, inference, total), and each budget of costs.budgets."""
    if ctx.invoked_subcommand is not None:
        return
    from mlsteward.lifecycle.costs import cost_summary

    workspace = open_workspace(create=True)
    result = cost_summary(workspace, project_spec(workspace))
    if json_:
        print_json(result)
        return
    table = Table(title=f"{result.project} — costs of {result.total.month} (USD)", title_justify="left",
                  header_style="bold")
    for column in ("", "spent so far", "a day lately", "month forecast"):
        table.add_column(column, justify="right" if column else "left")
    for name in ("training", "inference", "total"):
        f = getattr(result, name)
        table.add_row(name, f"{f.spent_usd:,.4f}", f"{f.daily_rate_usd:,.4f}", f"{f.forecast_usd:,.4f}")
    console.print(table)
    console.print(f"{result.runs} run(s) started, {result.predictions} prediction(s) logged this month.",
                  highlight=False)
    for b in result.budgets:
        state = ("[red]over budget" if (b.crossed or 0) >= 1 else f"[yellow]{b.crossed:.0%} reached" if b.crossed
                 else "[red]forecast over" if b.forecast_over else "[green]within")
        console.print(f"budget {b.name} ({b.scope}): {b.spent_usd:,.2f} of {b.monthly_usd:,.2f} "
                      f"({b.share_spent:.0%}), forecast {b.forecast_usd:,.2f}: {state}", highlight=False)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)


@app.command("runs")
def runs(days: int = DAYS, every: bool = typer.Option(False, "--all", help="Also the runs nested inside their "
                                                                         "parent's time (trials, tuning)."),
         json_: bool = JSON) -> None:
    """The cost of each run of the project: CPU and wall-clock time at the rates of costs.training."""
    from mlsteward.lifecycle.costs import counted, training_costs

    workspace = open_workspace(create=True)
    spec = project_spec(workspace)
    costs = training_costs(workspace, spec, since_ms=_since(days))
    shown = costs if every else counted(costs)
    if json_:
        print_json(shown)
        return
    table = Table(title=f"{spec.project} — run costs, last {days} days (USD)", title_justify="left",
                  header_style="bold")
    for column in ("run", "name", "kind", "started (UTC)", "status", "wall", "CPU", "cost"):
        table.add_column(column, justify="right" if column in ("wall", "CPU", "cost") else "left")
    for c in reversed(shown):
        table.add_row(c.run_id[:8], c.name, c.kind or "-", when(c.started_ms, seconds=False), c.status,
                      duration(c.wall_seconds), duration(c.cpu_seconds), f"{c.cost_usd:,.4f}")
    console.print(table)
    console.print(f"total: {sum(c.cost_usd for c in counted(costs)):,.4f} USD over {len(counted(costs))} run(s)",
                  highlight=False)


@app.command("daily")
def daily(days: int = DAYS, json_: bool = JSON) -> None:
    """Inference cost per UTC day from the prediction logs: predictions and infrastructure (monitoring.cost)."""
    from mlsteward.lifecycle.costs import inference_costs

    workspace = open_workspace(create=True)
    spec = project_spec(workspace)
    result = inference_costs(workspace, spec, since_ms=_since(days))
    if json_:
        print_json(result)
        return
    table = Table(title=f"{spec.project} — inference per day, last {days} days (USD)", title_justify="left",
                  header_style="bold")
    for column in ("day", "predictions", "infrastructure hours", "predictions cost", "infrastructure cost", "total"):
        table.add_column(column, justify="left" if column == "day" else "right")
    for d in result:
        table.add_row(d.day.isoformat(), f"{d.predictions:,}", f"{d.infrastructure_hours:.1f}",
                      f"{d.predictions_usd:,.4f}", f"{d.infrastructure_usd:,.4f}", f"{d.cost_usd:,.4f}")
    console.print(table)
    predictions = sum(d.predictions for d in result)
    if predictions:
        console.print(f"per prediction: {sum(d.cost_usd for d in result) / predictions:,.6f} USD", highlight=False)


@app.command("check")
def check(json_: bool = JSON) -> None:
    """Check the budgets of costs.budgets: an alert for the highest share reached of each, and for a month
    forecast over it, recorded under the monitor `budgets` and sent like the monitors' alerts. Schedule it
    (cron) as you schedule `steward monitor run`."""
    from mlsteward.lifecycle.costs import check_budgets

    workspace = open_workspace(create=True)
    spec = project_spec(workspace)
    result = check_budgets(workspace, spec, spec_dir=workspace.settings.project_root)
    if json_:
        print_json(result)
        return
    if not spec.costs.budgets:
        console.print("no budget in steward.yaml: add them under costs.budgets", highlight=False)
    for b in result.summary.budgets:
        console.print(f"budget {b.name} ({b.scope}): {b.spent_usd:,.2f} of {b.monthly_usd:,.2f} USD "
                      f"({b.share_spent:.0%}), forecast {b.forecast_usd:,.2f}", highlight=False)
    for message in result.alerts:
        console.print(f"[bold yellow]alert:[/] {message}", highlight=False)
    for problem in result.delivery_problems:
        console.print(f"[red]delivery:[/] {problem}", highlight=False)
    console.print(f"recorded as monitor run {result.monitor_run[:8]} (`steward monitor alerts` lists the alerts)",
                  highlight=False)


@app.command("review")
def review(days: int = typer.Option(90, "--days", min=1, help="How many days back the review reads."),
           tolerance: float = typer.Option(0.005, "--tolerance", min=0, help="A candidate scoring within this of "
                                           "another's metric is no better."),
           min_saving: float = typer.Option(0.01, "--min-saving", min=0, metavar="USD", help="Leave out findings "
                                            "that would save less than this."),
           json_: bool = JSON) -> None:
    """The cost-optimisation review: spending per month, the costliest runs, each candidate's tuning cost
    against its score, serving per day, and findings with their savings. Recorded (a run tagged
    kind=cost-review) and written to .steward/reports/cost-review.html."""
    from mlsteward.lifecycle.cost_review import cost_review

    workspace = open_workspace(create=True)
    result = cost_review(workspace, project_spec(workspace), days=days, tolerance=tolerance,
                         min_saving_usd=min_saving)
    if json_:
        print_json(result)
        return
    for f in result.recommendations:
        saving = f" (saving about {f.saving_usd:,.4f} USD)" if f.saving_usd else ""
        console.print(f"[bold]{f.area}:[/] {f.finding}{saving}\n  → {f.action}", highlight=False)
    if not result.recommendations:
        console.print("no finding: nothing in the period bought too little", highlight=False)
    console.print(f"review recorded as run {result.run_id[:8]}; report: {result.report_path}", highlight=False)


def _since(days: int) -> int:
    return int((time.time() - days * 86_400) * 1000)


__all__ = ["app"]
