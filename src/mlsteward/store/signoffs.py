"""Sign-offs and waivers in the system of record.

Who may sign or waive is decided by the workflow (the charter's roles); this module records what was
decided, audited, and reads it back per subject (``model:churn@3``, ``stage:scoping``, ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import sqlalchemy as sa
from pydantic import BaseModel

from mlsteward.errors import InvalidInput
from mlsteward.store._sql import now_ms
from mlsteward.store.schema import signoffs, waivers

if TYPE_CHECKING:
    from mlsteward.store.store import Store

Decision = Literal["approve", "reject"]


class SignOffRecord(BaseModel):
    id: int
    project: str
    subject: str
    role: str
    person: str
    decision: Decision
    comment: str
    created_at_ms: int


class WaiverRecord(BaseModel):
    id: int
    project: str
    subject: str
    check: str
    role: str
    person: str
    reason: str
    created_at_ms: int


class SignOffStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    def sign(self, *, project: str, subject: str, role: str, decision: Decision, comment: str = "") -> SignOffRecord:
        """Record the acting person's decision on ``subject`` in ``role`` (audited)."""
        if decision not in ("approve", "reject"):
            raise InvalidInput(f"decision {decision!r} is not approve or reject")
        with self._store.write() as tx:
            row_id = tx.conn.execute(signoffs.insert().values(
                project=project, subject=subject, role=role, person=self._store.actor, decision=decision,
                comment=comment, created_at_ms=now_ms())).inserted_primary_key[0]
            tx.audit.append("signoff.recorded", "subject", subject, role=role, decision=decision, comment=comment)
        return self._one(signoffs, row_id, SignOffRecord)

    def waive(self, *, project: str, subject: str, check: str, role: str, reason: str) -> WaiverRecord:
        """Record the acting person's waiver of one failing check on ``subject`` (audited)."""
        if not reason.strip():
            raise InvalidInput("a waiver needs a reason: say why the failing check may be let through")
        with self._store.write() as tx:
            row_id = tx.conn.execute(waivers.insert().values(
                project=project, subject=subject, check=check, role=role, person=self._store.actor,
                reason=reason.strip(), created_at_ms=now_ms())).inserted_primary_key[0]
            tx.audit.append("gate.waived", "subject", subject, check=check, role=role, reason=reason.strip())
        return self._one(waivers, row_id, WaiverRecord)

    def signoffs(self, subject: str | None = None, *, project: str | None = None) -> list[SignOffRecord]:
        """Sign-offs, oldest first (the latest per person and role is the one that counts)."""
        return self._list(signoffs, SignOffRecord, subject, project)

    def waivers(self, subject: str | None = None, *, project: str | None = None) -> list[WaiverRecord]:
        return self._list(waivers, WaiverRecord, subject, project)

    def _list(self, table: sa.Table, model: type[BaseModel], subject: str | None, project: str | None) -> list:
        query = sa.select(table).order_by(table.c.id)
        if subject:
            query = query.where(table.c.subject == subject)
        if project:
            query = query.where(table.c.project == project)
        with self._store.read() as conn:
            return [model.model_validate(r._asdict()) for r in conn.execute(query)]

    def _one(self, table: sa.Table, row_id: int, model: type[BaseModel]):
        with self._store.read() as conn:
            return model.model_validate(conn.execute(sa.select(table).where(table.c.id == row_id)).one()._asdict())


def standing_signoffs(records: list[SignOffRecord]) -> dict[str, SignOffRecord]:
    """Per role, the latest decision (a later reject replaces an approval, and the other way round)."""
    latest: dict[str, SignOffRecord] = {}
    for record in records:
        latest[record.role] = record
    return latest


__all__ = ["Decision", "SignOffRecord", "SignOffStore", "WaiverRecord", "standing_signoffs"]
