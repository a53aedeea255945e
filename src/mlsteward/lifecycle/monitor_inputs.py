"""What a monitor run reads: the window of logged traffic, and the reference statistics stored once.

The reference is a dataset version (the monitor's ``reference``, default: the training data the live
version was registered with). Its statistics (``mlsteward.monitor.reference_profile``) are computed the
first time a monitor needs them and stored with that version as data-stage evidence (kind
``reference_profile``, the profile's bytes in the artifact store), so later runs read only the current
window. The reference of *prediction* drift is the live version's predictions on the reference data,
stored the same way once per model version.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.lifecycle.prediction_logs import read_predictions
from mlsteward.monitor import ReferenceProfile, reference_profile
from mlsteward.store.evidence import Evidence
from mlsteward.store.models import ModelVersion
from mlsteward.workspace import Workspace

INPUT_PREFIX = "input."
PREDICTION = "prediction"


def logged_window(workspace: Workspace, model: str, start_ms: int, end_ms: int) -> pd.DataFrame:
    """The model's logged predictions in ``[start_ms, end_ms)`` with their feedback; shadow rows left out
    (they answered no one), so each row is a prediction a caller received."""
    frame = read_predictions(workspace, model, since_ms=start_ms)
    if frame.empty:
        return frame
    frame = frame[frame["time_ms"] < end_ms]
    if "arm" in frame.columns:
        frame = frame[frame["arm"] != "shadow"]
    return frame.reset_index(drop=True)


def window_segment(artifacts_url: str, digest: str, start_ms: int, end_ms: int) -> pa.Table:
    """One prediction-log segment's rows in ``[start_ms, end_ms)`` that answered a caller (hash-verified):
    what a Ray task of the monitor reads, so it takes only picklable arguments."""
    from mlsteward.artifacts import ArtifactStore

    table = pq.read_table(pa.BufferReader(ArtifactStore.from_url(artifacts_url).get_bytes(digest)))
    keep = pc.and_(pc.greater_equal(table["time_ms"], start_ms), pc.less(table["time_ms"], end_ms))
    if "arm" in table.column_names:
        keep = pc.and_(keep, pc.not_equal(table["arm"], "shadow"))
    return table.filter(keep)


def window_readers(workspace: Workspace, model: str, start_ms: int, end_ms: int) -> list:
    """A reader per prediction-log segment of the window (``window_segment`` bound to it), oldest first."""
    segments = workspace.store.predictions.segments("predictions", model=model, since_ms=start_ms)
    return [functools.partial(window_segment, workspace.settings.artifacts_url, s.digest, start_ms, end_ms)
            for s in segments if s.first_time_ms < end_ms]


def model_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """The logged ``input.<column>`` values under their own names."""
    columns = [c for c in frame.columns if c.startswith(INPUT_PREFIX)]
    return frame[columns].rename(columns=lambda c: c[len(INPUT_PREFIX):])


def reference_of(workspace: Workspace, version: ModelVersion, configured: str | None) -> str:
    """The reference dataset version: the configured one, else the data ``version`` was trained on."""
    ref = configured or version.input_schema.get("source")
    if not ref:
        raise InvalidInput(f"{version.ref} records no training data: give the monitor a reference dataset version "
                           "(monitoring.monitors[].reference, e.g. gss-train@1)")
    return workspace.store.datasets.get(ref).ref


def stored_profile(workspace: Workspace, reference: str, target: str | None) -> ReferenceProfile:
    """The reference's statistics, computed and stored the first time they are needed."""
    kind = "reference_profile"
    found = workspace.store.evidence.of(reference).get(kind)
    if found is not None:
        return ReferenceProfile.from_bytes(workspace.artifacts.get_bytes(found.digest))
    frame = load_dataset(workspace, reference)
    profile = reference_profile(frame, target=target if target in frame.columns else None)
    _store(workspace, reference, kind, profile, {"columns": len(frame.columns), "rows": len(frame)})
    return profile


def stored_prediction_profile(workspace: Workspace, reference: str, version: ModelVersion,
                              model: Any) -> ReferenceProfile:
    """The statistics of ``version``'s predictions on the reference data, computed and stored once."""
    kind = "prediction_profile:" + hashlib.sha256(version.ref.encode()).hexdigest()[:16]
    found = workspace.store.evidence.of(reference).get(kind)
    if found is not None:
        return ReferenceProfile.from_bytes(workspace.artifacts.get_bytes(found.digest))
    frame = load_dataset(workspace, reference)
    columns = [c["name"] for c in version.input_schema.get("columns", [])]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInput(f"the reference {reference} lacks the inputs {missing} of {version.ref}: give the monitor "
                           "a reference dataset version with the model's input columns")
    predictions = pd.DataFrame({PREDICTION: np.asarray(model.predict(frame[columns]))})
    profile = reference_profile(predictions)
    _store(workspace, reference, kind, profile, {"model": version.ref, "rows": len(frame)})
    return profile


def _store(workspace: Workspace, reference: str, kind: str, profile: ReferenceProfile, summary: dict) -> None:
    digest = workspace.artifacts.put_bytes(profile.to_bytes()).digest
    workspace.store.evidence.record(reference, [Evidence(kind=kind, digest=digest, passed=None, summary=summary)])


__all__ = [
    "INPUT_PREFIX",
    "PREDICTION",
    "logged_window",
    "model_inputs",
    "reference_of",
    "stored_prediction_profile",
    "stored_profile",
]
