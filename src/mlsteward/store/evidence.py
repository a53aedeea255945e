"""Data-stage evidence per dataset version, and the clearances of leakage-flagged columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from pydantic import BaseModel

from mlsteward.errors import InvalidInput
from mlsteward.store._sql import now_ms, upsert
from mlsteward.store.datasets import check_name, version_id
from mlsteward.store.schema import column_clearances, dataset_evidence

if TYPE_CHECKING:
    from mlsteward.store.store import Store


class Evidence(BaseModel):
    kind: str
    digest: str
    passed: bool | None
    summary: dict
    created_by: str = ""
    created_at_ms: int = 0


class Clearance(BaseModel):
    dataset: str
    column: str
    reason: str
    cleared_by: str
    cleared_at_ms: int


class EvidenceStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    def record(self, ref: str, items: list[Evidence]) -> None:
        """Record (or replace) evidence of a version, all kinds in one transaction."""
        with self._store.write() as tx:
            dataset_id = version_id(tx.conn, ref)
            rows = [dict(dataset_version_id=dataset_id, kind=e.kind, digest=e.digest, passed=e.passed,
                         summary=e.summary, created_by=self._store.actor, created_at_ms=now_ms()) for e in items]
            upsert(tx.conn, dataset_evidence, rows, ("dataset_version_id", "kind"),
                   ("digest", "passed", "summary", "created_by", "created_at_ms"))
            tx.audit.append("dataset.assessed", "dataset", ref,
                            evidence={e.kind: e.passed for e in items})

    def of(self, ref: str) -> dict[str, Evidence]:
        with self._store.read() as conn:
            dataset_id = version_id(conn, ref)
            rows = conn.execute(sa.select(dataset_evidence).where(dataset_evidence.c.dataset_version_id == dataset_id))
            return {r.kind: Evidence.model_validate(r._asdict()) for r in rows}

    def clear_column(self, dataset: str, column: str, reason: str) -> Clearance:
        """Clear a leakage-flagged column of a dataset (every version) with a reason; audited."""
        check_name(dataset)
        if not reason or not reason.strip():
            raise InvalidInput("clearing a flagged column needs a reason: say why it does not leak the target")
        row = dict(dataset=dataset, column=column, reason=reason.strip(), cleared_by=self._store.actor,
                   cleared_at_ms=now_ms())
        with self._store.write() as tx:
            upsert(tx.conn, column_clearances, [row], ("dataset", "column"), ("reason", "cleared_by", "cleared_at_ms"))
            tx.audit.append("dataset.column_cleared", "dataset", dataset, column=column, reason=row["reason"])
        return Clearance(**row)

    def clearances(self, dataset: str) -> dict[str, Clearance]:
        with self._store.read() as conn:
            rows = conn.execute(sa.select(column_clearances).where(column_clearances.c.dataset == dataset))
            return {r.column: Clearance.model_validate(r._asdict()) for r in rows}
