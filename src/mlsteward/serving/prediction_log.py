"""Prediction logging and feedback: rows buffered in memory, written as Parquet segments by a thread.

Two sinks share one writer:

``PredictionLog`` — what the prediction service calls for every answered request::

    sink.append(rows)   # rows: list[dict], each
        {"request_id": str, "time_ms": int, "model": str, "version": int,
         "inputs": {column: value, ...},
         "outputs": {"prediction": ..., "probabilities": [float, ...] | {class: float} | None},
         "latency_ms": float}
    sink.close()

``FeedbackLog`` — the ground truth sent back for predictions, by request id. The service's
``POST /v1/feedback`` takes ``{"request_id": ..., "label": ...}`` or a list of them and calls::

    feedback_sink.append(rows)   # rows: list[dict], each
        {"request_id": str, "label": <JSON scalar>, "time_ms": int (optional: now)}

``FeedbackLog.append`` validates first and raises ``InvalidInput`` naming the bad row (answer 422);
nothing of a rejected call is kept. A request id may be labelled again: readers use the latest label.
A request that scored several rows logs them all under its one request id, so its label applies to
each of them.

``append`` is cheap and safe on an event loop: it checks the rows' shape and puts the list on a
queue (it takes no lock, so it may even be interrupted by a signal handler that calls ``close()``).
The rows must not be changed after they are handed over. A background thread writes one Parquet
segment per (model, version) when ``max_rows`` rows (or about ``max_bytes``) are buffered or the
oldest buffered row is ``max_seconds`` old, stores it content-addressed in the artifact store, and
records it in the store's ``prediction_segments`` table in one audited transaction.

A failed write is logged and retried with backoff; its rows stay buffered. ``append`` refuses new
rows with ``PredictionLogUnavailable`` (answer 503) once ``max_pending_rows`` are waiting, instead of
growing without bound. ``flush()`` writes everything buffered now; ``close()`` writes everything and
stops the thread, and raises ``PredictionLogUnavailable`` if rows could still not be written (they
are kept: call ``close()`` again). ``close()`` is idempotent and also runs at interpreter exit.

Segment columns — predictions: ``request_id``, ``time_ms``, ``model``, ``version``, ``latency_ms``,
``prediction``, ``probabilities`` (list<double>; given as ``{class: p}``, the class names go to
``classes``, list<string>, in the same order), ``input.<column>`` per input, ``output.<key>`` for
any other output, and any other top-level key of the rows under its own name. Feedback:
``request_id``, ``time_ms``, ``label`` and any other key given. A column whose values Arrow cannot
hold in one type (say ints and strings) is stored as JSON text rather than dropped.
"""

from __future__ import annotations

import atexit
import functools
import io
import json
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, Self

import pyarrow as pa
import pyarrow.parquet as pq

from mlsteward.errors import InvalidInput, StoreUnavailable
from mlsteward.store._sql import now_ms
from mlsteward.store.predictions import NewSegment, SegmentRecord

log = logging.getLogger(__name__)

_CLOSE = object()
_RETRY_MAX_SECONDS = 30.0
_CLOSE_ATTEMPTS = 3


class PredictionLogUnavailable(StoreUnavailable):
    """Logged rows cannot be written now (the store or artifact store fails), or the log is closed."""

    code = "prediction_log_unavailable"


class _Flush:
    """A request to write everything buffered; ``done`` is set when the attempt is over."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


class _SegmentLog:
    kind: str = ""

    def __init__(self, target: Any, artifacts: Any = None, *, max_rows: int = 10_000,
                 max_bytes: int = 64 << 20, max_seconds: float = 5.0, max_pending_rows: int | None = None,
                 close_timeout: float | None = None) -> None:
        if artifacts is None:
            if not (hasattr(target, "store") and hasattr(target, "artifacts")):
                raise InvalidInput(f"{type(self).__name__} needs a workspace, or a store and an artifact store; "
                                   f"got {type(target).__name__} and no artifacts")
            store, artifacts = target.store, target.artifacts
        else:
            store = target
        for name, value in (("max_rows", max_rows), ("max_bytes", max_bytes), ("max_seconds", max_seconds)):
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise InvalidInput(f"the {name!r} parameter of {type(self).__name__} must be a positive number. "
                                   f"Got {value!r} instead.")
        self._store, self._artifacts = store, artifacts
        self.max_rows, self.max_bytes, self.max_seconds = int(max_rows), int(max_bytes), float(max_seconds)
        self.max_pending_rows = int(max_pending_rows) if max_pending_rows else 10 * self.max_rows
        self._close_timeout = close_timeout
        self._queue: queue.SimpleQueue = queue.SimpleQueue()  # put() is reentrant: safe in signal handlers
        self._accepted = 0  # rows taken by append
        self._written = 0  # rows stored in segments
        self._buffer: list[dict] = []  # owned by the writer thread while it runs, then by close()
        self._buffer_bytes = 0
        self._oldest: float | None = None  # monotonic time the oldest buffered row arrived
        self._failures = 0
        self._error: BaseException | None = None
        self._closing = False
        self._closed = False
        # re-entrant: a SIGTERM handler calling close() while close() runs on the same thread finishes the
        # writing itself (at worst a segment is written twice; no row is lost)
        self._close_lock = threading.RLock()
        self.last_segment: SegmentRecord | None = None
        self._thread = threading.Thread(target=self._run, name=f"steward-{self.kind}-log", daemon=True)
        self._thread.start()
        self._at_exit = functools.partial(_close_at_exit, weakref.ref(self))
        atexit.register(self._at_exit)

    # -- the sink -----------------------------------------------------------------------------------
    def append(self, rows: list[dict]) -> None:
        """Accept rows for logging; returns at once (the writing happens on the log's thread)."""
        if self._closing:
            raise PredictionLogUnavailable(f"the {self.kind} log is closed: it takes no more rows")
        if isinstance(rows, dict):
            rows = [rows]
        if not isinstance(rows, list | tuple):
            raise InvalidInput(f"{type(self).__name__}.append takes a list of rows (dicts); got {type(rows).__name__}")
        rows = self._accept(list(rows))
        if not rows:
            return
        pending = self._accepted - self._written
        if pending + len(rows) > self.max_pending_rows:
            reason = (f"writing fails ({self._error!r}): check the store and the artifact store"
                      if self._error is not None else "rows arrive faster than they are written: try again shortly")
            raise PredictionLogUnavailable(
                f"the {self.kind} log has {pending} rows waiting to be written (limit {self.max_pending_rows}) "
                f"and takes no more until they are stored; {reason}")
        self._queue.put(rows)
        self._accepted += len(rows)

    def flush(self, timeout: float | None = None) -> None:
        """Write everything buffered now; raises ``PredictionLogUnavailable`` if it could not be written."""
        if self._closed or self._closing:
            return
        request = _Flush()
        self._queue.put(request)
        if not request.done.wait(timeout):
            raise PredictionLogUnavailable(f"the {self.kind} log did not finish writing within {timeout} s")
        if self._error is not None and self.pending_rows:
            raise PredictionLogUnavailable(
                f"{self.pending_rows} {self.kind} rows could not be written yet (kept, retried): "
                f"{self._error}") from self._error

    def close(self) -> None:
        """Write everything buffered and stop the thread. Idempotent; safe from a SIGTERM handler."""
        if self._closed:
            return
        self._closing = True
        self._queue.put(_CLOSE)
        self._thread.join(self._close_timeout)
        if self._thread.is_alive():
            raise PredictionLogUnavailable(
                f"the {self.kind} log's writer did not stop within {self._close_timeout} s; "
                f"{self.pending_rows} rows are still buffered")
        with self._close_lock:
            if self._closed:
                return
            self._take_queued()
            error: BaseException | None = None
            for attempt in range(_CLOSE_ATTEMPTS):
                try:
                    self._write(everything=True)
                    error = None
                    break
                except Exception as exc:  # logged, retried, then raised
                    error = exc
                    log.exception("writing the %s log at close failed (attempt %d of %d); %d rows kept",
                                  self.kind, attempt + 1, _CLOSE_ATTEMPTS, len(self._buffer))
                    if attempt + 1 < _CLOSE_ATTEMPTS:
                        time.sleep(0.2 * 2 ** attempt)
            if error is not None:
                raise PredictionLogUnavailable(
                    f"{len(self._buffer)} {self.kind} rows could not be written at close: {error}. They are "
                    "kept in memory: call close() again once the store is reachable") from error
            self._closed = True
            atexit.unregister(self._at_exit)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def pending_rows(self) -> int:
        """Rows accepted by ``append`` and not yet stored in a segment."""
        return self._accepted - self._written

    @property
    def last_error(self) -> BaseException | None:
        """The error of the last failed write, or None once a write succeeds again."""
        return self._error

    @property
    def closed(self) -> bool:
        return self._closed

    # -- the writer thread --------------------------------------------------------------------------
    def _run(self) -> None:
        retry_at = 0.0
        while True:
            flushes: list[_Flush] = []
            closing = self._wait_and_take(self._timeout(retry_at), flushes)
            if closing:  # close() writes what is left, on its own thread
                for request in flushes:
                    request.done.set()
                return
            now = time.monotonic()
            backing_off = self._failures and now < retry_at
            if self._buffer and (flushes or (not backing_off and self._due(now))):
                try:
                    self._write(everything=bool(flushes) or self._time_due(now))
                except Exception as exc:  # a write must never kill the writer
                    delay = min(0.5 * 2 ** (self._failures - 1), _RETRY_MAX_SECONDS)
                    retry_at = time.monotonic() + delay
                    log.error("writing the %s log failed (%d rows kept, retry in %.1f s): %r",
                              self.kind, len(self._buffer), delay, exc, exc_info=exc)
            for request in flushes:
                request.done.set()

    def _timeout(self, retry_at: float) -> float | None:
        if not self._buffer:
            return None
        now = time.monotonic()
        due_at = now if self._size_due() else self._oldest + self.max_seconds
        if self._failures:
            due_at = max(due_at, retry_at)
        return max(0.0, due_at - now)

    def _wait_and_take(self, timeout: float | None, flushes: list[_Flush]) -> bool:
        """Wait for work, then take everything queued; True when close() asked the thread to stop."""
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return False
        return self._take(item, flushes) | self._take_queued(flushes)

    def _take_queued(self, flushes: list[_Flush] | None = None) -> bool:
        closing = False
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return closing
            closing |= self._take(item, flushes)

    def _take(self, item: object, flushes: list[_Flush] | None) -> bool:
        if item is _CLOSE:
            return True
        if isinstance(item, _Flush):
            if flushes is not None:
                flushes.append(item)
            else:
                item.done.set()
            return False
        if self._oldest is None:
            self._oldest = time.monotonic()
        self._buffer.extend(item)
        self._buffer_bytes += sum(_approx_bytes(row) for row in item)
        return False

    def _size_due(self) -> bool:
        return len(self._buffer) >= self.max_rows or self._buffer_bytes >= self.max_bytes

    def _time_due(self, now: float) -> bool:
        return self._oldest is not None and now - self._oldest >= self.max_seconds

    def _due(self, now: float) -> bool:
        return self._size_due() or self._time_due(now)

    def _write(self, *, everything: bool) -> None:
        """Store full batches (all of the buffer if ``everything``); failed rows stay at its front."""
        while self._buffer and (everything or self._size_due()):
            per_row = max(1, self._buffer_bytes // len(self._buffer))
            n = min(len(self._buffer), self.max_rows, max(1, self.max_bytes // per_row))
            batch = self._buffer[:n]
            try:
                self._store_batch(batch)
            except _PartlyStored as partial:
                stored = n - len(partial.rest)
                self._buffer[:n] = partial.rest
                self._written += stored
                self._buffer_bytes = max(0, self._buffer_bytes - stored * per_row)
                self._failures += 1
                self._error = partial.error
                raise partial.error from None
            self._forget(n, per_row)
            self._failures = 0
            self._error = None

    def _forget(self, n: int, per_row: int) -> None:
        del self._buffer[:n]
        self._written += n
        self._buffer_bytes = max(0, self._buffer_bytes - n * per_row) if self._buffer else 0
        if not self._buffer:
            self._oldest = None

    def _store_batch(self, batch: list[dict]) -> None:
        groups: dict[tuple[str | None, int | None], list[dict]] = {}
        for row in batch:
            groups.setdefault(self._segment_key(row), []).append(row)
        for done, ((model, version), rows) in enumerate(groups.items()):
            try:
                self._store_segment(model, version, rows)
            except Exception as exc:  # re-raised with the rows not stored
                rest = [row for rows_ in list(groups.values())[done:] for row in rows_]
                raise _PartlyStored(rest, exc) from exc

    def _store_segment(self, model: str | None, version: int | None, rows: list[dict]) -> None:
        table = self._to_table(rows)
        sink = io.BytesIO()
        pq.write_table(table, sink, compression="zstd")
        ref = self._artifacts.put_bytes(sink.getvalue())
        times = [row["time_ms"] for row in rows]
        record = self._store.predictions.record_segment(NewSegment(
            kind=self.kind, model=model, version=version, digest=ref.digest, rows=len(rows), bytes=ref.size,
            first_time_ms=min(times), last_time_ms=max(times)))
        self.last_segment = record

    # -- what the kinds decide ----------------------------------------------------------------------
    def _accept(self, rows: list) -> list[dict]:
        raise NotImplementedError

    def _segment_key(self, row: dict) -> tuple[str | None, int | None]:
        raise NotImplementedError

    def _to_table(self, rows: list[dict]) -> pa.Table:
        raise NotImplementedError


class PredictionLog(_SegmentLog):
    """The prediction service's log: one row per prediction, Parquet segments per model version.

    ``PredictionLog(workspace)`` or ``PredictionLog(store, artifacts)``; see the module docstring.
    """

    kind = "predictions"

    def _accept(self, rows: list) -> list[dict]:
        for i, row in enumerate(rows):
            if not (isinstance(row, dict) and isinstance(row.get("request_id"), str)
                    and isinstance(row.get("time_ms"), int)):
                raise InvalidInput(f"prediction row {i} must be a dict with a string 'request_id' and an integer "
                                   f"'time_ms' (epoch milliseconds); got {_preview(row)}")
        return rows

    def _segment_key(self, row: dict) -> tuple[str | None, int | None]:
        return _text(row.get("model")), _integer(row.get("version"))

    def _to_table(self, rows: list[dict]) -> pa.Table:
        columns: dict[str, pa.Array] = {
            "request_id": _array([r["request_id"] for r in rows], pa.string()),
            "time_ms": _array([r["time_ms"] for r in rows], pa.int64()),
            "model": _array([_text(r.get("model")) for r in rows], pa.string()),
            "version": _array([_integer(r.get("version")) for r in rows], pa.int64()),
            "latency_ms": _array([r.get("latency_ms") for r in rows], pa.float64()),
        }
        outputs = [r.get("outputs") if isinstance(r.get("outputs"), dict) else {} for r in rows]
        columns["prediction"] = _array([o.get("prediction") for o in outputs])
        probabilities = [o.get("probabilities") for o in outputs]
        by_class = [p if isinstance(p, dict) else None for p in probabilities]
        columns["probabilities"] = _array([list(p.values()) if isinstance(p, dict) else p for p in probabilities],
                                          pa.list_(pa.float64()))
        if any(p is not None for p in by_class):  # {class: p}: the classes beside, in the same order
            columns["classes"] = _array([None if p is None else [str(c) for c in p] for p in by_class],
                                        pa.list_(pa.string()))
        inputs = [r.get("inputs") if isinstance(r.get("inputs"), dict) else {} for r in rows]
        _add_nested(columns, "input.", inputs, skip=())
        _add_nested(columns, "output.", outputs, skip=("prediction", "probabilities"))
        _add_nested(columns, "", rows, skip=("request_id", "time_ms", "model", "version", "latency_ms",
                                             "inputs", "outputs", "classes"))
        return pa.table(columns)


class FeedbackLog(_SegmentLog):
    """Ground truth by request id (``{"request_id", "label", "time_ms"?}`` rows); see the module docstring.

    ``model`` names the model the feedback is about when the rows do not (a row's own ``"model"``
    and ``"version"`` win); readers also join feedback that names no model.
    """

    kind = "feedback"

    def __init__(self, target: Any, artifacts: Any = None, *, model: str | None = None, **options: Any) -> None:
        self.model = model
        super().__init__(target, artifacts, **options)

    def _accept(self, rows: list) -> list[dict]:
        now = now_ms()
        accepted = []
        for i, row in enumerate(rows):
            if not (isinstance(row, dict) and isinstance(row.get("request_id"), str) and row["request_id"]
                    and "label" in row):
                raise InvalidInput(f"feedback {i} must be an object with a non-empty string 'request_id' and a "
                                   f"'label', e.g. {{\"request_id\": \"...\", \"label\": 1}}; got {_preview(row)}")
            time_ms = row.get("time_ms", now)
            if not isinstance(time_ms, int) or isinstance(time_ms, bool):
                raise InvalidInput(f"feedback {i}: 'time_ms' must be integer epoch milliseconds; got {time_ms!r}")
            accepted.append(row if "time_ms" in row else row | {"time_ms": now})
        return accepted

    def _segment_key(self, row: dict) -> tuple[str | None, int | None]:
        return _text(row.get("model", self.model)), _integer(row.get("version"))

    def _to_table(self, rows: list[dict]) -> pa.Table:
        columns: dict[str, pa.Array] = {
            "request_id": _array([r["request_id"] for r in rows], pa.string()),
            "time_ms": _array([r["time_ms"] for r in rows], pa.int64()),
            "label": _array([r.get("label") for r in rows]),
        }
        _add_nested(columns, "", rows, skip=("request_id", "time_ms", "label"))
        return pa.table(columns)


class _PartlyStored(Exception):
    def __init__(self, rest: list[dict], error: Exception) -> None:
        super().__init__(str(error))
        self.rest, self.error = rest, error


def _add_nested(columns: dict[str, pa.Array], prefix: str, dicts: list[dict], skip: tuple[str, ...]) -> None:
    names = dict.fromkeys(k for d in dicts for k in d if k not in skip)
    for name in names:
        column = f"{prefix}{name}"
        if column not in columns:
            columns[column] = _array([d.get(name) for d in dicts])


def _array(values: list, type_: pa.DataType | None = None) -> pa.Array:
    """The values as one Arrow column; as JSON text when Arrow cannot hold them in one type."""
    try:
        return pa.array(values, type=type_)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        if type_ is not None:
            return _array(values)
        return pa.array([None if v is None else json.dumps(v, default=str) for v in values], type=pa.string())


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _integer(value: object) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _approx_bytes(row: dict) -> int:
    """A cheap estimate of a row's size in memory and in the segment, for rotation by size."""
    size = 64
    for value in row.values():
        if isinstance(value, dict):
            size += sum(16 + (len(v) if isinstance(v, str | list) else 8) for v in value.values())
        else:
            size += len(value) if isinstance(value, str | list) else 8
    return size


def _preview(row: object) -> str:
    text = repr(row)
    return text if len(text) <= 200 else text[:200] + "…"


def _close_at_exit(ref: Callable[[], _SegmentLog | None]) -> None:
    log_ = ref()
    if log_ is not None and not log_.closed:
        try:
            log_.close()
        except Exception:  # at exit, logging is all that is left
            log.exception("the %s log could not be written at exit", log_.kind)


__all__ = ["FeedbackLog", "PredictionLog", "PredictionLogUnavailable"]
