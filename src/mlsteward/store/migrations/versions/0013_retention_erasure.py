"""Retention and erasure: dataset versions removed (expired or erased) keep their record; model versions trained
on erased data say they need retraining.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dataset_versions") as batch:
        batch.add_column(sa.Column("removed_kind", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("removed_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("removed_at_ms", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("model_versions") as batch:
        batch.add_column(sa.Column("retrain_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_column("retrain_reason")
    with op.batch_alter_table("dataset_versions") as batch:
        batch.drop_column("removed_at_ms")
        batch.drop_column("removed_reason")
        batch.drop_column("removed_kind")
