"""The hash-chained audit trail detects edited and deleted events, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa

from mlsteward.store import Store
from mlsteward.store.audit import GENESIS_HASH, event_hash
from mlsteward.store.schema import audit_events


def _five_events(store: Store) -> None:
    for i in range(5):
        store.projects.register(f"p{i}", {})


def _exec(store: Store, sql: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.text(sql))


def test_chain_links_each_event_to_the_previous(store: Store) -> None:
    _five_events(store)
    events = sorted(store.audit.list(), key=lambda e: e.seq)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in zip(events, events[1:]):
        assert after.prev_hash == before.hash
    first = events[0]
    # independent recomputation of the documented hash: sha256 of the canonical JSON list
    payload = json.dumps([1, first.at_us, "tester", "project.registered", "project", "p0", {}, GENESIS_HASH],
                         sort_keys=True, separators=(",", ":"))
    assert first.hash == hashlib.sha256(payload.encode()).hexdigest() == event_hash(
        1, first.at_us, "tester", "project.registered", "project", "p0", {}, GENESIS_HASH)
    result = store.audit.verify()
    assert result.ok and result.events_checked == 5


def test_edited_event_is_named(store: Store) -> None:
    _five_events(store)
    _exec(store, "UPDATE audit_events SET actor = 'mallory' WHERE seq = 3")
    result = store.audit.verify()
    assert not result.ok
    assert [(p.seq, p.kind) for p in result.problems] == [(3, "edited")]


def test_edit_with_rewritten_hash_breaks_the_next_link(store: Store) -> None:
    _five_events(store)
    with store.engine.begin() as conn:
        row = conn.execute(sa.select(audit_events).where(audit_events.c.seq == 2)).one()
        forged = event_hash(2, row.at_us, "mallory", row.action, row.entity_type, row.entity_id,
                            row.details, row.prev_hash)
        conn.execute(audit_events.update().where(audit_events.c.seq == 2).values(actor="mallory", hash=forged))
    result = store.audit.verify()
    assert [(p.seq, p.kind) for p in result.problems] == [(3, "relinked")]


def test_deleted_events_are_named(store: Store) -> None:
    _five_events(store)
    _exec(store, "DELETE FROM audit_events WHERE seq IN (2, 3)")
    result = store.audit.verify()
    assert [(p.seq, p.kind) for p in result.problems] == [(2, "deleted")]
    assert "events 2 to 3 deleted" in result.problems[0].message


def test_deleted_tail_is_noticed(store: Store) -> None:
    _five_events(store)
    _exec(store, "DELETE FROM audit_events WHERE seq = 5")
    result = store.audit.verify()
    assert [(p.seq, p.kind) for p in result.problems] == [(5, "deleted")]


def test_failed_write_leaves_no_event(store: Store) -> None:
    store.projects.register("p", {})
    try:
        with store.write() as tx:
            tx.audit.append("thing.done", "thing", "x")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert [e.action for e in store.audit.list()] == ["project.registered"]
    assert store.audit.verify().ok
