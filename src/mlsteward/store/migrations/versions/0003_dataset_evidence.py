"""Data-stage evidence per dataset version, and leakage clearances.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset_evidence",
        sa.Column("dataset_version_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("digest", sa.String(100), nullable=False),
        sa.Column("passed", sa.Boolean, nullable=True),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("dataset_version_id", "kind", name="pk_dataset_evidence"),
        sa.ForeignKeyConstraint(["dataset_version_id"], ["dataset_versions.id"],
                                name="fk_dataset_evidence_dataset_version_id_dataset_versions"),
    )
    op.create_table(
        "column_clearances",
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("column", sa.String(500), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("cleared_by", sa.String(200), nullable=False),
        sa.Column("cleared_at_ms", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("dataset", "column", name="pk_column_clearances"),
    )


def downgrade() -> None:
    op.drop_table("column_clearances")
    op.drop_table("dataset_evidence")
