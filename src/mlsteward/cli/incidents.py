"""``steward incident``: list, show, update and resolve incidents, and write their postmortem."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from mlsteward.cli.common import JSON, open_workspace, project_spec
from mlsteward.cli.output import console, print_json, when

app = typer.Typer(help="Incidents: opened by SEV alerts (or by hand), with the runbook's fields and a timeline.",
                  no_args_is_help=True)
_SEVERITIES = ("sev1", "sev2", "sev3")


@app.command("list")
def list_(status: str | None = typer.Option(None, "--status", help="open, mitigated or resolved."),
          json_: bool = JSON) -> None:
    """Incidents, newest first."""
    records = open_workspace().store.incidents.list(status=status)
    if json_:
        print_json(records)
        return
    if not records:
        console.print("No incidents.")
        return
    table = Table(header_style="bold")
    for col in ("incident", "severity", "status", "model", "title", "opened (UTC)", "resolved (UTC)"):
        table.add_column(col)
    for r in records:
        table.add_row(r.ref, r.severity, r.status, r.model, r.title, when(r.opened_at_ms), when(r.resolved_at_ms))
    console.print(table)


@app.command("show")
def show(incident: str = typer.Argument(..., help="INC-N or N."), json_: bool = JSON) -> None:
    """An incident's runbook fields, timeline and postmortem."""
    record = open_workspace().store.incidents.get(incident)
    if json_:
        print_json(record)
        return
    console.print(f"[bold]{record.ref}[/] ({record.severity}, {record.status}) {record.title}", highlight=False)
    fields = record.fields
    trigger = fields.get("trigger") or {}
    if trigger:
        console.print(f"trigger: {trigger.get('signal')} = {trigger.get('observed')} "
                      f"({trigger.get('bound')} {trigger.get('threshold')}) at {trigger.get('at')}", highlight=False)
    for key in ("model", "rollback_target", "rollback_command"):
        if fields.get(key):
            console.print(f"{key.replace('_', ' ')}: {fields[key]}", highlight=False)
    if fields.get("roles"):
        console.print("roles: " + ", ".join(f"{role} {who}" for role, who in fields["roles"].items()), highlight=False)
    extra = {k: v for k, v in fields.items()
             if k not in ("trigger", "model", "rollback_target", "rollback_command", "roles", "artifacts_to_collect")}
    for key, value in extra.items():
        console.print(f"{key}: {value}", highlight=False)
    if fields.get("artifacts_to_collect"):
        console.print("artifacts to collect:")
        for item in fields["artifacts_to_collect"]:
            console.print(f"  - {item}", highlight=False)
    console.print("timeline:")
    for entry in record.timeline:
        console.print(f"  {when(entry.at_ms)}  {entry.by}: {entry.note}", highlight=False)
    if record.postmortem:
        console.print("postmortem:\n" + record.postmortem, highlight=False)


@app.command("open")
def open_(model: str = typer.Argument(..., help="The model the incident is about."),
          title: str = typer.Option(..., "--title", help="What is wrong, in one line."),
          severity: str = typer.Option("sev3", "--severity", help="sev1, sev2 or sev3."),
          note: str = typer.Option("opened by hand", "--note", help="The first timeline entry."),
          json_: bool = JSON) -> None:
    """Open an incident by hand (monitor runs open them for SEV alerts)."""
    if severity not in _SEVERITIES:
        raise typer.BadParameter(f"{severity!r}: give sev1, sev2 or sev3", param_hint="--severity")
    workspace = open_workspace()
    spec = project_spec(workspace)
    roles = {s.role: s.name for s in spec.charter.stakeholders}
    record = workspace.store.incidents.open(project=spec.project, model=model, title=title, severity=severity,
                                            fields={"model": model, "roles": roles}, note=note)
    print_json(record) if json_ else console.print(f"{record.ref} opened")


@app.command("update")
def update(incident: str = typer.Argument(..., help="INC-N or N."),
           note: str = typer.Option(..., "--note", help="What happened (a timeline entry)."),
           status: str | None = typer.Option(None, "--status", help="open, mitigated or resolved."),
           field: list[str] | None = typer.Option(None, "--field", help="KEY=VALUE to set a runbook field "
                                                                         "(repeatable), e.g. owner=lee"),
           json_: bool = JSON) -> None:
    """Add a timeline entry, and change the status or runbook fields."""
    fields = {}
    for item in field or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{item!r}: write KEY=VALUE, e.g. owner=lee", param_hint="--field")
        fields[key.strip()] = value
    record = open_workspace().store.incidents.update(incident, note=note, status=status, fields=fields)  # type: ignore[arg-type]
    print_json(record) if json_ else console.print(f"{record.ref} {record.status}: {note}", highlight=False)


@app.command("resolve")
def resolve(incident: str = typer.Argument(..., help="INC-N or N."),
            note: str = typer.Option(..., "--note", help="How it was resolved."),
            postmortem: Path | None = typer.Option(None, "--postmortem", exists=True, dir_okay=False,
                                                   help="A Markdown file with the postmortem."),
            json_: bool = JSON) -> None:
    """Resolve an incident, optionally with its postmortem."""
    text = postmortem.read_text(encoding="utf-8") if postmortem else None
    record = open_workspace().store.incidents.update(incident, note=note, status="resolved", postmortem=text)
    print_json(record) if json_ else console.print(f"{record.ref} resolved", highlight=False)


@app.command("postmortem")
def postmortem(incident: str = typer.Argument(..., help="INC-N or N."),
               file: Path | None = typer.Option(None, "--file", exists=True, dir_okay=False,
                                                help="Store this Markdown file as the postmortem."),
               output: Path | None = typer.Option(None, "--output", "-o", help="Write the draft here.")) -> None:
    """Write the postmortem: without --file, a draft filled from the incident's fields and timeline (to edit,
    then store with --file)."""
    from mlsteward.lifecycle.incidents import postmortem_draft

    workspace = open_workspace()
    if file is not None:
        record = workspace.store.incidents.update(incident, note="postmortem written",
                                                  postmortem=file.read_text(encoding="utf-8"))
        console.print(f"postmortem of {record.ref} stored")
        return
    draft = postmortem_draft(workspace.store.incidents.get(incident))
    if output is None:
        console.print(draft, highlight=False, markup=False)
    else:
        output.write_text(draft, encoding="utf-8")
        console.print(f"draft written to {output}: edit it, then `steward incident postmortem {incident} --file "
                      f"{output}`")
