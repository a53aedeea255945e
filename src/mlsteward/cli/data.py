"""``steward data``: versioned datasets — add, list, show, lineage."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.tree import Tree

from mlsteward.cli.common import JSON, open_workspace, project_spec
from mlsteward.cli.output import console, print_json, when

app = typer.Typer(help="Versioned datasets: tables and folders of files, with lineage.", no_args_is_help=True)


@app.command()
def add(
    path: Path = typer.Argument(..., help="A CSV or Parquet file, or a folder of files."),
    name: str = typer.Option(..., "--name", "-n", help="The dataset's name, e.g. customers."),
    owner: str = typer.Option("", "--owner", help="Who owns it (default: you)."),
    description: str = typer.Option("", "--description", "-d", help="What it holds."),
    parent: list[str] = typer.Option([], "--parent", "-p", help="NAME@VERSION it was made from (repeatable)."),
    transformation: str = typer.Option("", "--transformation", "-t", help="How it was made from its parents."),
    encoding: str = typer.Option("utf-8", "--encoding", help="Text encoding of a CSV file."),
    assess: bool = typer.Option(True, "--assess/--no-assess",
                                help="Profile the table and check quality, PII and leakage (steward.yaml `data:`)."),
    json_: bool = JSON,
) -> None:
    """Register a file or folder as a new version (identical content returns the existing one),
    then assess a table: profile, quality SLAs, PII tags and leakage review, recorded as evidence."""
    from mlsteward.lifecycle.datasets import add_dataset

    workspace = open_workspace(create=True)
    with Progress(TextColumn("hashing files"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True, disable=json_ or not path.is_dir()) as bar:
        task = bar.add_task("files", total=None)
        version, created = add_dataset(
            workspace, path, name=name, owner=owner, description=description, parents=parent,
            transformation=transformation, encoding=encoding,
            progress=lambda done, total: bar.update(task, completed=done, total=total))
    assessment = _assess(workspace, version.ref) if assess and version.kind == "table" else None
    if json_:
        print_json({"dataset": version, "assessment": assessment})
        return
    what = f"{version.rows:,} files" if version.kind == "folder" else f"{version.rows:,} rows x {version.columns} columns"
    verb = "Registered" if created else "Unchanged: identical content is already"
    console.print(f"{verb} [bold]{version.ref}[/] ({what}, {version.size_bytes:,} bytes, {version.digest[:19]}).")
    if assessment:
        _print_assessment(assessment)


@app.command("assess")
def assess_(ref: str = typer.Argument(..., help="NAME, NAME@latest or NAME@VERSION of a table."),
            target: str | None = typer.Option(None, "--target", help="The target column (default: data.target)."),
            json_: bool = JSON) -> None:
    """Profile a version and check its quality SLAs, PII and leakage again (recorded as evidence)."""
    assessment = _assess(open_workspace(), ref, target)
    if json_:
        print_json(assessment)
    else:
        _print_assessment(assessment)


@app.command()
def check(
    data: str = typer.Argument(..., help="A CSV or Parquet file, or NAME@VERSION, to check."),
    against: str = typer.Option(..., "--against", "-a", help="NAME@VERSION whose contract and distribution to check against."),
    encoding: str = typer.Option("utf-8", "--encoding", help="Text encoding of a CSV file."),
    json_: bool = JSON,
) -> None:
    """Check new data against a version's contract and for drift; exits 1 if either fails."""
    from mlsteward.lifecycle.data_check import check_against

    result = check_against(open_workspace(), data, against, encoding=encoding)
    if json_:
        print_json(result)
    else:
        _print_check(result)
    if not result.passed:
        raise typer.Exit(1)


def _print_check(result) -> None:  # noqa: ANN001 - DataCheck
    problems = result.contract.problems()
    verdict = "[green]holds[/]" if result.contract.passed else f"[red]broken[/] ({len(problems)} problems)"
    console.print(f"contract of {result.against}: {verdict} on {result.data}")
    if problems:
        table = Table(box=None, header_style="bold")
        for col in ("column", "problem", "detail"):
            table.add_column(col)
        for p in problems:
            table.add_row(str(p.column or ""), p.kind, p.detail)
        console.print(table)
    drift = result.drift
    share = "-" if drift.drifted_share is None else f"{drift.drifted_share:.0%}"
    console.print(f"drift: {drift.drifted_count} of {drift.tested_count} columns drifted ({share}): "
                  + ("[red]the dataset drifted[/]" if drift.drifted else "[green]no dataset drift[/]"))
    table = Table(box=None, header_style="bold")
    for col in ("column", "test", "statistic", "p-value", "threshold", "drifted"):
        table.add_column(col)
    for c in drift.columns:
        p_value = "-" if c.p_value is None else f"{c.p_value:.3g}"
        table.add_row(c.column or "", c.test, f"{c.statistic:.4g}", p_value, f"{c.threshold:g}",
                      "[red]yes" if c.drifted else "no")
    console.print(table)
    for skipped in drift.skipped:
        console.print(f"[dim]skipped {skipped.column}: {skipped.reason}[/]")


@app.command()
def split(
    ref: str = typer.Argument(..., help="NAME@VERSION of a table."),
    strategy: str = typer.Option("stratified", "--strategy", "-s",
                                 help="random, stratified (by the target), grouped or time."),
    fractions: tuple[float, float, float] = typer.Option((0.7, 0.15, 0.15), "--fractions",
                                                         help="train, validation and test shares (validation may be 0)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the random split."),
    stratify_by: str | None = typer.Option(None, "--stratify-by", help="Column to stratify by (default: the target)."),
    group_by: str | None = typer.Option(None, "--group-by", help="Column whose groups never cross parts."),
    time_column: str | None = typer.Option(None, "--time-column", help="Column to split by time (default: data.time_column)."),
    json_: bool = JSON,
) -> None:
    """Split a version into train / validation / test versions, recorded with their lineage."""
    from mlsteward.data.splits import SplitConfig
    from mlsteward.lifecycle.splits import split_and_register
    from mlsteward.spec import load_spec

    workspace = open_workspace()
    spec = load_spec(workspace.settings.spec_path) if workspace.settings.spec_path else None
    target = spec.data.target if spec else None
    if strategy == "time" and time_column is None and spec:
        time_column = spec.data.time_column
    config = SplitConfig(strategy=strategy, fractions=fractions, seed=seed, group_by=group_by,
                         stratify_by=stratify_by, time_column=time_column)
    result = split_and_register(workspace, ref, config, target=target)
    if json_:
        print_json(result)
        return
    table = Table(title=f"{result.source} split ({strategy}, seed {seed})", title_justify="left", box=None,
                  header_style="bold")
    for col in ("part", "version", "rows", "share"):
        table.add_column(col)
    for part, summary in result.summary.parts.items():
        table.add_row(part, result.parts[part], f"{summary.rows:,}", f"{summary.share:.1%}")
    console.print(table)
    for note in result.summary.notes:
        console.print(f"[dim]{note}[/]")


@app.command()
def mask(
    ref: str = typer.Argument(..., help="NAME@VERSION of a table."),
    method: str = typer.Option("hash", "--method", "-m", help="hash (salted sha256: joins still work) or drop."),
    salt: str | None = typer.Option(None, "--salt", envvar="STEWARD_MASK_SALT",
                                    help="Secret salt for hashing (or STEWARD_MASK_SALT); keep it out of git."),
    column: list[str] = typer.Option([], "--column", "-c", help="Also mask this column (repeatable)."),
    json_: bool = JSON,
) -> None:
    """Write a derived version with PII columns hashed or dropped (sensitive attributes are kept)."""
    from mlsteward.lifecycle.masking import mask_dataset
    from mlsteward.spec import load_spec

    workspace = open_workspace()
    spec = load_spec(workspace.settings.spec_path) if workspace.settings.spec_path else None
    keep = spec.data.sensitive_attributes if spec else []
    version = mask_dataset(workspace, ref, method=method, salt=salt, keep=keep, extra_columns=column)
    if json_:
        print_json(version)
        return
    console.print(f"Registered [bold]{version.ref}[/] made from {ref}: {version.transformation}.")


@app.command()
def clear(
    dataset: str = typer.Argument(..., help="The dataset's name."),
    column: str = typer.Argument(..., help="The column flagged for leakage."),
    reason: str = typer.Option(..., "--reason", "-r", help="Why the column does not leak the target."),
) -> None:
    """Release a leakage-flagged column from quarantine, with a reason (audited)."""
    clearance = open_workspace().store.evidence.clear_column(dataset, column, reason)
    console.print(f"Cleared {clearance.dataset}.{clearance.column} ({clearance.reason}), by {clearance.cleared_by}.")


@app.command()
def example(path: Path = typer.Argument(Path("gss_wages.csv"), help="Where to write the CSV.")) -> None:
    """Write the bundled real dataset (GSS wages 1974-2018, target high_income) to a CSV to try things on."""
    from mlsteward.datasets import GSS_WAGES_DESCRIPTION, gss_wages_with_target

    df = gss_wages_with_target()
    df.to_csv(path, index=False)
    console.print(f"Wrote {path} ({len(df):,} rows x {df.shape[1]} columns): {GSS_WAGES_DESCRIPTION}\n"
                  f"Try: steward data add {path} --name gss   (with data.target: high_income in steward.yaml)")


@app.command("list")
def list_(
    name: str | None = typer.Argument(None, help="Show every version of this dataset."),
    json_: bool = JSON,
) -> None:
    """The latest version of every dataset, or every version of one."""
    versions = open_workspace().store.datasets.list(name)
    if json_:
        print_json(versions)
        return
    if not versions:
        console.print("No datasets yet: `steward data add PATH --name NAME` registers one.")
        return
    table = Table(box=None, header_style="bold")
    for col in ("dataset", "kind", "rows", "columns", "size", "created (UTC)", "by", "parents"):
        table.add_column(col, no_wrap=col != "parents")
    for v in versions:
        table.add_row(v.ref, v.kind, f"{v.rows:,}", str(v.columns), f"{v.size_bytes:,}", when(v.created_at_ms, False),
                      v.created_by, ", ".join(v.parents))
    console.print(table)


@app.command()
def show(ref: str = typer.Argument(..., help="NAME, NAME@latest or NAME@VERSION."), json_: bool = JSON) -> None:
    """One version: its schema (or files), source, owner and lineage."""
    workspace = open_workspace()
    version = workspace.store.datasets.get(ref)
    if json_:
        print_json(version)
        return
    console.print(f"[bold]{version.ref}[/]  {version.kind}, {version.rows:,} "
                  f"{'files' if version.kind == 'folder' else 'rows'}, {version.size_bytes:,} bytes")
    console.print(f"digest {version.digest}\nsource {version.source}\nowner {version.owner}  created "
                  f"{when(version.created_at_ms)} by {version.created_by}", highlight=False)
    if version.description:
        console.print(version.description)
    if version.parents:
        console.print(f"made from {', '.join(version.parents)}"
                      + (f": {version.transformation}" if version.transformation else ""))
    evidence = workspace.store.evidence.of(version.ref)
    if evidence:
        marks = {True: "[green]passed[/]", False: "[red]failed[/]", None: "recorded"}
        console.print("evidence  " + ", ".join(f"{kind} {marks[e.passed]}" for kind, e in sorted(evidence.items()))
                      + (f"  (`steward data report {version.ref}` exports the HTML report)" if "report" in evidence else ""))
    if version.kind == "table":
        table = Table(title="columns", title_justify="left", box=None, header_style="bold")
        table.add_column("name")
        table.add_column("type")
        for column in version.column_types:
            table.add_row(column["name"], column["type"])
        console.print(table)
    else:
        from mlsteward.lifecycle.datasets import folder_manifest

        files = folder_manifest(workspace, version.ref)
        for entry in files[:20]:
            console.print(f"  {entry['path']}  ({entry['size']:,} bytes)", highlight=False)
        if len(files) > 20:
            console.print(f"  … and {len(files) - 20:,} more (--json lists them all)")


@app.command()
def report(
    ref: str = typer.Argument(..., help="NAME@VERSION of an assessed table."),
    out: Path = typer.Option(None, "--out", "-o", help="Where to write it (default: NAME@VERSION-data-report.html)."),
) -> None:
    """Export the HTML data report recorded for a version (hash-verified) from the store."""
    from mlsteward.errors import NotFound
    from mlsteward.report import write_report

    workspace = open_workspace()
    version = workspace.store.datasets.get(ref)
    recorded = workspace.store.evidence.of(version.ref).get("report")
    if recorded is None:
        raise NotFound(f"{version.ref} has no recorded report: run `steward data assess {version.ref}` first")
    html = workspace.artifacts.get_bytes(recorded.digest).decode()
    path = write_report(html, out or Path(f"{version.ref}-data-report.html"))
    console.print(f"Wrote {path}", highlight=False)


@app.command()
def lineage(ref: str = typer.Argument(..., help="NAME@VERSION"), json_: bool = JSON) -> None:
    """Where a version came from, what was made from it, and which runs used it."""
    result = open_workspace().store.datasets.lineage(ref)
    if json_:
        print_json(result)
        return
    for title, edges, key in (("made from", result.ancestors, "parent"), ("used to make", result.descendants, "child")):
        tree = Tree(f"[bold]{result.dataset}[/] {title}")
        children = {}
        for edge in edges:
            children.setdefault(edge.child if key == "parent" else edge.parent, []).append(edge)
        _grow(tree, result.dataset, children, key, set())
        console.print(tree if edges else f"[bold]{result.dataset}[/] {title}: nothing recorded")
    if result.runs:
        console.print("used by runs: " + ", ".join(f"{r['experiment']}/{r['name']} ({r['run_id'][:8]}, {r['role']})"
                                                   for r in result.runs))


def _assess(workspace, ref: str, target: str | None = None):  # noqa: ANN001, ANN202 - -> DataAssessment
    from mlsteward.lifecycle.data_stage import assess_dataset
    from mlsteward.spec import load_spec
    from mlsteward.spec_data import DataSpec

    spec_path = workspace.settings.spec_path
    spec = load_spec(spec_path) if spec_path else None
    if spec is not None:  # a first `data add` in a new project registers it, as `steward status` would
        workspace.store.projects.register(spec.project, spec.charter.model_dump(mode="json"))
    return assess_dataset(workspace, ref, spec.data if spec else DataSpec(), target=target,
                          project=spec.project if spec else None)


def _print_assessment(a) -> None:  # noqa: ANN001 - DataAssessment
    for note in a.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    if a.quality.checks:
        table = Table(title="quality SLAs", title_justify="left", box=None, header_style="bold")
        for col in ("check", "required", "observed", "result"):
            table.add_column(col)
        for c in a.quality.checks:
            result = {True: "[green]met", False: "[red]FAILED", None: "[yellow]not checked"}[c.passed]
            observed = "-" if c.observed is None else f"{c.observed:,.4g}"
            table.add_row(c.name, c.required, observed, result + (f" [dim]{c.note}" if c.note else ""))
        console.print(table)
    else:
        console.print("quality SLAs: none set (steward.yaml `data.quality`)")
    console.print("PII: " + (", ".join(f"{col} ({', '.join(d)})" for col, d in a.pii.items()) or "none found"))
    if a.sensitive_attributes:
        console.print("sensitive attributes (kept for fairness audits): " + ", ".join(a.sensitive_attributes))
    if a.target is None:
        console.print("leakage: not reviewed (set data.target in steward.yaml)")
    elif not a.leakage:
        console.print(f"leakage: no column predicts {a.target!r} suspiciously well")
    for f in a.leakage:
        state = f"[green]cleared[/] ({f.reason})" if f.cleared else "[red]quarantined[/]"
        console.print(f"leakage: {f.column} {state}: {'; '.join(f.evidence)}", highlight=False)
    if a.quarantined:
        console.print("Release a column with `steward data clear NAME COLUMN --reason ...` once you are "
                      "sure it is known at prediction time.")
    if a.report_path:
        console.print(f"report: {a.report_path}", highlight=False)


def _grow(node: Tree, ref: str, children: dict, key: str, seen: set) -> None:  # noqa: ANN001
    for edge in children.get(ref, []):
        nxt = getattr(edge, key)
        branch = node.add(nxt + (f"  [dim]{edge.transformation}[/]" if edge.transformation else ""))
        if nxt not in seen:
            seen.add(nxt)
            _grow(branch, nxt, children, key, seen)


@app.command()
def expire(dry_run: bool = typer.Option(False, "--dry-run", help="List what would expire; change nothing."),
           json_: bool = JSON) -> None:
    """Delete the dataset versions older than data.retention in steward.yaml allows: the audit records what and
    why first; their records and lineage stay, their snapshots go."""
    from mlsteward.lifecycle.retention import expire_datasets

    workspace = open_workspace()
    result = expire_datasets(workspace, project_spec(workspace), dry_run=dry_run)
    if json_:
        print_json(result)
        return
    if not result.expired:
        console.print("Nothing is past its retention.")
        return
    verb = "would expire" if dry_run else "expired"
    for ref in result.expired:
        console.print(f"{verb} {ref}: {result.reasons[ref]}", highlight=False)
    if not dry_run:
        console.print(f"{result.deleted_snapshots} snapshot(s) deleted.")


@app.command()
def erase(where: list[str] = typer.Option(..., "--where", help="COLUMN = VALUE, e.g. \"customer_id = 123\"; "
                                                               "repeat to AND several conditions."),
          dry_run: bool = typer.Option(False, "--dry-run", help="Show which versions hold the subject; change "
                                                                "nothing."),
          json_: bool = JSON) -> None:
    """Erase a data subject: remove their rows from every dataset version holding them (new versions, with
    lineage), delete the old snapshots, and flag the model versions trained on them as needing retraining."""
    from mlsteward.lifecycle.retention import erase_subject

    workspace = open_workspace()
    result = erase_subject(workspace, project_spec(workspace), where, dry_run=dry_run)
    if json_:
        print_json(result)
        return
    if not result.replaced:
        console.print("No dataset version holds rows matching the conditions.")
        return
    for old, new in result.replaced.items():
        console.print(f"{old}: {result.rows_removed[old]} row(s) {'to remove' if dry_run else 'removed'}"
                      + ("" if dry_run else f" -> {new}"), highlight=False)
    if result.models_to_retrain:
        console.print(f"model version(s) {'to flag' if dry_run else 'flagged'} for retraining: "
                      f"{', '.join(result.models_to_retrain)}", highlight=False)
    if not dry_run:
        console.print(f"erasure {result.erasure}: {result.deleted_snapshots} snapshot(s) deleted; the audit trail "
                      "records the columns and a hash of the values, never the values.", highlight=False)
