"""What an LLM application does in service: its response cache and its answer log. Part of ``schema.metadata``."""

from __future__ import annotations

import sqlalchemy as sa

from mlsteward.store.schema import metadata

# One cached answer. ``scope`` (a sha256 of the application, the prompt version and the retrieved documents' ids
# and times) keeps an entry to the exact setting it was answered in; ``question_key`` is the normalised question.
llm_cache = sa.Table(
    "llm_cache",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("project", sa.String(200), nullable=False),
    sa.Column("scope", sa.String(64), nullable=False),
    sa.Column("question_key", sa.Text, nullable=False),
    sa.Column("embedding", sa.LargeBinary, nullable=True),  # float32 sentence embedding of the question
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("tokens_in", sa.Integer, nullable=False),
    sa.Column("tokens_out", sa.Integer, nullable=False),
    sa.Column("cost_usd", sa.Float, nullable=False),
    sa.Column("latency_ms", sa.Float, nullable=False),
    sa.Column("created_at_ms", sa.BigInteger, nullable=False),
    sa.Column("expires_at_ms", sa.BigInteger, nullable=False),
    sa.Column("hits", sa.Integer, nullable=False),
    sa.Column("last_used_ms", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("project", "scope", "question_key"),
    sa.Index(None, "project", "scope", "expires_at_ms"),
)

# One answer given in service (``steward llm serve`` or ``mlsteward.llm.AnswerLog``), with its provenance, usage
# and cost, what the cache and the guardrails did, and its scores (``mlsteward.llm.checks``).
llm_answers = sa.Table(
    "llm_answers",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("project", sa.String(200), nullable=False),
    sa.Column("time_ms", sa.BigInteger, nullable=False),
    sa.Column("app", sa.String(300), nullable=False),
    sa.Column("prompt", sa.String(300), nullable=True),  # NAME@VERSION
    sa.Column("model", sa.String(200), nullable=True),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("documents", sa.JSON, nullable=False),  # [{id, updated}]: retrieval provenance
    sa.Column("tokens_in", sa.Integer, nullable=False),
    sa.Column("tokens_out", sa.Integer, nullable=False),
    sa.Column("cost_usd", sa.Float, nullable=False),
    sa.Column("saved_usd", sa.Float, nullable=False),  # what a cached answer did not cost
    sa.Column("cache", sa.String(10), nullable=True),  # exact, semantic, or NULL (generated)
    sa.Column("guardrails", sa.JSON, nullable=False),  # the filters' actions
    sa.Column("guardrail_ms", sa.Float, nullable=True),  # the time they took (NULL: not guarded)
    sa.Column("latency_ms", sa.Float, nullable=False),
    sa.Column("grounded", sa.Float, nullable=True),  # share of the answer's sentences the documents support
    sa.Column("hallucinated", sa.Boolean, nullable=False),
    sa.Column("relevance", sa.Float, nullable=True),
    sa.Column("refused", sa.Boolean, nullable=False),
    sa.Index(None, "project", "time_ms"),
)
