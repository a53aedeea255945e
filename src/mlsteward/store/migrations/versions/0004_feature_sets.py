"""Feature sets: definitions and a fitted pipeline, versioned per name.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feature_sets",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("digest", sa.String(100), nullable=False),
        sa.Column("fingerprint", sa.String(100), nullable=False),
        sa.Column("dataset_version_id", sa.Integer, nullable=False),
        sa.Column("target", sa.String(500), nullable=True),
        sa.Column("definitions", sa.JSON, nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feature_sets"),
        sa.UniqueConstraint("name", "version", name="uq_feature_sets_name_version"),
        sa.UniqueConstraint("name", "fingerprint", name="uq_feature_sets_name_fingerprint"),
        sa.ForeignKeyConstraint(["dataset_version_id"], ["dataset_versions.id"],
                                name="fk_feature_sets_dataset_version_id_dataset_versions"),
    )


def downgrade() -> None:
    op.drop_table("feature_sets")
