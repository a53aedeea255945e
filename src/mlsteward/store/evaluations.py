"""Evaluations in the system of record: a model (the run holding it) checked on a dataset version."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import sqlalchemy as sa
from pydantic import BaseModel

from mlsteward.errors import InvalidInput, NotFound
from mlsteward.store._sql import now_ms
from mlsteward.store.datasets import version_id
from mlsteward.store.schema import dataset_versions, evaluations

if TYPE_CHECKING:
    from mlsteward.store.store import Store


class NewEvaluation(BaseModel):
    project: str
    model_run_id: str
    dataset: str  # NAME@VERSION
    run_id: str  # the evaluation's own tracked run, holding the artifacts
    metric: str
    value: float | None
    suite: dict  # the configuration the suite ran with
    checks: dict[str, str]  # check name -> status
    gate: str  # the promotion gate's decision: pass, fail, pending, no gate
    results_digest: str
    report_digest: str
    card_digest: str


class EvaluationRecord(NewEvaluation):
    id: str
    created_by: str
    created_at_ms: int


class EvaluationStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    def record(self, new: NewEvaluation) -> EvaluationRecord:
        """Store one evaluation (audited) in one transaction."""
        evaluation_id = uuid.uuid4().hex
        with self._store.write() as tx:
            row = new.model_dump(exclude={"dataset"}) | dict(
                id=evaluation_id, dataset_version_id=version_id(tx.conn, new.dataset), created_by=self._store.actor,
                created_at_ms=now_ms())
            tx.conn.execute(evaluations.insert().values(**row))
            tx.audit.append("model.evaluated", "run", new.model_run_id, evaluation=evaluation_id,
                            dataset=new.dataset, metric=new.metric, value=new.value, gate=new.gate,
                            results=new.results_digest)
        return self.get(evaluation_id)

    def get(self, ref: str) -> EvaluationRecord:
        """An evaluation by id or a unique prefix of at least 4 characters."""
        ref = ref.strip().lower()
        if len(ref) < 4:
            raise InvalidInput(f"evaluation id {ref!r} is too short: give at least 4 characters")
        with self._store.read() as conn:
            rows = conn.execute(self._select().where(evaluations.c.id >= ref, evaluations.c.id < ref + "~")
                                .limit(2)).all()
        if len(rows) > 1:
            raise InvalidInput(f"evaluation id prefix {ref!r} matches several evaluations; give more characters")
        if not rows:
            raise NotFound(f"no evaluation {ref!r}: `steward evaluations list` shows them")
        return _record(rows[0])

    def list(self, *, model_run_id: str | None = None, project: str | None = None) -> list[EvaluationRecord]:
        """Evaluations, newest first, of one model run or one project if given."""
        query = self._select().order_by(evaluations.c.created_at_ms.desc(), evaluations.c.id)
        if model_run_id:
            query = query.where(evaluations.c.model_run_id == model_run_id)
        if project:
            query = query.where(evaluations.c.project == project)
        with self._store.read() as conn:
            return [_record(r) for r in conn.execute(query)]

    @staticmethod
    def _select() -> sa.Select:
        dv = dataset_versions
        return sa.select(evaluations, (dv.c.name + "@" + sa.cast(dv.c.version, sa.String)).label("dataset")).join(
            dv, dv.c.id == evaluations.c.dataset_version_id)


def _record(row: sa.Row) -> EvaluationRecord:
    values = row._asdict()
    values.pop("dataset_version_id")
    return EvaluationRecord(**values)
