"""Evaluation records in the store, on SQLite and PostgreSQL: recorded in one audited transaction,
found by id prefix, listed per model run, newest first."""

from __future__ import annotations

import pytest

from mlsteward.errors import InvalidInput, NotFound
from mlsteward.store import Store
from mlsteward.store.datasets import NewDatasetVersion
from mlsteward.store.evaluations import NewEvaluation


def _setup(store: Store) -> tuple[str, str, str]:
    version, _ = store.datasets.register(NewDatasetVersion(
        name="test", kind="table", digest="sha256:" + "a" * 64, format="parquet", rows=3, columns=2,
        column_types=[], size_bytes=10))
    model = store.runs.create(experiment="churn", name="best-logreg")
    evaluation_run = store.runs.create(experiment="churn", name="evaluate-logreg", parent_id=model.id)
    return version.ref, model.id, evaluation_run.id


def _new(dataset: str, model: str, run: str, gate: str = "pass") -> NewEvaluation:
    return NewEvaluation(project="churn", model_run_id=model, dataset=dataset, run_id=run, metric="roc_auc",
                         value=0.81, suite={"bootstrap": 1000}, checks={"metrics": "info", "gates": gate}, gate=gate,
                         results_digest="sha256:" + "b" * 64, report_digest="sha256:" + "c" * 64,
                         card_digest="sha256:" + "d" * 64)


def test_an_evaluation_is_recorded_audited_and_found(store: Store) -> None:
    dataset, model, run = _setup(store)
    first = store.evaluations.record(_new(dataset, model, run))
    second = store.evaluations.record(_new(dataset, model, run, gate="fail"))
    assert first.dataset == "test@1" and first.created_by == "tester" and first.value == 0.81
    assert store.evaluations.get(first.id[:8]).id == first.id
    assert store.evaluations.get(first.id).checks == {"metrics": "info", "gates": "pass"}
    listed = store.evaluations.list(model_run_id=model)
    assert {r.id for r in listed} == {first.id, second.id} and listed[0].created_at_ms >= listed[1].created_at_ms
    assert store.evaluations.list(model_run_id="0" * 32) == []
    events = store.audit.list(action="model.evaluated")
    assert sorted(e.details["gate"] for e in events) == ["fail", "pass"] and events[0].entity_id == model


def test_unknown_and_ambiguous_references_are_refused(store: Store) -> None:
    with pytest.raises(NotFound, match="no evaluation"):
        store.evaluations.get("abcdef")
    with pytest.raises(InvalidInput, match="at least 4"):
        store.evaluations.get("ab")


def test_an_evaluation_of_an_unknown_dataset_writes_nothing(store: Store) -> None:
    _, model, run = _setup(store)
    with pytest.raises(NotFound):
        store.evaluations.record(_new("missing@1", model, run))
    assert store.evaluations.list() == [] and store.audit.list(action="model.evaluated") == []
