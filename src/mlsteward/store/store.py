"""``Store``: one system of record on SQLite or PostgreSQL, spoken to in domain terms.

``store.runs``, ``store.projects`` and ``store.audit`` are the domain modules; every write goes
through ``store.write()``, a single transaction holding the write lock, whose audit events are
committed together with the change they describe (or not at all).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL

from mlsteward.errors import NotFound, StoreOutdated, StoreUnavailable
from mlsteward.store import migrate
from mlsteward.store.audit import AuditStore, AuditWriter
from mlsteward.store.datasets import DatasetStore
from mlsteward.store.deployments import DeploymentStore
from mlsteward.store.engine import create_engine, normalise_url, redacted
from mlsteward.store.evaluations import EvaluationStore
from mlsteward.store.evidence import EvidenceStore
from mlsteward.store.feature_sets import FeatureSetStore
from mlsteward.store.governance import GovernanceStore
from mlsteward.store.incidents import IncidentStore
from mlsteward.store.labeling import LabelStore
from mlsteward.store.llm import LLMStore
from mlsteward.store.models import ModelStore
from mlsteward.store.monitoring import MonitorStore
from mlsteward.store.predictions import PredictionStore
from mlsteward.store.projects import ProjectStore
from mlsteward.store.prompts import PromptStore
from mlsteward.store.runs import RunStore
from mlsteward.store.signoffs import SignOffStore
from mlsteward.store.tokens import TokenStore


@dataclass
class WriteTx:
    """A write transaction: ``conn`` to change rows, ``audit`` to record who did it."""

    conn: sa.Connection
    audit: AuditWriter


class Store:
    def __init__(self, url: URL, engine: sa.Engine, actor: str) -> None:
        self.url = url
        self.engine = engine
        self.actor = actor

    @classmethod
    def open(cls, url: str, *, actor: str, create: bool = True,
             connect_args: dict | None = None) -> Store:
        """Open a store; a missing SQLite file or empty database is created when ``create``."""
        parsed = normalise_url(url)
        if parsed.get_backend_name() == "sqlite" and not create:
            if not parsed.database or not Path(parsed.database).exists():
                raise NotFound(
                    f"no Steward store at {parsed.database}: run `steward init` in your project "
                    "folder, or point STEWARD_STORE_URL at an existing store")
        engine = create_engine(parsed, connect_args)
        store = cls(parsed, engine, actor)
        store._check_schema(create)
        return store

    def _check_schema(self, create: bool) -> None:
        try:
            current = migrate.current_revision(self.engine)
        except sa.exc.OperationalError as exc:
            raise _unavailable(self.url, exc) from exc
        head = migrate.head_revision()
        if current == head:
            return
        if current is None and create:
            migrate.upgrade(self.engine)
            return
        if current is None:
            raise NotFound(f"the database at {redacted(self.url)} holds no Steward store: "
                           "run `steward store upgrade` to create one")
        raise StoreOutdated(
            f"the store at {redacted(self.url)} is at schema revision {current}, this Steward "
            f"needs {head}: run `steward store upgrade` (back up the store first)")

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[WriteTx]:
        """One transaction with the write lock held; committed on success, rolled back on error."""
        try:
            conn = self.engine.connect()
        except sa.exc.OperationalError as exc:
            raise _unavailable(self.url, exc) from exc
        with conn, conn.execution_options(steward_write=True).begin():
            lock_head = conn.dialect.name == "postgresql"
            yield WriteTx(conn, AuditWriter(conn, self.actor, lock_head=lock_head))

    @cached_property
    def runs(self) -> RunStore:
        return RunStore(self)

    @cached_property
    def projects(self) -> ProjectStore:
        return ProjectStore(self)

    @cached_property
    def datasets(self) -> DatasetStore:
        return DatasetStore(self)

    @cached_property
    def evidence(self) -> EvidenceStore:
        return EvidenceStore(self)

    @cached_property
    def feature_sets(self) -> FeatureSetStore:
        return FeatureSetStore(self)

    @cached_property
    def evaluations(self) -> EvaluationStore:
        return EvaluationStore(self)

    @cached_property
    def governance(self) -> GovernanceStore:
        return GovernanceStore(self)

    @cached_property
    def models(self) -> ModelStore:
        return ModelStore(self)

    @cached_property
    def monitoring(self) -> MonitorStore:
        return MonitorStore(self)

    @cached_property
    def incidents(self) -> IncidentStore:
        return IncidentStore(self)

    @cached_property
    def predictions(self) -> PredictionStore:
        return PredictionStore(self)

    @cached_property
    def signoffs(self) -> SignOffStore:
        return SignOffStore(self)

    @cached_property
    def tokens(self) -> TokenStore:
        return TokenStore(self)

    @cached_property
    def deployments(self) -> DeploymentStore:
        return DeploymentStore(self)

    @cached_property
    def labeling(self) -> LabelStore:
        return LabelStore(self)

    @cached_property
    def prompts(self) -> PromptStore:
        return PromptStore(self)

    @cached_property
    def llm(self) -> LLMStore:
        return LLMStore(self)

    @cached_property
    def audit(self) -> AuditStore:
        return AuditStore(self)


@contextmanager
def _engine_for(url: str) -> Iterator[sa.Engine]:
    """A short-lived engine whose connection failures become ``StoreUnavailable``."""
    parsed = normalise_url(url)
    engine = create_engine(parsed)
    try:
        yield engine
    except sa.exc.OperationalError as exc:
        raise _unavailable(parsed, exc) from exc
    finally:
        engine.dispose()


def upgrade_store(url: str) -> tuple[str | None, str]:
    """Migrate (or create) the store at ``url`` to this Steward's schema; returns (from, to)."""
    with _engine_for(url) as engine:
        return migrate.upgrade(engine)


def store_revision(url: str) -> str | None:
    """The schema revision of the store at ``url`` (None when empty or not created yet)."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").exists():
        return None
    with _engine_for(url) as engine:
        return migrate.current_revision(engine)


def _unavailable(url: URL, exc: Exception) -> StoreUnavailable:
    text = str(getattr(exc, "orig", None) or exc).strip()
    reason = text.splitlines()[0] if text else type(exc).__name__
    return StoreUnavailable(
        f"cannot reach the store at {redacted(url)}: {reason}. Check the URL (STEWARD_STORE_URL or "
        "steward.yaml `store.url`) and that the database server is running")


__all__ = ["Store", "WriteTx", "store_revision", "upgrade_store"]
