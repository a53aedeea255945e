"""Run storage contract, on SQLite and PostgreSQL."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa

from mlsteward.errors import Conflict, FilterSyntaxError, InvalidInput, NotFound
from mlsteward.store import Store
from mlsteward.store.runs import ArtifactEntry, RunBatch
from mlsteward.store.schema import audit_events, run_metrics


def _audit_count(store: Store) -> int:
    with store.read() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(audit_events))


def test_create_write_and_read_back(store: Store) -> None:
    run = store.runs.create(experiment="churn", name="lgbm-1", environment={"python": "3.11"},
                            seed=7, tags={"team": "risk"})
    store.runs.write(run.id, RunBatch(
        params={"model": "lgbm", "max_depth": "5"}, tags={"stage": "dev"},
        metrics=[("loss", 0.9, 0, 1000), ("loss", 0.5, 1, 1001), ("loss", 0.7, 1, 999), ("auc", 0.8, 0, 1000)],
        artifacts=[ArtifactEntry(path="model.skops", digest="sha256:" + "a" * 64, size=10)],
        end_status="finished", end_time_ms=run.start_time_ms + 1500))
    got = store.runs.get(run.id)
    assert got.params == {"model": "lgbm", "max_depth": "5"}
    assert got.tags == {"team": "risk", "stage": "dev"}
    # latest = highest step, then latest timestamp: step 1 at t=1001 beats step 1 at t=999
    assert got.metrics == {"loss": 0.5, "auc": 0.8}
    assert got.status == "finished" and got.duration_s == 1.5
    assert got.seed == 7 and got.environment == {"python": "3.11"} and got.created_by == "tester"
    assert got.artifacts[0].path == "model.skops"
    history = store.runs.metric_history(run.id, "loss")
    assert [(p.step, p.value) for p in history] == [(0, 0.9), (1, 0.7), (1, 0.5)]


def test_latest_metric_keeps_highest_step_across_batches(store: Store) -> None:
    run = store.runs.create(experiment="e")
    store.runs.write(run.id, RunBatch(metrics=[("m", 1.0, 5, 10)]))
    store.runs.write(run.id, RunBatch(metrics=[("m", 2.0, 3, 20)]))  # older step logged later
    assert store.runs.get(run.id).metrics == {"m": 1.0}
    store.runs.write(run.id, RunBatch(metrics=[("m", 3.0, 5, 30)]))
    assert store.runs.get(run.id).metrics == {"m": 3.0}


def test_nan_and_infinity_round_trip(store: Store) -> None:
    run = store.runs.create(experiment="e")
    store.runs.write(run.id, RunBatch(metrics=[("a", math.nan, 0, 1), ("b", math.inf, 0, 1),
                                               ("c", -math.inf, 0, 1)]))
    got = store.runs.get(run.id).metrics
    assert math.isnan(got["a"]) and got["b"] == math.inf and got["c"] == -math.inf


def test_param_change_is_refused_and_nothing_of_the_batch_is_written(store: Store) -> None:
    run = store.runs.create(experiment="e")
    store.runs.write(run.id, RunBatch(params={"lr": "0.1"}))
    before = _audit_count(store)
    with pytest.raises(Conflict, match="'lr' .* already '0.1'"):
        store.runs.write(run.id, RunBatch(params={"lr": "0.2"}, metrics=[("m", 1.0, 0, 1)]))
    with store.read() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(run_metrics)) == 0
    assert _audit_count(store) == before
    store.runs.write(run.id, RunBatch(params={"lr": "0.1"}))  # same value again is fine


def test_ended_run_refuses_more_logging(store: Store) -> None:
    run = store.runs.create(experiment="e")
    store.runs.write(run.id, RunBatch(end_status="failed"))
    with pytest.raises(Conflict, match="already ended \\(failed\\)"):
        store.runs.write(run.id, RunBatch(metrics=[("m", 1.0, 0, 1)]))


def test_bad_end_status(store: Store) -> None:
    run = store.runs.create(experiment="e")
    with pytest.raises(InvalidInput, match="finished, failed, killed"):
        store.runs.write(run.id, RunBatch(end_status="done"))


def test_unknown_run_and_prefixes(store: Store) -> None:
    with pytest.raises(NotFound, match="steward runs list"):
        store.runs.get("0123456789abcdef0123456789abcdef")
    with pytest.raises(NotFound):
        store.runs.write("0123456789abcdef0123456789abcdef", RunBatch(metrics=[("m", 1.0, 0, 1)]))
    run = store.runs.create(experiment="e")
    assert store.runs.get(run.id[:8]).id == run.id
    assert store.runs.get(run.id.upper()).id == run.id


def test_nested_run_needs_an_existing_parent(store: Store) -> None:
    parent = store.runs.create(experiment="e")
    child = store.runs.create(experiment="e", parent_id=parent.id)
    assert store.runs.get(child.id).parent_id == parent.id
    with pytest.raises(NotFound, match="parent run"):
        store.runs.create(experiment="e", parent_id="f" * 32)


def test_search_filters_and_orders_newest_first(store: Store) -> None:
    ids = {}
    for name, model, auc in (("a", "lgbm", 0.91), ("b", "lgbm", 0.75), ("c", "logreg", 0.85)):
        run = store.runs.create(experiment="churn" if name != "c" else "other", name=name)
        store.runs.write(run.id, RunBatch(params={"model": model}, metrics=[("roc_auc", auc, 0, 1)]))
        ids[name] = run.id
    found = store.runs.search("metrics.roc_auc > 0.8 and params.model = 'lgbm'")
    assert [r.id for r in found] == [ids["a"]]
    assert {r.name for r in store.runs.search("metrics.roc_auc > 0.8")} == {"a", "c"}
    assert [r.name for r in store.runs.search(experiment="churn")] == ["b", "a"]
    assert len(store.runs.search(limit=2)) == 2
    with pytest.raises(FilterSyntaxError):
        store.runs.search("metrics.roc_auc >")


def test_every_write_is_audited(store: Store) -> None:
    run = store.runs.create(experiment="e")
    store.runs.write(run.id, RunBatch(params={"a": "1"}, metrics=[("m", 1.0, 0, 1)], end_status="finished"))
    store.runs.write(run2 := store.runs.create(experiment="e").id, RunBatch(tags={"t": "x"}))
    actions = [e.action for e in store.audit.list(entity_id=run.id)]
    assert actions == ["run.ended", "run.created"]  # one event per transaction
    ended = store.audit.list(action="run.ended")[0]
    assert ended.details == {"status": "finished", "params": 1, "metrics": 1} and ended.actor == "tester"
    assert store.audit.list(entity_id=run2)[0].details == {"tags": 1}
