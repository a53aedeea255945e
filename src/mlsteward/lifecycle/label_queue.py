"""What to label next: the items a model is least sure of (active learning), and production predictions sent
back for review (corrected by users through the feedback endpoint, or low-confidence ones monitoring flags)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from pydantic import BaseModel

from mlsteward.errors import InvalidInput
from mlsteward.labeling.active import ActiveQueue, queue_from_model
from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.lifecycle.prediction_logs import read_predictions
from mlsteward.lifecycle.registry import load_model_version
from mlsteward.store.labeling import NewItem
from mlsteward.workspace import Workspace

INPUT_PREFIX = "input."


class ReviewQueueResult(BaseModel):
    project: str
    model: str
    corrected: int  # predictions whose feedback label differs from the prediction
    low_confidence: int  # predictions whose top probability is under the threshold
    added: int  # items new to the project (the rest were queued before)


def queue_for_labeling(workspace: Workspace, name: str, model: str, *, strategy: str = "entropy", batch: int = 50,
                       diversity: float = 0.0, committee: list[str] | None = None) -> ActiveQueue:
    """Rank the project's items that have no label yet by how unsure ``model`` (NAME@VERSION) is of them, and
    put the top ``batch`` first in the annotators' queue."""
    store = workspace.store.labeling
    project = store.get(name)
    if project.kind == "files":
        raise InvalidInput("active learning needs model inputs: it works on table and text projects, not folders")
    labelled = {r.item for r in store.annotations(name) if r.outcome == "label"}
    pool = [i.key for i in store.items(name) if i.key not in labelled and i.payload is None]
    if not pool:
        raise InvalidInput(f"every item of {name} has a label already: there is nothing left to rank")
    frame = load_dataset(workspace, project.dataset)
    id_column = project.settings.get("id_column")
    frame.index = frame[id_column].astype(str) if id_column else [str(n) for n in range(len(frame))]
    rows = frame.loc[pool].drop(columns=[c for c in (project.settings.get("gold_column"),) if c], errors="ignore")
    members = [load_model_version(workspace, ref) for ref in committee or []]
    queue = queue_from_model(load_model_version(workspace, model), rows, pool, strategy=strategy,
                             batch=min(batch, len(pool)), diversity=diversity, committee=members or None)
    store.prioritise(name, {q.item: float(len(queue.items) - q.rank + 1) for q in queue.items},
                     strategy=f"{strategy} by {model}")
    return queue


def review_production(workspace: Workspace, name: str, model: str, *, since_ms: int | None = None,
                      low_confidence: float | None = 0.6, limit: int = 500) -> ReviewQueueResult:
    """Send ``model``'s logged predictions that users corrected (feedback differs from the prediction) or that
    were unsure (top probability under ``low_confidence``) to labeling project ``name`` for review."""
    if low_confidence is not None and not 0 < low_confidence <= 1:
        raise InvalidInput(f"--low-confidence must be a probability in (0, 1]; got {low_confidence}")
    workspace.store.labeling.get(name)
    logged = read_predictions(workspace, model, since_ms=since_ms)
    if logged.empty:
        raise InvalidInput(f"no logged predictions of {model}: serve it (`steward serve`) and send requests first")
    logged = logged.assign(_row=logged.groupby("request_id").cumcount())
    corrected = _corrected(logged)
    unsure = _unsure(logged, low_confidence) & ~corrected
    chosen = logged[corrected | unsure].head(limit)
    items = [NewItem(key=_key(row), source="feedback" if corrected[index] else "monitoring",
                     priority=2.0 if corrected[index] else 1.0, payload=_payload(row))
             for index, row in chosen.iterrows()]
    added = workspace.store.labeling.add_items(name, items) if items else 0
    counts = Counter(item.source for item in items)
    return ReviewQueueResult(project=name, model=model, corrected=counts["feedback"],
                             low_confidence=counts["monitoring"], added=added)


def _corrected(logged: pd.DataFrame) -> pd.Series:
    if "label" not in logged:
        return pd.Series(False, index=logged.index)
    has = logged["label"].notna()
    return has & (logged["label"].astype(str) != logged["prediction"].astype(str))


def _unsure(logged: pd.DataFrame, threshold: float | None) -> pd.Series:
    if threshold is None or "probabilities" not in logged:
        return pd.Series(False, index=logged.index)
    return logged["probabilities"].map(lambda p: _top(p) < threshold)


def _top(probabilities: object) -> float:
    """The largest class probability of a logged row (an array, or a class -> probability mapping)."""
    if probabilities is None:
        return 1.0
    values = probabilities.values() if isinstance(probabilities, dict) else probabilities
    numbers = [float(v[1] if isinstance(v, tuple) else v) for v in values if v is not None]
    return max(numbers) if numbers else 1.0


def _key(row: pd.Series) -> str:
    return str(row["request_id"]) if row["_row"] == 0 else f"{row['request_id']}#{row['_row']}"


def _payload(row: pd.Series) -> dict:
    inputs = {c[len(INPUT_PREFIX):]: _plain(v) for c, v in row.items() if str(c).startswith(INPUT_PREFIX)}
    return {"inputs": inputs, "request_id": str(row["request_id"]), "model": f"{row['model']}@{row['version']}",
            "prediction": _plain(row["prediction"]), "feedback": _plain(row.get("label")),
            "time_ms": int(row["time_ms"])}


def _plain(value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    return value.item() if isinstance(value, np.generic) else value


def reviewed_labels_since(workspace: Workspace, since_ms: int) -> int:
    """Low-confidence production predictions reviewed (labeled) since ``since_ms``, over every labeling project:
    new labelled data for the retraining trigger (corrected ones already count as their feedback rows)."""
    total = 0
    for project in workspace.store.labeling.list():
        review = {i.key for i in workspace.store.labeling.items(project.name) if i.source == "monitoring"}
        if review:
            total += len({r.item for r in workspace.store.labeling.annotations(project.name)
                          if r.item in review and r.outcome == "label" and r.created_at_ms >= since_ms})
    return total


__all__ = ["ReviewQueueResult", "queue_for_labeling", "review_production", "reviewed_labels_since"]
