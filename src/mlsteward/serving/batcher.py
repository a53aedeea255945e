"""Adaptive batching: concurrent requests for the same model are scored in one call (pure asyncio).

Each request hands its rows (a data frame) and the function that scores them to ``submit`` under a
key (the model version and its columns). The first request of a key starts a batch and waits at most
``max_wait_ms`` for others; the rows of all requests waiting then (up to ``max_batch_rows``; a
request is never split) are concatenated and scored by one call in a worker thread, so the event
loop never runs model code. While a batch is being scored, new requests queue and form the next
batch as soon as it finishes: under load batches grow by themselves, idle they are a single request
after ``max_wait_ms``. The function returns a mapping of row-aligned outputs (arrays or lists, or
``None``); each request gets its own rows of each. An exception fails only the requests of its batch.

Each worker thread limits its native (OpenMP / BLAS) thread pools to its share of the CPUs (CPUs ÷
``threads``, at least 1): a model's own threads would otherwise spin against the other workers and the
event loop. Measured on this 2-core machine under load: a HistGradientBoosting pipeline scoring one row
took 300+ ms with its default OpenMP pool and 15 ms with one thread.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field

Outputs = Mapping[str, Any]
ScoreFn = Callable[[pd.DataFrame], Outputs]


class BatchingConfig(BaseModel):
    """How long a request may wait for others, and how many rows one call may take."""

    enabled: bool = True
    max_wait_ms: float = Field(2.0, ge=0, le=1000)
    max_batch_rows: int = Field(1024, ge=1)
    threads: int = Field(2, ge=1, le=64, description="worker threads scoring batches (of different models)")


def _limit_native_threads(limit: int) -> None:
    """In a worker thread: cap the OpenMP / BLAS pools its model calls use (threadpoolctl; kept for the
    thread's life)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=limit)


@dataclass
class _Pending:
    frame: pd.DataFrame
    future: asyncio.Future


@dataclass
class _Queue:
    fn: ScoreFn
    items: list[_Pending] = field(default_factory=list)
    rows: int = 0
    full: asyncio.Event = field(default_factory=asyncio.Event)
    worker: asyncio.Task | None = None


class AdaptiveBatcher:
    """Batches ``submit`` calls per key; ``observe(key, requests, rows)`` is told of every batch scored."""

    def __init__(self, config: BatchingConfig | None = None, *,
                 observe: Callable[[Hashable, int, int], None] | None = None) -> None:
        self.config = config or BatchingConfig()
        self._observe = observe
        self._queues: dict[Hashable, _Queue] = {}
        native = max(1, (os.cpu_count() or 1) // self.config.threads)
        self._executor = ThreadPoolExecutor(max_workers=self.config.threads, thread_name_prefix="steward-predict",
                                            initializer=_limit_native_threads, initargs=(native,))
        self.batches = 0

    async def submit(self, key: Hashable, frame: pd.DataFrame, fn: ScoreFn) -> dict[str, Any]:
        """Score ``frame`` with ``fn`` (batched with other requests of ``key``); this request's outputs."""
        loop = asyncio.get_running_loop()
        if not self.config.enabled:
            outputs = await loop.run_in_executor(self._executor, fn, frame)
            self._count(key, 1, len(frame))
            return dict(outputs)
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = _Queue(fn=fn)
        pending = _Pending(frame, loop.create_future())
        queue.items.append(pending)
        queue.rows += len(frame)
        if queue.rows >= self.config.max_batch_rows:
            queue.full.set()
        if queue.worker is None or queue.worker.done():
            queue.worker = asyncio.create_task(self._drain(key, queue))
        return await pending.future

    async def _drain(self, key: Hashable, queue: _Queue) -> None:
        """Score the queue's requests batch after batch until it is empty."""
        loop = asyncio.get_running_loop()
        waited = False
        while queue.items:
            if not waited and not queue.full.is_set() and self.config.max_wait_ms > 0:
                try:
                    await asyncio.wait_for(queue.full.wait(), self.config.max_wait_ms / 1000)
                except TimeoutError:
                    pass
            batch = self._take(queue)
            live = [p for p in batch if not p.future.done()]  # a cancelled request is not scored
            if not live:
                continue
            try:
                frame = live[0].frame if len(live) == 1 else pd.concat([p.frame for p in live], ignore_index=True)
                outputs = await loop.run_in_executor(self._executor, queue.fn, frame)
                self._count(key, len(live), len(frame))
                start = 0
                for p in live:
                    stop = start + len(p.frame)
                    if not p.future.done():
                        p.future.set_result({k: None if v is None else v[start:stop] for k, v in outputs.items()})
                    start = stop
            except Exception as exc:  # noqa: BLE001 - handed to the requests of this batch, and only them
                for p in live:
                    if not p.future.done():
                        p.future.set_exception(exc)
            # requests that queued while this batch was scored have waited long enough already
            waited = True
        if self._queues.get(key) is queue and not queue.items:
            del self._queues[key]

    def _take(self, queue: _Queue) -> list[_Pending]:
        batch, rows = [], 0
        while queue.items and (not batch or rows + len(queue.items[0].frame) <= self.config.max_batch_rows):
            item = queue.items.pop(0)
            batch.append(item)
            rows += len(item.frame)
        queue.rows -= rows
        if queue.rows < self.config.max_batch_rows:
            queue.full.clear()
        return batch

    def _count(self, key: Hashable, requests: int, rows: int) -> None:
        self.batches += 1
        if self._observe is not None:
            self._observe(key, requests, rows)

    def close(self) -> None:
        """Stop the worker threads (after the batches being scored finish)."""
        self._executor.shutdown(wait=True, cancel_futures=True)


__all__ = ["AdaptiveBatcher", "BatchingConfig", "Outputs", "ScoreFn"]
