"""Governance commands: ``steward roi``, ``steward risks``, ``steward decisions``, ``steward changelog``
and ``steward charter`` (the charter's recorded versions)."""

from __future__ import annotations

import typer
import yaml
from rich.table import Table

from mlsteward.cli.common import JSON, open_workspace, project_spec
from mlsteward.cli.output import console, print_json, when

risks_app = typer.Typer(help="The risk register: each risk's score, owner, next review and escalation.",
                        no_args_is_help=True)
decisions_app = typer.Typer(help="The decision log: what was decided, why, and what else was considered.",
                            no_args_is_help=True)
charter_app = typer.Typer(help="The charter's recorded versions: one each time steward.yaml changed it.",
                          no_args_is_help=True)


def _money(value: float) -> str:
    return f"{value:,.2f}"


def roi(
    annual_benefit: float | None = typer.Option(None, "--annual-benefit", "-b",
                                                help="Yearly benefit (B), any currency (default: steward.yaml "
                                                     "governance.roi)."),
    annual_cost: float | None = typer.Option(None, "--annual-cost", "-c",
                                             help="Yearly cost (C): compute, upkeep, people (default: steward.yaml)."),
    initial_investment: float | None = typer.Option(None, "--initial-investment", "-i",
                                                    help="One-off investment (I), for the payback period."),
    json_: bool = JSON,
) -> None:
    """Return on investment, ROI = (B - C) / C, and payback months = I / ((B - C) / 12), from the options or from
    steward.yaml's `governance.roi`."""
    from mlsteward.errors import InvalidInput
    from mlsteward.governance import roi as compute_roi

    if annual_benefit is None or annual_cost is None:
        recorded = project_spec(open_workspace()).governance.roi
        if recorded is None:
            raise InvalidInput("give --annual-benefit and --annual-cost, or record them in steward.yaml under "
                               "governance.roi (annual_benefit, annual_cost, initial_investment)")
        annual_benefit = recorded.annual_benefit if annual_benefit is None else annual_benefit
        annual_cost = recorded.annual_cost if annual_cost is None else annual_cost
        initial_investment = recorded.initial_investment if initial_investment is None else initial_investment

    result = compute_roi(annual_benefit, annual_cost, initial_investment)
    if json_:
        print_json(result)
        return
    colour = "green" if result.roi > 0 else "red"
    rows = [("annual benefit (B)", _money(result.annual_benefit)), ("annual cost (C)", _money(result.annual_cost)),
            ("net benefit a year (B - C)", _money(result.annual_net_benefit)),
            ("net benefit a month", _money(result.monthly_net_benefit)),
            ("ROI = (B - C) / C", f"[bold {colour}]{result.roi_percent:.1f}%[/]")]
    if result.initial_investment is not None:
        rows.append(("initial investment (I)", _money(result.initial_investment)))
    payback_colour = "yellow" if result.payback_months is None else "white"
    rows.append(("payback", f"[{payback_colour}]{result.payback}[/]"))
    console.print("\n".join(f"{label:<28} {value}" for label, value in rows), highlight=False)


@risks_app.command("list")
def risks_list(json_: bool = JSON) -> None:
    """Every charter risk with its score (impact x likelihood), last owner action and next review."""
    from mlsteward.lifecycle.governance import risk_register

    workspace = open_workspace()
    register = risk_register(workspace, project_spec(workspace))
    if json_:
        print_json(register)
        return
    if not register.risks:
        console.print("The charter lists no risks: add them under `charter.risks` in steward.yaml.")
        return
    table = Table(title=f"{register.project} — risk register on {register.today}", title_justify="left",
                  header_style="bold")
    for col in ("id", "category", "impact", "likelihood", "score", "owner", "residual", "last action", "next review",
                "escalate"):
        table.add_column(col)
    for r in register.risks:
        last = f"{r.last_action.on} {r.last_action.person}" if r.last_action else "-"
        table.add_row(r.id, r.category, r.impact, r.likelihood, str(r.score), r.owner, r.residual, last,
                      str(r.next_review or "-"), "[bold red]ESCALATE[/]" if r.escalate else "-")
    console.print(table)
    for r in register.escalated:
        console.print(f"[red]{r.id}:[/] {r.reason}", highlight=False)


@risks_app.command("act")
def risks_act(
    risk_id: str = typer.Argument(..., help="The risk's id in the charter, e.g. R1."),
    action: str = typer.Option(..., "--action", "-a", help="What was done about it, or what the review found."),
    json_: bool = JSON,
) -> None:
    """Record what the risk's owner (you, in its owner role) did about it; restarts its review clock."""
    from mlsteward.lifecycle.governance import record_risk_action

    workspace = open_workspace()
    outcome = record_risk_action(workspace, project_spec(workspace), risk_id, action)
    if json_:
        print_json(outcome)
        return
    console.print(f"Recorded on {outcome.risk.id} by {outcome.action.person} as {outcome.action.role}. "
                  f"Next review: {outcome.risk.next_review}.", highlight=False)


@decisions_app.command("add")
def decisions_add(
    title: str = typer.Argument(..., help="A short title, e.g. 'Use the gradient-boosted model'."),
    decision: str = typer.Option(..., "--decision", "-d", help="What was decided."),
    rationale: str = typer.Option(..., "--rationale", "-r", help="Why."),
    alternatives: str = typer.Option("", "--alternatives", help="The alternatives considered, and why not them."),
    subject: str | None = typer.Option(None, "--subject", "-s", help="What it is about, e.g. model:churn@3."),
    json_: bool = JSON,
) -> None:
    """Add a decision to the decision log, decided by you (STEWARD_USER)."""
    from mlsteward.lifecycle.governance import record_decision

    workspace = open_workspace()
    record = record_decision(workspace, project_spec(workspace), title, decision, rationale, alternatives, subject)
    if json_:
        print_json(record)
        return
    console.print(f"Decision {record.id} recorded: {record.title} (by {record.decided_by}).", highlight=False)


@decisions_app.command("list")
def decisions_list(
    subject: str | None = typer.Option(None, "--subject", "-s", help="Only decisions about this subject."),
    json_: bool = JSON,
) -> None:
    """The decision log, newest first."""
    from mlsteward.lifecycle.governance import decision_log

    workspace = open_workspace()
    records = decision_log(workspace, project_spec(workspace), subject)
    if json_:
        print_json(records)
        return
    if not records:
        console.print("No decisions yet: `steward decisions add TITLE --decision ... --rationale ...` records one.")
        return
    table = Table(header_style="bold")
    for col in ("id", "when", "title", "decision", "rationale", "alternatives", "subject", "by"):
        table.add_column(col, overflow="fold")
    for r in records:
        table.add_row(str(r.id), when(r.created_at_ms, seconds=False), r.title, r.decision, r.rationale,
                      r.alternatives or "-", r.subject or "-", r.decided_by)
    console.print(table)


def changelog(
    subject: str | None = typer.Option(None, "--subject", "-s", help="Only changes to this subject (model:churn)."),
    kind: str | None = typer.Option(None, "--kind", "-k", help="Only this kind: registered, promoted, rolled_back..."),
    json_: bool = JSON,
) -> None:
    """The change log Steward writes on every model version, promotion and rollback, newest first."""
    from mlsteward.lifecycle.governance import change_log

    workspace = open_workspace()
    entries = change_log(workspace, project_spec(workspace), subject, kind)
    if json_:
        print_json(entries)
        return
    if not entries:
        console.print("No changes recorded yet: registering, promoting or rolling back a model writes one.")
        return
    table = Table(header_style="bold")
    for col in ("when", "subject", "kind", "summary", "by"):
        table.add_column(col, overflow="fold")
    for e in entries:
        table.add_row(when(e.created_at_ms), e.subject, e.kind, e.summary, e.created_by)
    console.print(table)


@charter_app.command("history")
def charter_history(json_: bool = JSON) -> None:
    """Every recorded version of the charter, newest first, with what changed at the top level."""
    from mlsteward.lifecycle.governance import charter_history as history

    workspace = open_workspace()
    changes = history(workspace, project_spec(workspace))
    if json_:
        print_json(changes)
        return
    table = Table(header_style="bold")
    for col in ("version", "digest", "by", "when", "changed"):
        table.add_column(col, overflow="fold")
    for c in changes:
        changed = "(first version)" if c.version == 1 else ", ".join(c.changed) or "-"
        table.add_row(str(c.version), c.digest[:12], c.created_by, when(c.created_at_ms), changed)
    console.print(table)


@charter_app.command("show")
def charter_show(
    version: int = typer.Argument(..., min=1, help="The version number (`steward charter history` lists them)."),
    json_: bool = JSON,
) -> None:
    """One recorded version of the charter."""
    from mlsteward.lifecycle.governance import charter_version

    workspace = open_workspace()
    record = charter_version(workspace, project_spec(workspace), version)
    if json_:
        print_json(record)
        return
    console.print(f"[bold]{record.project}[/] charter version {record.version} ({record.digest[:12]}), "
                  f"{when(record.created_at_ms)} by {record.created_by}", highlight=False)
    typer.echo(yaml.safe_dump(record.charter, sort_keys=False, allow_unicode=True, width=110).rstrip())
