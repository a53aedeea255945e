"""Serving endpoints and their deployment history in the system of record.

An endpoint's state is the JSON of ``mlsteward.serving.rollout.Endpoint`` (model, live version, rollback
target, canary with its share, shadow); the store keeps it as it is given. ``change`` writes the new state only if the endpoint is still at the
revision its caller decided on, and records the history row, the change-log entry and the audit event
in the same transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from pydantic import BaseModel

from mlsteward.errors import Conflict, NotFound
from mlsteward.store._sql import now_ms
from mlsteward.store.changelog import append_change
from mlsteward.store.schema import deployments, endpoints

if TYPE_CHECKING:
    from mlsteward.store.store import Store, WriteTx


class EndpointRecord(BaseModel):
    model: str
    project: str
    state: dict  # mlsteward.serving.rollout.Endpoint
    revision: int
    updated_by: str
    updated_at_ms: int


class DeploymentRecord(BaseModel):
    id: int
    model: str
    action: str  # live, canary, shadow, rollback
    version: int | None
    before: dict | None
    after: dict
    reason: str
    created_by: str
    created_at_ms: int


class DeploymentStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    def endpoint(self, model: str) -> EndpointRecord | None:
        with self._store.read() as conn:
            row = conn.execute(sa.select(endpoints).where(endpoints.c.model == model)).first()
        return EndpointRecord.model_validate(row._asdict()) if row is not None else None

    def endpoints(self, project: str | None = None) -> list[EndpointRecord]:
        query = sa.select(endpoints).order_by(endpoints.c.model)
        if project:
            query = query.where(endpoints.c.project == project)
        with self._store.read() as conn:
            return [EndpointRecord.model_validate(r._asdict()) for r in conn.execute(query)]

    def change(self, project: str, after: dict, *, action: str, version: int | None, expected_revision: int | None,
               reason: str = "", summary: str) -> EndpointRecord:
        """Write ``after`` as the endpoint's state if it is still at ``expected_revision`` (None: it must not
        exist yet); ``Conflict`` naming the current state otherwise."""
        with self._store.write() as tx:
            write_change(tx, project, after, action=action, version=version, expected_revision=expected_revision,
                         reason=reason, summary=summary, actor=self._store.actor)
        model = after["model"]
        found = self.endpoint(model)
        assert found is not None
        return found

    def history(self, model: str) -> list[DeploymentRecord]:
        """Every change of the endpoint, newest first."""
        with self._store.read() as conn:
            rows = conn.execute(sa.select(deployments).where(deployments.c.model == model)
                                .order_by(deployments.c.id.desc()))
            records = [DeploymentRecord.model_validate(r._asdict()) for r in rows]
        if not records and self.endpoint(model) is None:
            raise NotFound(f"model {model!r} has never been deployed: `steward deploy {model} --version V`")
        return records


def write_change(tx: WriteTx, project: str, after: dict, *, action: str, version: int | None,
                 expected_revision: int | None, reason: str, summary: str, actor: str) -> None:
    """``DeploymentStore.change`` inside ``tx`` (a retirement changes the endpoint in its own transaction)."""
    now = now_ms()
    model = after["model"]
    row = tx.conn.execute(sa.select(endpoints).where(endpoints.c.model == model)).first()
    current = row.revision if row is not None else None
    if current != expected_revision:
        live = f"{model}@{row.state['live']} is live" if row is not None else "new"
        raise Conflict(f"the endpoint {model!r} changed while this deployment was being decided ({live}, "
                       f"revision {current}): run the command again against the current state")
    before = row.state if row is not None else None
    state = after
    if row is None:
        tx.conn.execute(endpoints.insert().values(model=model, project=project, state=state, revision=1,
                                                  updated_by=actor, updated_at_ms=now))
    else:
        tx.conn.execute(endpoints.update().where(endpoints.c.model == model).values(
            state=state, revision=row.revision + 1, updated_by=actor, updated_at_ms=now))
    tx.conn.execute(deployments.insert().values(
        model=model, action=action, version=version, before=before, after=state, reason=reason, created_by=actor,
        created_at_ms=now))
    append_change(tx, project=project, subject=f"endpoint:{model}", kind=f"deployed_{action}",
                  summary=summary, details={"before": before, "after": state, "reason": reason}, actor=actor)
    tx.audit.append(f"deployment.{action}", "endpoint", model, version=version, state=state, reason=reason)


__all__ = ["DeploymentRecord", "DeploymentStore", "EndpointRecord", "write_change"]
