"""The label quality audit of a labeling project: progress and throughput per annotator, agreement (Cohen's
kappa per pair, Fleiss' kappa overall and per label), gold accuracy, consensus and the conflicts to
adjudicate, which labels are confused and the guideline sections implicated, and the labeling cost."""

from __future__ import annotations

import re
import statistics
from collections import Counter

from pydantic import BaseModel

from mlsteward.errors import InvalidInput
from mlsteward.labeling import (
    AgreementResult,
    Annotation,
    AnnotatorGold,
    ImplicatedSection,
    ItemConsensus,
    LabelConfusion,
    LabelingCostEstimate,
    agreement,
    conflicts,
    consensus,
    gold_accuracy,
    implicated_sections,
    label_confusion,
    labeling_cost,
)
from mlsteward.spec import Spec
from mlsteward.store.labeling import AnnotationRecord, Item, LabelProject
from mlsteward.workspace import Workspace

CONFLICTS_SHOWN = 50


class AnnotatorProgress(BaseModel):
    annotator: str
    labeled: int
    skipped: int
    unclear: int
    median_seconds: float | None  # per answer, timed in the web UI
    items_per_hour: float | None
    gold_accuracy: float | None


class LabelProgress(BaseModel):
    items: int
    complete: int  # labeled by as many annotators as the project asks
    in_progress: int
    untouched: int
    gold_items: int
    by_source: dict[str, int]


class UnclearItem(BaseModel):
    item: str
    annotator: str
    note: str


class LabelQualityReport(BaseModel):
    """One labeling project's quality audit, as the CLI, the dashboard and the HTML report show it."""

    project: str
    dataset: str
    guideline_version: int
    labels: list[str]
    annotators_per_item: int
    progress: LabelProgress
    annotators: list[AnnotatorProgress]
    agreement: AgreementResult | None
    agreement_note: str | None = None
    gold: list[AnnotatorGold]
    consensus_counts: dict[str, int]
    conflicts: list[ItemConsensus]
    confusion: LabelConfusion | None
    sections: list[ImplicatedSection]
    unclear: list[UnclearItem]
    cost: LabelingCostEstimate | None
    cost_note: str | None = None


def guideline_sections(text: str, labels: list[str]) -> dict[str, list[str]]:
    """Each ``## `` section of a Markdown guideline and the labels it mentions (as whole words)."""
    sections: dict[str, list[str]] = {}
    for block in re.split(r"(?m)^##\s+", text)[1:]:
        title, _, body = block.partition("\n")
        words = f"{title}\n{body}".lower()
        sections[title.strip()] = [label for label in labels
                                   if re.search(rf"(?<![\w-]){re.escape(label.lower())}(?![\w-])", words)]
    return sections


def quality_inputs(records: list[AnnotationRecord]) -> list[Annotation]:
    """The labels given (skips and "unclear" left out) as the core's Annotation records."""
    return [Annotation(item=r.item, annotator=r.annotator, label=r.label) for r in records
            if r.outcome == "label" and r.label is not None]


def label_quality(workspace: Workspace, spec: Spec | None, name: str) -> LabelQualityReport:
    store = workspace.store.labeling
    project = store.get(name)
    items, records = store.items(name), store.annotations(name)
    labels = project.label_schema.labels
    given = quality_inputs(records)
    gold = {item.key: item.gold_label for item in items if item.gold_label is not None}
    decided = {a.item: a.label for a in store.adjudications(name)}
    agreed, agreement_note = None, None
    try:
        agreed = agreement(given, labels)
    except InvalidInput as exc:
        agreement_note = str(exc)
    per_item = consensus(given, labels, adjudicated=decided) if given else []
    confusion = label_confusion(given, labels) if given else None
    sections = guideline_sections(store.guideline(name).text, labels)
    gold_rows = gold_accuracy(given, gold) if given and gold else []
    cost, cost_note = _cost(spec, project, items, records)
    return LabelQualityReport(
        project=name, dataset=project.dataset, guideline_version=project.guideline_version, labels=labels,
        annotators_per_item=project.annotators_per_item, progress=_progress(project, items, records),
        annotators=_annotators(records, gold_rows), agreement=agreed, agreement_note=agreement_note, gold=gold_rows,
        consensus_counts=dict(Counter(c.status for c in per_item)), conflicts=conflicts(per_item)[:CONFLICTS_SHOWN],
        confusion=confusion, sections=implicated_sections(confusion, sections) if confusion and sections else [],
        unclear=[UnclearItem(item=r.item, annotator=r.annotator, note=r.note) for r in records
                 if r.outcome == "unclear"],
        cost=cost, cost_note=cost_note)


def _progress(project: LabelProject, items: list[Item], records: list[AnnotationRecord]) -> LabelProgress:
    labeled = Counter(r.item for r in records if r.outcome == "label")
    touched = {r.item for r in records}
    complete = sum(1 for item in items if labeled[item.key] >= project.annotators_per_item)
    return LabelProgress(items=len(items), complete=complete,
                         in_progress=sum(1 for i in items if i.key in touched) - complete,
                         untouched=sum(1 for i in items if i.key not in touched),
                         gold_items=sum(1 for i in items if i.gold_label is not None),
                         by_source=dict(Counter(i.source for i in items)))


def _annotators(records: list[AnnotationRecord], gold: list[AnnotatorGold]) -> list[AnnotatorProgress]:
    accuracy = {g.annotator: g.accuracy for g in gold}
    out = []
    for annotator in sorted({r.annotator for r in records}):
        mine = [r for r in records if r.annotator == annotator]
        timed = [r.seconds for r in mine if r.seconds is not None]
        median = statistics.median(timed) if timed else None
        out.append(AnnotatorProgress(
            annotator=annotator, labeled=sum(r.outcome == "label" for r in mine),
            skipped=sum(r.outcome == "skip" for r in mine), unclear=sum(r.outcome == "unclear" for r in mine),
            median_seconds=median, items_per_hour=3600 * len(timed) / sum(timed) if timed and sum(timed) else None,
            gold_accuracy=accuracy.get(annotator)))
    return out


def _cost(spec: Spec | None, project: LabelProject, items: list[Item],
          records: list[AnnotationRecord]) -> tuple[LabelingCostEstimate | None, str | None]:
    timed = [r.seconds for r in records if r.seconds is not None]
    if not timed:
        return None, "no answer is timed yet: the web UI times each one (imported labels are not timed)"
    labeled = Counter(r.item for r in records if r.outcome == "label")
    done = sum(1 for i in items if labeled[i.key] >= project.annotators_per_item)
    rate = spec.labeling.hourly_rate_usd if spec else None
    budget = spec.charter.constraints.labeling_budget_usd if spec else None
    estimate = labeling_cost(timed, done, len(items) - done, project.annotators_per_item, rate, budget)
    return estimate, None


def measured_cost_per_item(workspace: Workspace, spec: Spec) -> tuple[float, str] | None:
    """The cost per labeled item measured in the project's newest labeling project with timed answers (and the
    project's name), for the feasibility study's labeling-cost estimate; None when none is measured."""
    for project in reversed(workspace.store.labeling.list()):
        if project.project != spec.project:
            continue
        cost, _ = _cost(spec, project, workspace.store.labeling.items(project.name),
                        workspace.store.labeling.annotations(project.name))
        if cost is not None and cost.cost_per_item is not None:
            return cost.cost_per_item, project.name
    return None


__all__ = ["AnnotatorProgress", "LabelProgress", "LabelQualityReport", "guideline_sections", "label_quality",
           "measured_cost_per_item", "quality_inputs"]
