"""Project commands: ``init``, ``validate``, ``status``, ``quickstart``."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from mlsteward.cli.common import JSON
from mlsteward.cli.output import console, err_console, print_json, when
from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.board import lifecycle_board
from mlsteward.lifecycle.stage_gates import StageGate, project_status
from mlsteward.settings import STORE_DIR, resolve_settings
from mlsteward.spec import check_spec_file, find_spec_file, load_spec, template_text
from mlsteward.stages import StageStatus
from mlsteward.workspace import Workspace

SPEC_FILE = "steward.yaml"
STATUS_STYLE = {StageStatus.NOT_STARTED: "dim", StageStatus.IN_PROGRESS: "cyan",
                StageStatus.PASSED: "green", StageStatus.FAILED: "red", StageStatus.WAIVED: "yellow"}


def register(app: typer.Typer) -> None:
    for command in (init, validate, status, quickstart):
        app.command()(command)


def init(
    directory: Path = typer.Argument(Path("."), help="Project folder (created if missing)."),
    name: str | None = typer.Option(None, "--name", help="Project name (default: the folder's name)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing steward.yaml."),
) -> None:
    """Write a commented steward.yaml template and create the project's store."""
    directory = directory.resolve()
    spec_path = directory / SPEC_FILE
    if spec_path.exists() and not force:
        raise InvalidInput(f"{spec_path} already exists: edit it, or pass --force to replace it "
                           "with a fresh template")
    project = name or re.sub(r"[^A-Za-z0-9_-]+", "-", directory.name).strip("-") or "my-project"
    directory.mkdir(parents=True, exist_ok=True)
    spec_path.write_text(template_text(project))
    store_dir = directory / STORE_DIR
    store_dir.mkdir(exist_ok=True)
    (store_dir / ".gitignore").write_text("# Steward's local store: not for git\n*\n")
    workspace = Workspace(resolve_settings(start=directory), create=True)
    lifecycle_board(workspace.store, load_spec(spec_path))
    console.print(f"Wrote {spec_path} and created the store in {store_dir}.\n"
                  "Next: fill in the charter, then `steward validate` and `steward status`.")


def validate(
    path: Path | None = typer.Argument(None, help="The spec file (default: the nearest steward.yaml)."),
    json_: bool = JSON,
) -> None:
    """Check steward.yaml and report every problem with its key path; exits 2 if there are any."""
    path = path or find_spec_file() or Path(SPEC_FILE)
    problems = check_spec_file(path)
    if json_:
        print_json([{"path": p.path, "line": p.line, "found": repr(p.value), "expected": p.expected}
                    for p in problems])
    elif not problems:
        console.print(f"[green]{path} is valid.[/]")
    else:
        for problem in problems:
            err_console.print(f"[red]✗[/] {problem}", highlight=False, soft_wrap=True)
        err_console.print(f"{path}: {len(problems)} problem(s).", highlight=False)
    if problems:
        raise typer.Exit(2)


def status(json_: bool = JSON) -> None:
    """The lifecycle board: the project's eight stages, their status and their gate, and what each gate
    still misses (with the command that records it)."""
    settings = resolve_settings()
    if settings.spec_path is None:
        raise InvalidInput("no steward.yaml here or in any parent folder: run `steward init` to "
                           "start a project")
    spec = load_spec(settings.spec_path)
    result = project_status(Workspace(settings, create=True), spec)
    if json_:
        print_json(result)
        return
    gates = {gate.stage: gate for gate in result.gates}
    table = Table(title=f"{result.project} — lifecycle", title_justify="left", header_style="bold")
    for col in ("#", "stage", "status", "gate", "updated (UTC)", "by"):
        table.add_column(col, no_wrap=True)
    table.add_column("note")
    for record in result.stages:
        marker = " ◀" if record.stage == result.current_stage else ""
        table.add_row(str(record.stage.number), record.stage.label + marker,
                      f"[{STATUS_STYLE[record.status]}]{record.status.value}", _gate_cell(gates[record.stage]),
                      when(record.updated_at_ms, seconds=False), record.updated_by, record.note or "")
    console.print(table)
    for flag in result.flags:
        console.print(f"[bold red]flag:[/] {flag} (`steward reviews`)", highlight=False)
    _print_missing(result.gates)


GATE_STYLE = {"pass": "green", "fail": "red", "missing": "yellow"}


def _gate_cell(gate: StageGate) -> str:
    return f"[{GATE_STYLE[gate.decision]}]{gate.decision}"


def _print_missing(gates: list[StageGate]) -> None:
    """One line per item a gate still misses: what is wrong, and what to run."""
    for gate in gates:
        if not gate.missing:
            continue
        console.print(f"[bold]{gate.stage.number} {gate.stage.label}[/] gate {_gate_cell(gate)}[/]:",
                      highlight=False)
        for item in gate.missing:
            mark = "[red]✗[/]" if item.passed is False else "[yellow]·[/]"
            todo = f" → {escape(item.command)}" if item.command else ""
            console.print(f"  {mark} {escape(item.name)}: {escape(item.detail)}{todo}", highlight=False,
                          soft_wrap=True)


def quickstart(directory: Path = typer.Argument(Path("steward-quickstart"), help="An empty folder to create."),
               json_: bool = JSON) -> None:
    """Walk a real project (the bundled GSS wages data) through all eight stages and back to retraining, then show
    each stage's gate and the paths of every report."""
    from mlsteward.lifecycle.quickstart import run_quickstart

    with console.status("starting", spinner="dots") as status:
        result = run_quickstart(directory, step=lambda text: (status.update(text), console.print(f"[green]✓[/] {text}")))
    if json_:
        print_json(result)
        return
    gates = {gate.stage: gate for gate in result.board.gates}
    table = Table(title=f"{result.board.project} — lifecycle", title_justify="left", header_style="bold")
    for col in ("#", "stage", "status", "gate", "evidence"):
        table.add_column(col)
    for record in result.board.stages:
        table.add_row(str(record.stage.number), record.stage.label,
                      f"[{STATUS_STYLE[record.status]}]{record.status.value}", _gate_cell(gates[record.stage]),
                      record.note or "")
    console.print(table)
    lines = [("project", result.project_dir), ("spec", result.spec),
             ("feasibility", f"{result.feasibility}  ({result.feasibility_report})"),
             ("dataset", f"{result.dataset} (splits: {', '.join(result.splits.values())})"),
             ("features", f"{result.feature_set}  (`steward features list`; dictionary {result.data_dictionary})"),
             ("training", f"run {result.training_run[:8]}; best {result.best_candidate}"),
             ("evaluation", result.evaluation), ("model", f"{result.model}  (`steward models show {result.model}`)")]
    console.print("\n".join(f"{label:<12} {value}" for label, value in lines), highlight=False)
    for line in result.promotion:
        console.print(f"  [dim]promotion:[/] {line}", highlight=False)
    for line in result.monitoring:
        console.print(f"  [dim]monitoring:[/] {line}", highlight=False)
    for line in result.retraining:
        console.print(f"  [dim]retraining:[/] {line}", highlight=False)
    if result.not_yet:
        console.print(f"[dim]Not in the quickstart yet: {', '.join(result.not_yet)}.[/]")
    reports = [result.data_report, result.feasibility_report, result.data_dictionary, result.performance_report,
               result.model_card, result.champion_challenger_report]
    console.print("reports:\n" + "\n".join(f"  {path}" for path in reports if path), highlight=False,
                  soft_wrap=True)
    console.print(f"Next: cd {directory} && steward ui   (the dashboard: http://127.0.0.1:8000/ui/), or "
                  "steward status, steward monitor runs, steward deliverables")
