"""The prediction-segment index: recorded in one audited transaction, listed by kind, model and time."""

from __future__ import annotations

import pytest

from mlsteward.errors import InvalidInput
from mlsteward.store import Store
from mlsteward.store.predictions import NewSegment


def _segment(kind: str = "predictions", model: str | None = "churn", version: int | None = 1, *,
             digest: str = "sha256:" + "a" * 64, first: int = 1_000, last: int = 2_000, rows: int = 10) -> NewSegment:
    return NewSegment(kind=kind, model=model, version=version, digest=digest, rows=rows, bytes=123,
                      first_time_ms=first, last_time_ms=last)


def test_segment_is_recorded_and_audited(store: Store) -> None:
    record = store.predictions.record_segment(_segment())
    assert (record.kind, record.model, record.version, record.rows, record.bytes) == ("predictions", "churn", 1,
                                                                                     10, 123)
    assert (record.first_time_ms, record.last_time_ms) == (1_000, 2_000)
    assert store.predictions.segments("predictions") == [record]
    events = store.audit.list(entity_type="prediction_segment")
    assert [(e.action, e.entity_id, e.details["rows"], e.details["digest"]) for e in events] == [
        ("predictions.logged", record.id, 10, record.digest)]
    assert store.audit.verify().ok


def test_recording_the_same_segment_again_returns_the_first_record(store: Store) -> None:
    first = store.predictions.record_segment(_segment())
    again = store.predictions.record_segment(_segment())
    assert again == first
    assert len(store.predictions.segments("predictions")) == 1
    # the same bytes as feedback are another segment
    store.predictions.record_segment(_segment("feedback", None, None))
    assert len(store.predictions.segments("feedback")) == 1


def test_segments_are_listed_by_kind_model_and_time(store: Store) -> None:
    digests = iter(f"sha256:{i:064x}" for i in range(10))
    old = store.predictions.record_segment(_segment(digest=next(digests), first=100, last=200))
    new = store.predictions.record_segment(_segment(digest=next(digests), first=300, last=400))
    other = store.predictions.record_segment(_segment(model="fraud", digest=next(digests), first=150, last=250))
    feedback = store.predictions.record_segment(_segment("feedback", None, None, digest=next(digests)))
    assert store.predictions.segments("predictions") == [old, other, new]
    assert store.predictions.segments("predictions", model="churn") == [old, new]
    assert store.predictions.segments("predictions", model="churn", since_ms=201) == [new]
    assert store.predictions.segments("predictions", since_ms=200) == [old, other, new]
    assert store.predictions.segments("predictions", since_ms=401) == []
    assert store.predictions.segments("feedback") == [feedback]


def test_bad_segments_and_kinds_are_refused(store: Store) -> None:
    with pytest.raises(InvalidInput, match="kind must be one of predictions, feedback"):
        store.predictions.segments("prediction")
    with pytest.raises(InvalidInput, match="at least one row"):
        store.predictions.record_segment(_segment(rows=0))
    with pytest.raises(InvalidInput, match="first_time_ms <= last_time_ms"):
        store.predictions.record_segment(_segment(first=5, last=4))
    assert store.predictions.segments("predictions") == []
