"""``steward audit``: the hash-chained audit trail."""

from __future__ import annotations

import typer
from rich.table import Table

from mlsteward.cli.common import JSON, open_workspace
from mlsteward.cli.output import console, err_console, print_json, when
from mlsteward.errors import AuditChainBroken

app = typer.Typer(help="The append-only audit trail: who did what, and proof it was not altered.",
                  no_args_is_help=True)


@app.command("list")
def list_(
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="At most this many events."),
    entity: str | None = typer.Option(None, "--entity", help="Only events about this entity id."),
    action: str | None = typer.Option(None, "--action", help="Only this action, e.g. run.created."),
    json_: bool = JSON,
) -> None:
    """The newest audit events first."""
    events = open_workspace().store.audit.list(limit=limit, entity_id=entity, action=action)
    if json_:
        print_json(events)
        return
    table = Table(box=None, header_style="bold")
    for col in ("seq", "time (UTC)", "actor", "action", "entity", "details"):
        table.add_column(col)
    for e in events:
        details = ", ".join(f"{k}={v}" for k, v in e.details.items())
        table.add_row(str(e.seq), when(e.at_us // 1000), e.actor, e.action, f"{e.entity_type} {e.entity_id}", details)
    console.print(table)


@app.command()
def verify(json_: bool = JSON) -> None:
    """Check the whole hash chain; exits 1 and names each edited or deleted event if it is broken."""
    result = open_workspace().store.audit.verify()
    if json_:
        print_json(result)
    elif result.ok:
        console.print(f"[green]The audit trail is intact[/]: {result.events_checked} events verified.")
    else:
        for problem in result.problems:
            err_console.print(f"[red]tampered:[/] {problem.message}", highlight=False)
    if not result.ok and json_:
        raise typer.Exit(1)
    if not result.ok:
        raise AuditChainBroken(f"the audit trail is broken: {len(result.problems)} problem(s) found "
                               f"in {result.events_checked} events")
