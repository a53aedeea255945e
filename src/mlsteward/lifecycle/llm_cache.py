"""The response cache in the store (rules in ``mlsteward.llm.cache``): looks answers up exactly, then
semantically, and stores the answers to missed questions, with ``llm.cache``'s expiry and size."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mlsteward.llm.cache import CacheHit, CacheMiss, closest, question_key
from mlsteward.spec_llm_ops import CacheSettings
from mlsteward.spec_monitoring import duration_ms
from mlsteward.store._sql import now_ms
from mlsteward.store.llm import LLMStore

if TYPE_CHECKING:
    from mlsteward.llm.embeddings import SentenceEncoder


class ResponseCache:
    """A project's cache (an ``AnswerCache`` for ``Application``)."""

    def __init__(self, store: LLMStore, project: str, settings: CacheSettings,
                 encoder: SentenceEncoder | None = None) -> None:
        self.store, self.project, self.settings = store, project, settings
        self._encoder = encoder

    def lookup(self, question: str, scope: str) -> CacheHit | CacheMiss:
        """The answer to ``question`` in ``scope``, or what storing its answer will need."""
        at, key = now_ms(), question_key(question)
        exact = self.store.cache_exact(self.project, scope, key, at_ms=at)
        if exact is not None:
            self.store.cache_used(exact.id, at_ms=at)
            return CacheHit(kind="exact", answer=exact.answer, cost_usd=exact.cost_usd, similarity=1.0)
        if self.settings.similarity >= 1:  # exact matches only
            return CacheMiss(scope=scope, key=key, embedding=None)
        embedding = self._encode(question)
        ids, matrix = self.store.cache_embeddings(self.project, scope, at_ms=at)
        found = closest(embedding, matrix, self.settings.similarity) if ids else None
        entry = self.store.cache_entry(ids[found[0]]) if found else None
        if entry is not None:
            self.store.cache_used(entry.id, at_ms=at)
            return CacheHit(kind="semantic", answer=entry.answer, cost_usd=entry.cost_usd, similarity=found[1])
        return CacheMiss(scope=scope, key=key, embedding=embedding)

    def put(self, miss: CacheMiss, *, answer: str, tokens_in: int, tokens_out: int, cost_usd: float,
            latency_ms: float) -> str:
        """Store the answer to a missed question."""
        return self.store.cache_put(project=self.project, scope=miss.scope, question_key=miss.key,
                                    embedding=miss.embedding, answer=answer, tokens_in=tokens_in,
                                    tokens_out=tokens_out, cost_usd=cost_usd, latency_ms=latency_ms,
                                    ttl_ms=duration_ms(self.settings.ttl), max_entries=self.settings.max_entries)

    def _encode(self, question: str) -> np.ndarray:
        if self._encoder is None:
            from mlsteward.llm.embeddings import default_encoder

            self._encoder = default_encoder()
        return self._encoder.encode([question])[0]


__all__ = ["ResponseCache"]
