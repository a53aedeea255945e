"""Finishing (or checkpointing) a labeling project: the consensus labels, their agreement and provenance per
item, written as a new dataset version with lineage to the unlabeled version and the guideline version, and
the label quality audit stored beside it as evidence."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from pydantic import BaseModel

from mlsteward.errors import InvalidInput
from mlsteward.labeling import consensus
from mlsteward.lifecycle.data_stage import REPORTS_DIR
from mlsteward.lifecycle.datasets import add_dataset, folder_manifest, load_dataset
from mlsteward.lifecycle.label_quality import LabelQualityReport, label_quality, quality_inputs
from mlsteward.report import write_report
from mlsteward.spec import Spec
from mlsteward.store.datasets import DatasetVersion
from mlsteward.store.evidence import Evidence
from mlsteward.store.labeling import Item, LabelProject
from mlsteward.workspace import Workspace

PROVENANCE = ("label_agreement", "label_votes", "label_status", "label_annotators", "label_source",
              "label_guideline")


class LabelVersionResult(BaseModel):
    version: DatasetVersion
    created: bool
    rows: int
    left_out: dict[str, int]  # why items are not in the version: unlabeled, tie
    finished: bool
    report: str  # the audit's HTML path
    quality: LabelQualityReport


def write_label_version(workspace: Workspace, spec: Spec | None, name: str, *, label_column: str = "label",
                        dataset_name: str | None = None, finish: bool = True) -> LabelVersionResult:
    """Write the labels so far as a new version of ``dataset_name`` (default: the project's name); ``finish``
    closes the project to new answers, otherwise it is a checkpoint."""
    store = workspace.store.labeling
    project = store.get(name)
    items = {item.key: item for item in store.items(name)}
    records = store.annotations(name)
    decided = {a.item: a.label for a in store.adjudications(name)}
    given = quality_inputs(records)
    if not given:
        raise InvalidInput(f"{name} has no labels yet: label items in the web UI (`steward ui`) or import them "
                           "with `steward label import`")
    per_item = {c.item: c for c in consensus(given, project.label_schema.labels, adjudicated=decided)}
    frame = _labelled_rows(workspace, project, items, per_item, label_column)
    guideline = f"{name}/guideline@{project.guideline_version}"
    transformation = (f"labeling project {name}: consensus of up to {project.annotators_per_item} annotators per "
                      f"item (majority vote, ties adjudicated), guideline version {project.guideline_version}")
    version, created = add_dataset(workspace, frame, name=dataset_name or name, parents=[project.dataset],
                                   description=f"labels from labeling project {name} ({guideline})",
                                   transformation=transformation)
    quality = label_quality(workspace, spec, name)
    report = _store_audit(workspace, version, quality)
    if finish and project.status == "open":
        store.set_status(name, "finished", version=version.ref)
    ties = sum(1 for c in per_item.values() if c.label is None)
    return LabelVersionResult(version=version, created=created, rows=len(frame), finished=finish,
                              left_out={"unlabeled": len(items) - len(per_item), "tie": ties},
                              report=str(report), quality=quality)


def _labelled_rows(workspace: Workspace, project: LabelProject, items: dict[str, Item], per_item: dict,
                   label_column: str) -> pd.DataFrame:
    """The source rows of the items with a consensus label, plus the label and its provenance columns."""
    keys = [key for key, c in per_item.items() if c.label is not None]
    if not keys:
        raise InvalidInput(f"no item of {project.name} has a consensus label yet (every labeled item is a tie): "
                           "settle ties with `steward label adjudicate`")
    rows = _source_rows(workspace, project, [items[k] for k in keys])
    if label_column in rows.columns or label_column in PROVENANCE:
        raise InvalidInput(f"the dataset already has a column {label_column!r}: choose another --label-column")
    rows[label_column] = [per_item[k].label for k in keys]
    rows["label_agreement"] = [per_item[k].agreement for k in keys]
    rows["label_votes"] = [json.dumps(per_item[k].votes, sort_keys=True) for k in keys]
    rows["label_status"] = [per_item[k].status for k in keys]
    rows["label_annotators"] = [";".join(per_item[k].annotators) for k in keys]
    rows["label_source"] = [items[k].source for k in keys]
    rows["label_guideline"] = project.guideline_version
    return rows.reset_index(drop=True)


def _source_rows(workspace: Workspace, project: LabelProject, items: list[Item]) -> pd.DataFrame:
    if project.kind == "files":
        files = {entry["path"]: entry for entry in folder_manifest(workspace, project.dataset)}
        return pd.DataFrame({"path": [i.key for i in items], "digest": [files[i.key]["digest"] for i in items]})
    id_column = project.settings.get("id_column")
    frame = load_dataset(workspace, project.dataset)
    frame.index = frame[id_column].astype(str) if id_column else [str(n) for n in range(len(frame))]
    from_data = [i.key for i in items if i.payload is None]
    rows = frame.loc[from_data]
    reviewed = [dict(i.payload.get("inputs", {})) for i in items if i.payload is not None]
    if reviewed:
        extra = pd.DataFrame(reviewed, index=[i.key for i in items if i.payload is not None])
        rows = pd.concat([rows, extra.reindex(columns=rows.columns)])
    return rows.loc[[i.key for i in items]]


def _store_audit(workspace: Workspace, version: DatasetVersion, quality: LabelQualityReport) -> Path:
    from mlsteward.report import render_label_report

    html = render_label_report(quality)
    path = write_report(html, Path(workspace.settings.project_root) / REPORTS_DIR / f"{version.ref}-label-audit.html")
    digest = workspace.artifacts.put_bytes(quality.model_dump_json().encode()).digest
    kappa = quality.agreement.fleiss.kappa if quality.agreement and quality.agreement.fleiss else None
    workspace.store.evidence.record(version.ref, [Evidence(kind="label_quality", digest=digest, passed=None, summary={
        "project": quality.project, "items": quality.progress.items, "complete": quality.progress.complete,
        "fleiss_kappa": kappa, "annotators": [a.annotator for a in quality.annotators],
        "gold_accuracy": {g.annotator: g.accuracy for g in quality.gold}, "report": path.name})])
    return path


__all__ = ["LabelVersionResult", "write_label_version"]
