"""Monitoring: monitor runs, alerts (de-duplicated by fingerprint) and incidents.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('monitor_runs',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('project', sa.String(length=200), nullable=False),
    sa.Column('monitor', sa.String(length=200), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('window_start_ms', sa.BigInteger(), nullable=False),
    sa.Column('window_end_ms', sa.BigInteger(), nullable=False),
    sa.Column('rows', sa.BigInteger(), nullable=False),
    sa.Column('signals', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('alerts', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitor_runs'))
    )
    op.create_index(op.f('ix_monitor_runs_monitor_created_at_ms'), 'monitor_runs', ['monitor', 'created_at_ms'],
                    unique=False)
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('project', sa.String(length=200), nullable=False),
    sa.Column('monitor', sa.String(length=200), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=400), nullable=False),
    sa.Column('signal', sa.String(length=200), nullable=False),
    sa.Column('severity', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('observed', sa.Float(), nullable=True),
    sa.Column('threshold', sa.Float(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('first_run', sa.String(length=32), nullable=False),
    sa.Column('last_run', sa.String(length=32), nullable=False),
    sa.Column('first_seen_ms', sa.BigInteger(), nullable=False),
    sa.Column('last_seen_ms', sa.BigInteger(), nullable=False),
    sa.Column('notified_at_ms', sa.BigInteger(), nullable=True),
    sa.Column('resolved_at_ms', sa.BigInteger(), nullable=True),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts'))
    )
    op.create_index(op.f('ix_alerts_fingerprint_status'), 'alerts', ['fingerprint', 'status'], unique=False)
    op.create_table('incidents',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('project', sa.String(length=200), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('severity', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('timeline', sa.JSON(), nullable=False),
    sa.Column('postmortem', sa.Text(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('opened_by', sa.String(length=200), nullable=False),
    sa.Column('opened_at_ms', sa.BigInteger(), nullable=False),
    sa.Column('resolved_at_ms', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents'))
    )
    op.create_index(op.f('ix_incidents_model'), 'incidents', ['model'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_incidents_model'), table_name='incidents')
    op.drop_table('incidents')
    op.drop_index(op.f('ix_alerts_fingerprint_status'), table_name='alerts')
    op.drop_table('alerts')
    op.drop_index(op.f('ix_monitor_runs_monitor_created_at_ms'), table_name='monitor_runs')
    op.drop_table('monitor_runs')
