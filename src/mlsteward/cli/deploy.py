"""``steward deploy`` / ``steward rollback`` (change what an endpoint serves) and ``steward deployments``
(endpoints and their history)."""

from __future__ import annotations

import typer
from rich.table import Table

from mlsteward.cli.common import JSON, open_workspace, project_spec
from mlsteward.cli.output import console, print_json, when

app = typer.Typer(help="Serving endpoints: what each serves, and every deploy and rollback.", no_args_is_help=True)


def deploy(
    model: str = typer.Argument(..., help="The registered model (its endpoint has the same name)."),
    version: str = typer.Option(..., "--version", "-v", help="The version (or an alias) to deploy."),
    mode: str = typer.Option("live", "--mode", help="live (switch all traffic), canary (a share of it) or shadow "
                                                    "(scores every request, answers none)."),
    share: float = typer.Option(0.1, "--share", help="The canary's share of traffic (0 to 1), sticky by the "
                                                     "X-Request-Key header."),
    reason: str = typer.Option("", "--reason", help="Why (kept in the deployment history and the change log)."),
    json_: bool = JSON,
) -> None:
    """Deploy a version to the model's endpoint; the running service follows within a second."""
    from mlsteward.lifecycle.deployment import deploy_model

    if mode not in ("live", "canary", "shadow"):
        raise typer.BadParameter(f"--mode {mode!r}: give live, canary or shadow")
    workspace = open_workspace()
    record = deploy_model(workspace, project_spec(workspace), model, version, mode, share, reason)  # type: ignore[arg-type]
    if json_:
        print_json(record)
        return
    _print_state(record.state)


def rollback(
    model: str = typer.Argument(..., help="The endpoint's model."),
    reason: str = typer.Option("", "--reason", help="What went wrong (kept in the history and the change log)."),
    json_: bool = JSON,
) -> None:
    """Serve the endpoint's previous live version again (canary and shadow cleared)."""
    from mlsteward.lifecycle.deployment import rollback_deployment

    workspace = open_workspace()
    record = rollback_deployment(workspace, project_spec(workspace), model, reason)
    if json_:
        print_json(record)
        return
    _print_state(record.state)


@app.command("list")
def list_(json_: bool = JSON) -> None:
    """Every endpoint: live version, rollback target, canary and shadow."""
    records = open_workspace().store.deployments.endpoints()
    if json_:
        print_json(records)
        return
    if not records:
        console.print("No endpoints yet: `steward deploy MODEL --version V` deploys one.")
        return
    table = Table(header_style="bold")
    for col in ("model", "live", "rollback to", "canary", "shadow", "changed (UTC)", "by"):
        table.add_column(col)
    for r in records:
        s = r.state
        canary = f"v{s['canary']} ({s['canary_share']:.0%})" if s.get("canary") else "-"
        table.add_row(r.model, f"v{s['live']}", f"v{s['previous']}" if s.get("previous") else "-", canary,
                      f"v{s['shadow']}" if s.get("shadow") else "-", when(r.updated_at_ms), r.updated_by)
    console.print(table)


@app.command("history")
def history(model: str = typer.Argument(..., help="The endpoint's model."), json_: bool = JSON) -> None:
    """Every deploy, canary or shadow change and rollback of an endpoint, newest first."""
    records = open_workspace().store.deployments.history(model)
    if json_:
        print_json(records)
        return
    table = Table(header_style="bold")
    for col in ("when (UTC)", "action", "version", "live after", "by", "reason"):
        table.add_column(col)
    for r in records:
        table.add_row(when(r.created_at_ms), r.action, str(r.version or "-"), f"v{r.after['live']}", r.created_by,
                      r.reason or "-")
    console.print(table)


def _print_state(state: dict) -> None:
    parts = [f"live v{state['live']}"]
    if state.get("previous"):
        parts.append(f"rollback to v{state['previous']}")
    if state.get("canary"):
        parts.append(f"canary v{state['canary']} at {state['canary_share']:.0%}")
    if state.get("shadow"):
        parts.append(f"shadow v{state['shadow']}")
    console.print(f"{state['model']}: " + ", ".join(parts))
