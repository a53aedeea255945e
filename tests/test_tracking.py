"""The tracking API a data scientist uses: module functions and run methods, buffering, nesting."""

from __future__ import annotations

import random
import subprocess
import time

import pytest

import mlsteward
from mlsteward.errors import Conflict, InvalidInput
from mlsteward.store import Store
from mlsteward.artifacts import ArtifactStore
from s3_server import moto_endpoint, s3_bucket  # noqa: F401  (pytest fixtures)


@pytest.fixture
def tracked(tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    """The module-level API pointed at a fresh SQLite store; yields a reader on the same store."""
    url = f"sqlite:///{tmp_path / 'steward.db'}"
    mlsteward.set_store(url, str(tmp_path / "artifacts"))
    reader = Store.open(url, actor="reader")
    yield reader
    while mlsteward.active_run():
        mlsteward.end_run()
    mlsteward.set_store(None, None)
    reader.close()


def test_module_level_logging_lands_in_the_store(tracked: Store) -> None:
    with mlsteward.start_run(experiment="churn", name="lgbm-1", tags={"team": "risk"}) as run:
        mlsteward.log_param("model", "lgbm")
        mlsteward.log_params({"max_depth": 5, "lr": 0.1})
        for loss in (0.9, 0.5, 0.3):
            mlsteward.log_metric("loss", loss)
        mlsteward.log_metric("loss", 0.25, step=10)
        mlsteward.log_metrics({"auc": 0.8, "f1": 0.6}, step=10)
        mlsteward.set_tag("stage", "dev")
        assert mlsteward.active_run() is run
    assert mlsteward.active_run() is None
    got = tracked.runs.get(run.id)
    assert got.status == "finished" and got.experiment == "churn" and got.name == "lgbm-1"
    assert got.params == {"model": "lgbm", "max_depth": "5", "lr": "0.1"}
    assert got.metrics == {"loss": 0.25, "auc": 0.8, "f1": 0.6}
    assert got.tags == {"team": "risk", "stage": "dev"}
    assert [(p.step, p.value) for p in tracked.runs.metric_history(run.id, "loss")] == [
        (0, 0.9), (1, 0.5), (2, 0.3), (10, 0.25)]


def test_run_methods_and_flush_make_data_visible(tracked: Store) -> None:
    run = mlsteward.start_run(experiment="e")
    run.log_metric("m", 1.0)
    run.flush()
    assert tracked.runs.get(run.id).metrics == {"m": 1.0}
    run.log_batch(metrics={"a": 1.0}, params={"p": "x"}, tags={"t": "y"})  # committed on return
    got = tracked.runs.get(run.id)
    assert got.metrics == {"m": 1.0, "a": 1.0} and got.params == {"p": "x"} and got.tags == {"t": "y"}
    run.end()
    run.end()  # harmless


def test_background_thread_flushes_within_the_interval(tracked: Store) -> None:
    run = mlsteward.start_run(experiment="e")
    run.log_metric("m", 2.0)
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline and tracked.runs.get(run.id).metrics != {"m": 2.0}:
        time.sleep(0.05)
    assert tracked.runs.get(run.id).metrics == {"m": 2.0}
    run.end()


def test_logging_without_a_run_starts_one(tracked: Store) -> None:
    mlsteward.log_metric("x", 3.0)
    run = mlsteward.active_run()
    assert run is not None and run.experiment == "default"
    mlsteward.end_run()
    assert tracked.runs.get(run.id).metrics == {"x": 3.0}


def test_nested_runs_record_their_parent(tracked: Store) -> None:
    with mlsteward.start_run(experiment="tune") as parent:
        with mlsteward.start_run(experiment="tune", name="trial-0") as child:
            assert mlsteward.active_run() is child
        assert mlsteward.active_run() is parent
        sibling = mlsteward.start_run(experiment="tune", nested=False)
        sibling.end()
    assert tracked.runs.get(child.id).parent_id == parent.id
    assert tracked.runs.get(sibling.id).parent_id is None
    assert [r.id for r in tracked.runs.search(f"parent_id = '{parent.id}'")] == [child.id]


def test_exception_marks_the_run_failed_and_keeps_its_data(tracked: Store) -> None:
    with pytest.raises(ZeroDivisionError):
        with mlsteward.start_run(experiment="e") as run:
            mlsteward.log_metric("before", 1.0)
            1 / 0  # noqa: B018
    got = tracked.runs.get(run.id)
    assert got.status == "failed" and got.metrics == {"before": 1.0}


def test_environment_and_seed_are_captured(tracked: Store) -> None:
    with mlsteward.start_run(experiment="e", seed=1234) as run:
        first = random.random()
    random.seed(1234)
    assert first == random.random()
    got = tracked.runs.get(run.id)
    env = got.environment
    assert got.seed == 1234
    assert env["python"].count(".") == 2 and "mlsteward" in env["packages"]
    assert "platform" in env and "git" in env


def test_git_state_is_recorded(tmp_path) -> None:  # noqa: ANN001
    from mlsteward.tracking.environment import git_state

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True, text=True).stdout

    git("init", "-q")
    (tmp_path / "a.txt").write_text("a")
    git("add", "a.txt")
    git("-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "first")
    state = git_state(tmp_path)
    assert state["commit"] == git("rev-parse", "HEAD").strip() and state["dirty"] is False
    (tmp_path / "a.txt").write_text("b")
    assert git_state(tmp_path)["dirty"] is True
    assert git_state(tmp_path.parent / "no-such-folder") is None


def test_bad_values_are_refused_at_the_call(tracked: Store) -> None:
    run = mlsteward.start_run(experiment="e")
    with pytest.raises(InvalidInput, match="must be a number; got 'high'"):
        run.log_metric("auc", "high")
    with pytest.raises(InvalidInput, match="name 'bad\\*key' is not allowed"):
        run.log_metric("bad*key", 1.0)
    with pytest.raises(InvalidInput, match="step .* whole number"):
        run.log_metric("m", 1.0, step=1.5)
    run.log_param("lr", 0.1)
    with pytest.raises(Conflict, match="'lr' .* already '0.1'"):
        run.log_param("lr", 0.2)
    with pytest.raises(InvalidInput, match="experiment must be a non-empty name"):
        mlsteward.start_run(experiment=" ")
    run.end()
    with pytest.raises(Conflict, match="already ended"):
        run.log_metric("m", 1.0)


def test_log_artifact_stores_content_addressed(tracked: Store, tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "report.txt"
    path.write_text("evidence")
    with mlsteward.start_run(experiment="e") as run:
        entry = mlsteward.log_artifact(path)
        mlsteward.log_artifact(path, name="copy.txt")
    assert entry.path == "report.txt" and entry.size == 8
    got = tracked.runs.get(run.id)
    assert [a.path for a in got.artifacts] == ["copy.txt", "report.txt"]
    assert len({a.digest for a in got.artifacts}) == 1
    assert ArtifactStore(str(tmp_path / "artifacts")).get_bytes(entry.digest) == b"evidence"
    with pytest.raises(InvalidInput, match="no such file"):
        with mlsteward.start_run(experiment="e"):
            mlsteward.log_artifact(tmp_path / "missing.txt")


def test_search_and_get_through_the_module_api(tracked: Store) -> None:
    for auc in (0.7, 0.9):
        with mlsteward.start_run(experiment="s") as run:
            mlsteward.log_metric("roc_auc", auc)
    assert [r.id for r in mlsteward.search_runs("metrics.roc_auc > 0.8", experiment="s")] == [run.id]
    assert mlsteward.get_run(run.id[:10]).metrics == {"roc_auc": 0.9}


def test_artifacts_go_to_s3_when_the_store_says_so(tmp_path, monkeypatch, s3_bucket) -> None:  # noqa: ANN001
    """The user's configuration only: STEWARD_ARTIFACTS_URL=s3://… and STEWARD_S3_ENDPOINT_URL."""
    monkeypatch.setenv("STEWARD_S3_ENDPOINT_URL", s3_bucket.endpoint_url)
    mlsteward.set_store(f"sqlite:///{tmp_path / 's.db'}", f"s3://{s3_bucket.name}/steward")
    try:
        path = tmp_path / "model-card.md"
        path.write_text("# card")
        with mlsteward.start_run(experiment="e"):
            entry = mlsteward.log_artifact(path)
        hex_ = entry.digest.split(":")[1]
        assert s3_bucket.keys("steward/") == [f"steward/sha256/{hex_[:2]}/{hex_}"]
        assert ArtifactStore.from_url(f"s3://{s3_bucket.name}/steward").get_bytes(entry.digest) == b"# card"
    finally:
        mlsteward.set_store(None, None)
