"""The response cache's rules: an answer given once is given again, at no token cost, to the same question asked
in the same setting. The cache itself (entries in the store) is ``mlsteward.lifecycle.llm_cache.ResponseCache``;
an ``Application`` takes anything with its ``lookup`` and ``put`` (``AnswerCache``).

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
from typing import Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict

_SPACE = re.compile(r"\s+")


class CacheHit(BaseModel):
    kind: Literal["exact", "semantic"]
    answer: str
    cost_usd: float  # what the answer cost when it was generated: what this hit saves
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


def closest(embedding: np.ndarray, cached: np.ndarray, similarity: float) -> tuple[int, float] | None:
    """The row of ``cached`` (normalised question embeddings) closest to ``embedding`` with its cosine, when that
    cosine reaches ``similarity``."""
    if not len(cached):
        return None
    cosines = cached @ embedding
    best = int(np.argmax(cosines))
    return (best, float(cosines[best])) if cosines[best] >= similarity else None


class AnswerCache(Protocol):
    def lookup(self, question: str, scope: str) -> CacheHit | CacheMiss: ...

    def put(self, miss: CacheMiss, *, answer: str, tokens_in: int, tokens_out: int, cost_usd: float,
            latency_ms: float) -> object: ...


__all__ = ["AnswerCache", "CacheHit", "CacheMiss", "cache_scope", "closest", "question_key"]
