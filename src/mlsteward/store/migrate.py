"""Schema migrations with Alembic: the revision a store is at, the one this code needs, upgrade.

Reading the revision is plain SQL and ``HEAD_REVISION`` is a constant (a test keeps it equal to the
newest migration), so opening a store does not import Alembic; only upgrading does.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

MIGRATIONS = Path(__file__).with_name("migrations")
HEAD_REVISION = "0016"
MIGRATION_LOCK = 0x57E3A2D  # PostgreSQL advisory lock id held while migrating


def _config(connection: sa.Connection | None = None):  # noqa: ANN202 - alembic.config.Config
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest schema revision this version of Steward knows."""
    return HEAD_REVISION


def _revision(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the store is at, or None for an empty database."""
    with engine.connect() as conn:
        return _revision(conn)


def upgrade(engine: sa.Engine) -> tuple[str | None, str]:
    """Migrate the store to the newest revision in one transaction; returns (from, to).

    The write lock is taken first, so processes opening a new store at once create it once.
    """
    from alembic import command

    with engine.connect() as conn, conn.execution_options(steward_write=True).begin():
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK})
        before = _revision(conn)
        command.upgrade(_config(conn), "head")
    return before, HEAD_REVISION
