"""The response cache: an answer given once is given again, at no token cost, to the same question asked in the
same setting.

The setting is the *scope*: a sha256 of the application (with its guardrails), the prompt version and the retrieved
documents (id, time and text), so a new prompt version, other guardrails, an application change of name, or a
changed document never answers from an old entry. Within a scope, a question is looked up **exactly** by its normalised text (case-folded, whitespace
collapsed, trailing punctuation dropped), then **semantically**: the cached question whose sentence embedding has
the highest cosine with the new one answers when that cosine is at least ``llm.cache.similarity``. Entries expire
after ``llm.cache.ttl``; each scope keeps at most ``llm.cache.max_entries``, the least recently used going first.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from mlsteward.spec_llm_ops import CacheSettings
from mlsteward.spec_monitoring import duration_ms
from mlsteward.store._sql import now_ms
from mlsteward.store.llm import CacheEntry, LLMStore

if TYPE_CHECKING:
    from mlsteward.llm.embeddings import SentenceEncoder

_SPACE = re.compile(r"\s+")


class CacheHit(BaseModel):
    kind: Literal["exact", "semantic"]
    entry: CacheEntry
    similarity: float  # 1 for an exact hit


class CacheMiss(BaseModel):
    """A question the cache could not answer, with what storing its answer needs (computed once)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    scope: str
    key: str
    embedding: np.ndarray | None


def question_key(question: str) -> str:
    """The question as the exact lookup compares it (module docstring)."""
    return _SPACE.sub(" ", question.casefold()).strip().rstrip("?.!").strip()


def cache_scope(app: str, prompt: str | None, documents: Sequence[tuple[str, str | None, str]]) -> str:
    """The scope of an answer: the application, the prompt version and the documents (id, updated, text)."""
    canonical = json.dumps([app, prompt, sorted([d, u or "", hashlib.sha256(t.encode()).hexdigest()]
                                                for d, u, t in documents)])
    return hashlib.sha256(canonical.encode()).hexdigest()


class ResponseCache:
    """Looks answers up in, and stores them into, a project's cache in the store."""

    def __init__(self, store: LLMStore, project: str, settings: CacheSettings,
                 encoder: SentenceEncoder | None = None) -> None:
        self.store, self.project, self.settings = store, project, settings
        self._encoder = encoder

    @property
    def semantic(self) -> bool:
        return self.settings.similarity < 1

    def lookup(self, question: str, scope: str) -> CacheHit | CacheMiss:
        """The entry that answers ``question`` in ``scope``, or what storing its answer will need."""
        at, key = now_ms(), question_key(question)
        exact = self.store.cache_exact(self.project, scope, key, at_ms=at)
        if exact is not None:
            self.store.cache_used(exact.id, at_ms=at)
            return CacheHit(kind="exact", entry=exact, similarity=1.0)
        if not self.semantic:
            return CacheMiss(scope=scope, key=key, embedding=None)
        embedding = self._encode(question)
        ids, matrix = self.store.cache_embeddings(self.project, scope, at_ms=at)
        if ids:
            cosines = matrix @ embedding
            best = int(np.argmax(cosines))
            if cosines[best] >= self.settings.similarity:
                entry = self.store.cache_entry(ids[best])
                if entry is not None:
                    self.store.cache_used(entry.id, at_ms=at)
                    return CacheHit(kind="semantic", entry=entry, similarity=float(cosines[best]))
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


__all__ = ["CacheHit", "CacheMiss", "ResponseCache", "cache_scope", "question_key"]
