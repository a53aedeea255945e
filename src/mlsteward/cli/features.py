"""``steward features``: fit the feature set of steward.yaml, the catalog, validation, the data
dictionary, and the online store (materialize, get)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from mlsteward.cli.common import JSON, open_workspace
from mlsteward.cli.output import console, print_json, when
from mlsteward.errors import InvalidInput

app = typer.Typer(help="Features: definitions, one fitted pipeline, validation, catalog, feature store.",
                  no_args_is_help=True)


def _spec(workspace):  # noqa: ANN001, ANN202 - Workspace -> Spec
    from mlsteward.spec import load_spec

    if workspace.settings.spec_path is None:
        raise InvalidInput("no steward.yaml here or above: run `steward init`, then define features under "
                           "features.definitions")
    return load_spec(workspace.settings.spec_path)


@app.command()
def fit(
    dataset: str = typer.Option(..., "--dataset", "-d", help="NAME@VERSION of the training data (the train split)."),
    name: str | None = typer.Option(None, "--name", "-n", help="The feature set's name (default: features.name "
                                                              "or the project's name)."),
    json_: bool = JSON,
) -> None:
    """Fit steward.yaml's features on the training data: one pipeline, validation, leakage screening of the
    engineered features, selection; recorded as a feature set version with its data dictionary."""
    from mlsteward.lifecycle.features import fit_features

    workspace = open_workspace()
    with console.status("fitting features", spinner="dots"):
        result = fit_features(workspace, _spec(workspace), dataset, name=name)
    if json_:
        print_json(result)
        return
    verb = "Fitted" if result.created else "Unchanged: the same fit is already"
    console.print(f"{verb} [bold]{result.feature_set}[/] on {result.dataset}: {len(result.outputs)} feature columns.")
    for note in result.notes:
        console.print(f"[dim]note: {note}[/]")
    flagged = {k: v for k, v in result.leakage.items() if v != "clear"}
    if flagged:
        console.print(f"[red]leakage flagged on {len(flagged)} engineered feature(s):[/] "
                      + ", ".join(f"{k} ({v})" for k, v in flagged.items()))
    elif result.leakage:
        console.print("[green]leakage screening: every engineered feature is clear[/]")
    if result.selection:
        console.print(f"selection ({result.selection.method}): kept {len(result.selection.kept)}, dropped "
                      f"{len(result.selection.dropped)}: {', '.join(result.selection.dropped) or 'none'}")
    if result.pca:
        console.print("PCA: " + ", ".join(f"{n} components for {k}" for k, n in result.pca.components_for.items()))
    console.print("data dictionary: " + ", ".join(result.dictionary_paths))


@app.command("list")
def list_(json_: bool = JSON) -> None:
    """The catalog: every feature of steward.yaml with its latest fitted state, and the feature sets."""
    from mlsteward.lifecycle.features import catalog

    workspace = open_workspace()
    entries, sets = catalog(workspace, _spec(workspace))
    if json_:
        print_json({"features": entries, "feature_sets": sets})
        return
    table = Table(box=None, header_style="bold")
    for col in ("feature", "made by", "sources", "owner", "tags", "serving", "leakage", "fitted in"):
        table.add_column(col)
    for e in entries:
        leakage = e.leakage if e.leakage in ("clear", "not fitted", "not screened") else f"[red]{e.leakage}[/]"
        table.add_row(e.feature, e.transform, ", ".join(e.source_columns), e.owner, ", ".join(e.tags), e.serving,
                      leakage, e.feature_set or "-")
    console.print(table)
    if sets:
        console.print("feature sets: " + ", ".join(f"{s.ref} (on {s.dataset}, {when(s.created_at_ms)})" for s in sets))


@app.command()
def show(ref: str = typer.Argument(..., help="A feature name, or a feature set NAME@VERSION."), json_: bool = JSON) -> None:
    """One feature's catalog entry, or a feature set's record."""
    from mlsteward.lifecycle.features import catalog

    workspace = open_workspace()
    if "@" in ref:
        record = workspace.store.feature_sets.get(ref)
        if json_:
            print_json(record)
            return
        console.print(f"[bold]{record.ref}[/] fitted on {record.dataset} by {record.created_by}, "
                      f"{when(record.created_at_ms)}; target {record.target or '-'}")
        console.print(f"inputs: {', '.join(record.summary['inputs'])}")
        console.print(f"outputs: {', '.join(record.summary['outputs'])}")
        console.print(f"pipeline: {record.digest}")
        return
    entries, _ = catalog(workspace, _spec(workspace))
    found = [e for e in entries if e.feature == ref]
    if not found:
        raise InvalidInput(f"no feature {ref!r} in steward.yaml: `steward features list` shows the features")
    if json_:
        print_json(found[0])
        return
    for key, value in found[0].model_dump().items():
        console.print(f"[bold]{key}[/]: {value if not isinstance(value, list) else ', '.join(map(str, value))}")


@app.command()
def validate(
    data: str = typer.Argument(..., help="A CSV or Parquet file, or a dataset NAME@VERSION."),
    against: str = typer.Option(..., "--against", "-a", help="The feature set NAME@VERSION (or NAME for the latest)."),
    json_: bool = JSON,
) -> None:
    """Check rows against the feature set's training data (missing-rate spikes, cardinality explosions,
    unseen categories, out-of-range values); exits 1 on any issue."""
    from mlsteward.lifecycle.data_check import read_data
    from mlsteward.lifecycle.features import validate_against

    workspace = open_workspace()
    frame, label = read_data(workspace, data)
    result = validate_against(workspace, frame, against)
    if json_:
        print_json(result)
    elif result.passed:
        console.print(f"[green]{label}: {result.rows:,} rows pass the feature validation of {against}[/]")
    else:
        table = Table(box=None, header_style="bold")
        for col in ("column", "check", "observed", "allowed", "detail"):
            table.add_column(col)
        for issue in result.issues:
            detail = issue.message + (f"; e.g. {', '.join(issue.examples)}" if issue.examples else "") + (
                f"; rows {issue.rows}" if issue.rows else "")
            table.add_row(issue.column, issue.check, f"{issue.observed:.4g}", f"{issue.allowed:.4g}", detail)
        console.print(f"[red]{label}: {len(result.issues)} issue(s) against {against}[/]")
        console.print(table)
    if not result.passed:
        raise typer.Exit(1)


@app.command()
def dictionary(
    ref: str = typer.Argument(..., help="The feature set NAME@VERSION (or NAME for the latest)."),
    format_: str = typer.Option("md", "--format", "-f", help="md or html."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of printing."),
) -> None:
    """The data dictionary: feature, meaning, units, allowed range, lineage, owner, leakage status."""
    from mlsteward.lifecycle.features import dictionary_of
    from mlsteward.report import render_dictionary_html, render_dictionary_markdown, write_report

    if format_ not in ("md", "html"):
        raise InvalidInput(f"--format {format_!r}: use md or html")
    record = open_workspace().store.feature_sets.get(ref)
    render = render_dictionary_markdown if format_ == "md" else render_dictionary_html
    text = render(dictionary_of(record))
    if output is None:
        typer.echo(text, nl=False)
    else:
        console.print(f"wrote {write_report(text, output)}")
