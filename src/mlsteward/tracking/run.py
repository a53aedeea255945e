"""``Run``: the handle a data scientist logs to.

Durability contract: params, tags and metrics are validated at the call, then buffered in the
process and written in one transaction by a background thread at least every
``STEWARD_FLUSH_INTERVAL`` seconds (default 1), by ``flush()``, by ``log_batch()`` and
``log_artifact()`` (which write at once), and when the run ends. Anything acknowledged by a
returned ``flush()`` / ``log_batch()`` is committed. A process killed with SIGKILL loses at most
the values logged since the last flush.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from mlsteward.errors import Conflict, InvalidInput
from mlsteward.store.runs import ENDED_STATUSES, ArtifactEntry, RunBatch, RunRecord
from mlsteward.tracking import validation as check
from mlsteward.tracking.flusher import get_flusher
from mlsteward.workspace import Workspace

BACKPRESSURE_METRICS = 100_000
log = logging.getLogger("mlsteward")


class Run:
    def __init__(self, workspace: Workspace, record: RunRecord,
                 on_end: list[Callable[[Run], None]] | None = None, cpu_start: float | None = None) -> None:
        self._workspace = workspace
        self._on_end = list(on_end or [])
        self.id = record.id
        self.experiment = record.experiment
        self.name = record.name
        self.parent_id = record.parent_id
        self.status = record.status
        self._pending = RunBatch()
        self._params: dict[str, str] = {}
        self._next_step: dict[str, int] = {}
        self._buffer_lock = threading.Lock()
        self._write_lock = threading.Lock()
        # the run's cost: this process's CPU time (time.process_time) since it opened, or since cpu_start
        self._cpu_start = time.process_time() if cpu_start is None else cpu_start
        get_flusher().watch(self)

    def __repr__(self) -> str:
        return f"<Run {self.id} {self.experiment}/{self.name} {self.status}>"

    # -- logging (buffered) -------------------------------------------------------------------
    def log_param(self, key: str, value: object) -> None:
        self.log_params({key: value})

    def log_params(self, params: Mapping[str, object]) -> None:
        clean = {check.check_key("param", k): check.text_value("param", k, v) for k, v in params.items()}
        with self._buffer_lock:
            self._ensure_running()
            for key, value in clean.items():
                old = self._params.get(key)
                if old is not None and old != value:
                    raise Conflict(f"param {key!r} of run {self.id} is already {old!r}; params cannot "
                                   f"change (got {value!r}). Log it under another name, or start a new run")
            for key, value in clean.items():
                if key not in self._params:
                    self._params[key] = value
                    self._pending.params[key] = value

    def set_tag(self, key: str, value: object) -> None:
        self.set_tags({key: value})

    def set_tags(self, tags: Mapping[str, object]) -> None:
        clean = {check.check_key("tag", k): check.text_value("tag", k, v) for k, v in tags.items()}
        with self._buffer_lock:
            self._ensure_running()
            self._pending.tags.update(clean)

    def log_metric(self, key: str, value: float, step: int | None = None,
                   timestamp: int | None = None) -> None:
        """Log one value; ``step`` defaults to one past the last step logged for this key."""
        self.log_metrics({key: value}, step=step, timestamp=timestamp)

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None,
                    timestamp: int | None = None) -> None:
        ts = time.time_ns() // 1_000_000 if timestamp is None else check.timestamp_value(timestamp)
        points = [(check.check_key("metric", k), check.metric_value(k, v)) for k, v in metrics.items()]
        if step is not None:
            step = check.step_value(points[0][0] if points else "", step)
        with self._buffer_lock:
            self._ensure_running()
            for key, value in points:
                at = self._next_step.get(key, 0) if step is None else step
                self._next_step[key] = max(self._next_step.get(key, 0), at + 1)
                self._pending.metrics.append((key, value, at, ts))
            backlog = len(self._pending.metrics)
        if backlog >= BACKPRESSURE_METRICS:
            self.flush()

    # -- logging (written at once) ------------------------------------------------------------
    def log_batch(self, metrics: Mapping[str, float] | None = None, params: Mapping[str, object] | None = None,
                  tags: Mapping[str, object] | None = None, step: int | None = None) -> None:
        """Log many values and commit them (with anything buffered) before returning."""
        if params:
            self.log_params(params)
        if tags:
            self.set_tags(tags)
        if metrics:
            self.log_metrics(metrics, step=step)
        self.flush()

    def log_artifact(self, path: str | Path, name: str | None = None) -> ArtifactEntry:
        """Store a file content-addressed and record it on the run under ``name`` (its file name)."""
        source = Path(path)
        if not source.is_file():
            raise InvalidInput(f"cannot log artifact {str(source)!r}: no such file")
        ref = self._workspace.artifacts.put_file(source)
        entry = ArtifactEntry(path=name or source.name, digest=ref.digest, size=ref.size)
        with self._buffer_lock:
            self._ensure_running()
            self._pending.artifacts.append(entry)
        self.flush()
        return entry

    def log_bytes(self, data: bytes, name: str) -> ArtifactEntry:
        """Store ``data`` content-addressed and record it on the run under ``name``."""
        ref = self._workspace.artifacts.put_bytes(data)
        entry = ArtifactEntry(path=name, digest=ref.digest, size=ref.size)
        with self._buffer_lock:
            self._ensure_running()
            self._pending.artifacts.append(entry)
        self.flush()
        return entry

    # -- flushing and ending ------------------------------------------------------------------
    def flush(self) -> None:
        """Commit everything logged so far; raises if the store cannot take it (nothing is lost)."""
        self._write_pending()

    def end(self, status: str = "finished") -> None:
        """Flush and mark the run finished (or failed / killed), with the CPU seconds this process used while
        the run was open (worker processes it started are not counted). Ending twice is harmless."""
        if status not in ENDED_STATUSES:
            raise InvalidInput(f"run status must be one of {', '.join(ENDED_STATUSES)}; got {status!r}")
        with self._buffer_lock:
            if self.status != "running":
                return
            self._pending.end_status = status
            self._pending.end_time_ms = time.time_ns() // 1_000_000
            self._pending.cpu_seconds = round(time.process_time() - self._cpu_start, 6)
        self._write_pending()
        self.status = status
        get_flusher().forget(self)
        for callback in self._on_end:
            callback(self)

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:  # noqa: ANN001
        if exc_type is None:
            self.end("finished")
        else:
            self.end("killed" if issubclass(exc_type, KeyboardInterrupt) else "failed")

    def _ensure_running(self) -> None:
        if self.status != "running" or self._pending.end_status:
            raise Conflict(f"run {self.id} has already ended ({self.status}); start a new run to log more")

    def _write_pending(self) -> None:
        with self._write_lock:
            with self._buffer_lock:
                batch, self._pending = self._pending, RunBatch()
            if not batch:
                return
            try:
                self._workspace.store.runs.write(self.id, batch)
            except BaseException:
                with self._buffer_lock:  # put it back in front of anything logged meanwhile
                    self._pending = _merge(batch, self._pending)
                raise

    def _flush_in_background(self) -> None:
        try:
            self._write_pending()
        except Exception as exc:  # the batch is kept; flush() / end() retry and raise if it still fails
            log.warning("could not flush run %s yet (will retry): %s", self.id, exc)


def _merge(first: RunBatch, then: RunBatch) -> RunBatch:
    return RunBatch(params={**first.params, **then.params}, tags={**first.tags, **then.tags},
                    metrics=first.metrics + then.metrics, artifacts=first.artifacts + then.artifacts,
                    end_status=then.end_status or first.end_status,
                    end_time_ms=then.end_time_ms or first.end_time_ms,
                    cpu_seconds=then.cpu_seconds if then.cpu_seconds is not None else first.cpu_seconds)
