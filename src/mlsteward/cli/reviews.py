"""``steward reviews``: the governance calendar (due and overdue reviews, escalated risks) and completing a
review."""

from __future__ import annotations

import typer
from rich.table import Table

from mlsteward.cli.common import JSON, open_workspace, project_spec
from mlsteward.cli.output import console, print_json, when

app = typer.Typer(help="The governance calendar: weekly, monthly and quarterly reviews, due and overdue.",
                  invoke_without_command=True)
STATE_STYLE = {"scheduled": "green", "due": "yellow", "overdue": "red"}


@app.callback()
def calendar(ctx: typer.Context, json_: bool = JSON) -> None:
    """Each review of governance.calendar with when it was last completed, when it is due and its state, and
    the risks past their review date with no owner action."""
    if ctx.invoked_subcommand is not None:
        return
    from mlsteward.lifecycle.calendar import governance_calendar

    workspace = open_workspace(create=True)
    result = governance_calendar(workspace, project_spec(workspace))
    if json_:
        print_json(result)
        return
    table = Table(title=f"{result.project} — governance calendar", title_justify="left", header_style="bold")
    for column in ("review", "every", "held by", "last completed (UTC)", "due (UTC)", "state"):
        table.add_column(column)
    for r in result.reviews:
        last = f"{when(r.last_completed_ms, seconds=False)} {r.last_completed_by}" if r.last_completed_ms else "never"
        table.add_row(r.name, r.every, r.owner or "anyone", last, when(r.due_ms, seconds=False),
                      f"[{STATE_STYLE[r.status]}]{r.status}")
    console.print(table)
    for flag in result.flags:
        console.print(f"[bold red]flag:[/] {flag}", highlight=False)


@app.command("complete")
def complete(name: str = typer.Argument(..., help="The review, e.g. performance-drift-audit."),
             note: str = typer.Option("", "--note", help="What the review found or decided."),
             json_: bool = JSON) -> None:
    """Record that you completed a review: who, when, and the deliverables it covers as they stand now."""
    from mlsteward.lifecycle.calendar import complete_review

    workspace = open_workspace(create=True)
    record = complete_review(workspace, project_spec(workspace), name, note)
    if json_:
        print_json(record)
        return
    looked = ", ".join(f"{e['key']} ({e['status']})" for e in record.evidence) or "no deliverable"
    console.print(f"{name} completed by {record.completed_by} at {when(record.completed_at_ms)}; reviewed: {looked}.",
                  highlight=False)


__all__ = ["app"]
