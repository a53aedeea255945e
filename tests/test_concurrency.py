"""Several processes writing into one store at once, and a writer killed mid-way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

import mlsteward
from mlsteward.artifacts import ArtifactStore
from mlsteward.store import Store
from mlsteward.store.runs import RunBatch
from mlsteward.store.schema import run_metrics

SRC = str(Path(mlsteward.__file__).resolve().parents[1])
WRITERS, CALLS = 8, 1000

WRITER = textwrap.dedent("""
    import sys, mlsteward
    store_url, artifacts_url, worker, calls = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    mlsteward.set_store(store_url, artifacts_url)
    with mlsteward.start_run(experiment="concurrent", name=f"worker-{worker}") as run:
        mlsteward.log_param("worker", worker)
        for i in range(calls):
            mlsteward.log_metric("value", worker * 100000 + i, step=i)
""")


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": SRC, "STEWARD_FLUSH_INTERVAL": "0.2"}


@pytest.mark.slow
def test_eight_processes_create_and_log_at_once_and_nothing_is_lost(store_url: str, tmp_path: Path) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, store_url, str(tmp_path / "a"), str(w), str(CALLS)],
                              env=_env(), stderr=subprocess.PIPE, text=True) for w in range(WRITERS)]
    for proc in procs:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
    store = Store.open(store_url, actor="reader")
    runs = store.runs.search(experiment="concurrent", limit=100)
    assert len(runs) == WRITERS and {r.status for r in runs} == {"finished"}
    with store.read() as conn:
        rows = conn.execute(sa.select(run_metrics.c.run_id, run_metrics.c.value, run_metrics.c.step)).all()
    by_run = {r.id: int(r.params["worker"]) for r in runs}
    assert len(rows) == WRITERS * CALLS
    assert {(by_run[r.run_id], r.step, r.value) for r in rows} == {
        (w, i, float(w * 100000 + i)) for w in range(WRITERS) for i in range(CALLS)}
    assert all(r.metrics["value"] == by_run[r.id] * 100000 + CALLS - 1 for r in runs)
    assert store.audit.verify().ok
    store.close()


CRASHER = textwrap.dedent("""
    import os, sys, mlsteward
    store_url, artifacts_url, folder = sys.argv[1], sys.argv[2], sys.argv[3]
    mlsteward.set_store(store_url, artifacts_url)
    run = mlsteward.start_run(experiment="crash")
    i = 0
    while True:
        path = os.path.join(folder, f"blob-{i}.bin")
        with open(path, "wb") as f:
            f.write(os.urandom((i % 5 + 1) * 4 * 1024 * 1024))
        run.log_metric("i", i)
        run.log_artifact(path)
        if i == 2:
            open(os.path.join(folder, "started"), "w").close()
        i += 1
""")


@pytest.mark.slow
def test_sigkill_mid_write_leaves_store_and_artifacts_consistent(store_url: str, tmp_path: Path) -> None:
    artifacts_url = str(tmp_path / "artifacts")
    Store.open(store_url, actor="setup").close()
    proc = subprocess.Popen([sys.executable, "-c", CRASHER, store_url, artifacts_url, str(tmp_path)],
                            env=_env(), stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (tmp_path / "started").exists():
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "the writer never started"
        time.sleep(0.02)
    time.sleep(0.37)  # somewhere inside a hash, a copy, a rename or a commit
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    store = Store.open(store_url, actor="reader")
    artifacts = ArtifactStore(artifacts_url)
    [run] = store.runs.search(experiment="crash")
    assert run.status == "running" and len(run.artifacts) >= 3
    for entry in run.artifacts:  # every recorded artifact is complete and verifies
        assert len(artifacts.get_bytes(entry.digest)) == entry.size
    for stored in (Path(artifacts_url) / "sha256").rglob("*"):  # nothing partial is visible
        if stored.is_file():
            artifacts.get_bytes(f"sha256:{stored.name}")
    assert store.audit.verify().ok
    # the store still takes writes after the crash
    store.runs.write(run.id, RunBatch(end_status="killed"))
    assert store.runs.get(run.id).status == "killed"
    store.close()


FLUSHER = textwrap.dedent("""
    import sys, time, mlsteward
    mlsteward.set_store(sys.argv[1], sys.argv[2])
    run = mlsteward.start_run(experiment="durable")
    for i in range(500):
        run.log_metric("acked", i)
    run.flush()
    print(run.id, flush=True)
    for i in range(500):
        run.log_metric("unacked", i)
    time.sleep(60)
""")


@pytest.mark.slow
def test_what_flush_acknowledged_survives_sigkill(store_url: str, tmp_path: Path) -> None:
    env = {**_env(), "STEWARD_FLUSH_INTERVAL": "30"}  # only the explicit flush() writes
    proc = subprocess.Popen([sys.executable, "-c", FLUSHER, store_url, str(tmp_path / "a")],
                            env=env, stdout=subprocess.PIPE, text=True)
    run_id = proc.stdout.readline().strip()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    store = Store.open(store_url, actor="reader")
    assert [p.value for p in store.runs.metric_history(run_id, "acked")] == [float(i) for i in range(500)]
    assert store.runs.metric_history(run_id, "unacked") == []  # buffered, never acknowledged
    store.close()
