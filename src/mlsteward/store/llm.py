"""An LLM application in service, in the system of record: its response cache and its answer log.

Cache entries are looked up by scope (``mlsteward.llm.cache``), never past their expiry; a put beyond
``max_entries`` in a scope drops the least recently used. The answer log is written in batches, one transaction
each, and read back by window for the LLM monitor. Neither is audited row by row: they are service traffic, like
the prediction log.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa
from pydantic import BaseModel

from mlsteward.store._sql import now_ms
from mlsteward.store.schema_llm import llm_answers, llm_cache

if TYPE_CHECKING:
    from mlsteward.store.store import Store


class CacheEntry(BaseModel):
    id: str
    answer: str
    tokens_in: int
    tokens_out: int
    cost_usd: float
    latency_ms: float
    created_at_ms: int
    hits: int


class CacheStats(BaseModel):
    entries: int  # live (not expired)
    expired: int
    hits: int  # answers given from the entries still held


class AnswerUsage(BaseModel):
    """What the logged answers of a period used and cost."""

    answers: int
    tokens_in: int
    tokens_out: int
    cost_usd: float
    saved_usd: float
    cached: int  # answers the cache gave


class LoggedAnswer(BaseModel):
    id: str = ""
    project: str
    time_ms: int
    app: str
    prompt: str | None
    model: str | None
    question: str
    answer: str
    documents: list[dict[str, Any]]
    tokens_in: int
    tokens_out: int
    cost_usd: float
    saved_usd: float = 0.0
    cache: str | None = None
    guardrails: list[str] = []
    guardrail_ms: float | None = None
    latency_ms: float
    grounded: float | None = None
    hallucinated: bool = False
    relevance: float | None = None
    refused: bool = False


_ENTRY = [llm_cache.c[name] for name in CacheEntry.model_fields]


class LLMStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    # -- the response cache
    def cache_exact(self, project: str, scope: str, question_key: str, *, at_ms: int) -> CacheEntry | None:
        c = llm_cache.c
        with self._store.read() as conn:
            row = conn.execute(sa.select(*_ENTRY).where(c.project == project, c.scope == scope,
                                                        c.question_key == question_key,
                                                        c.expires_at_ms > at_ms)).first()
        return CacheEntry(**row._asdict()) if row else None

    def cache_embeddings(self, project: str, scope: str, *, at_ms: int) -> tuple[list[str], np.ndarray]:
        """The ids and question embeddings (rows) of a scope's live entries."""
        c = llm_cache.c
        with self._store.read() as conn:
            rows = conn.execute(sa.select(c.id, c.embedding).where(c.project == project, c.scope == scope,
                                                                  c.expires_at_ms > at_ms,
                                                                  c.embedding.is_not(None))).all()
        if not rows:
            return [], np.empty((0, 0), dtype=np.float32)
        return [r.id for r in rows], np.stack([np.frombuffer(r.embedding, dtype=np.float32) for r in rows])

    def cache_entry(self, entry_id: str) -> CacheEntry | None:
        with self._store.read() as conn:
            row = conn.execute(sa.select(*_ENTRY).where(llm_cache.c.id == entry_id)).first()
        return CacheEntry(**row._asdict()) if row else None

    def cache_used(self, entry_id: str, *, at_ms: int) -> None:
        """Count one answer given from the entry."""
        c = llm_cache.c
        with self._store.write() as tx:
            tx.conn.execute(llm_cache.update().where(c.id == entry_id).values(hits=c.hits + 1, last_used_ms=at_ms))

    def cache_put(self, *, project: str, scope: str, question_key: str, embedding: np.ndarray | None, answer: str,
                  tokens_in: int, tokens_out: int, cost_usd: float, latency_ms: float, ttl_ms: int,
                  max_entries: int) -> str:
        """Store an answer (replacing the scope's entry for the same question) and evict past ``max_entries``."""
        c, now = llm_cache.c, now_ms()
        values = {"answer": answer, "tokens_in": tokens_in, "tokens_out": tokens_out, "cost_usd": cost_usd,
                  "latency_ms": latency_ms, "created_at_ms": now, "expires_at_ms": now + ttl_ms, "hits": 0,
                  "last_used_ms": now, "embedding": None if embedding is None
                  else np.asarray(embedding, dtype=np.float32).tobytes()}
        with self._store.write() as tx:
            same = (c.project == project, c.scope == scope, c.question_key == question_key)
            entry_id = tx.conn.scalar(sa.select(c.id).where(*same))
            if entry_id is not None:
                tx.conn.execute(llm_cache.update().where(c.id == entry_id).values(**values))
            else:
                entry_id = str(uuid.uuid4())
                tx.conn.execute(llm_cache.insert().values(id=entry_id, project=project, scope=scope,
                                                          question_key=question_key, **values))
            keep = (sa.select(c.id).where(c.project == project, c.scope == scope)
                    .order_by(c.last_used_ms.desc(), c.id).limit(max_entries))
            tx.conn.execute(llm_cache.delete().where(c.project == project, c.scope == scope,
                                                     c.id.not_in(keep.scalar_subquery())))
        return entry_id

    def cache_stats(self, project: str, *, at_ms: int | None = None) -> CacheStats:
        c, at = llm_cache.c, at_ms if at_ms is not None else now_ms()
        live = c.expires_at_ms > at
        with self._store.read() as conn:
            row = conn.execute(sa.select(sa.func.count().filter(live), sa.func.count().filter(~live),
                                         sa.func.coalesce(sa.func.sum(c.hits), 0))
                               .where(c.project == project)).one()
        return CacheStats(entries=row[0], expired=row[1], hits=int(row[2]))

    def cache_clear(self, project: str, *, expired_only: bool = False) -> int:
        """Delete the project's entries (only the expired ones with ``expired_only``); how many went."""
        c = llm_cache.c
        query = llm_cache.delete().where(c.project == project)
        if expired_only:
            query = query.where(c.expires_at_ms <= now_ms())
        with self._store.write() as tx:
            removed = tx.conn.execute(query).rowcount
            tx.audit.append("llm.cache.cleared", "project", project, entries=removed, expired_only=expired_only)
        return removed

    # -- the answer log
    def log_answers(self, answers: list[LoggedAnswer]) -> list[str]:
        """Append answers in one transaction; their ids."""
        rows = [a.model_dump() | {"id": a.id or str(uuid.uuid4())} for a in answers]
        if rows:
            with self._store.write() as tx:
                tx.conn.execute(llm_answers.insert(), rows)
        return [r["id"] for r in rows]

    def usage(self, project: str, *, since_ms: int, until_ms: int | None = None) -> AnswerUsage:
        """Sums over the answers logged in [since_ms, until_ms)."""
        c = llm_answers.c
        query = sa.select(sa.func.count(), *(sa.func.coalesce(sa.func.sum(col), 0) for col in (
            c.tokens_in, c.tokens_out, c.cost_usd, c.saved_usd)), sa.func.count(c.cache)).where(
            c.project == project, c.time_ms >= since_ms)
        if until_ms is not None:
            query = query.where(c.time_ms < until_ms)
        with self._store.read() as conn:
            row = conn.execute(query).one()
        return AnswerUsage(answers=row[0], tokens_in=int(row[1]), tokens_out=int(row[2]), cost_usd=float(row[3]),
                           saved_usd=float(row[4]), cached=row[5])

    def answers(self, project: str, *, since_ms: int | None = None, until_ms: int | None = None,
                prompt: str | None = None, limit: int | None = None) -> list[LoggedAnswer]:
        """Logged answers in [since_ms, until_ms), newest first."""
        c = llm_answers.c
        query = sa.select(llm_answers).where(c.project == project).order_by(c.time_ms.desc(), c.id)
        if since_ms is not None:
            query = query.where(c.time_ms >= since_ms)
        if until_ms is not None:
            query = query.where(c.time_ms < until_ms)
        if prompt is not None:
            query = query.where(c.prompt == prompt)
        if limit:
            query = query.limit(limit)
        with self._store.read() as conn:
            return [LoggedAnswer(**r._asdict()) for r in conn.execute(query)]


__all__ = ["AnswerUsage", "CacheEntry", "CacheStats", "LLMStore", "LoggedAnswer"]
