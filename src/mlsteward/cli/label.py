"""``steward label``: labeling projects, their guidelines, imports, quality audits, label versions, active
learning and production review. Annotators label in the web UI (`steward ui`, Labeling)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from mlsteward.cli.common import JSON, open_workspace, project_spec
from mlsteward.cli.output import console, print_json

app = typer.Typer(help="Labeling: projects on a dataset version, annotators in the web UI, agreement and gold "
                       "checks, label versions, active learning and production review.", no_args_is_help=True)


def _spec_or_none(workspace):  # noqa: ANN001, ANN202
    return project_spec(workspace) if workspace.settings.spec_path else None


def _split(text: str | None) -> list[str] | None:
    return [part.strip() for part in text.split(",") if part.strip()] if text else None


@app.command("create")
def create(name: str = typer.Argument(..., help="The labeling project's name, e.g. review-sentiment."),
           data: str = typer.Option(..., "--data", help="The unlabeled dataset version, NAME@VERSION."),
           labels: str | None = typer.Option(None, "--labels", help="The classes, comma-separated: great,other."),
           rating: str | None = typer.Option(None, "--rating", help="A rating scale instead of classes: 1-5."),
           guideline: Path | None = typer.Option(None, "--guideline", exists=True, dir_okay=False,
                                                 help="The guideline (Markdown, a '## ' section per label and "
                                                      "edge cases). Default: a skeleton to edit."),
           annotators: int = typer.Option(2, "--annotators", help="Annotators per item."),
           gold_share: float = typer.Option(0.0, "--gold-share", help="Share of items that are gold checks."),
           gold_from: str | None = typer.Option(None, "--gold-from", help="The column holding gold answers."),
           id_column: str | None = typer.Option(None, "--id-column", help="The column that identifies a row "
                                                                          "(default: the row number)."),
           text_column: str | None = typer.Option(None, "--text-column", help="The text to label, shown large."),
           fields: str | None = typer.Option(None, "--fields", help="Columns to show, comma-separated "
                                                                    "(default: all but the gold and id columns)."),
           seed: int = typer.Option(0, "--seed", help="Seed for choosing the gold items."),
           json_: bool = JSON) -> None:
    """Create a labeling project on a dataset version (rows, texts, or the files of a folder)."""
    from mlsteward.lifecycle.labeling import create_label_project, parse_schema

    workspace = open_workspace()
    spec = project_spec(workspace)
    project = create_label_project(
        workspace, spec, name=name, dataset=data, schema=parse_schema(_split(labels), rating),
        guideline=guideline.read_text(encoding="utf-8") if guideline else None, annotators_per_item=annotators,
        gold_share=gold_share, gold_column=gold_from, id_column=id_column, text_column=text_column,
        fields=_split(fields), seed=seed)
    if json_:
        print_json(project)
        return
    items = workspace.store.labeling.items(name)
    console.print(f"Labeling project [bold]{name}[/] on {project.dataset}: {len(items)} items, labels "
                  f"{', '.join(project.label_schema.labels)}, {annotators} annotator(s) per item, "
                  f"{sum(i.gold_label is not None for i in items)} gold.", highlight=False)
    console.print(f"Next: annotators (role '{spec.labeling.annotator_role}' in steward.yaml) sign in to `steward ui` "
                  f"and open Labeling; or import labels with `steward label import {name} FILE`.", highlight=False)


@app.command("list")
def list_(json_: bool = JSON) -> None:
    """Labeling projects."""
    projects = open_workspace().store.labeling.list()
    if json_:
        print_json(projects)
        return
    if not projects:
        console.print("No labeling projects: `steward label create` makes one.")
        return
    table = Table(header_style="bold")
    for column in ("project", "data", "kind", "labels", "annotators", "guideline", "status"):
        table.add_column(column)
    for p in projects:
        table.add_row(p.name, p.dataset, p.kind, ", ".join(p.label_schema.labels), str(p.annotators_per_item),
                      f"v{p.guideline_version}", p.status)
    console.print(table)


@app.command("guideline")
def guideline(name: str = typer.Argument(..., help="The labeling project."),
              file: Path | None = typer.Option(None, "--file", exists=True, dir_okay=False,
                                               help="A new version of the guideline (Markdown)."),
              version: int | None = typer.Option(None, "--version", help="Show this version.")) -> None:
    """Show the guideline, or record a new version of it from --file."""
    store = open_workspace().store.labeling
    if file is not None:
        record = store.add_guideline(name, file.read_text(encoding="utf-8"))
        console.print(f"{name}: guideline version {record.version} recorded; answers from now on cite it.")
        return
    console.print(store.guideline(name, version).text, highlight=False, markup=False)


@app.command("import")
def import_(name: str = typer.Argument(..., help="The labeling project."),
            file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A CSV or Label Studio JSON export."),
            format_: str | None = typer.Option(None, "--format", help="csv or label-studio (default: by suffix)."),
            annotator: str | None = typer.Option(None, "--annotator", help="Who labeled, when the file does not "
                                                                           "say.")) -> None:
    """Import labels made elsewhere: a CSV (item, annotator, label) or Label Studio's JSON export. All rows are
    checked first; one bad row imports nothing."""
    from mlsteward.lifecycle.label_import import import_labels

    count = import_labels(open_workspace(), name, file, fmt=format_, annotator=annotator)
    console.print(f"{name}: {count} answer(s) imported from {file.name}.")


@app.command("quality")
def quality(name: str = typer.Argument(..., help="The labeling project."),
            html: Path | None = typer.Option(None, "--html", help="Also write the audit as an HTML report here."),
            json_: bool = JSON) -> None:
    """The label quality audit: progress, agreement (Cohen, Fleiss), gold accuracy, conflicts, confused labels
    and the guideline sections they implicate, and cost."""
    from mlsteward.lifecycle.label_quality import label_quality

    workspace = open_workspace()
    report = label_quality(workspace, _spec_or_none(workspace), name)
    if html is not None:
        from mlsteward.report import render_label_report, write_report

        write_report(render_label_report(report), html)
    if json_:
        print_json(report)
        return
    _print_quality(report)
    if html is not None:
        console.print(f"report: {html}", highlight=False)


def _print_quality(q) -> None:  # noqa: ANN001 - LabelQualityReport
    p = q.progress
    console.print(f"[bold]{q.project}[/] on {q.dataset}: {p.complete}/{p.items} items complete, {p.in_progress} in "
                  f"progress, {p.untouched} not started, {p.gold_items} gold.", highlight=False)
    table = Table(header_style="bold")
    for column in ("annotator", "labeled", "skipped", "unclear", "items/hour", "gold accuracy"):
        table.add_column(column)
    for a in q.annotators:
        table.add_row(a.annotator, str(a.labeled), str(a.skipped), str(a.unclear),
                      "-" if a.items_per_hour is None else f"{a.items_per_hour:.0f}",
                      "-" if a.gold_accuracy is None else f"{a.gold_accuracy:.1%}")
    console.print(table)
    if q.agreement is None:
        console.print(f"agreement: {q.agreement_note}", highlight=False)
    else:
        for pair in q.agreement.pairs:
            kappa = "-" if pair.kappa is None else f"{pair.kappa:.3f}"
            console.print(f"Cohen's kappa {pair.annotator_a} & {pair.annotator_b}: {kappa} over {pair.items} items",
                          highlight=False)
        if q.agreement.fleiss and q.agreement.fleiss.kappa is not None:
            console.print(f"Fleiss' kappa: {q.agreement.fleiss.kappa:.3f} over {q.agreement.fleiss.items_used} items",
                          highlight=False)
    ties = q.consensus_counts.get("tie", 0)
    console.print(f"conflicts: {len(q.conflicts)} shown, {ties} tie(s) to adjudicate "
                  f"(`steward label adjudicate {q.project} ITEM LABEL`)", highlight=False)
    if q.cost:
        c = q.cost
        cost = f", {c.cost_per_item:.2f} USD per item" if c.cost_per_item is not None else ""
        console.print(f"cost: {c.hours_per_item * 60:.1f} min per item{cost}; remaining {c.hours_remaining:.1f} h"
                      + (f", projected {c.cost_total:.0f} USD of {c.budget:.0f}" if c.budget and c.cost_total is not None
                         else ""), highlight=False)


@app.command("adjudicate")
def adjudicate(name: str = typer.Argument(..., help="The labeling project."),
               item: str = typer.Argument(..., help="The item's id."),
               label: str = typer.Argument(..., help="The label it gets."),
               note: str = typer.Option("", "--note", help="Why.")) -> None:
    """Settle a tie or a conflict: the item's consensus label becomes LABEL."""
    from mlsteward.lifecycle.labeling import check_adjudicator

    workspace = open_workspace()
    check_adjudicator(_spec_or_none(workspace), workspace.store.actor)
    decision = workspace.store.labeling.adjudicate(name, item, label, note)
    console.print(f"{name}: item {decision.item} is {decision.label} (decided by {decision.decided_by}).",
                  highlight=False)


@app.command("finish")
def finish(name: str = typer.Argument(..., help="The labeling project."),
           checkpoint: bool = typer.Option(False, "--checkpoint", help="Write the labels so far and keep labeling."),
           label_column: str = typer.Option("label", "--label-column", help="The label's column name."),
           as_: str | None = typer.Option(None, "--as", help="The dataset to version (default: the project's name)."),
           json_: bool = JSON) -> None:
    """Write the consensus labels, their agreement and provenance as a new dataset version, with lineage to the
    unlabeled version and the guideline version, and the quality audit as its evidence."""
    from mlsteward.lifecycle.label_versions import write_label_version

    workspace = open_workspace()
    result = write_label_version(workspace, _spec_or_none(workspace), name, label_column=label_column,
                                 dataset_name=as_, finish=not checkpoint)
    if json_:
        print_json(result)
        return
    left = ", ".join(f"{n} {why}" for why, n in result.left_out.items() if n)
    console.print(f"{result.version.ref}: {result.rows} labeled rows" + (f" ({left} left out)" if left else "")
                  + f", parent {result.quality.dataset}.", highlight=False)
    console.print(f"audit: {result.report}", highlight=False)
    if result.finished:
        console.print(f"{name} is finished. Train on it by naming {result.version.ref} like any dataset.",
                      highlight=False)


@app.command("queue")
def queue(name: str = typer.Argument(..., help="The labeling project."),
          model: str = typer.Option(..., "--model", help="The model version that ranks, NAME@VERSION."),
          strategy: str = typer.Option("entropy", "--strategy",
                                       help="least_confidence, margin, entropy, committee or committee_kl."),
          batch: int = typer.Option(50, "--batch", help="How many items go to the front of the queue."),
          diversity: float = typer.Option(0.0, "--diversity", help="0 (most uncertain first) to 1 (spread out)."),
          committee: str | None = typer.Option(None, "--committee", help="Other model versions, comma-separated, "
                                                                         "for committee strategies."),
          json_: bool = JSON) -> None:
    """Active learning: put the items the model is least sure of first in the annotators' queue."""
    from mlsteward.lifecycle.label_queue import queue_for_labeling

    ranked = queue_for_labeling(open_workspace(), name, model, strategy=strategy, batch=batch, diversity=diversity,
                                committee=_split(committee))
    if json_:
        print_json(ranked)
        return
    console.print(f"{name}: the {len(ranked.items)} unlabeled items {model} is least sure of ({strategy}) are now "
                  "first in the annotators' queue.", highlight=False)
    for q in ranked.items[:10]:
        console.print(f"  {q.rank:>3}. {q.item}  score {q.score:.4f}", highlight=False)


@app.command("review")
def review(name: str = typer.Argument(..., help="The labeling project that reviews production predictions."),
           model: str = typer.Option(..., "--model", help="The served model's name."),
           low_confidence: float = typer.Option(0.6, "--low-confidence",
                                                help="Also queue predictions whose top probability is under this."),
           json_: bool = JSON) -> None:
    """Send production predictions that users corrected (feedback) or that were unsure to review."""
    from mlsteward.lifecycle.label_queue import review_production

    result = review_production(open_workspace(), name, model, low_confidence=low_confidence)
    if json_:
        print_json(result)
        return
    console.print(f"{name}: {result.added} new item(s) to review ({result.corrected} corrected by feedback, "
                  f"{result.low_confidence} low-confidence).", highlight=False)


@app.command("simulate")
def simulate(data: str = typer.Argument(..., help="A labeled dataset version, NAME@VERSION."),
             label_column: str = typer.Option(..., "--label", help="The column holding the labels."),
             text_column: str | None = typer.Option(None, "--text", help="Learn from this text column (TF-IDF)."),
             features: str | None = typer.Option(None, "--features", help="Or from these columns, comma-separated "
                                                                          "(default: all but the label)."),
             strategy: str = typer.Option("entropy", "--strategy", help="least_confidence, margin or entropy."),
             initial: int = typer.Option(20, "--initial", help="Random labels both arms start from."),
             batch: int = typer.Option(20, "--batch", help="Labels bought per round."),
             budget: int = typer.Option(200, "--budget", help="Labels in all."),
             repeats: int = typer.Option(3, "--repeats", help="Repeats with successive seeds."),
             metric: str = typer.Option("accuracy", "--metric",
                                        help="accuracy, balanced_accuracy, f1_macro or roc_auc."),
             seed: int = typer.Option(0, "--seed"),
             json_: bool = JSON) -> None:
    """The labeling learning curve: active learning against random selection at equal budgets, on labeled data."""
    from rich.progress import Progress

    from mlsteward.lifecycle.label_simulation import simulate_labeling

    with Progress(transient=True, disable=json_) as bar:
        task = bar.add_task("simulating", total=None)
        result, path = simulate_labeling(
            open_workspace(), data, label_column=label_column, text_column=text_column, features=_split(features),
            strategy=strategy, initial=initial, batch=batch, budget=budget, repeats=repeats, seed=seed,
            metric=metric, progress=lambda done, total: bar.update(task, completed=done, total=total))
    if json_:
        print_json(result)
        return
    table = Table(header_style="bold")
    for column in ("labels", f"active ({strategy})", "random"):
        table.add_column(column, justify="right")
    for p in result.curve:
        table.add_row(str(p.labelled), f"{p.active_mean:.4f} ± {p.active_std:.4f}",
                      f"{p.random_mean:.4f} ± {p.random_std:.4f}")
    console.print(table)
    console.print(f"mean {metric}: active {result.area_active:.4f}, random {result.area_random:.4f}"
                  + (f"; active matches random's {budget}-label score with {result.labels_to_match_random} labels"
                     if result.labels_to_match_random is not None else ""), highlight=False)
    console.print(f"report: {path}", highlight=False)


__all__ = ["app"]
