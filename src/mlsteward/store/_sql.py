"""Small SQL helpers shared by the store's domain modules (dialect-specific upserts)."""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def upsert(conn: sa.Connection, table: sa.Table, rows: list[dict], keys: list[str],
           update: list[str], where=None) -> None:  # noqa: ANN001
    """INSERT … ON CONFLICT (keys) DO UPDATE SET update-columns [WHERE where(table, excluded)]."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=keys,
        set_={col: stmt.excluded[col] for col in update},
        where=where(table, stmt.excluded) if where is not None else None,
    )
    conn.execute(stmt, rows)


def now_ms() -> int:
    return time.time_ns() // 1_000_000
