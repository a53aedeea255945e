"""Shared fixtures: every store test runs on SQLite and on PostgreSQL (a fresh schema per test)."""

from __future__ import annotations

import os
import uuid
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from mlsteward.store import Store

PG_URL = os.environ.get("STEWARD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True)
def _actor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_USER", "tester")
    for name in ("STEWARD_STORE_URL", "STEWARD_ARTIFACTS_URL"):
        monkeypatch.delenv(name, raising=False)


def _pg_admin() -> sa.Engine:
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:  # a failure, not a skip: CI must prove PostgreSQL
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL} ({exc.orig}); start it "
                    "(.ci/run does) or set STEWARD_TEST_POSTGRES_URL")
    return engine


@pytest.fixture
def pg_url():
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    yield f"{PG_URL}?options={quote(f'-csearch_path={schema}')}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'steward.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(store_url: str):
    opened = Store.open(store_url, actor="tester")
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def quickstart_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """`steward quickstart` run once, as a user runs it: (its folder, what it printed). Copy the folder before
    changing anything in it (``shutil.copytree``): other tests read the same one."""
    from typer.testing import CliRunner

    from mlsteward.cli.main import app

    folder = tmp_path_factory.mktemp("quickstart") / "qs"
    shown = CliRunner().invoke(app, ["quickstart", str(folder)])
    assert shown.exit_code == 0, shown.output
    return str(folder), shown.output
