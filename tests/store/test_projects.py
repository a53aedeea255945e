"""Projects and stage records, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from mlsteward.errors import InvalidInput, NotFound
from mlsteward.stages import STAGES, StageStatus
from mlsteward.store import Store


def test_register_creates_eight_stages_not_started(store: Store) -> None:
    project = store.projects.register("churn", {"problem": "p"})
    assert project.current_stage == "scoping"
    stages = store.projects.stages("churn")
    assert [s.stage for s in stages] == list(STAGES)
    assert {s.status for s in stages} == {StageStatus.NOT_STARTED}


def test_register_again_updates_charter_only_when_changed(store: Store) -> None:
    store.projects.register("churn", {"problem": "p"})
    store.projects.register("churn", {"problem": "p"})
    assert [e.action for e in store.audit.list(entity_id="churn")] == ["project.registered"]
    store.projects.register("churn", {"problem": "q"})
    assert store.projects.get("churn").charter == {"problem": "q"}
    assert store.audit.list(entity_id="churn")[0].action == "project.charter_updated"


def test_set_stage_moves_current_stage_forward(store: Store) -> None:
    store.projects.register("churn", {})
    record = store.projects.set_stage("churn", "data", "in_progress", note="profiling")
    assert record.status == StageStatus.IN_PROGRESS and record.note == "profiling"
    store.projects.set_stage("churn", "scoping", "passed")
    assert store.projects.get("churn").current_stage == "data"
    with pytest.raises(InvalidInput, match="stages are scoping"):
        store.projects.set_stage("churn", "shipping", "passed")
    with pytest.raises(NotFound, match="steward status"):
        store.projects.stages("nope")
