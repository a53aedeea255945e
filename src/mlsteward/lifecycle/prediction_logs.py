"""Reading the prediction log: a model's logged predictions, joined with the feedback sent for them.

The segments are listed in the store (``store.predictions.segments``) and read from the artifact
store, each verified against its sha256 digest. This is what monitoring reads.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mlsteward.store.predictions import SegmentRecord


def read_segments(artifacts: Any, segments: list[SegmentRecord]) -> pd.DataFrame:
    """The rows of these segments, in order, as one frame (each segment hash-verified on read)."""
    tables = [pq.read_table(pa.BufferReader(artifacts.get_bytes(s.digest))) for s in segments]
    if not tables:
        return pd.DataFrame()
    frames = [t.to_pandas() for t in tables]
    return pd.concat(frames, ignore_index=True, sort=False) if len(frames) > 1 else frames[0]


def read_feedback(workspace: Any, model: str | None = None, *, since_ms: int | None = None) -> pd.DataFrame:
    """The latest label per request id (columns ``request_id``, ``label``, ``feedback_time_ms``, and
    ``feedback.<key>`` for any other key the feedback carried, such as a sensitive attribute sent with the
    outcome for fairness monitoring).

    With ``model``, feedback about that model and feedback that names no model.
    """
    segments = [s for s in workspace.store.predictions.segments("feedback", since_ms=since_ms)
                if model is None or s.model in (model, None)]
    frame = read_segments(workspace.artifacts, segments)
    if frame.empty:
        return pd.DataFrame({"request_id": pd.Series(dtype=object), "label": pd.Series(dtype=object),
                             "feedback_time_ms": pd.Series(dtype="int64")})
    extra = [c for c in frame.columns if c not in ("request_id", "label", "time_ms", "model", "version")]
    frame = frame[["request_id", "label", "time_ms", *extra]].rename(
        columns={"time_ms": "feedback_time_ms", **{c: f"feedback.{c}" for c in extra}})
    # latest by time; among equal times the later segment (and the later row in it) wins
    frame = frame.sort_values("feedback_time_ms", kind="stable")
    return frame.drop_duplicates("request_id", keep="last").reset_index(drop=True)


def read_predictions(workspace: Any, model: str, *, since_ms: int | None = None,
                     with_feedback: bool = True) -> pd.DataFrame:
    """A model's logged predictions (at or after ``since_ms`` if given), oldest segment first.

    Columns: ``request_id``, ``time_ms``, ``model``, ``version``, ``latency_ms``, ``prediction``,
    ``probabilities``, ``input.<column>`` …; with ``with_feedback``, also ``label``,
    ``feedback_time_ms`` and ``feedback.<key>`` — the latest feedback for the request, missing where none
    was sent.
    """
    segments = workspace.store.predictions.segments("predictions", model=model, since_ms=since_ms)
    frame = read_segments(workspace.artifacts, segments)
    if frame.empty:
        frame = pd.DataFrame({"request_id": pd.Series(dtype=object), "time_ms": pd.Series(dtype="int64")})
    if since_ms is not None:
        frame = frame[frame["time_ms"] >= since_ms].reset_index(drop=True)
    if not with_feedback:
        return frame
    # feedback comes after its prediction, so feedback older than since_ms is about older predictions
    feedback = read_feedback(workspace, model, since_ms=since_ms)
    return frame.merge(feedback, on="request_id", how="left", validate="many_to_one")


__all__ = ["read_feedback", "read_predictions", "read_segments"]
