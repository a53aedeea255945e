"""Labeling: projects on a dataset version, versioned guidelines, items, annotations and adjudications.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('label_projects',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('project', sa.String(length=200), nullable=False),
    sa.Column('dataset', sa.String(length=250), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('label_schema', sa.JSON(), nullable=False),
    sa.Column('annotators_per_item', sa.Integer(), nullable=False),
    sa.Column('gold_share', sa.Float(), nullable=False),
    sa.Column('guideline_version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_label_projects')),
    sa.UniqueConstraint('name', name=op.f('uq_label_projects_name'))
    )
    op.create_table('label_guidelines',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at_ms', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['label_projects.id'], name=op.f('fk_label_guidelines_project_id_label_projects')),
    sa.PrimaryKeyConstraint('project_id', 'version', name=op.f('pk_label_guidelines'))
    )
    op.create_table('label_items',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=500), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('gold_label', sa.String(length=200), nullable=True),
    sa.Column('priority', sa.Float(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('added_at_ms', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['label_projects.id'], name=op.f('fk_label_items_project_id_label_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_label_items')),
    sa.UniqueConstraint('project_id', 'key', name=op.f('uq_label_items_project_id_key'))
    )
    op.create_table('label_adjudications',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('decided_by', sa.String(length=200), nullable=False),
    sa.Column('decided_at_ms', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['label_items.id'], name=op.f('fk_label_adjudications_item_id_label_items')),
    sa.ForeignKeyConstraint(['project_id'], ['label_projects.id'], name=op.f('fk_label_adjudications_project_id_label_projects')),
    sa.PrimaryKeyConstraint('item_id', name=op.f('pk_label_adjudications'))
    )
    op.create_table('label_annotations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('annotator', sa.String(length=200), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=True),
    sa.Column('guideline_version', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=40), nullable=False),
    sa.Column('created_at_ms', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['label_items.id'], name=op.f('fk_label_annotations_item_id_label_items')),
    sa.ForeignKeyConstraint(['project_id'], ['label_projects.id'], name=op.f('fk_label_annotations_project_id_label_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_label_annotations')),
    sa.UniqueConstraint('item_id', 'annotator', name=op.f('uq_label_annotations_item_id_annotator'))
    )
    op.create_index(op.f('ix_label_annotations_project_id_annotator'), 'label_annotations', ['project_id', 'annotator'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_label_annotations_project_id_annotator'), table_name='label_annotations')
    op.drop_table('label_annotations')
    op.drop_table('label_adjudications')
    op.drop_table('label_items')
    op.drop_table('label_guidelines')
    op.drop_table('label_projects')
