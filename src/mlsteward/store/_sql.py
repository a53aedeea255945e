"""Small SQL helpers shared by the store's domain modules (dialect-specific upserts)."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def upsert(conn: sa.Connection, table: sa.Table, rows: list[dict], keys: tuple[str, ...],
           update: tuple[str, ...], where: Callable | None = None) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET update-columns [WHERE where(table, excluded)]."""
    if rows:
        conn.execute(_upsert_statement(conn.dialect.name, table, keys, update, where), rows)


@lru_cache(maxsize=64)
def _upsert_statement(dialect_name: str, table: sa.Table, keys: tuple[str, ...], update: tuple[str, ...],
                      where: Callable | None) -> sa.Insert:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    return stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={col: stmt.excluded[col] for col in update},
        where=where(table, stmt.excluded) if where is not None else None,
    )


def now_ms() -> int:
    return time.time_ns() // 1_000_000
