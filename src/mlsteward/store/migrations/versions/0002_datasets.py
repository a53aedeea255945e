"""Datasets: versions with lineage, the datasets each run used, the file-hash cache.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset_versions",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("digest", sa.String(100), nullable=False),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("columns", sa.Integer, nullable=False),
        sa.Column("column_types", sa.JSON, nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("transformation", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dataset_versions"),
        sa.UniqueConstraint("name", "version", name="uq_dataset_versions_name_version"),
        sa.UniqueConstraint("name", "digest", name="uq_dataset_versions_name_digest"),
    )
    op.create_table(
        "dataset_parents",
        sa.Column("child_id", sa.Integer, nullable=False),
        sa.Column("parent_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("child_id", "parent_id", name="pk_dataset_parents"),
        sa.ForeignKeyConstraint(["child_id"], ["dataset_versions.id"],
                                name="fk_dataset_parents_child_id_dataset_versions"),
        sa.ForeignKeyConstraint(["parent_id"], ["dataset_versions.id"],
                                name="fk_dataset_parents_parent_id_dataset_versions"),
    )
    op.create_index("ix_dataset_parents_parent_id", "dataset_parents", ["parent_id"])
    op.create_table(
        "run_datasets",
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("dataset_version_id", sa.Integer, nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "dataset_version_id", name="pk_run_datasets"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_run_datasets_run_id_runs"),
        sa.ForeignKeyConstraint(["dataset_version_id"], ["dataset_versions.id"],
                                name="fk_run_datasets_dataset_version_id_dataset_versions"),
    )
    op.create_index("ix_run_datasets_dataset_version_id", "run_datasets", ["dataset_version_id"])
    op.create_table(
        "file_hashes",
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("mtime_ns", sa.BigInteger, nullable=False),
        sa.Column("digest", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("path", name="pk_file_hashes"),
    )


def downgrade() -> None:
    for table in ("file_hashes", "run_datasets", "dataset_parents", "dataset_versions"):
        op.drop_table(table)
