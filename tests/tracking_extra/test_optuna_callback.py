"""StewardCallback: each finished Optuna trial is a child run, checked against Optuna's own record."""

from __future__ import annotations

import threading
import time

import optuna
import pytest

import mlsteward
from mlsteward.errors import InvalidInput
from mlsteward.store import Store
from mlsteward.tracking import optuna_callback
from mlsteward.tracking.optuna_callback import StewardCallback

optuna.logging.set_verbosity(optuna.logging.ERROR)


@pytest.fixture
def tracked(store_url, tmp_path):  # noqa: ANN001, ANN201
    """The module-level API pointed at a fresh store (SQLite and PostgreSQL: the trials are written
    with batched SQL); yields a reader on the same store."""
    url = store_url
    mlsteward.set_store(url, str(tmp_path / "artifacts"))
    reader = Store.open(url, actor="reader")
    yield reader
    while mlsteward.active_run():
        mlsteward.end_run()
    mlsteward.set_store(None, None)
    reader.close()


def objective(trial: optuna.Trial) -> float:
    """Trial 3 is pruned after two reports, trial 5 fails; the others complete."""
    x = trial.suggest_float("x", -2.0, 2.0)
    kind = trial.suggest_categorical("kind", ["a", "b", None])
    for step in range(3):
        trial.report((x - 0.5) ** 2 + step, step)
        if trial.number == 3 and step == 1:
            raise optuna.TrialPruned()
    if trial.number == 5:
        raise ValueError("boom")
    return (x - 0.5) ** 2 + (0.1 if kind == "a" else 0.0)


def new_study(direction: str = "minimize") -> optuna.Study:
    return optuna.create_study(direction=direction, sampler=optuna.samplers.TPESampler(seed=3))


def children_by_number(store: Store, parent_id: str) -> dict:
    found = store.runs.search(f"parent_id = '{parent_id}'", limit=1000)
    return {int(r.tags["trial_number"]): r for r in found}


def test_ten_trials_become_ten_child_runs_of_the_active_run(tracked: Store) -> None:
    study = new_study()
    with mlsteward.start_run(experiment="tuning", name="study") as parent:
        study.optimize(objective, n_trials=10, callbacks=[StewardCallback()], catch=(ValueError,))
    # ending the parent committed the children: no flush() was called
    kids = children_by_number(tracked, parent.id)
    assert sorted(kids) == list(range(10))
    states = {"COMPLETE": "finished", "PRUNED": "finished", "FAIL": "failed"}
    for trial in study.trials:
        run = kids[trial.number]
        assert run.experiment == "tuning" and run.name == f"trial-{trial.number}"
        assert run.params == {k: str(v) for k, v in trial.params.items()}
        assert run.tags["trial_state"] == trial.state.name
        assert run.status == states[trial.state.name]
        assert run.tags["study_name"] == study.study_name
        assert float(run.tags["trial_duration_s"]) == pytest.approx(trial.duration.total_seconds(), abs=1e-6)
        history = [(p.step, p.value) for p in tracked.runs.metric_history(run.id, "value")]
        reported = sorted(trial.intermediate_values.items())
        assert history[: len(reported)] == reported
        if trial.state.name == "COMPLETE":
            assert run.metrics["value"] == trial.value and history[-1] == (reported[-1][0] + 1, trial.value)
    assert kids[3].tags["trial_state"] == "PRUNED" and kids[3].metrics["value"] == study.trials[3].value
    assert [s for s, _ in sorted(study.trials[3].intermediate_values.items())] == [0, 1]
    assert kids[5].status == "failed" and kids[5].tags["trial_state"] == "FAIL"

    got = tracked.runs.get(parent.id)
    assert got.metrics["best_value"] == study.best_value
    assert got.metrics["best_trial"] == study.best_trial.number
    assert got.tags["best_run_id"] == kids[study.best_trial.number].id


def test_best_follows_the_direction_and_steps_by_trial(tracked: Store) -> None:
    study = new_study("maximize")
    parent = mlsteward.start_run(experiment="tuning", name="max")
    callback = StewardCallback(parent=parent)
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=8, callbacks=[callback])
    callback.flush()
    best = [(p.step, p.value) for p in tracked.runs.metric_history(parent.id, "best_value")]
    expected, top = [], None
    for trial in study.trials:
        if top is None or trial.value > top:
            top = trial.value
            expected.append((trial.number, trial.value))
    assert best == expected and tracked.runs.get(parent.id).metrics["best_value"] == study.best_value
    parent.end()


def test_flush_commits_before_the_parent_ends(tracked: Store) -> None:
    parent = mlsteward.start_run(experiment="tuning")
    callback = StewardCallback(parent, metric_name="loss", experiment="trials")
    new_study().optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=4, callbacks=[callback])
    callback.flush()
    kids = children_by_number(tracked, parent.id)
    assert len(kids) == 4 and all(r.experiment == "trials" and "loss" in r.metrics for r in kids.values())
    assert tracked.runs.get(parent.id).status == "running" and "best_loss" in tracked.runs.get(parent.id).metrics
    parent.end()


def test_trials_are_written_within_the_flush_interval_without_a_flush(tracked: Store) -> None:
    parent = mlsteward.start_run(experiment="tuning")
    new_study().optimize(lambda t: t.suggest_float("x", -1, 1), n_trials=3, callbacks=[StewardCallback()])
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and len(children_by_number(tracked, parent.id)) < 3:
        time.sleep(0.05)
    assert len(children_by_number(tracked, parent.id)) == 3
    parent.end()


def test_a_running_study_writes_between_trials_in_its_own_thread(tracked: Store, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("STEWARD_FLUSH_INTERVAL", "0.2")  # a write is due once the oldest trial is 0.1 s old
    writers = []
    insert = optuna_callback._insert_finished_runs

    def recording(workspace, parent_id, rows):  # noqa: ANN001, ANN202
        writers.append((threading.current_thread(), len(rows)))
        return insert(workspace, parent_id, rows)

    monkeypatch.setattr(optuna_callback, "_insert_finished_runs", recording)

    def slow(trial: optuna.Trial) -> float:
        time.sleep(0.06)
        return trial.suggest_float("x", 0, 1)

    with mlsteward.start_run(experiment="tuning") as parent:
        new_study().optimize(slow, n_trials=6, callbacks=[StewardCallback()])
        assert any(thread is threading.main_thread() for thread, _ in writers)
        assert len(children_by_number(tracked, parent.id)) >= 3  # committed before the study's end
    assert sum(n for _, n in writers) == 6 and len(children_by_number(tracked, parent.id)) == 6


def test_without_a_run_the_study_gets_one(tracked: Store) -> None:
    study = optuna.create_study(study_name="lr-search", sampler=optuna.samplers.RandomSampler(seed=0))
    callback = StewardCallback()
    study.optimize(lambda t: t.suggest_float("x", -1, 1), n_trials=2, callbacks=[callback])
    parent = callback.parent
    assert parent is mlsteward.active_run() and parent.name == "lr-search" and parent.experiment == "lr-search"
    mlsteward.end_run()
    assert len(children_by_number(tracked, parent.id)) == 2


def test_multi_objective_values_get_numbered_names(tracked: Store) -> None:
    study = optuna.create_study(directions=["minimize", "maximize"], sampler=optuna.samplers.RandomSampler(seed=0))
    with mlsteward.start_run(experiment="tuning") as parent:
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), 2.0), n_trials=2, callbacks=[StewardCallback()])
    kids = children_by_number(tracked, parent.id)
    assert {n: r.metrics for n, r in kids.items()} == {
        t.number: {"value_0": t.values[0], "value_1": 2.0} for t in study.trials}
    assert "best_value" not in tracked.runs.get(parent.id).metrics


def test_children_are_audited_like_runs_made_one_by_one(tracked: Store) -> None:
    with mlsteward.start_run(experiment="tuning") as parent:
        new_study().optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3, callbacks=[StewardCallback()])
    for run in children_by_number(tracked, parent.id).values():
        events = {e.action: e for e in tracked.audit.list(entity_id=run.id)}
        assert sorted(events) == ["run.created", "run.ended"] and events["run.ended"].actor == "tester"
        assert events["run.created"].details == {"experiment": "tuning", "name": run.name}
        assert events["run.ended"].details == {"status": "finished", "params": 1, "tags": 4, "metrics": 1}
        assert events["run.ended"].seq == events["run.created"].seq + 1
    verification = tracked.audit.verify()  # the chain holds across batched and one-by-one events
    assert verification.ok and verification.events_checked == 2 + 3 * 2


def test_bad_arguments_are_refused_at_construction(tracked: Store) -> None:
    with pytest.raises(InvalidInput, match="metric name"):
        StewardCallback(metric_name="bad*name")
    with pytest.raises(InvalidInput, match="parent must be"):
        StewardCallback(parent="abc")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="experiment"):
        StewardCallback(experiment=" ")
