"""``SqliteOnlineStore``: the default online store, one local SQLite file (WAL).

Each view generation is its own table ``steward_fv__<view>__g<n>`` (entity TEXT PRIMARY KEY,
value = orjson blob of ``{feature: value}``, WITHOUT ROWID: one B-tree probe per lookup). The
table ``steward_online_views`` points each view at its current generation. ``write`` creates the
new table, fills it, moves the pointer and drops the old table in ONE transaction: readers (WAL)
see the old generation until the commit, and a failure rolls all of it back.

A reader caches each view's table name; a statement against a dropped table (another connection
wrote a newer generation) refreshes the pointer and retries. One connection, shared by threads
under a lock; statements are prepared once (sqlite3's statement cache). ``get_views`` reads one
entity from several views with one UNION ALL statement: one snapshot, like one Redis script.
A write holds that lock to its commit, so lookups through the same object wait for it: give a
writer running beside a server its own ``SqliteOnlineStore`` (its own connection).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from mlsteward.errors import NotFound, StoreUnavailable
from mlsteward.featurestore._values import encoded_rows
from mlsteward.featurestore.online import OnlineStore
from mlsteward.featurestore.views import FeatureView, entity_key

POINTERS = "steward_online_views"
_SCHEMA = f"""CREATE TABLE IF NOT EXISTS {POINTERS} (
    view TEXT PRIMARY KEY, generation INTEGER NOT NULL, table_name TEXT NOT NULL, entity TEXT NOT NULL,
    features TEXT NOT NULL, rows INTEGER NOT NULL, written_at TEXT NOT NULL)"""
_BUSY_TIMEOUT_MS = 30_000


class SqliteOnlineStore(OnlineStore):
    """An online store in one SQLite file at ``path`` (created if missing)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open the online store at {self.path}: {exc}. Check the path.") from exc
        self._lock = threading.Lock()
        self._tables: dict[str, str] = {}  # view -> its current generation's table, as last seen
        self._sql: dict[tuple, str] = {}  # (kind, tables) -> statement

    # -- reading ------------------------------------------------------------------------------
    def _pointer(self, view_name: str) -> tuple[str, list[str]]:
        row = self._conn.execute(f"SELECT table_name, features FROM {POINTERS} WHERE view = ?", (view_name,)).fetchone()
        if row is None:
            raise NotFound(
                f"the online store has no view {view_name!r}; materialize it first (views: {self._names()})."
            )
        return row[0], orjson.loads(row[1])

    def _statement(self, kind: str, names: tuple[str, ...]) -> str:
        tables = []
        for name in names:
            if name not in self._tables:
                self._tables[name] = self._pointer(name)[0]
            tables.append(self._tables[name])
        key = (kind, *tables)
        sql = self._sql.get(key)
        if sql is None:
            if kind == "one":
                sql = f'SELECT value FROM "{tables[0]}" WHERE entity = ?1'
            elif kind == "many":
                sql = f'SELECT entity, value FROM "{tables[0]}" WHERE entity IN (SELECT value FROM json_each(?1))'
            else:  # one entity from several views, in one statement (one snapshot)
                sql = " UNION ALL ".join(
                    f'SELECT {i}, value FROM "{table}" WHERE entity = ?1' for i, table in enumerate(tables)
                )
            self._sql[key] = sql
        return sql

    def _fetch(self, kind: str, names: tuple[str, ...], param: str) -> list[tuple]:
        """Run the statement on the views' cached tables; on a dropped table (a newer generation was
        written by another connection), look the tables up again and retry."""
        with self._lock:
            for attempt in range(3):
                try:
                    return self._conn.execute(self._statement(kind, names), (param,)).fetchall()
                except sqlite3.OperationalError as exc:
                    if "no such table" not in str(exc) or attempt == 2:
                        raise
                    for name in names:
                        self._tables.pop(name, None)
                    self._sql.clear()
        raise AssertionError("unreachable")

    def get(self, view_name: str, key: Any) -> dict[str, Any] | None:
        rows = self._fetch("one", (view_name,), entity_key(key))
        return orjson.loads(rows[0][0]) if rows else None

    def get_many(self, view_name: str, keys: Sequence[Any]) -> list[dict[str, Any] | None]:
        texts = [entity_key(k) for k in keys]
        found = dict(self._fetch("many", (view_name,), orjson.dumps(texts).decode()))
        return [orjson.loads(found[t]) if t in found else None for t in texts]

    def get_views(self, view_names: Sequence[str], key: Any) -> list[dict[str, Any] | None]:
        """One entity from several views: one statement, so one consistent snapshot."""
        names = tuple(view_names)
        if not names:
            return []
        found = dict(self._fetch("views", names, entity_key(key)))
        return [orjson.loads(found[i]) if i in found else None for i in range(len(names))]

    def _names(self) -> list[str]:
        return [r[0] for r in self._conn.execute(f"SELECT view FROM {POINTERS} ORDER BY view")]

    def views(self) -> list[str]:
        with self._lock:
            return self._names()

    def features(self, view_name: str) -> list[str]:
        with self._lock:
            return self._pointer(view_name)[1]

    # -- writing ------------------------------------------------------------------------------
    def write(self, view: FeatureView, latest: pd.DataFrame) -> int:
        count, rows = encoded_rows(view, latest)
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                old = conn.execute(f"SELECT generation, table_name FROM {POINTERS} WHERE view = ?",
                                   (view.name,)).fetchone()
                generation = 1 if old is None else old[0] + 1
                table = f"steward_fv__{view.name}__g{generation}"
                conn.execute(f'DROP TABLE IF EXISTS "{table}"')
                conn.execute(f'CREATE TABLE "{table}" (entity TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID')
                conn.executemany(f'INSERT INTO "{table}" (entity, value) VALUES (?, ?)', rows)
                conn.execute(
                    f"INSERT INTO {POINTERS} (view, generation, table_name, entity, features, rows, written_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (view) DO UPDATE SET generation = excluded.generation, "
                    "table_name = excluded.table_name, entity = excluded.entity, features = excluded.features, "
                    "rows = excluded.rows, written_at = excluded.written_at",
                    (view.name, generation, table, view.entity, orjson.dumps(view.features).decode(), count,
                     datetime.now(UTC).isoformat()),
                )
                if old is not None:
                    conn.execute(f'DROP TABLE IF EXISTS "{old[1]}"')
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            self._tables[view.name] = table
        return count

    def close(self) -> None:
        with self._lock:
            self._conn.close()


__all__ = ["SqliteOnlineStore"]
