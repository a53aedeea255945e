"""Import labels made in another tool: a CSV (item, annotator, label) or Label Studio's JSON export. Every row
is checked (ids, labels, one answer per annotator per item) before any is recorded: all or nothing."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Literal

import pandas as pd

from mlsteward.errors import InvalidInput
from mlsteward.store.labeling import LabelProject, NewAnnotation
from mlsteward.workspace import Workspace

ImportFormat = Literal["csv", "label-studio"]


def import_labels(workspace: Workspace, name: str, path: str | Path, *, fmt: ImportFormat | None = None,
                  annotator: str | None = None) -> int:
    """Record the labels in ``path``; returns how many. ``annotator`` names who labeled when the file does not."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise InvalidInput(f"no file {str(path)!r} to import")
    project = workspace.store.labeling.get(name)
    fmt = fmt or ("label-studio" if path.suffix.lower() == ".json" else "csv")
    if fmt == "csv":
        answers = csv_answers(path, project, annotator)
    elif fmt == "label-studio":
        answers = label_studio_answers(path, project, annotator)
    else:
        raise InvalidInput(f"--format must be csv or label-studio; got {fmt!r}")
    if not answers:
        raise InvalidInput(f"{path.name} holds no labels to import")
    return workspace.store.labeling.record(name, answers, origin=fmt)


def csv_answers(path: Path, project: LabelProject, annotator: str | None) -> list[NewAnnotation]:
    """Rows of ``item`` (or the project's id column), ``annotator`` and ``label``; ``note`` and ``seconds`` are
    optional, and ``outcome`` (label, skip, unclear) defaults to label."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    id_column = project.settings.get("id_column")
    key = "item" if "item" in frame.columns else id_column if id_column in frame.columns else None
    missing = [c for c, ok in (("item", key), ("annotator", "annotator" in frame.columns or annotator),
                               ("label", "label" in frame.columns)) if not ok]
    if missing:
        raise InvalidInput(f"{path.name} lacks the column(s) {missing}: a labels CSV has item (or "
                           f"{id_column or 'the id column'}), annotator and label (or give --annotator)")
    answers = []
    for n, row in enumerate(frame.to_dict("records"), start=2):
        who = row.get("annotator") or annotator
        if not who:
            raise InvalidInput(f"{path.name}, line {n}: no annotator; fill the column or give --annotator")
        outcome = row.get("outcome") or "label"
        answers.append(_answer(path, n, item=row[key], annotator=who, outcome=outcome,
                               label=row["label"] or None, note=row.get("note", ""), seconds=row.get("seconds")))
    return answers


def label_studio_answers(path: Path, project: LabelProject, annotator: str | None) -> list[NewAnnotation]:
    """Label Studio's JSON export: tasks whose ``data`` holds the item id (the project's id column, or
    ``item``), each annotation's first choice (or rating) as the label; cancelled annotations are skips."""
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{path.name} is not a Label Studio JSON export: {exc}") from exc
    if not isinstance(tasks, list):
        raise InvalidInput(f"{path.name} is not a Label Studio JSON export (a list of tasks)")
    id_column = project.settings.get("id_column") or "item"
    answers = []
    for n, task in enumerate(tasks):
        data = task.get("data") or {}
        if id_column not in data:
            raise InvalidInput(f"{path.name}, task {task.get('id', n)}: its data has no {id_column!r} to match the "
                               f"project's items (data keys: {sorted(data)})")
        for annotation in task.get("annotations") or []:
            who = _completed_by(annotation.get("completed_by")) or annotator
            if not who:
                raise InvalidInput(f"{path.name}, task {task.get('id', n)}: an annotation names no annotator; give "
                                   "--annotator")
            label = _choice(annotation.get("result") or [])
            outcome = "skip" if annotation.get("was_cancelled") or label is None else "label"
            answers.append(_answer(path, n, item=str(data[id_column]), annotator=who, outcome=outcome,
                                   label=label if outcome == "label" else None, note="",
                                   seconds=annotation.get("lead_time")))
    return answers


def _completed_by(value: object) -> str | None:
    if isinstance(value, dict):
        return value.get("email") or (f"label-studio-user-{value['id']}" if "id" in value else None)
    return f"label-studio-user-{value}" if value is not None else None


def _choice(result: list[dict]) -> str | None:
    for region in result:
        value = region.get("value") or {}
        if value.get("choices"):
            return str(value["choices"][0])
        if "rating" in value:
            return str(value["rating"])
    return None


def _answer(path: Path, where: int, *, item: str, annotator: str, outcome: str, label: str | None, note: str,
            seconds: object) -> NewAnnotation:
    if outcome not in ("label", "skip", "unclear"):
        raise InvalidInput(f"{path.name}, row {where}: outcome {outcome!r} must be label, skip or unclear")
    try:
        timed = float(seconds) if seconds not in (None, "") else None
    except (TypeError, ValueError):
        raise InvalidInput(f"{path.name}, row {where}: seconds {seconds!r} is not a number") from None
    if timed is not None and (math.isnan(timed) or timed < 0):
        raise InvalidInput(f"{path.name}, row {where}: seconds {seconds!r} must be a number >= 0")
    return NewAnnotation(item=str(item), annotator=annotator, outcome=outcome, label=label, note=note or "",
                         seconds=timed)


__all__ = ["csv_answers", "import_labels", "label_studio_answers"]
