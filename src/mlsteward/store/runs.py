"""Runs in the system of record: create, write a batch (params, tags, metrics, artifacts, end),
read, search with the filter language, and the metric history."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import sqlalchemy as sa
from pydantic import BaseModel

from mlsteward.errors import Conflict, InvalidInput, NotFound
from mlsteward.store._sql import now_ms, upsert
from mlsteward.store.filters import compile_filter
from mlsteward.store.schema import latest_metrics, run_artifacts, run_metrics, run_params, run_tags, runs

if TYPE_CHECKING:
    from mlsteward.store.store import Store

RUN_STATUSES = ("running", "finished", "failed", "killed")
ENDED_STATUSES = RUN_STATUSES[1:]

# Built once, with bound parameters, so each call reuses the compiled statement.
_RUN_EXISTS = sa.select(runs.c.id).where(runs.c.id == sa.bindparam("run_id"))
_RUN_STATUS = sa.select(runs.c.status).where(runs.c.id == sa.bindparam("run_id"))


def _by_run_ids(*columns: sa.ColumnElement) -> sa.Select:
    return sa.select(*columns).where(columns[0].in_(sa.bindparam("ids", expanding=True)))


_LOAD_RUNS = _by_run_ids(*runs.c)
_LOAD_PARAMS = _by_run_ids(run_params.c.run_id, run_params.c.key, run_params.c.value)
_LOAD_TAGS = _by_run_ids(run_tags.c.run_id, run_tags.c.key, run_tags.c.value)
_LOAD_METRICS = _by_run_ids(latest_metrics.c.run_id, latest_metrics.c.key, latest_metrics.c.value)
_LOAD_ARTIFACTS = _by_run_ids(run_artifacts.c.run_id, run_artifacts.c.path, run_artifacts.c.digest,
                              run_artifacts.c.size).order_by(run_artifacts.c.path)

_SET_SUMMARY = runs.update().where(runs.c.id == sa.bindparam("run_id")).values(summary=sa.bindparam("new_summary"))
_END_RUN = runs.update().where(runs.c.id == sa.bindparam("run_id")).values(
    status=sa.bindparam("new_status"), end_time_ms=sa.bindparam("new_end_time_ms"),
    cpu_seconds=sa.bindparam("new_cpu_seconds"))


def _newer_metric(table: sa.Table, new) -> sa.ColumnElement[bool]:  # noqa: ANN001
    """The upsert condition for latest_metrics: a higher step, or the same step logged later."""
    return (new.step > table.c.step) | ((new.step == table.c.step) & (new.timestamp_ms >= table.c.timestamp_ms))


class MetricPoint(BaseModel):
    key: str
    value: float
    step: int
    timestamp_ms: int


class ArtifactEntry(BaseModel):
    path: str
    digest: str
    size: int


class RunRecord(BaseModel):
    id: str
    experiment: str
    name: str
    status: str
    parent_id: str | None
    start_time_ms: int
    end_time_ms: int | None
    created_by: str
    seed: int | None
    environment: dict
    cpu_seconds: float | None = None  # the process's CPU time while the run was open
    params: dict[str, str] = {}
    metrics: dict[str, float] = {}
    tags: dict[str, str] = {}
    artifacts: list[ArtifactEntry] = []

    @property
    def duration_s(self) -> float | None:
        return None if self.end_time_ms is None else (self.end_time_ms - self.start_time_ms) / 1000


class RunUsage(BaseModel):
    """A run's times and CPU seconds, with its tags: what its cost is computed from."""

    id: str
    name: str
    parent_id: str | None
    status: str
    start_time_ms: int
    end_time_ms: int | None
    cpu_seconds: float | None
    tags: dict[str, str] = {}


@dataclass
class RunBatch:
    """What one transaction writes to a run. ``metrics`` rows are (key, value, step, timestamp_ms)."""

    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: list[tuple[str, float, int, int]] = field(default_factory=list)
    artifacts: list[ArtifactEntry] = field(default_factory=list)
    end_status: str | None = None
    end_time_ms: int | None = None
    cpu_seconds: float | None = None  # with the end: the process's CPU time while the run was open

    def __bool__(self) -> bool:
        return bool(self.params or self.tags or self.metrics or self.artifacts or self.end_status)


class RunStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    def create(self, *, experiment: str, name: str | None = None, parent_id: str | None = None,
               environment: dict | None = None, seed: int | None = None,
               tags: dict[str, str] | None = None, start_time_ms: int | None = None) -> RunRecord:
        """A running run; ``start_time_ms`` (default: now) backdates it to when the work it records began."""
        run_id = uuid.uuid4().hex
        row = dict(id=run_id, experiment=experiment, name=name or f"run-{run_id[:8]}",
                   status="running", parent_id=parent_id, start_time_ms=start_time_ms or now_ms(), end_time_ms=None,
                   environment=environment or {}, seed=seed, created_by=self._store.actor, cpu_seconds=None,
                   summary=_summary(tags=dict(tags or {})))
        with self._store.write() as tx:
            if parent_id and tx.conn.scalar(_RUN_EXISTS, {"run_id": parent_id}) is None:
                raise NotFound(f"parent run {parent_id} does not exist")
            tx.conn.execute(runs.insert(), row)
            if tags:
                tx.conn.execute(run_tags.insert(), [dict(run_id=run_id, key=k, value=v) for k, v in tags.items()])
            tx.audit.append("run.created", "run", run_id, experiment=experiment, name=row["name"])
        return _record(row)

    def write(self, run_id: str, batch: RunBatch) -> None:
        """Write params, tags, metrics, artifacts and optionally the end, in one transaction."""
        if batch.end_status is not None and batch.end_status not in ENDED_STATUSES:
            raise InvalidInput(f"run status must be one of {', '.join(ENDED_STATUSES)}; "
                               f"got {batch.end_status!r}")
        with self._store.write() as tx:
            conn = tx.conn
            status = conn.scalar(_RUN_STATUS, {"run_id": run_id})
            if status is None:
                raise NotFound(f"run {run_id} does not exist: `steward runs list` shows the runs")
            if status != "running":
                raise Conflict(f"run {run_id} has already ended ({status}); start a new run to log more")
            self._write_params(conn, run_id, batch.params)
            if batch.tags:
                upsert(conn, run_tags, [dict(run_id=run_id, key=k, value=v) for k, v in batch.tags.items()],
                       ("run_id", "key"), ("value",))
            self._write_metrics(conn, run_id, batch.metrics)
            if batch.artifacts:
                upsert(conn, run_artifacts,
                       [dict(run_id=run_id, logged_at_ms=now_ms(), **a.model_dump()) for a in batch.artifacts],
                       ("run_id", "path"), ("digest", "size", "logged_at_ms"))
            counts = {k: len(v) for k, v in (("params", batch.params), ("tags", batch.tags),
                                               ("metrics", batch.metrics), ("artifacts", batch.artifacts)) if v}
            if counts:
                conn.execute(_SET_SUMMARY, {"run_id": run_id, "new_summary": self._read_summary(conn, run_id)})
            if batch.end_status:
                conn.execute(_END_RUN, {"run_id": run_id, "new_status": batch.end_status,
                                        "new_end_time_ms": batch.end_time_ms or now_ms(),
                                        "new_cpu_seconds": batch.cpu_seconds})
            if batch.end_status:  # one event per transaction: what was logged, and the end
                tx.audit.append("run.ended", "run", run_id, status=batch.end_status, **counts)
            elif counts:
                tx.audit.append("run.logged", "run", run_id, **counts)

    @staticmethod
    def _write_params(conn: sa.Connection, run_id: str, params: dict[str, str]) -> None:
        if not params:
            return
        existing = {k: v for _, k, v in conn.execute(_LOAD_PARAMS, {"ids": [run_id]}).all()}
        for key in params.keys() & existing.keys():
            old = existing[key]
            if old != params[key]:
                raise Conflict(f"param {key!r} of run {run_id} is already {old!r}; params cannot change "
                               f"(got {params[key]!r}). Log it under another name, or start a new run")
        new = [dict(run_id=run_id, key=k, value=v) for k, v in params.items() if k not in existing]
        if new:
            conn.execute(run_params.insert(), new)

    @staticmethod
    def _write_metrics(conn: sa.Connection, run_id: str, metrics: list[tuple[str, float, int, int]]) -> None:
        if not metrics:
            return
        conn.execute(run_metrics.insert(), [
            dict(run_id=run_id, key=k, value=None if math.isnan(v) else v, step=s, timestamp_ms=t)
            for k, v, s, t in metrics])
        latest: dict[str, tuple[str, float, int, int]] = {}
        for point in metrics:
            held = latest.get(point[0])
            if held is None or (point[2], point[3]) >= (held[2], held[3]):
                latest[point[0]] = point
        upsert(conn, latest_metrics,
               [dict(run_id=run_id, key=k, value=None if math.isnan(v) else v, step=s, timestamp_ms=t)
                for k, v, s, t in latest.values()],
               ("run_id", "key"), ("value", "step", "timestamp_ms"), where=_newer_metric)

    @staticmethod
    def _read_summary(conn: sa.Connection, run_id: str) -> dict:
        """The run's summary as its tables now hold it (inside the writing transaction)."""
        bound = {"ids": [run_id]}
        return _summary(
            params={k: v for _, k, v in conn.execute(_LOAD_PARAMS, bound).all()},
            tags={k: v for _, k, v in conn.execute(_LOAD_TAGS, bound).all()},
            metrics={k: v for _, k, v in conn.execute(_LOAD_METRICS, bound).all()},
            artifacts=[{"path": p, "digest": d, "size": s} for _, p, d, s in conn.execute(_LOAD_ARTIFACTS, bound)])

    def resolve_id(self, ref: str) -> str:
        """A full run id, or a unique prefix of one (at least 4 characters), to the full id."""
        ref = ref.strip().lower()
        with self._store.read() as conn:
            if len(ref) == 32 and conn.scalar(sa.select(runs.c.id).where(runs.c.id == ref)):
                return ref
            if len(ref) >= 4:
                found = conn.scalars(sa.select(runs.c.id).where(runs.c.id >= ref, runs.c.id < ref + "~")
                                     .limit(2)).all()
                if len(found) == 1:
                    return found[0]
                if found:
                    raise InvalidInput(f"run id prefix {ref!r} matches several runs; give more characters")
        raise NotFound(f"no run with id {ref!r}: `steward runs list` shows the runs and their ids")

    def get(self, ref: str) -> RunRecord:
        return self._load([self.resolve_id(ref)])[0]

    def get_many(self, refs: list[str]) -> list[RunRecord]:
        return self._load([self.resolve_id(r) for r in refs])

    def search(self, filter: str | None = None, *, experiment: str | None = None,  # noqa: A002
               limit: int = 100) -> list[RunRecord]:
        """Runs matching the filter language (see ``FILTER_HELP``), newest first."""
        query = _search_statement(filter or "", bool(experiment))
        with self._store.read() as conn:
            ids = conn.scalars(query, {"experiment": experiment, "limit": limit}).all()
            return self._load(list(ids), conn)

    def usage(self, experiment: str, *, since_ms: int | None = None, until_ms: int | None = None) -> list[RunUsage]:
        """What each run of ``experiment`` started in [since_ms, until_ms) used, oldest first (for its cost)."""
        query = (sa.select(runs.c.id, runs.c.name, runs.c.parent_id, runs.c.status, runs.c.start_time_ms,
                           runs.c.end_time_ms, runs.c.cpu_seconds, runs.c.summary)
                 .where(runs.c.experiment == experiment).order_by(runs.c.start_time_ms, runs.c.id))
        if since_ms is not None:
            query = query.where(runs.c.start_time_ms >= since_ms)
        if until_ms is not None:
            query = query.where(runs.c.start_time_ms < until_ms)
        with self._store.read() as conn:
            rows = conn.execute(query).all()
        return [RunUsage(id=r.id, name=r.name, parent_id=r.parent_id, status=r.status, start_time_ms=r.start_time_ms,
                         end_time_ms=r.end_time_ms, cpu_seconds=r.cpu_seconds, tags=r.summary.get("tags", {}))
                for r in rows]

    def metric_history(self, ref: str, key: str) -> list[MetricPoint]:
        run_id = self.resolve_id(ref)
        with self._store.read() as conn:
            rows = conn.execute(sa.select(run_metrics.c.key, run_metrics.c.value, run_metrics.c.step,
                                          run_metrics.c.timestamp_ms)
                                .where(run_metrics.c.run_id == run_id, run_metrics.c.key == key)
                                .order_by(run_metrics.c.step, run_metrics.c.timestamp_ms, run_metrics.c.id))
            return [MetricPoint(key=r.key, value=_float(r.value), step=r.step, timestamp_ms=r.timestamp_ms)
                    for r in rows]

    def _load(self, ids: list[str], conn: sa.Connection | None = None) -> list[RunRecord]:
        """Full records for ``ids``, in that order, in one query (through each run's summary)."""
        if not ids:
            return []
        if conn is None:
            with self._store.read() as conn:
                return self._load(ids, conn)
        rows = {r.id: r._asdict() for r in conn.execute(_LOAD_RUNS, {"ids": ids}).all()}
        return [_record(rows[i]) for i in ids if i in rows]


def _summary(params: dict | None = None, tags: dict | None = None, metrics: dict | None = None,
             artifacts: list | None = None) -> dict:
    """JSON-safe summary: NaN (stored as NULL) and infinities become the strings float() reads."""
    return {"params": params or {}, "tags": tags or {}, "artifacts": artifacts or [],
            "metrics": {k: v if v is not None and math.isfinite(v) else str(_float(v))
                        for k, v in (metrics or {}).items()}}


def _record(row: dict) -> RunRecord:
    """A RunRecord from a ``runs`` row. Rows come from our own schema, so construction skips
    re-validation (measured 5x faster than validating)."""
    summary = row.pop("summary")
    return RunRecord.model_construct(
        **row, params=summary["params"], tags=summary["tags"],
        metrics={k: float(v) for k, v in summary["metrics"].items()},
        artifacts=[ArtifactEntry.model_construct(**a) for a in summary["artifacts"]])


@lru_cache(maxsize=256)
def _search_statement(filter_text: str, by_experiment: bool) -> sa.Select:
    """The id query for a filter, built once per filter text and reused (bound experiment, limit)."""
    query = sa.select(runs.c.id).where(compile_filter(filter_text))
    if by_experiment:
        query = query.where(runs.c.experiment == sa.bindparam("experiment"))
    return query.order_by(runs.c.start_time_ms.desc(), runs.c.id).limit(sa.bindparam("limit", type_=sa.Integer))


def _float(value: float | None) -> float:
    return math.nan if value is None else float(value)
