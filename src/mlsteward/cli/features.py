"""``steward features``: fit the feature set of steward.yaml, the catalog, validation, the data
dictionary, and the online store (materialize, get)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from mlsteward.cli.common import JSON, open_workspace, project_spec
from mlsteward.cli.output import console, print_json, when
from mlsteward.errors import InvalidInput

app = typer.Typer(help="Features: definitions, one fitted pipeline, validation, catalog, feature store.",
                  no_args_is_help=True)


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
        result = fit_features(workspace, project_spec(workspace), dataset, name=name)
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
    entries, sets = catalog(workspace, project_spec(workspace))
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
    entries, _ = catalog(workspace, project_spec(workspace))
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


@app.command()
def join(
    labels: str = typer.Argument(..., help="The label events: a dataset NAME@VERSION."),
    view: list[str] = typer.Option(..., "--view", "-v", help="A feature view of steward.yaml (repeatable)."),
    timestamp: str = typer.Option(..., "--timestamp", "-t", help="The label events' time column."),
    name: str | None = typer.Option(None, "--name", "-n", help="The new dataset's name (default: LABELS-training)."),
    json_: bool = JSON,
) -> None:
    """Build a training set: each label event joined with the views' values as of its time (never a
    later value), registered as a dataset version with its lineage."""
    from mlsteward.lifecycle.feature_store import training_set

    workspace = open_workspace()
    with console.status("joining point in time", spinner="dots"):
        version, created, notes = training_set(workspace, project_spec(workspace), labels, view,
                                               timestamp=timestamp, name=name)
    if json_:
        print_json({"dataset": version, "created": created, "notes": notes})
        return
    verb = "Registered" if created else "Unchanged: identical content is already"
    console.print(f"{verb} [bold]{version.ref}[/] ({version.rows:,} rows x {version.columns} columns): "
                  f"{version.transformation}.")
    for note in notes:
        console.print(f"[dim]note: {note}[/]")


@app.command()
def materialize(
    view: list[str] = typer.Option([], "--view", "-v", help="Only these views (default: all; repeatable)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Values at this time (ISO 8601; default: the newest)."),
    json_: bool = JSON,
) -> None:
    """Write each view's latest values per entity to the online store (steward.yaml features.online_store);
    readers see the old values or the new ones, never a mix."""
    from mlsteward.lifecycle.feature_store import materialize_views

    workspace = open_workspace()
    with console.status("materializing", spinner="dots"):
        done = materialize_views(workspace, project_spec(workspace), view or None, as_of=as_of)
    if json_:
        print_json(done)
        return
    for m in done:
        console.print(f"materialized view [bold]{m.view}[/] from {m.source}: {m.entities:,} entities "
                      f"in the {m.store} online store" + (f" (as of {m.as_of})" if m.as_of else ""))


@app.command()
def get(
    key: str = typer.Argument(..., help="The entity key, e.g. 5620."),
    view: list[str] = typer.Option(..., "--view", "-v", help="A materialized view (repeatable)."),
    json_: bool = JSON,
) -> None:
    """One entity's values from the online store, as the serving layer reads them."""
    from mlsteward.featurestore import online_features
    from mlsteward.lifecycle.feature_store import open_online_store

    workspace = open_workspace()
    spec = project_spec(workspace)
    store = open_online_store(workspace, spec.features.online_store)
    try:
        values = online_features(store, key, view)
    finally:
        store.close()
    if json_:
        print_json(values)
        return
    if all(v is None for v in values.values()):
        console.print(f"[yellow]no values for entity {key!r} in {', '.join(view)}[/]")
    for feature, value in values.items():
        console.print(f"[bold]{feature}[/]: {value}")


@app.command()
def transform(
    data: Path = typer.Argument(..., help="A Parquet file of rows to compute features for."),
    feature_set: str = typer.Option(..., "--feature-set", "-f", help="The feature set NAME@VERSION (or NAME)."),
    output: Path = typer.Option(..., "--output", "-o", help="The Parquet file to write."),
    view: list[str] = typer.Option([], "--view", "-v", help="Join these views first (repeatable)."),
    timestamp: str | None = typer.Option(None, "--timestamp", "-t", help="The rows' time column, for --view."),
    batch_rows: int = typer.Option(100_000, "--batch-rows", help="Rows per batch (bounds memory)."),
) -> None:
    """Batch scoring's features: the rows through the fitted pipeline, batch by batch (the same
    pipeline as training and serving)."""
    from mlsteward.lifecycle.feature_store import batch_features
    from mlsteward.lifecycle.features import load_feature_set

    workspace = open_workspace()
    fitted, record = load_feature_set(workspace, feature_set)
    with console.status(f"computing features with {record.ref}", spinner="dots"):
        rows = batch_features(workspace, project_spec(workspace), fitted, data, output, views=view,
                              timestamp=timestamp, batch_rows=batch_rows)
    console.print(f"wrote {rows:,} rows x {len(fitted.output_columns)} features to {output}")
