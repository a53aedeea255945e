"""Incidents in the system of record: opened by a SEV alert (inside the monitor run's transaction) or by
hand, updated with timeline notes, resolved, and given a postmortem. Every change is audited and
guarded by ``revision``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import sqlalchemy as sa
from pydantic import BaseModel

from mlsteward.errors import Conflict, InvalidInput, NotFound
from mlsteward.store._sql import now_ms
from mlsteward.store.changelog import append_change
from mlsteward.store.schema import incidents

if TYPE_CHECKING:
    from mlsteward.store.store import Store, WriteTx

IncidentStatus = Literal["open", "mitigated", "resolved"]
INCIDENT_STATUSES: tuple[str, ...] = ("open", "mitigated", "resolved")


class TimelineEntry(BaseModel):
    at_ms: int
    by: str
    note: str


class IncidentRecord(BaseModel):
    id: int
    project: str
    model: str
    title: str
    severity: str
    status: IncidentStatus
    fields: dict  # the runbook's fields: trigger, roles, rollback target, artifacts to collect, …
    timeline: list[TimelineEntry]
    postmortem: str | None
    revision: int
    opened_by: str
    opened_at_ms: int
    resolved_at_ms: int | None

    @property
    def ref(self) -> str:
        return f"INC-{self.id}"


def insert_incident(tx: WriteTx, *, project: str, model: str, title: str, severity: str, fields: dict,
                    note: str, actor: str) -> int:
    """Open an incident inside ``tx``; returns its id."""
    now = now_ms()
    timeline = [TimelineEntry(at_ms=now, by=actor, note=note).model_dump()]
    incident_id = tx.conn.execute(incidents.insert().values(
        project=project, model=model, title=title, severity=severity, status="open", fields=fields,
        timeline=timeline, postmortem=None, revision=1, opened_by=actor, opened_at_ms=now,
        resolved_at_ms=None)).inserted_primary_key[0]
    append_change(tx, project=project, subject=f"incident:INC-{incident_id}", kind="incident_opened",
                  summary=f"INC-{incident_id} ({severity}) opened: {title}", details={"model": model}, actor=actor)
    tx.audit.append("incident.opened", "incident", f"INC-{incident_id}", model=model, severity=severity, title=title)
    return int(incident_id)


def incident_id(ref: str | int) -> int:
    """``INC-7``, ``7`` or 7 → 7."""
    text = str(ref).strip().upper().removeprefix("INC-")
    if not text.isdigit():
        raise InvalidInput(f"{ref!r} is not an incident: give its number, e.g. INC-3 or 3 (`steward incident list`)")
    return int(text)


class IncidentStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    def open(self, *, project: str, model: str, title: str, severity: str, fields: dict, note: str) -> IncidentRecord:
        with self._store.write() as tx:
            new_id = insert_incident(tx, project=project, model=model, title=title, severity=severity,
                                     fields=fields, note=note, actor=self._store.actor)
        return self.get(new_id)

    def get(self, ref: str | int) -> IncidentRecord:
        key = incident_id(ref)
        with self._store.read() as conn:
            row = conn.execute(sa.select(incidents).where(incidents.c.id == key)).first()
        if row is None:
            raise NotFound(f"no incident INC-{key}: `steward incident list` shows them")
        return IncidentRecord.model_validate(row._asdict())

    def list(self, *, project: str | None = None, status: str | None = None,
             model: str | None = None) -> list[IncidentRecord]:
        query = sa.select(incidents).order_by(incidents.c.id.desc())
        if project:
            query = query.where(incidents.c.project == project)
        if status:
            query = query.where(incidents.c.status == status)
        if model:
            query = query.where(incidents.c.model == model)
        with self._store.read() as conn:
            return [IncidentRecord.model_validate(r._asdict()) for r in conn.execute(query)]

    def update(self, ref: str | int, *, note: str, status: IncidentStatus | None = None,
               fields: dict | None = None, postmortem: str | None = None,
               expected_revision: int | None = None) -> IncidentRecord:
        """Add a timeline note and change the status, runbook fields (merged) or postmortem, audited."""
        if not note.strip():
            raise InvalidInput("an incident update needs a note for the timeline, e.g. --note 'rolled back to v1'")
        if status is not None and status not in INCIDENT_STATUSES:
            raise InvalidInput(f"an incident's status is one of {', '.join(INCIDENT_STATUSES)}; got {status!r}")
        key, actor, now = incident_id(ref), self._store.actor, now_ms()
        with self._store.write() as tx:
            row = tx.conn.execute(sa.select(incidents).where(incidents.c.id == key)).first()
            if row is None:
                raise NotFound(f"no incident INC-{key}: `steward incident list` shows them")
            if expected_revision is not None and row.revision != expected_revision:
                raise Conflict(f"INC-{key} changed meanwhile (revision {row.revision}, expected "
                               f"{expected_revision}): read it again and repeat the update")
            values: dict = {"timeline": [*row.timeline, TimelineEntry(at_ms=now, by=actor, note=note).model_dump()],
                            "revision": row.revision + 1}
            if status is not None:
                values["status"] = status
                values["resolved_at_ms"] = now if status == "resolved" else None
            if fields:
                values["fields"] = {**row.fields, **fields}
            if postmortem is not None:
                values["postmortem"] = postmortem
            tx.conn.execute(incidents.update().where(incidents.c.id == key).values(**values))
            if status is not None and status != row.status:
                append_change(tx, project=row.project, subject=f"incident:INC-{key}", kind=f"incident_{status}",
                              summary=f"INC-{key} {status}: {note}", details={"model": row.model}, actor=actor)
            tx.audit.append("incident.updated", "incident", f"INC-{key}", status=status or row.status, note=note,
                            fields=sorted(fields or {}), postmortem=postmortem is not None)
        return self.get(key)


__all__ = ["INCIDENT_STATUSES", "IncidentRecord", "IncidentStatus", "IncidentStore", "TimelineEntry",
           "incident_id", "insert_incident"]
