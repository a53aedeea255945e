"""The prediction and feedback logs: rotation by rows and time, nothing lost on close or SIGTERM, reading."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlsteward.artifacts import ArtifactStore
from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.prediction_logs import read_feedback, read_predictions
from mlsteward.serving.prediction_log import FeedbackLog, PredictionLog, PredictionLogUnavailable
from mlsteward.store import Store


@pytest.fixture
def workspace(store: Store, tmp_path: Path) -> SimpleNamespace:
    return SimpleNamespace(store=store, artifacts=ArtifactStore(str(tmp_path / "artifacts")))


def _row(i: int, *, model: str = "churn", version: int = 1, time_ms: int | None = None) -> dict:
    return {"request_id": f"r{i}", "time_ms": 1_700_000_000_000 + i if time_ms is None else time_ms,
            "model": model, "version": version, "inputs": {"age": 20 + i, "plan": "basic" if i % 2 else "pro"},
            "outputs": {"prediction": i % 2, "probabilities": [0.25, 0.75]}, "latency_ms": 1.5}


def _wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _segments(workspace: SimpleNamespace, kind: str = "predictions") -> list:
    return workspace.store.predictions.segments(kind)


def _table(workspace: SimpleNamespace, digest: str) -> pa.Table:
    return pq.read_table(io.BytesIO(workspace.artifacts.get_bytes(digest)))


def test_segments_rotate_by_rows(workspace: SimpleNamespace) -> None:
    sink = PredictionLog(workspace, max_rows=5, max_seconds=3600)
    sink.append([_row(i) for i in range(7)])
    sink.append([_row(i) for i in range(7, 12)])
    _wait_until(lambda: len(_segments(workspace)) == 2)
    time.sleep(0.3)
    assert [s.rows for s in _segments(workspace)] == [5, 5]  # the last 2 wait for more rows or the clock
    assert sink.pending_rows == 2
    sink.close()
    segments = _segments(workspace)
    assert [s.rows for s in segments] == [5, 5, 2]
    assert [(s.first_time_ms, s.last_time_ms) for s in segments] == [
        (1_700_000_000_000, 1_700_000_000_004), (1_700_000_000_005, 1_700_000_000_009),
        (1_700_000_000_010, 1_700_000_000_011)]
    assert all(s.bytes == len(workspace.artifacts.get_bytes(s.digest)) for s in segments)
    assert read_predictions(workspace, "churn")["request_id"].tolist() == [f"r{i}" for i in range(12)]
    events = workspace.store.audit.list(entity_type="prediction_segment")
    assert sorted(e.entity_id for e in events) == sorted(s.id for s in segments)


def test_segments_rotate_by_time(workspace: SimpleNamespace) -> None:
    sink = PredictionLog(workspace, max_rows=1000, max_seconds=0.4)
    appended = time.monotonic()
    sink.append([_row(i) for i in range(3)])
    _wait_until(lambda: len(_segments(workspace)) == 1)
    assert time.monotonic() - appended >= 0.4
    assert _segments(workspace)[0].rows == 3
    sink.append([_row(3)])
    _wait_until(lambda: len(_segments(workspace)) == 2)
    sink.close()
    assert [s.rows for s in _segments(workspace)] == [3, 1]


def test_segments_rotate_by_size(workspace: SimpleNamespace) -> None:
    sink = PredictionLog(workspace, max_rows=1000, max_bytes=2_000, max_seconds=3600)
    sink.append([_row(i) | {"inputs": {"text": "x" * 500}} for i in range(9)])
    _wait_until(lambda: len(_segments(workspace)) >= 2)
    sink.close()
    segments = _segments(workspace)
    assert sum(s.rows for s in segments) == 9
    assert max(s.rows for s in segments) <= 4


def test_segment_columns_and_one_segment_per_model_version(workspace: SimpleNamespace) -> None:
    rows = [_row(0), _row(1, version=2), _row(2, model="fraud"), _row(3)]
    rows[3]["inputs"]["age"] = "unknown"  # ints and a string: kept as JSON text, not dropped
    rows[3]["outputs"] = {"prediction": 1, "probabilities": None, "explanation": "rule 3"}
    rows[3]["mode"] = "shadow"
    with PredictionLog(workspace) as sink:
        sink.append(rows)
    segments = _segments(workspace)
    assert sorted((s.model, s.version, s.rows) for s in segments) == [("churn", 1, 2), ("churn", 2, 1),
                                                                      ("fraud", 1, 1)]
    churn1 = next(s for s in segments if (s.model, s.version) == ("churn", 1))
    table = _table(workspace, churn1.digest)
    assert table.column_names == ["request_id", "time_ms", "model", "version", "latency_ms", "prediction",
                                  "probabilities", "input.age", "input.plan", "output.explanation", "mode"]
    assert table.schema.field("probabilities").type == pa.list_(pa.float64())
    assert table.schema.field("time_ms").type == pa.int64()
    assert table.to_pydict() | {} == {
        "request_id": ["r0", "r3"], "time_ms": [1_700_000_000_000, 1_700_000_000_003], "model": ["churn"] * 2,
        "version": [1, 1], "latency_ms": [1.5, 1.5], "prediction": [0, 1], "probabilities": [[0.25, 0.75], None],
        "input.age": ["20", '"unknown"'], "input.plan": ["pro", "basic"], "output.explanation": [None, "rule 3"],
        "mode": [None, "shadow"]}


def test_rows_as_the_service_sends_them(workspace: SimpleNamespace) -> None:
    """Probabilities by class and numpy values, as the prediction service hands them over."""
    rows = [_row(i) | {"outputs": {"prediction": np.int64(i % 2),
                                   "probabilities": {"no": np.float64(0.9 - i / 10), "yes": np.float64(0.1 + i / 10)}},
                       "inputs": {"age": np.float64(30.5), "plan": None}} for i in range(2)]
    with PredictionLog(workspace) as sink:
        sink.append(rows)
    frame = read_predictions(workspace, "churn", with_feedback=False)
    assert frame["prediction"].tolist() == [0, 1]
    assert [list(c) for c in frame["classes"]] == [["no", "yes"]] * 2
    assert [list(p) for p in frame["probabilities"]] == [[0.9, 0.1], [0.8, 0.2]]
    assert frame["input.age"].tolist() == [30.5, 30.5]
    assert frame["input.plan"].isna().all()


def test_close_is_idempotent_and_refuses_later_rows(workspace: SimpleNamespace) -> None:
    sink = PredictionLog(workspace)
    sink.append([_row(0)])
    sink.close()
    sink.close()
    assert sink.closed and [s.rows for s in _segments(workspace)] == [1]
    with pytest.raises(PredictionLogUnavailable, match="closed"):
        sink.append([_row(1)])
    sink.flush()
    empty = PredictionLog(workspace)
    empty.close()
    assert len(_segments(workspace)) == 1


def test_flush_writes_what_is_buffered(workspace: SimpleNamespace) -> None:
    sink = PredictionLog(workspace, max_seconds=3600)
    sink.append([_row(0), _row(1)])
    sink.flush(timeout=30)
    assert [s.rows for s in _segments(workspace)] == [2]
    assert sink.pending_rows == 0 and sink.last_error is None
    sink.close()


class _FlakyArtifacts:
    """An artifact store whose writes fail while ``failing`` is set."""

    def __init__(self, inner: ArtifactStore) -> None:
        self.inner, self.failing, self.failures = inner, True, 0

    def put_bytes(self, data: bytes):
        if self.failing:
            self.failures += 1
            raise OSError("artifact store unreachable")
        return self.inner.put_bytes(data)

    def get_bytes(self, digest: str) -> bytes:
        return self.inner.get_bytes(digest)


def test_a_failed_write_keeps_the_rows_and_is_retried(workspace: SimpleNamespace) -> None:
    flaky = _FlakyArtifacts(workspace.artifacts)
    sink = PredictionLog(workspace.store, flaky, max_rows=2, max_seconds=3600)
    sink.append([_row(i) for i in range(3)])
    _wait_until(lambda: flaky.failures >= 1)
    with pytest.raises(PredictionLogUnavailable, match="could not be written yet"):
        sink.flush(timeout=30)
    assert isinstance(sink.last_error, OSError) and sink.pending_rows == 3
    assert _segments(workspace) == []
    flaky.failing = False
    _wait_until(lambda: len(_segments(workspace)) == 1)  # retried with backoff, without being asked
    _wait_until(lambda: sink.last_error is None)  # the writer clears the error just after recording the segment
    assert sink.last_error is None
    sink.close()
    assert sorted(read_predictions(workspace, "churn")["request_id"]) == ["r0", "r1", "r2"]


def test_close_surfaces_a_failure_and_can_be_retried(workspace: SimpleNamespace) -> None:
    flaky = _FlakyArtifacts(workspace.artifacts)
    sink = PredictionLog(workspace.store, flaky, max_seconds=3600)
    sink.append([_row(0), _row(1)])
    with pytest.raises(PredictionLogUnavailable, match="2 predictions rows could not be written at close"):
        sink.close()
    assert not sink.closed and sink.pending_rows == 2
    flaky.failing = False
    sink.close()
    assert sink.closed and [s.rows for s in _segments(workspace)] == [2]


def test_append_refuses_rows_when_too_many_are_waiting(workspace: SimpleNamespace) -> None:
    flaky = _FlakyArtifacts(workspace.artifacts)
    sink = PredictionLog(workspace.store, flaky, max_rows=2, max_seconds=3600, max_pending_rows=4)
    sink.append([_row(0), _row(1)])
    sink.append([_row(2), _row(3)])
    with pytest.raises(PredictionLogUnavailable, match="4 rows waiting to be written"):
        sink.append([_row(4)])
    flaky.failing = False
    sink.close()
    assert sum(s.rows for s in _segments(workspace)) == 4


def test_bad_rows_are_refused_whole(workspace: SimpleNamespace) -> None:
    sink = PredictionLog(workspace)
    feedback = FeedbackLog(workspace)
    with pytest.raises(InvalidInput, match="prediction row 1 must be a dict with a string 'request_id'"):
        sink.append([_row(0), {"time_ms": 1}])
    with pytest.raises(InvalidInput, match="feedback 0 must be an object .* and a 'label'"):
        feedback.append([{"request_id": "r0"}])
    with pytest.raises(InvalidInput, match="'time_ms' must be integer"):
        feedback.append([{"request_id": "r0", "label": 1, "time_ms": "yesterday"}])
    with pytest.raises(InvalidInput, match="must be a positive number"):
        PredictionLog(workspace, max_rows=0)
    sink.close()
    feedback.close()
    assert sink.pending_rows == feedback.pending_rows == 0
    assert _segments(workspace) == [] and _segments(workspace, "feedback") == []


def test_read_predictions_joins_the_latest_feedback(workspace: SimpleNamespace) -> None:
    with PredictionLog(workspace) as sink:
        sink.append([_row(0, time_ms=1_000), _row(1, time_ms=2_000), _row(2, version=2, time_ms=3_000),
                     _row(9, model="fraud", time_ms=3_000)])
    with FeedbackLog(workspace, model="churn") as feedback:
        feedback.append([{"request_id": "r0", "label": 0, "time_ms": 5_000},
                         {"request_id": "r2", "label": 1, "time_ms": 5_000}])
    with FeedbackLog(workspace) as feedback:  # a later correction, naming no model
        feedback.append({"request_id": "r0", "label": 1, "time_ms": 6_000})
    with FeedbackLog(workspace, model="fraud") as feedback:  # about another model: not joined
        feedback.append([{"request_id": "r1", "label": 1, "time_ms": 7_000}])
    frame = read_predictions(workspace, "churn")
    assert frame["request_id"].tolist() == ["r0", "r1", "r2"]
    assert frame["version"].tolist() == [1, 1, 2]
    assert frame["input.age"].tolist() == [20, 21, 22]
    assert [list(p) for p in frame["probabilities"]] == [[0.25, 0.75]] * 3
    labels = dict(zip(frame["request_id"], frame["label"], strict=True))
    assert labels["r0"] == 1 and labels["r2"] == 1 and labels["r1"] != labels["r1"]  # NaN: no feedback
    assert frame.set_index("request_id")["feedback_time_ms"].to_dict()["r0"] == 6_000
    assert read_predictions(workspace, "churn", since_ms=2_000)["request_id"].tolist() == ["r1", "r2"]
    assert "label" not in read_predictions(workspace, "churn", with_feedback=False)
    assert read_predictions(workspace, "nope").empty
    assert sorted(read_feedback(workspace)["request_id"]) == ["r0", "r1", "r2"]


CHILD = textwrap.dedent("""
    import os, signal, sys, time
    from mlsteward.artifacts import ArtifactStore
    from mlsteward.serving.prediction_log import PredictionLog, PredictionLogUnavailable
    from mlsteward.store import Store

    store = Store.open(sys.argv[1], actor="tester")
    sink = PredictionLog(store, ArtifactStore(sys.argv[2]), max_rows=300, max_seconds=0.5,
                         max_pending_rows=3_000)

    def stop(signum, frame):
        sink.close()
        os.write(1, b"\\nclosed\\n")  # not print(): the signal may have interrupted a print
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    appended = 0
    while True:
        rows = [{"request_id": f"r{appended + i}", "time_ms": 1_700_000_000_000 + appended + i, "model": "churn",
                 "version": 1, "inputs": {"x": float(i)}, "outputs": {"prediction": 1, "probabilities": None},
                 "latency_ms": 0.1} for i in range(7)]
        try:
            sink.append(rows)
        except PredictionLogUnavailable:  # too many waiting: refused whole, offered again
            time.sleep(0.01)
            continue
        appended += len(rows)
        print(appended, flush=True)
""")


def test_nothing_accepted_is_lost_on_sigterm(store_url: str, tmp_path: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    artifacts = tmp_path / "artifacts"
    child = subprocess.Popen([sys.executable, str(script), store_url, str(artifacts)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    reported = 0
    try:
        started = time.monotonic()
        while reported < 5_000 or time.monotonic() - started < 1.5:  # some segments rotate while it runs
            line = child.stdout.readline()
            assert line, child.stderr.read()
            reported = int(line)
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
    lines = out.split()
    assert child.returncode == 0 and "closed" in lines, err
    reported = max([reported, *(int(n) for n in lines if n.isdigit())])
    opened = Store.open(store_url, actor="tester")
    try:
        frame = read_predictions(SimpleNamespace(store=opened, artifacts=ArtifactStore(str(artifacts))), "churn")
        segments = opened.predictions.segments("predictions")
    finally:
        opened.close()
    assert len(segments) >= 2
    logged = set(frame["request_id"])
    assert {f"r{i}" for i in range(reported)} <= logged
    assert len(frame) == len(logged)  # and nothing twice
