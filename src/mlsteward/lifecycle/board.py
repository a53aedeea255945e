"""The lifecycle board: a project's eight stages with their recorded status."""

from __future__ import annotations

from pydantic import BaseModel

from mlsteward.errors import NotFound
from mlsteward.spec import Spec
from mlsteward.stages import Stage, StageStatus
from mlsteward.store import Store
from mlsteward.store.projects import StageRecord


class LifecycleBoard(BaseModel):
    project: str
    current_stage: Stage
    stages: list[StageRecord]


def lifecycle_board(store: Store, spec: Spec) -> LifecycleBoard:
    """Register the project from its spec (or update its charter) and read its stages."""
    project = store.projects.register(spec.project, spec.charter.model_dump(mode="json"))
    return LifecycleBoard(project=project.name, current_stage=project.current_stage,
                          stages=store.projects.stages(project.name))


def note_stage(store: Store, project: str, stage: Stage, status: StageStatus, note: str) -> None:
    """Record a stage's status on the project's board; a project never registered (no board) is left alone."""
    try:
        store.projects.set_stage(project, stage, status, note=note)
    except NotFound:
        pass

