"""The append-only, hash-chained audit trail: append inside a write transaction, verify the chain.

Each event's hash covers its own fields and the previous event's hash, so editing a row breaks its
own hash and deleting one breaks the sequence and the next event's link. ``audit_head`` keeps the
last seq and hash, so a deleted tail is noticed too.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Literal

import sqlalchemy as sa
from pydantic import BaseModel

from mlsteward.store.schema import audit_events, audit_head

GENESIS_HASH = "0" * 64

# Built once: statements with bound parameters are compiled once and reused from the cache.
_READ_HEAD = sa.select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
_LOCK_HEAD = _READ_HEAD.with_for_update()
_INSERT_EVENT = audit_events.insert()
_MOVE_HEAD = audit_head.update().where(audit_head.c.id == 1).values(
    seq=sa.bindparam("new_seq"), hash=sa.bindparam("new_hash"))


class AuditEvent(BaseModel):
    seq: int
    at_us: int
    actor: str
    action: str
    entity_type: str
    entity_id: str
    details: dict
    prev_hash: str
    hash: str


class AuditProblem(BaseModel):
    seq: int
    kind: Literal["edited", "deleted", "relinked", "head_mismatch"]
    message: str


class AuditVerification(BaseModel):
    ok: bool
    events_checked: int
    problems: list[AuditProblem]


def event_hash(seq: int, at_us: int, actor: str, action: str, entity_type: str, entity_id: str,
               details: dict, prev_hash: str) -> str:
    """sha256 over the canonical JSON of an event's fields and the previous hash."""
    payload = json.dumps([seq, at_us, actor, action, entity_type, entity_id, details, prev_hash],
                         sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


class AuditWriter:
    """Appends events within one write transaction, which already holds the write lock."""

    def __init__(self, conn: sa.Connection, actor: str, lock_head: bool) -> None:
        self._conn = conn
        self._actor = actor
        self._seq, self._hash = conn.execute(_LOCK_HEAD if lock_head else _READ_HEAD).one()

    def append(self, action: str, entity_type: str, entity_id: str, **details) -> int:
        seq, at_us = self._seq + 1, time.time_ns() // 1000
        digest = event_hash(seq, at_us, self._actor, action, entity_type, entity_id, details, self._hash)
        self._conn.execute(_INSERT_EVENT, dict(
            seq=seq, at_us=at_us, actor=self._actor, action=action, entity_type=entity_type,
            entity_id=entity_id, details=details, prev_hash=self._hash, hash=digest))
        self._conn.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": digest})
        self._seq, self._hash = seq, digest
        return seq


def list_events(conn: sa.Connection, *, limit: int = 50, entity_type: str | None = None,
                entity_id: str | None = None, action: str | None = None) -> list[AuditEvent]:
    """The newest events first, optionally for one entity type / entity / action."""
    query = sa.select(audit_events).order_by(audit_events.c.seq.desc()).limit(limit)
    if entity_type:
        query = query.where(audit_events.c.entity_type == entity_type)
    if entity_id:
        query = query.where(audit_events.c.entity_id == entity_id)
    if action:
        query = query.where(audit_events.c.action == action)
    return [AuditEvent.model_validate(row._asdict()) for row in conn.execute(query)]


def verify(conn: sa.Connection) -> AuditVerification:
    """Walk the whole chain in order and report every edited, deleted or relinked event."""
    problems: list[AuditProblem] = []
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    rows = conn.execution_options(stream_results=True, yield_per=2000).execute(
        sa.select(audit_events).order_by(audit_events.c.seq))
    for row in rows:
        checked += 1
        gap = row.seq != expected_seq
        if gap:
            span = (f"event {expected_seq}" if row.seq == expected_seq + 1
                    else f"events {expected_seq} to {row.seq - 1}")
            problems.append(AuditProblem(seq=expected_seq, kind="deleted",
                                         message=f"{span} deleted (the chain jumps to {row.seq})"))
        recomputed = event_hash(row.seq, row.at_us, row.actor, row.action, row.entity_type,
                                row.entity_id, row.details, row.prev_hash)
        if recomputed != row.hash:
            problems.append(AuditProblem(
                seq=row.seq, kind="edited",
                message=f"event {row.seq} ({row.action} {row.entity_type} {row.entity_id}) was edited: "
                        "its content no longer matches its hash"))
        elif row.prev_hash != prev_hash and not gap:
            problems.append(AuditProblem(
                seq=row.seq, kind="relinked",
                message=f"event {row.seq} does not link to event {row.seq - 1}: event {row.seq - 1} "
                        "was edited and its hash rewritten"))
        expected_seq, prev_hash = row.seq + 1, row.hash
    head_seq, head_hash = conn.execute(_READ_HEAD).one()
    last_seq = expected_seq - 1
    if head_seq > last_seq:
        span = f"event {head_seq}" if head_seq == last_seq + 1 else f"events {last_seq + 1} to {head_seq}"
        problems.append(AuditProblem(seq=last_seq + 1, kind="deleted",
                                     message=f"{span} deleted from the end of the trail"))
    elif head_seq != last_seq or head_hash != prev_hash:
        problems.append(AuditProblem(seq=last_seq, kind="head_mismatch",
                                     message=f"the trail's recorded head (event {head_seq}) does not "
                                             f"match its last event ({last_seq})"))
    return AuditVerification(ok=not problems, events_checked=checked, problems=problems)


class AuditStore:
    """The audit trail of one store: list events, verify the chain."""

    def __init__(self, store) -> None:  # noqa: ANN001 - mlsteward.store.Store
        self._store = store

    def list(self, *, limit: int = 50, entity_type: str | None = None, entity_id: str | None = None,
             action: str | None = None) -> list[AuditEvent]:
        with self._store.read() as conn:
            return list_events(conn, limit=limit, entity_type=entity_type, entity_id=entity_id,
                               action=action)

    def verify(self) -> AuditVerification:
        with self._store.read() as conn:
            return verify(conn)
