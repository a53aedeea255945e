"""The prompt registry: prompts, versions, aliases and alias changes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('prompts',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('project', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_prompts'))
    )
    op.create_index(op.f('ix_prompts_project'), 'prompts', ['project'], unique=False)
    op.create_table('prompt_versions',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('template', sa.Text(), nullable=False),
    sa.Column('variables', sa.JSON(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=71), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at_ms', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['name'], ['prompts.name'], name=op.f('fk_prompt_versions_name_prompts')),
    sa.PrimaryKeyConstraint('name', 'version', name=op.f('pk_prompt_versions')),
    sa.UniqueConstraint('name', 'digest', name=op.f('uq_prompt_versions_name_digest'))
    )
    op.create_table('prompt_aliases',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('alias', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('updated_at_ms', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['name'], ['prompts.name'], name=op.f('fk_prompt_aliases_name_prompts')),
    sa.PrimaryKeyConstraint('name', 'alias', name=op.f('pk_prompt_aliases'))
    )
    op.create_table('prompt_alias_changes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('alias', sa.String(length=100), nullable=False),
    sa.Column('from_version', sa.Integer(), nullable=True),
    sa.Column('to_version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('changed_by', sa.String(length=200), nullable=False),
    sa.Column('changed_at_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prompt_alias_changes'))
    )
    op.create_index(op.f('ix_prompt_alias_changes_name_alias'), 'prompt_alias_changes', ['name', 'alias'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_prompt_alias_changes_name_alias'), table_name='prompt_alias_changes')
    op.drop_table('prompt_alias_changes')
    op.drop_table('prompt_aliases')
    op.drop_table('prompt_versions')
    op.drop_index(op.f('ix_prompts_project'), table_name='prompts')
    op.drop_table('prompts')
