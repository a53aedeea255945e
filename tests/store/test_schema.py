"""Migrations create exactly the tables the code declares; revisions are checked on open."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from mlsteward.errors import NotFound, StoreOutdated
from mlsteward.store import Store, migrate, store_revision, upgrade_store
from mlsteward.store.schema import metadata


def test_migrations_match_declared_schema(store: Store) -> None:
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_new_store_is_at_head_and_upgrade_is_idempotent(store: Store, store_url: str) -> None:
    assert store_revision(store_url) == migrate.head_revision()
    assert upgrade_store(store_url) == (migrate.head_revision(), migrate.head_revision())


def test_outdated_store_is_refused_with_the_fix(store: Store, store_url: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0000'"))
    with pytest.raises(StoreOutdated, match="steward store upgrade"):
        Store.open(store_url, actor="tester")


def test_missing_sqlite_store_is_not_created_when_reading(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "nope" / "steward.db"
    with pytest.raises(NotFound, match="steward init"):
        Store.open(f"sqlite:///{path}", actor="tester", create=False)
    assert not path.exists()


def test_migrations_downgrade_and_upgrade_again(store: Store, store_url: str) -> None:
    from alembic import command

    with store.engine.begin() as conn:
        command.downgrade(migrate._config(conn), "base")
    assert store_revision(store_url) is None
    with store.engine.connect() as conn:
        assert sa.inspect(conn).get_table_names() == ["alembic_version"]
    assert upgrade_store(store_url) == (None, migrate.head_revision())
    reopened = Store.open(store_url, actor="tester")
    reopened.projects.register("p", {})
    assert reopened.audit.verify().ok
    reopened.close()


def test_head_revision_constant_is_the_newest_migration() -> None:
    from alembic.script import ScriptDirectory

    assert migrate.head_revision() == ScriptDirectory.from_config(migrate._config()).get_current_head()
