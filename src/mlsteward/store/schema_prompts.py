"""The prompt registry: prompts, their versions (template, variables, model parameters), aliases and every
alias change (what a rollback returns to). Part of ``schema.metadata``."""

from __future__ import annotations

import sqlalchemy as sa

from mlsteward.store.schema import metadata

prompts = sa.Table(
    "prompts",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("project", sa.String(200), nullable=False, index=True),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at_ms", sa.BigInteger, nullable=False),
)

# A version's content is immutable; ``digest`` (sha256 of template, parameters and description) makes registering
# the same content again return the existing version.
prompt_versions = sa.Table(
    "prompt_versions",
    metadata,
    sa.Column("name", sa.String(200), sa.ForeignKey("prompts.name"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("template", sa.Text, nullable=False),
    sa.Column("variables", sa.JSON, nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("digest", sa.String(71), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at_ms", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("name", "digest"),
)

prompt_aliases = sa.Table(
    "prompt_aliases",
    metadata,
    sa.Column("name", sa.String(200), sa.ForeignKey("prompts.name"), primary_key=True),
    sa.Column("alias", sa.String(100), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
    sa.Column("updated_at_ms", sa.BigInteger, nullable=False),
)

# Every move of an alias, oldest first: a rollback returns the alias to the version its last move came from.
prompt_alias_changes = sa.Table(
    "prompt_alias_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("alias", sa.String(100), nullable=False),
    sa.Column("from_version", sa.Integer, nullable=True),
    sa.Column("to_version", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # set, rollback
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("changed_by", sa.String(200), nullable=False),
    sa.Column("changed_at_ms", sa.BigInteger, nullable=False),
    sa.Index(None, "name", "alias"),
)
