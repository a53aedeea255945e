"""LLM applications in service: the response cache and the answer log.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('llm_answers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project', sa.String(length=200), nullable=False),
    sa.Column('time_ms', sa.BigInteger(), nullable=False),
    sa.Column('app', sa.String(length=300), nullable=False),
    sa.Column('prompt', sa.String(length=300), nullable=True),
    sa.Column('model', sa.String(length=200), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('documents', sa.JSON(), nullable=False),
    sa.Column('tokens_in', sa.Integer(), nullable=False),
    sa.Column('tokens_out', sa.Integer(), nullable=False),
    sa.Column('cost_usd', sa.Float(), nullable=False),
    sa.Column('saved_usd', sa.Float(), nullable=False),
    sa.Column('cache', sa.String(length=10), nullable=True),
    sa.Column('guardrails', sa.JSON(), nullable=False),
    sa.Column('guardrail_ms', sa.Float(), nullable=True),
    sa.Column('latency_ms', sa.Float(), nullable=False),
    sa.Column('grounded', sa.Float(), nullable=True),
    sa.Column('hallucinated', sa.Boolean(), nullable=False),
    sa.Column('relevance', sa.Float(), nullable=True),
    sa.Column('refused', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_llm_answers'))
    )
    op.create_index(op.f('ix_llm_answers_project_time_ms'), 'llm_answers', ['project', 'time_ms'], unique=False)
    op.create_table('llm_cache',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project', sa.String(length=200), nullable=False),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('question_key', sa.Text(), nullable=False),
    sa.Column('embedding', sa.LargeBinary(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('tokens_in', sa.Integer(), nullable=False),
    sa.Column('tokens_out', sa.Integer(), nullable=False),
    sa.Column('cost_usd', sa.Float(), nullable=False),
    sa.Column('latency_ms', sa.Float(), nullable=False),
    sa.Column('created_at_ms', sa.BigInteger(), nullable=False),
    sa.Column('expires_at_ms', sa.BigInteger(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('last_used_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_llm_cache')),
    sa.UniqueConstraint('project', 'scope', 'question_key', name=op.f('uq_llm_cache_project_scope_question_key'))
    )
    op.create_index(op.f('ix_llm_cache_project_scope_expires_at_ms'), 'llm_cache', ['project', 'scope', 'expires_at_ms'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_llm_cache_project_scope_expires_at_ms'), table_name='llm_cache')
    op.drop_table('llm_cache')
    op.drop_index(op.f('ix_llm_answers_project_time_ms'), table_name='llm_answers')
    op.drop_table('llm_answers')
