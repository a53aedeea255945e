"""The governance calendar's completed reviews: who completed which review when, and the evidence reviewed.
Part of ``schema.metadata``."""

from __future__ import annotations

import sqlalchemy as sa

from mlsteward.store.schema import metadata

reviews = sa.Table(
    "reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project", sa.String(200), nullable=False),
    sa.Column("review", sa.String(100), nullable=False),
    sa.Column("completed_by", sa.String(200), nullable=False),
    sa.Column("roles", sa.JSON, nullable=False),  # the roles the person held in steward.yaml
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("evidence", sa.JSON, nullable=False),  # each covered deliverable's status and evidence refs
    sa.Column("completed_at_ms", sa.BigInteger, nullable=False),
    sa.Index(None, "project", "review"),
)
