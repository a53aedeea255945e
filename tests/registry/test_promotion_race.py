"""Two processes promote different versions of one model at the same moment, on SQLite and PostgreSQL:
exactly one wins, the other gets a Conflict naming what changed, and the store stays consistent."""

from __future__ import annotations

import multiprocessing as mp

import pytest

from mlsteward.errors import Conflict
from mlsteward.store import Store
from mlsteward.store.models import Change, NewModelVersion, RecordedGate

pytestmark = pytest.mark.slow


def _promote(url: str, version: int, barrier, results) -> None:
    store = Store.open(url, actor=f"process-{version}")
    revision = store.models.model("churn").revision  # both decide against the same state
    barrier.wait(timeout=30)
    try:
        store.models.set_status("churn", version, "production", expected_revision=revision,
                                change=Change(kind="promoted", summary=f"churn@{version}"),
                                gate=RecordedGate(gate="promotion", decision="pass", checks=[]))
        results.put((version, "won"))
    except Conflict as exc:
        results.put((version, f"conflict: {exc.message}"))
    finally:
        store.close()


def test_exactly_one_of_two_concurrent_promotions_wins(store: Store, store_url: str) -> None:
    for _ in range(2):
        run = store.runs.create(experiment="proj", name="fit")
        store.models.register(NewModelVersion(name="churn", project="proj", run_id=run.id,
                                              artifact_digest="sha256:" + "a" * 64))
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=_promote, args=(store_url, v, barrier, results)) for v in (1, 2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    outcomes = dict(results.get(timeout=5) for _ in workers)
    won = [v for v, text in outcomes.items() if text == "won"]
    assert len(won) == 1, outcomes
    lost = 3 - won[0]
    assert outcomes[lost].startswith("conflict: model 'churn' changed while this change was being decided")
    assert f"churn@{won[0]} is in production" in outcomes[lost]
    assert [v.version for v in store.models.versions("churn", status="production")] == won
    assert store.models.get("churn", str(lost)).status == "staging"
    assert store.models.model("churn").aliases == {"champion": won[0]}
    assert len(store.models.gate_history(f"model:churn@{won[0]}")) == 1
    assert store.models.gate_history(f"model:churn@{lost}") == []
    assert store.audit.verify().ok
