"""Projects and their eight stage records in the system of record."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from pydantic import BaseModel

from mlsteward.errors import InvalidInput, NotFound
from mlsteward.stages import STAGES, Stage, StageStatus
from mlsteward.store._sql import now_ms
from mlsteward.store.governance import record_charter_version
from mlsteward.store.schema import projects, stage_records

if TYPE_CHECKING:
    from mlsteward.store.store import Store


class StageRecord(BaseModel):
    stage: Stage
    status: StageStatus
    updated_at_ms: int
    updated_by: str
    gate_result_id: int | None = None
    note: str | None = None


class ProjectRecord(BaseModel):
    id: int
    name: str
    charter: dict
    current_stage: Stage
    created_at_ms: int
    updated_at_ms: int


class ProjectStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    def register(self, name: str, charter: dict) -> ProjectRecord:
        """Create the project with its eight stages not started, or update its charter if changed; a new
        charter is recorded as a new charter version in the same transaction."""
        with self._store.write() as tx:
            row = tx.conn.execute(sa.select(projects).where(projects.c.name == name)).one_or_none()
            now = now_ms()
            if row is None:
                project_id = tx.conn.execute(projects.insert().values(
                    name=name, charter=charter, current_stage=Stage.SCOPING.value,
                    created_at_ms=now, updated_at_ms=now)).inserted_primary_key[0]
                tx.conn.execute(stage_records.insert(), [
                    dict(project_id=project_id, stage=s.value, status=StageStatus.NOT_STARTED.value,
                         updated_at_ms=now, updated_by=self._store.actor) for s in STAGES])
                tx.audit.append("project.registered", "project", name)
            elif row.charter != charter:
                tx.conn.execute(projects.update().where(projects.c.id == row.id)
                                .values(charter=charter, updated_at_ms=now))
                tx.audit.append("project.charter_updated", "project", name)
            # audited by the project event above; by its own event when there is none (a store older than
            # charter versions, or a charter recorded apart)
            unchanged = row is not None and row.charter == charter
            record_charter_version(tx, name, charter, self._store.actor, audit=unchanged)
        return self.get(name)

    def get(self, name: str) -> ProjectRecord:
        with self._store.read() as conn:
            row = conn.execute(sa.select(projects).where(projects.c.name == name)).one_or_none()
        if row is None:
            raise NotFound(f"project {name!r} is not in the store: run `steward status` in its folder "
                           "to register it from steward.yaml")
        return ProjectRecord.model_validate(row._asdict())

    def stages(self, name: str) -> list[StageRecord]:
        project = self.get(name)
        with self._store.read() as conn:
            rows = conn.execute(sa.select(stage_records).where(stage_records.c.project_id == project.id))
            by_stage = {r.stage: StageRecord.model_validate(r._asdict()) for r in rows}
        return [by_stage[s.value] for s in STAGES]

    def set_stage(self, name: str, stage: Stage | str, status: StageStatus | str, *,
                  note: str | None = None, gate_result_id: int | None = None) -> StageRecord:
        """Record a stage's new status; the project's current stage follows the latest started one."""
        try:
            stage, status = Stage(stage), StageStatus(status)
        except ValueError as exc:
            raise InvalidInput(f"{exc}: stages are {', '.join(STAGES)}; statuses are "
                               f"{', '.join(StageStatus)}") from exc
        project = self.get(name)
        with self._store.write() as tx:
            tx.conn.execute(stage_records.update().where(
                stage_records.c.project_id == project.id, stage_records.c.stage == stage.value).values(
                status=status.value, updated_at_ms=now_ms(), updated_by=self._store.actor,
                note=note, gate_result_id=gate_result_id))
            if status != StageStatus.NOT_STARTED and stage.number > Stage(project.current_stage).number:
                tx.conn.execute(projects.update().where(projects.c.id == project.id)
                                .values(current_stage=stage.value, updated_at_ms=now_ms()))
            tx.audit.append("stage.updated", "project", name, stage=stage.value, status=status.value)
        return next(s for s in self.stages(name) if s.stage == stage)
