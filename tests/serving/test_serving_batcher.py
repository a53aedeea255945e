"""Adaptive batching: concurrent requests for one model become fewer calls, each request gets its own rows,
and a failing call fails only its own batch."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from mlsteward.serving.batcher import AdaptiveBatcher, BatchingConfig


class CountingModel:
    """A real fitted scikit-learn classifier that records each call: its rows and its thread."""

    def __init__(self) -> None:
        iris = load_iris(as_frame=True)
        self.frame = iris.data
        self.model = LogisticRegression(max_iter=1000).fit(iris.data, iris.target)
        self.calls: list[int] = []
        self.threads: set[str] = set()

    def score(self, frame: pd.DataFrame) -> dict:
        self.calls.append(len(frame))
        self.threads.add(threading.current_thread().name)
        if (frame["sepal length (cm)"] < 0).any():
            raise ValueError("poisoned row")
        return {"predictions": self.model.predict(frame), "probabilities": self.model.predict_proba(frame),
                "nothing": None}


@pytest.fixture
def counting() -> CountingModel:
    return CountingModel()


def run(coro):
    return asyncio.run(coro)


def test_32_concurrent_requests_make_fewer_calls_and_get_their_own_rows(counting: CountingModel) -> None:
    parts = [counting.frame.iloc[i * 4:i * 4 + 1 + i % 4] for i in range(32)]
    batches: list[tuple] = []

    async def main() -> list[dict]:
        batcher = AdaptiveBatcher(BatchingConfig(max_wait_ms=5), observe=lambda *a: batches.append(a))
        try:
            return await asyncio.gather(*(batcher.submit("iris@1", p, counting.score) for p in parts))
        finally:
            batcher.close()

    results = run(main())
    assert len(counting.calls) < 32 and sum(counting.calls) == sum(len(p) for p in parts)
    assert sum(b[1] for b in batches) == 32 and [b[2] for b in batches] == counting.calls
    for part, result in zip(parts, results, strict=True):
        np.testing.assert_array_equal(result["predictions"], counting.model.predict(part))
        np.testing.assert_allclose(result["probabilities"], counting.model.predict_proba(part), atol=1e-12)
        assert result["nothing"] is None
    assert threading.main_thread().name not in counting.threads  # model code never runs on the event loop


def test_a_batch_never_exceeds_max_batch_rows_and_a_big_request_goes_alone(counting: CountingModel) -> None:
    parts = [counting.frame.iloc[i * 3:i * 3 + 3] for i in range(10)] + [counting.frame.iloc[100:120]]

    async def main() -> list[dict]:
        batcher = AdaptiveBatcher(BatchingConfig(max_wait_ms=50, max_batch_rows=7))
        try:
            return await asyncio.gather(*(batcher.submit("iris@1", p, counting.score) for p in parts))
        finally:
            batcher.close()

    results = run(main())
    assert counting.calls == [6, 6, 6, 6, 6, 20]  # whole requests only; the 20-row request alone
    np.testing.assert_allclose(results[-1]["probabilities"], counting.model.predict_proba(parts[-1]))


def test_an_error_fails_only_the_requests_of_its_batch(counting: CountingModel) -> None:
    rows = [counting.frame.iloc[[i]] for i in range(4)]
    rows[2] = rows[2].assign(**{"sepal length (cm)": -1.0})

    async def main() -> list:
        batcher = AdaptiveBatcher(BatchingConfig(max_wait_ms=20, max_batch_rows=2))
        try:
            return await asyncio.gather(*(batcher.submit("iris@1", r, counting.score) for r in rows),
                                        return_exceptions=True)
        finally:
            batcher.close()

    results = run(main())
    assert counting.calls == [2, 2]
    assert [type(r).__name__ for r in results] == ["dict", "dict", "ValueError", "ValueError"]
    np.testing.assert_allclose(results[1]["probabilities"], counting.model.predict_proba(rows[1]))


def test_keys_batch_apart_and_batching_can_be_turned_off(counting: CountingModel) -> None:
    other = CountingModel()
    part = counting.frame.iloc[:2]

    async def main(config: BatchingConfig) -> None:
        batcher = AdaptiveBatcher(config)
        try:
            await asyncio.gather(*(batcher.submit("a@1", part, counting.score) for _ in range(4)),
                                 *(batcher.submit("b@1", part, other.score) for _ in range(4)))
        finally:
            batcher.close()

    run(main(BatchingConfig(max_wait_ms=20)))
    assert counting.calls == [8] and other.calls == [8]
    run(main(BatchingConfig(enabled=False)))
    assert counting.calls == [8, 2, 2, 2, 2] and other.calls == [8, 2, 2, 2, 2]


def test_requests_arriving_during_a_call_form_the_next_batch_at_once(counting: CountingModel) -> None:
    gate = threading.Event()

    def slow(frame: pd.DataFrame) -> dict:
        gate.wait(5)
        return counting.score(frame)

    async def main() -> None:
        batcher = AdaptiveBatcher(BatchingConfig(max_wait_ms=0))
        try:
            first = asyncio.ensure_future(batcher.submit("k", counting.frame.iloc[:1], slow))
            await asyncio.sleep(0.05)  # the first call is running (blocked on the gate)
            later = [asyncio.ensure_future(batcher.submit("k", counting.frame.iloc[i:i + 1], slow))
                     for i in range(1, 6)]
            await asyncio.sleep(0.05)
            gate.set()
            await asyncio.gather(first, *later)
        finally:
            batcher.close()

    run(main())
    assert counting.calls == [1, 5]
