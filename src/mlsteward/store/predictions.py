"""Prediction-log segments in the system of record.

The logged predictions and the feedback (ground truth) sent back for them are append-only Parquet
segments in the artifact store (``mlsteward.serving.prediction_log`` writes them); this table is their
index: one row per segment, with its digest, row count and time range, recorded in one audited
transaction. Readers (``mlsteward.lifecycle.prediction_logs``) list the segments here and read the
files hash-verified from the artifact store.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Literal

import sqlalchemy as sa
from pydantic import BaseModel

from mlsteward.errors import InvalidInput
from mlsteward.store._sql import now_ms
from mlsteward.store.schema import prediction_segments

if TYPE_CHECKING:
    from mlsteward.store.store import Store

SegmentKind = Literal["predictions", "feedback"]
SEGMENT_KINDS: tuple[str, ...] = ("predictions", "feedback")


class NewSegment(BaseModel):
    kind: SegmentKind
    model: str | None
    version: int | None
    digest: str  # the Parquet file in the artifact store, "sha256:<hex>"
    rows: int
    bytes: int
    first_time_ms: int
    last_time_ms: int


class SegmentRecord(NewSegment):
    id: str
    created_at_ms: int


class PredictionStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    def record_segment(self, new: NewSegment) -> SegmentRecord:
        """Record one stored segment (audited) in one transaction.

        Recording the same kind and digest again returns the existing record: a writer that retries
        after an error whose commit did in fact succeed does not index its rows twice.
        """
        if new.rows < 1 or new.first_time_ms > new.last_time_ms:
            raise InvalidInput(f"a {new.kind} segment needs at least one row and first_time_ms <= last_time_ms; "
                               f"got rows={new.rows}, first_time_ms={new.first_time_ms}, "
                               f"last_time_ms={new.last_time_ms}")
        segment_id = uuid.uuid4().hex
        with self._store.write() as tx:
            existing = tx.conn.execute(sa.select(prediction_segments).where(
                prediction_segments.c.kind == new.kind, prediction_segments.c.digest == new.digest)).first()
            if existing is not None:
                return SegmentRecord(**existing._asdict())
            row = new.model_dump() | {"id": segment_id, "created_at_ms": now_ms()}
            tx.conn.execute(prediction_segments.insert().values(**row))
            tx.audit.append(f"{new.kind}.logged", "prediction_segment", segment_id, model=new.model,
                            version=new.version, digest=new.digest, rows=new.rows,
                            first_time_ms=new.first_time_ms, last_time_ms=new.last_time_ms)
        return SegmentRecord(**row)

    def segments(self, kind: str, model: str | None = None, since_ms: int | None = None) -> list[SegmentRecord]:
        """Segments of one kind, oldest first; of one model if given; holding rows at or after ``since_ms``."""
        if kind not in SEGMENT_KINDS:
            raise InvalidInput(f"segment kind must be one of {', '.join(SEGMENT_KINDS)}; got {kind!r}")
        t = prediction_segments
        query = sa.select(t).where(t.c.kind == kind).order_by(t.c.first_time_ms, t.c.created_at_ms, t.c.id)
        if model is not None:
            query = query.where(t.c.model == model)
        if since_ms is not None:
            query = query.where(t.c.last_time_ms >= since_ms)
        with self._store.read() as conn:
            return [SegmentRecord(**r._asdict()) for r in conn.execute(query)]


__all__ = ["SEGMENT_KINDS", "NewSegment", "PredictionStore", "SegmentKind", "SegmentRecord"]
