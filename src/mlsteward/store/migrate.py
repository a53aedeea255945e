"""Schema migrations with Alembic: the revision a store is at, the one this code needs, upgrade."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).with_name("migrations")


def _config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest schema revision this version of Steward knows."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the store is at, or None for an empty database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


MIGRATION_LOCK = 0x57E3A2D  # PostgreSQL advisory lock id held while migrating


def upgrade(engine: sa.Engine) -> tuple[str | None, str]:
    """Migrate the store to the newest revision in one transaction; returns (from, to).

    The write lock is taken first, so processes opening a new store at once create it once.
    """
    with engine.connect() as conn, conn.execution_options(steward_write=True).begin():
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK})
        before = MigrationContext.configure(conn).get_current_revision()
        command.upgrade(_config(conn), "head")
    return before, head_revision()
