"""Evaluations: a model checked on a dataset version by the evaluation suite.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evaluations",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("project", sa.String(200), nullable=False),
        sa.Column("model_run_id", sa.String(32), nullable=False),
        sa.Column("dataset_version_id", sa.Integer, nullable=False),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("metric", sa.String(100), nullable=False),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("suite", sa.JSON, nullable=False),
        sa.Column("checks", sa.JSON, nullable=False),
        sa.Column("gate", sa.String(20), nullable=False),
        sa.Column("results_digest", sa.String(100), nullable=False),
        sa.Column("report_digest", sa.String(100), nullable=False),
        sa.Column("card_digest", sa.String(100), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evaluations"),
        sa.ForeignKeyConstraint(["model_run_id"], ["runs.id"], name="fk_evaluations_model_run_id_runs"),
        sa.ForeignKeyConstraint(["dataset_version_id"], ["dataset_versions.id"],
                                name="fk_evaluations_dataset_version_id_dataset_versions"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_evaluations_run_id_runs"),
    )
    op.create_index("ix_evaluations_model_run_id", "evaluations", ["model_run_id"])


def downgrade() -> None:
    op.drop_index("ix_evaluations_model_run_id", table_name="evaluations")
    op.drop_table("evaluations")
