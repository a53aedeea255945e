"""The answer log: every answer an application gives in service, scored and kept for the LLM monitor.

``append`` only queues the answer: a writer thread scores queued answers in batches (groundedness, hallucination,
relevance and refusal of ``mlsteward.llm.checks``, against the documents the answer was given) and writes each
batch in one transaction, every ``flush_seconds`` or ``batch`` answers. ``close`` (or leaving the ``with``
block) writes what is left; ``flush`` waits until everything appended so far is written. A batch that cannot be
written is kept and retried with the next one (three last tries on close), and ``error`` says why.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import TYPE_CHECKING, Self

from mlsteward.llm.app import Answer
from mlsteward.llm.checks import EvalCase, score_cases
from mlsteward.spec_llm import SupportThresholds
from mlsteward.store.llm import LLMStore, LoggedAnswer

if TYPE_CHECKING:
    from mlsteward.llm.embeddings import SentenceEncoder


class AnswerLog:
    def __init__(self, store: LLMStore, project: str, app: str, *, support: SupportThresholds | None = None,
                 flush_seconds: float = 0.5, batch: int = 64, encoder: SentenceEncoder | None = None) -> None:
        self.store, self.project, self.app = store, project, app
        self.support, self.flush_seconds, self.batch = support or SupportThresholds(), flush_seconds, batch
        self._encoder = encoder
        self._queue: queue.Queue[tuple[int, Answer] | None] = queue.Queue()
        self._pending: list[tuple[int, Answer]] = []
        self._written = threading.Condition()
        self._appended = self._done = 0
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, name="steward-answer-log", daemon=True)
        self._thread.start()

    def append(self, answer: Answer, *, at_ms: int | None = None) -> None:
        """Queue an answer given at ``at_ms`` (default: now)."""
        with self._written:
            self._appended += 1
        self._queue.put((at_ms if at_ms is not None else time.time_ns() // 1_000_000, answer))

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every answer appended so far is written; False on timeout."""
        with self._written:
            target = self._appended
            return self._written.wait_for(lambda: self._done >= target, timeout=timeout)

    def close(self) -> None:
        """Write what is queued and stop the writer."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            deadline = time.monotonic() + self.flush_seconds
            while len(self._pending) < self.batch:
                try:
                    item = self._queue.get(timeout=max(deadline - time.monotonic(), 0.001))
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                self._pending.append(item)
            if self._pending:
                self._write()
        for _ in range(3):  # stopping: a batch that failed gets its last tries
            if not self._pending:
                break
            self._write()

    def _write(self) -> None:
        try:
            rows = self._scored(self._pending)
            self.store.log_answers(rows)
        except Exception as exc:  # noqa: BLE001 - kept and retried; the service keeps answering
            self.error = f"{type(exc).__name__}: {exc}"
            time.sleep(min(self.flush_seconds, 1.0))
            return
        self.error = None
        with self._written:
            self._done += len(self._pending)
            self._written.notify_all()
        self._pending = []

    def _scored(self, items: list[tuple[int, Answer]]) -> list[LoggedAnswer]:
        cases = [EvalCase(question=a.question, answer=a.answer, contexts=a.contexts) for _, a in items]
        scores = score_cases(cases, self._encoder_now(), self.support)
        return [LoggedAnswer(project=self.project, time_ms=at, app=self.app, prompt=a.prompt, model=a.model,
                             question=a.question, answer=a.answer, documents=a.documents, tokens_in=a.tokens_in,
                             tokens_out=a.tokens_out, cost_usd=a.cost_usd, saved_usd=a.saved_usd, cache=a.cache,
                             guardrails=a.guardrails or [], guardrail_ms=a.guardrail_ms,
                             latency_ms=a.latency_ms, grounded=s.groundedness,
                             hallucinated=s.hallucinated, relevance=s.relevance, refused=s.refused)
                for (at, a), s in zip(items, scores, strict=True)]

    def _encoder_now(self) -> SentenceEncoder:
        if self._encoder is None:
            from mlsteward.llm.embeddings import default_encoder

            self._encoder = default_encoder()
        return self._encoder


__all__ = ["AnswerLog"]
