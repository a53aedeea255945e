"""``steward deliverables``: the lifecycle's deliverables with their status and evidence; ``export`` writes
the evidence pack."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mlsteward.cli.common import JSON, open_workspace, project_spec
from mlsteward.cli.output import console, print_json, when

app = typer.Typer(help="The deliverables registry: each deliverable's stage, owner, status and evidence; "
                       "`export` writes the evidence pack.", invoke_without_command=True)

STATUS_STYLE = {"present": "green", "stale": "yellow", "missing": "red"}


@app.callback(invoke_without_command=True)
def list_(
    ctx: typer.Context,
    json_: bool = JSON,
    missing: bool = typer.Option(False, "--missing", help="Only the deliverables still to do: missing or stale."),
) -> None:
    """Every deliverable of the lifecycle, generated from the recorded evidence: its stage, owner role,
    status (present, stale, missing), the evidence behind it and the command that shows it."""
    if ctx.invoked_subcommand is not None:
        return
    from mlsteward.lifecycle.deliverables import deliverables

    workspace = open_workspace()
    view = deliverables(workspace, project_spec(workspace))
    if missing:
        view = view.model_copy(update={"deliverables": [d for d in view.deliverables if d.status != "present"]})
    if json_:
        print_json(view)
        return
    table = Table(title=f"{view.project} — deliverables", title_justify="left", header_style="bold")
    for col in ("stage", "deliverable", "owner", "status", "evidence", "produced (UTC)"):
        table.add_column(col, no_wrap=col in ("stage", "status", "produced (UTC)"))
    for d in view.deliverables:
        evidence = "\n".join(f"{e.ref} [dim]{e.command}[/]" for e in d.evidence) if d.status == "present" else d.note
        name = d.name + (" [dim](all stages)[/]" if d.cross_cutting else "")
        table.add_row(d.stage.value, name, d.owner, f"[{STATUS_STYLE[d.status]}]{d.status}[/]", evidence,
                      when(d.produced_at_ms, seconds=False))
    console.print(table, highlight=False)
    counts = view.counts
    console.print(f"{counts['present']} present, {counts['stale']} stale, {counts['missing']} missing"
                  + ("" if missing else "  (`steward deliverables --missing` lists what is left to do)"),
                  highlight=False)


@app.command()
def export(
    folder: Annotated[Path, typer.Argument(help="A new or empty folder to write the evidence pack into.")],
    force: bool = typer.Option(False, "--force", help="Replace the content of a non-empty folder."),
) -> None:
    """Write the evidence pack: index.html (the deliverables table, linked to the files), deliverables.json,
    the audit trail's verification, and a verified copy of every recorded artifact behind a deliverable."""
    import json

    from mlsteward.lifecycle.evidence_pack import export_evidence_pack

    workspace = open_workspace()
    path = export_evidence_pack(workspace, project_spec(workspace), folder, force=force)
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    counts = json.loads((path / "deliverables.json").read_text(encoding="utf-8"))["counts"]
    audit = "[green]verified[/]" if manifest["audit_ok"] else "[bold red]TAMPERED (see audit.json)[/]"
    console.print(f"Wrote the evidence pack to {path}: {len(manifest['files'])} files; {counts['present']} present, "
                  f"{counts['stale']} stale, {counts['missing']} missing; audit trail {audit}.\n"
                  f"Open {path / 'index.html'}", highlight=False)


@app.command()
def architecture(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write it to this file (.svg or .mmd)."),
    format_: str = typer.Option("mermaid", "--format", help="mermaid (text) or svg."),
    json_: bool = JSON,
) -> None:
    """The pipeline as recorded: sources → datasets → feature sets → model versions → deployments → monitors."""
    from mlsteward.lifecycle.architecture import architecture as view_of
    from mlsteward.lifecycle.architecture import mermaid, svg

    if format_ not in ("mermaid", "svg"):
        raise typer.BadParameter(f"{format_!r}: give mermaid or svg", param_hint="--format")
    workspace = open_workspace()
    view = view_of(workspace, project_spec(workspace))
    if json_:
        print_json(view)
        return
    text = svg(view) if format_ == "svg" or (output and output.suffix == ".svg") else mermaid(view)
    if output is None:
        console.print(text, highlight=False, markup=False, end="")
        return
    output.write_text(text, encoding="utf-8")
    console.print(f"{len(view.nodes)} nodes, {len(view.edges)} edges: {output}", highlight=False)


@app.command()
def raci(json_: bool = JSON) -> None:
    """The RACI matrix of the charter's roles by deliverable (the rule: `mlsteward.lifecycle.raci`)."""
    from mlsteward.lifecycle.raci import raci as matrix_of

    workspace = open_workspace()
    matrix = matrix_of(project_spec(workspace))
    if json_:
        print_json(matrix)
        return
    table = Table(title=f"{matrix.project} — RACI", title_justify="left", header_style="bold")
    table.add_column("deliverable")
    for role in matrix.roles:
        table.add_column(role, justify="center")
    for row in matrix.rows:
        table.add_row(row.deliverable + (" ⚠" if row.note else ""), *(row.cells[role] for role in matrix.roles))
    console.print(table)
    for row in matrix.rows:
        if row.note:
            console.print(f"⚠ {row.deliverable}: {row.note}", highlight=False)
