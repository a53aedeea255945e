"""Opening a store URL: SQLite (WAL, busy timeout, immediate write transactions) or PostgreSQL.

Write transactions take the database's write lock up front (``BEGIN IMMEDIATE`` on SQLite, a
row lock on ``audit_head`` on PostgreSQL), because every write appends to the one hash-chained
audit trail. Readers never block writers.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from mlsteward.errors import InvalidInput

SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str | os.PathLike) -> URL:
    """Turn a user's store URL or a bare path into a SQLAlchemy URL with the driver we use."""
    text = os.fspath(url)
    if "://" not in text:
        return make_url(f"sqlite:///{Path(text).expanduser().resolve()}")
    try:
        parsed = make_url(text)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a cryptic text
        raise InvalidInput(
            f"cannot parse store URL {text!r}: use sqlite:///path/to/steward.db or "
            "postgresql://user@host:5432/dbname"
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite")
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    raise InvalidInput(
        f"unsupported store URL scheme {parsed.drivername!r} in {parsed.render_as_string()}: "
        "use sqlite:///path/to/steward.db or postgresql://user@host:5432/dbname"
    )


def _json_dumps(value: object) -> str:
    return orjson.dumps(value).decode()


# orjson (de)serialises JSON columns: measured 3x faster than the json module on run records.
_JSON = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}


def create_engine(url: URL, connect_args: dict | None = None) -> sa.Engine:
    """Create the engine for a normalised URL, with the per-dialect settings Steward relies on."""
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                          **(connect_args or {})},
            **_JSON,
        )
        _configure_sqlite(engine)
        return engine
    return sa.create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 5, **(connect_args or {})},
        **_JSON,
    )


def _configure_sqlite(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a commit survives a crash of the process; only an OS crash or power
        # loss can lose the last commits (documented in README, "Durability").
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        mode = "IMMEDIATE" if conn.get_execution_options().get("steward_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def redacted(url: URL) -> str:
    """The URL as text with any password hidden, for messages."""
    return url.render_as_string(hide_password=True)
