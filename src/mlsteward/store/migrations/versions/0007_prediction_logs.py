"""Prediction logs: the segments (Parquet files in the artifact store) of logged predictions and feedback.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('prediction_segments',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=True),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('digest', sa.String(length=100), nullable=False),
    sa.Column('rows', sa.BigInteger(), nullable=False),
    sa.Column('bytes', sa.BigInteger(), nullable=False),
    sa.Column('first_time_ms', sa.BigInteger(), nullable=False),
    sa.Column('last_time_ms', sa.BigInteger(), nullable=False),
    sa.Column('created_at_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prediction_segments'))
    )
    op.create_index(op.f('ix_prediction_segments_digest'), 'prediction_segments', ['digest'], unique=False)
    op.create_index(op.f('ix_prediction_segments_kind_model_last_time_ms'), 'prediction_segments',
                    ['kind', 'model', 'last_time_ms'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_prediction_segments_kind_model_last_time_ms'), table_name='prediction_segments')
    op.drop_index(op.f('ix_prediction_segments_digest'), table_name='prediction_segments')
    op.drop_table('prediction_segments')
