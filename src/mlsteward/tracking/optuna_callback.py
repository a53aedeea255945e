"""``StewardCallback``: each finished Optuna trial becomes a child run of the study's run.

Cheap by design: ``__call__`` validates the trial and buffers it. Buffered trials are written as
finished runs, many per transaction (with the audit events ``start_run`` + ``end`` would record):
by the next ``__call__`` once the oldest has waited half of ``STEWARD_FLUSH_INTERVAL``, in the
calling thread between trials; by a timer when the interval is reached with no trial finishing
(a long trial, the end of the study); by ``flush()``; when the parent run ends; at interpreter
exit. So a trial is committed within the interval, as ``Run``'s durability contract says, with
no per-trial transaction. Creating each child with ``start_run`` / ``end`` would cost two
transactions per trial (measured ~2.4 ms of CPU: half a fast trial); writing from the
background flusher thread during the search slowed the objective itself by 3-6 % (the GIL).

Each child run: name ``trial-N``; params = ``trial.params``; metric ``metric_name`` = the
intermediate values at their steps, then ``trial.value`` at the next step (unless the series
already ends with it), so the latest value is the trial's value (a failed trial has none: its
series ends with its last report); multi-objective values as ``<metric_name>_0``, ``_1``, …;
tags ``trial_number``, ``trial_state`` (COMPLETE / PRUNED / FAIL), ``trial_duration_s``,
``study_name``; start and end times are the trial's; status ``failed`` for FAIL, else
``finished``. The parent gets ``best_<metric_name>`` and ``best_trial`` (at step = the trial's
number) and the tag ``best_run_id`` whenever a COMPLETE trial improves on the best so far.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlalchemy as sa

from mlsteward.errors import InvalidInput
from mlsteward.store.audit import event_hash
from mlsteward.store.runs import _summary
from mlsteward.store.schema import (
    audit_events,
    audit_head,
    latest_metrics,
    run_metrics,
    run_params,
    run_tags,
    runs,
)
from mlsteward.tracking import validation as check
from mlsteward.tracking.environment import capture_environment
from mlsteward.tracking.flusher import flush_interval, get_flusher
from mlsteward.tracking.run import Run

if TYPE_CHECKING:
    import optuna

    from mlsteward.workspace import Workspace

log = logging.getLogger("mlsteward")

_READ_HEAD = sa.select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
_MOVE_HEAD = audit_head.update().where(audit_head.c.id == 1).values(
    seq=sa.bindparam("new_seq"), hash=sa.bindparam("new_hash"))
_UNWRITTEN: set[_PendingTrials] = set()  # kept alive (the flusher holds weak references) until written


class StewardCallback:
    """Record each finished trial of an Optuna study as a child run (pass it in ``callbacks=``).

    ``parent``: the run the trials belong to; default the active run when the callback is made
    (or first called), else a run named after the study, started (and made active) on the first
    trial in ``experiment`` (default: the study's name); end it with ``mlsteward.end_run()``.
    ``experiment``: the children's experiment (default: the parent's). Call ``flush()`` to commit
    everything before reading the runs back; ending the parent run commits the children too.
    """

    def __init__(self, parent: Run | None = None, metric_name: str = "value",
                 experiment: str | None = None) -> None:
        if parent is not None and not isinstance(parent, Run):
            raise InvalidInput(f"parent must be a mlsteward Run (from mlsteward.start_run) or None; "
                               f"got {type(parent).__name__}")
        check.check_key("metric", metric_name)
        check.check_key("metric", f"best_{metric_name}")
        if experiment is not None and (not isinstance(experiment, str) or not experiment.strip()):
            raise InvalidInput(f"experiment must be a non-empty name or None; got {experiment!r}")
        from mlsteward.tracking.fluent import active_run

        self.metric_name = metric_name
        self.experiment = experiment
        self._parent = parent or active_run()
        self._pending: _PendingTrials | None = None
        self._best: float | None = None
        self._best_step = -1
        self._lock = threading.Lock()

    @property
    def parent(self) -> Run | None:
        """The run the trials are recorded under (None until known)."""
        return self._parent

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        row = self._trial_row(study, trial)
        with self._lock:
            pending = self._pending or self._start(study)
            row.experiment = self.experiment or self._parent.experiment
            write_now = pending.add(row)
            if self._improves(study, trial):  # buffered: cheap; under the lock so steps keep order
                self._best_step = max(trial.number, self._best_step + 1)
                self._parent.log_metrics({f"best_{self.metric_name}": trial.value, "best_trial": trial.number},
                                         step=self._best_step)
                self._parent.set_tag("best_run_id", row.id)
        if write_now:  # in this thread, between trials: no contention with the objective
            pending._write_quietly()
            self._parent._flush_in_background()

    def flush(self) -> None:
        """Commit every trial recorded so far, and the parent's buffered values."""
        if self._pending is not None:
            self._pending.flush()
        if self._parent is not None:
            self._parent.flush()

    # -- internals ------------------------------------------------------------------------------
    def _start(self, study: optuna.Study) -> _PendingTrials:
        if self._parent is None:
            from mlsteward.tracking.fluent import active_run, start_run

            self._parent = active_run() or start_run(experiment=self.experiment or study.study_name,
                                                     name=study.study_name)
        self._pending = _PendingTrials(self._parent)
        return self._pending

    def _improves(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        if trial.state.name != "COMPLETE" or len(trial.values or ()) != 1 or math.isnan(trial.values[0]):
            return False
        value = trial.values[0]
        better = (self._best is None or (value > self._best if study.direction.name == "MAXIMIZE"
                                         else value < self._best))
        if better:
            self._best = value
        return better

    def _trial_row(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> _TrialRun:
        """The trial as a finished run, validated here so that a write can only fail on the store."""
        end = trial.datetime_complete.timestamp() if trial.datetime_complete else time.time()
        start = trial.datetime_start.timestamp() if trial.datetime_start else end
        end_ms, start_ms = int(end * 1000), int(start * 1000)
        name = self.metric_name
        metrics = [(name, check.metric_value(name, v), check.step_value(name, s), end_ms)
                   for s, v in sorted(trial.intermediate_values.items())]
        values = trial.values or ()
        if len(values) == 1:
            value = check.metric_value(name, values[0])
            if not metrics or not _same(metrics[-1][1], value):
                metrics.append((name, value, metrics[-1][2] + 1 if metrics else 0, end_ms))
        else:  # multi-objective: value_0, value_1, ... as MLflow's callback names them
            for i, v in enumerate(values):
                key = check.check_key("metric", f"{name}_{i}")
                metrics.append((key, check.metric_value(key, v), 0, end_ms))
        duration = trial.duration.total_seconds() if trial.duration is not None else (end - start)
        return _TrialRun(
            id=uuid.uuid4().hex, name=f"trial-{trial.number}",
            status="failed" if trial.state.name == "FAIL" else "finished", start_ms=start_ms, end_ms=end_ms,
            params={check.check_key("param", k): check.text_value("param", k, v) for k, v in trial.params.items()},
            tags={"trial_number": str(trial.number), "trial_state": trial.state.name,
                  "trial_duration_s": f"{duration:.6f}", "study_name": study.study_name},
            metrics=metrics)


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@dataclass
class _TrialRun:
    id: str
    name: str
    status: str
    start_ms: int
    end_ms: int
    params: dict[str, str]
    tags: dict[str, str]
    metrics: list[tuple[str, float, int, int]] = field(default_factory=list)
    experiment: str = ""


class _PendingTrials:
    """Trials waiting to be written under one parent, with the timer that bounds their wait."""

    def __init__(self, parent: Run) -> None:
        self.id = f"trials of {parent.id}"  # the flusher names what it could not write by ``id``
        self._parent_id = parent.id
        self._workspace: Workspace = parent._workspace
        self._rows: list[_TrialRun] = []
        self._oldest: float | None = None  # monotonic time the oldest unwritten trial arrived
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        get_flusher().watch(self)  # at exit it ends (writes) us; each tick retries an overdue write
        parent._on_end.append(lambda _run: self._write_quietly())

    def add(self, row: _TrialRun) -> bool:
        """Buffer a trial; True when the oldest buffered one has waited half the flush interval."""
        with self._lock:
            self._rows.append(row)
            now = time.monotonic()
            if self._oldest is None:
                self._oldest = now
                self._timer = threading.Timer(flush_interval(), self._write_quietly)
                self._timer.daemon = True
                self._timer.start()
                _UNWRITTEN.add(self)
            return now - self._oldest >= flush_interval() / 2

    def flush(self) -> None:
        """Write every pending trial in one transaction; on failure they stay pending."""
        with self._write_lock:
            with self._lock:
                rows, oldest, timer = self._rows, self._oldest, self._timer
                self._rows, self._oldest, self._timer = [], None, None
            if timer is not None:
                timer.cancel()
            if not rows:
                return
            try:
                _insert_finished_runs(self._workspace, self._parent_id, rows)
            except BaseException:
                with self._lock:  # back in front; the flusher's ticks retry them (overdue)
                    self._rows[:0] = rows
                    self._oldest = oldest
                raise
            with self._lock:
                if not self._rows:
                    _UNWRITTEN.discard(self)

    def end(self, status: str = "finished") -> None:  # noqa: ARG002 - the flusher's exit hook
        self.flush()

    def _flush_in_background(self) -> None:
        """The flusher's tick: only trials the timer could not write (a failed write) are due."""
        with self._lock:
            due = self._oldest is not None and time.monotonic() - self._oldest >= flush_interval()
        if due:
            self._write_quietly()

    def _write_quietly(self) -> None:
        try:
            self.flush()
        except Exception as exc:  # kept; flush() and the next tick retry
            log.warning("could not write Optuna trials of run %s yet (will retry): %s", self._parent_id, exc)


def _insert_finished_runs(workspace: Workspace, parent_id: str, rows: list[_TrialRun]) -> None:
    """Insert ended runs with their params, tags and metrics in one transaction, each with the
    audit events ``start_run`` + ``end`` would record (``run.created``, ``run.ended``)."""
    store = workspace.store
    environment = capture_environment(str(workspace.settings.project_root))
    run_rows, param_rows, tag_rows, metric_rows, latest_rows = [], [], [], [], []
    for r in rows:
        latest: dict[str, tuple[str, float, int, int]] = {}
        for point in r.metrics:
            held = latest.get(point[0])
            if held is None or (point[2], point[3]) >= (held[2], held[3]):
                latest[point[0]] = point
        run_rows.append(dict(
            id=r.id, experiment=r.experiment, name=r.name, status=r.status, parent_id=parent_id,
            start_time_ms=r.start_ms, end_time_ms=r.end_ms, environment=environment, seed=None,
            created_by=store.actor, summary=_summary(params=r.params, tags=r.tags,
                                                     metrics={k: _db(v) for k, v, _, _ in latest.values()})))
        param_rows += [dict(run_id=r.id, key=k, value=v) for k, v in r.params.items()]
        tag_rows += [dict(run_id=r.id, key=k, value=v) for k, v in r.tags.items()]
        metric_rows += [dict(run_id=r.id, key=k, value=_db(v), step=s, timestamp_ms=t) for k, v, s, t in r.metrics]
        latest_rows += [dict(run_id=r.id, key=k, value=_db(v), step=s, timestamp_ms=t)
                        for k, v, s, t in latest.values()]
    events = []
    for r in rows:
        counts = {k: len(v) for k, v in (("params", r.params), ("tags", r.tags), ("metrics", r.metrics)) if v}
        events += [("run.created", r.id, dict(experiment=r.experiment, name=r.name)),
                   ("run.ended", r.id, dict(status=r.status, **counts))]
    with store.write() as tx:
        for table, values in ((runs, run_rows), (run_params, param_rows), (run_tags, tag_rows),
                              (run_metrics, metric_rows), (latest_metrics, latest_rows)):
            if values:
                tx.conn.execute(table.insert(), values)
        _append_audit_events(tx.conn, store.actor, events)


def _append_audit_events(conn: sa.Connection, actor: str, events: list[tuple[str, str, dict]]) -> None:
    """Extend the hash chain by ``events`` (action, run id, details) in two statements, exactly as
    ``AuditWriter.append`` would one by one (that costs two statements per event: 80 % of a batch's
    time). Runs inside ``store.write()``, which holds the write lock and has read the head; nothing
    may append through ``tx.audit`` after this in the same transaction."""
    seq, prev = conn.execute(_READ_HEAD).one()
    rows = []
    for action, run_id, details in events:
        seq, at_us = seq + 1, time.time_ns() // 1000
        digest = event_hash(seq, at_us, actor, action, "run", run_id, details, prev)
        rows.append(dict(seq=seq, at_us=at_us, actor=actor, action=action, entity_type="run", entity_id=run_id,
                         details=details, prev_hash=prev, hash=digest))
        prev = digest
    if rows:
        conn.execute(audit_events.insert(), rows)
        conn.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": prev})


def _db(value: float) -> float | None:
    """NaN is stored as NULL (as ``RunStore`` does)."""
    return None if math.isnan(value) else value
