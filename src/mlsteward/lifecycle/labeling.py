"""Labeling projects: create one on a dataset version, show an item to an annotator, record answers with the
annotator role checked, and write the consensus labels as a new dataset version with lineage."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel

from mlsteward.errors import InvalidInput, NotPermitted
from mlsteward.lifecycle.datasets import folder_manifest, load_dataset
from mlsteward.spec import Spec
from mlsteward.store._sql import now_ms
from mlsteward.store.labeling import LabelProject, LabelSchema, NewAnnotation, NewItem
from mlsteward.workspace import Workspace

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".webp": "image/webp"}  # not SVG: it can carry scripts
TEXT_TYPES = {".txt", ".md", ".csv", ".json"}


class ItemContent(BaseModel):
    """What an annotator sees of an item: the row's fields, its text, or its file."""

    key: str
    fields: dict[str, str]
    text: str | None = None
    file: str | None = None  # relative path of a folder dataset's file
    media_type: str | None = None
    digest: str | None = None


def parse_schema(labels: Sequence[str] | None = None, rating: str | None = None) -> LabelSchema:
    """``--labels great,other`` or ``--rating 1-5``."""
    if bool(labels) == bool(rating):
        raise InvalidInput("give the label schema as --labels A,B,... (classes) or --rating 1-5 (a scale), not "
                           "both and not neither")
    if rating:
        match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", rating)
        if not match or int(match[1]) >= int(match[2]) or int(match[2]) - int(match[1]) > 20:
            raise InvalidInput(f"--rating must be a scale such as 1-5; got {rating!r}")
        return LabelSchema(kind="rating", labels=[str(v) for v in range(int(match[1]), int(match[2]) + 1)])
    clean = [label.strip() for label in labels or [] if label.strip()]
    if len(clean) < 2 or len(set(clean)) != len(clean):
        raise InvalidInput(f"--labels needs at least two different labels, e.g. --labels great,other; got {labels}")
    return LabelSchema(kind="classes", labels=clean)


def default_guideline(schema: LabelSchema) -> str:
    """A skeleton to edit: a section per label and one for edge cases."""
    intro = ("Read the whole item before answering. Skip when you cannot judge it; flag it as unclear when the "
             "guideline does not say.")
    parts = ["# Labeling guideline", "", intro, ""]
    for label in schema.labels:
        parts += [f"## {label}", "", f"When to answer **{label}**, with an example.", ""]
    parts += ["## Edge cases", "", "Cases that could go either way, and which label they get.", ""]
    return "\n".join(parts)


def create_label_project(workspace: Workspace, spec: Spec, *, name: str, dataset: str, schema: LabelSchema,
                         guideline: str | None = None, annotators_per_item: int = 2, gold_share: float = 0.0,
                         gold_column: str | None = None, id_column: str | None = None,
                         text_column: str | None = None, fields: Sequence[str] | None = None,
                         seed: int = 0) -> LabelProject:
    """A labeling project on ``dataset`` (NAME@VERSION): one item per row (keyed by ``id_column``, else by row
    number) or per file of a folder; ``gold_share`` of the rows become gold items answered by ``gold_column``."""
    if annotators_per_item < 1:
        raise InvalidInput(f"--annotators must be 1 or more; got {annotators_per_item}")
    if not 0 <= gold_share < 1:
        raise InvalidInput(f"--gold-share must be a share in [0, 1), e.g. 0.1; got {gold_share}")
    version = workspace.store.datasets.get(dataset)
    settings: dict = {"id_column": id_column, "text_column": text_column, "gold_column": gold_column}
    if version.kind == "folder":
        if gold_share or gold_column or text_column or id_column:
            raise InvalidInput("a folder dataset's items are its files: --id-column, --text-column and gold "
                               "answers (--gold-from) apply to tables only")
        keys = [entry["path"] for entry in folder_manifest(workspace, version.ref)]
        items, kind, settings["fields"] = [NewItem(key=key) for key in keys], "files", []
    else:
        frame = load_dataset(workspace, version.ref)
        keys = _row_keys(frame, id_column)
        settings["fields"] = _shown_fields(frame, fields, exclude={gold_column, id_column, text_column})
        _check_column(frame, text_column, "--text-column")
        gold = _gold_answers(frame, keys, schema, gold_share, gold_column, seed)
        items = [NewItem(key=key, gold_label=gold.get(key)) for key in keys]
        kind = "text" if text_column else "table"
    project = LabelProject(id=0, name=name, project=spec.project, dataset=version.ref, kind=kind, settings=settings,
                           label_schema=schema, annotators_per_item=annotators_per_item, gold_share=gold_share,
                           guideline_version=1, status="open", created_by=workspace.store.actor,
                           created_at_ms=now_ms())
    return workspace.store.labeling.create(project, guideline or default_guideline(schema), items)


def _row_keys(frame: pd.DataFrame, id_column: str | None) -> list[str]:
    if id_column is None:
        return [str(n) for n in range(len(frame))]
    _check_column(frame, id_column, "--id-column")
    keys = frame[id_column].astype(str).tolist()
    if frame[id_column].isna().any() or len(set(keys)) != len(keys):
        raise InvalidInput(f"--id-column {id_column!r} has missing or repeated values: choose a column that "
                           "identifies each row, or leave it out to number the rows")
    return keys


def _check_column(frame: pd.DataFrame, column: str | None, option: str) -> None:
    if column is not None and column not in frame.columns:
        raise InvalidInput(f"{option} {column!r} is not a column of the dataset; its columns: "
                           f"{', '.join(map(str, frame.columns))}")


def _shown_fields(frame: pd.DataFrame, fields: Sequence[str] | None, exclude: set) -> list[str]:
    for column in fields or []:
        _check_column(frame, column, "--fields")
    return list(fields) if fields else [str(c) for c in frame.columns if c not in exclude]


def _gold_answers(frame: pd.DataFrame, keys: list[str], schema: LabelSchema, share: float, column: str | None,
                  seed: int) -> dict[str, str]:
    if not share:
        return {}
    if column is None:
        raise InvalidInput("gold items need their right answers: name the column that holds them with "
                           "--gold-from COLUMN")
    _check_column(frame, column, "--gold-from")
    answers = frame[column].astype("string")
    usable = [n for n, value in enumerate(answers) if not pd.isna(value)]
    bad = sorted({str(answers.iloc[n]) for n in usable} - set(schema.labels))
    if bad:
        raise InvalidInput(f"--gold-from {column!r} holds {bad[:5]}, not in the label schema {schema.labels}")
    count = round(share * len(frame))
    chosen = np.random.default_rng(seed).choice(usable, size=min(count, len(usable)), replace=False)
    return {keys[n]: str(answers.iloc[n]) for n in sorted(chosen)}


# -- showing and answering -----------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _indexed_rows(workspace: Workspace, ref: str, id_column: str | None) -> pd.DataFrame:
    frame = load_dataset(workspace, ref)
    frame.index = _row_keys(frame, id_column)
    return frame


def item_content(workspace: Workspace, project: LabelProject, key: str) -> ItemContent:
    """The item ``key`` as the annotator sees it (a review item shows the logged request's inputs)."""
    item = workspace.store.labeling.item(project.name, key)
    text_column = project.settings.get("text_column")
    if item.payload is not None:
        row = dict(item.payload.get("inputs", {}))
    elif project.kind == "files":
        entry = next(e for e in folder_manifest(workspace, project.dataset) if e["path"] == key)
        suffix = Path(key).suffix.lower()
        return ItemContent(key=key, fields={"file": key, "size": f"{entry['size']:,} bytes"}, file=key,
                           media_type=IMAGE_TYPES.get(suffix, "text/plain" if suffix in TEXT_TYPES else None),
                           digest=entry["digest"])
    else:
        row = _indexed_rows(workspace, project.dataset, project.settings.get("id_column")).loc[key].to_dict()
    text = None if text_column is None or row.get(text_column) is None else str(row[text_column])
    shown = project.settings.get("fields") or []
    return ItemContent(key=key, text=text, fields={c: _shown(row.get(c)) for c in shown if c in row})


def _shown(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def check_annotator(spec: Spec | None, identity: str | None) -> str:
    """``identity`` when it holds the annotator role in steward.yaml, else a NotPermitted that says how."""
    role = spec.labeling.annotator_role if spec else "annotator"
    if identity is None:
        raise NotPermitted("sign in with an API token to label (`steward tokens create --user YOU`)")
    if spec is None or role not in spec.charter.roles_of(identity):
        raise NotPermitted(f"{identity} does not hold the '{role}' role: add them to charter.stakeholders in "
                           f"steward.yaml with role: {role}")
    return identity


def answer(workspace: Workspace, spec: Spec | None, name: str, annotation: NewAnnotation) -> None:
    """Record one annotator's answer from the web UI or the API (the annotator role is checked)."""
    check_annotator(spec, annotation.annotator)
    workspace.acting_as(annotation.annotator).store.labeling.record(name, [annotation], origin="ui")


def check_adjudicator(spec: Spec | None, identity: str) -> None:
    roles = spec.labeling.adjudicator_roles if spec else []
    if spec is None:
        return
    held = spec.charter.roles_of(identity)
    if (roles and not set(roles) & set(held)) or (not roles and spec.charter.stakeholders and not held):
        raise NotPermitted(f"{identity} may not adjudicate: it needs one of the roles "
                           f"{roles or spec.charter.roles} (labeling.adjudicator_roles in steward.yaml)")


__all__ = ["IMAGE_TYPES", "ItemContent", "answer", "check_adjudicator", "check_annotator", "create_label_project",
           "default_guideline", "item_content", "parse_schema"]
