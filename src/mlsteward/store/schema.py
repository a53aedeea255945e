"""The system of record's tables, as SQLAlchemy Core metadata.

Migrations under ``migrations/versions`` create exactly these tables; a test compares them.
Times are integers (milliseconds since the epoch for runs and metrics, microseconds for audit
events) so they round-trip exactly on SQLite and PostgreSQL and hash identically.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

projects = sa.Table(
    "projects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("charter", sa.JSON, nullable=False),
    sa.Column("current_stage", sa.String(40), nullable=False),
    sa.Column("created_at_ms", sa.BigInteger, nullable=False),
    sa.Column("updated_at_ms", sa.BigInteger, nullable=False),
)

stage_records = sa.Table(
    "stage_records",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
    sa.Column("stage", sa.String(40), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("updated_at_ms", sa.BigInteger, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
    sa.Column("gate_result_id", sa.Integer, nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.UniqueConstraint("project_id", "stage"),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("experiment", sa.String(250), nullable=False),
    sa.Column("name", sa.String(250), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("parent_id", sa.String(32), sa.ForeignKey("runs.id"), nullable=True, index=True),
    sa.Column("start_time_ms", sa.BigInteger, nullable=False, index=True),
    sa.Column("end_time_ms", sa.BigInteger, nullable=True),
    sa.Column("environment", sa.JSON, nullable=False),
    # params, tags, latest metrics and artifacts as one JSON object, rebuilt from their tables in
    # every write transaction: loading a page of runs is then one query (measured 2x on search)
    sa.Column("summary", sa.JSON, nullable=False),
    sa.Column("seed", sa.BigInteger, nullable=True),
    sa.Column("created_by", sa.String(200), nullable=False),
    # CPU seconds of the process while the run was open (children included; NULL when not measured)
    sa.Column("cpu_seconds", sa.Float, nullable=True),
    # newest-first listing within an experiment walks this index and stops at the limit
    sa.Index(None, "experiment", "start_time_ms"),
)

run_params = sa.Table(
    "run_params",
    metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Index(None, "key", "value"),
)

run_tags = sa.Table(
    "run_tags",
    metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Index(None, "key", "value"),
)

# Every value logged, with its step and time. NaN is stored as NULL (SQLite cannot hold NaN).
run_metrics = sa.Table(
    "run_metrics",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("key", sa.String(250), nullable=False),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Column("timestamp_ms", sa.BigInteger, nullable=False),
    sa.Index(None, "run_id", "key", "step"),
)

# The latest value per run and key (highest step, then latest time): what search filters read.
latest_metrics = sa.Table(
    "latest_metrics",
    metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Column("timestamp_ms", sa.BigInteger, nullable=False),
    sa.Index(None, "key", "value"),
)

run_artifacts = sa.Table(
    "run_artifacts",
    metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("path", sa.String(500), primary_key=True),
    sa.Column("digest", sa.String(100), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("logged_at_ms", sa.BigInteger, nullable=False),
)

# A version of a named dataset: a table stored as one Parquet snapshot, or a folder stored as a
# manifest of files. ``digest`` is the content's address: the same content under the same name is
# the same version.
dataset_versions = sa.Table(
    "dataset_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
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
    # a version past its retention (expired) or holding an erased data subject (erased): its snapshot is deleted,
    # its record and lineage stay for the audit
    sa.Column("removed_kind", sa.String(20), nullable=True),
    sa.Column("removed_reason", sa.Text, nullable=True),
    sa.Column("removed_at_ms", sa.BigInteger, nullable=True),
    sa.UniqueConstraint("name", "version"),
    sa.UniqueConstraint("name", "digest"),
)

dataset_parents = sa.Table(
    "dataset_parents",
    metadata,
    sa.Column("child_id", sa.Integer, sa.ForeignKey("dataset_versions.id"), primary_key=True),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("dataset_versions.id"), primary_key=True),
    sa.Index(None, "parent_id"),
)

# Which dataset versions a run used (role: input, train, validation, test, output, …).
run_datasets = sa.Table(
    "run_datasets",
    metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("dataset_version_id", sa.Integer, sa.ForeignKey("dataset_versions.id"), primary_key=True),
    sa.Column("role", sa.String(40), nullable=False),
    sa.Index(None, "dataset_version_id"),
)

# What the data stage found in a version: one row per kind (profile, quality, pii, leakage,
# contract, report), its full result stored as an artifact, and whether it passed.
dataset_evidence = sa.Table(
    "dataset_evidence",
    metadata,
    sa.Column("dataset_version_id", sa.Integer, sa.ForeignKey("dataset_versions.id"), primary_key=True),
    sa.Column("kind", sa.String(40), primary_key=True),
    sa.Column("digest", sa.String(100), nullable=False),
    sa.Column("passed", sa.Boolean, nullable=True),
    sa.Column("summary", sa.JSON, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at_ms", sa.BigInteger, nullable=False),
)

# Columns a person cleared of a leakage flag, with the reason (flagged columns are quarantined
# until cleared).
column_clearances = sa.Table(
    "column_clearances",
    metadata,
    sa.Column("dataset", sa.String(200), primary_key=True),
    sa.Column("column", sa.String(500), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("cleared_by", sa.String(200), nullable=False),
    sa.Column("cleared_at_ms", sa.BigInteger, nullable=False),
)

# Feature sets: definitions plus a fitted pipeline (a skops artifact), fitted on one dataset version.
feature_sets = sa.Table(
    "feature_sets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("digest", sa.String(100), nullable=False),
    sa.Column("fingerprint", sa.String(100), nullable=False),
    sa.Column("dataset_version_id", sa.Integer, sa.ForeignKey("dataset_versions.id"), nullable=False),
    sa.Column("target", sa.String(500), nullable=True),
    sa.Column("definitions", sa.JSON, nullable=False),
    sa.Column("summary", sa.JSON, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at_ms", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("name", "version"),
    sa.UniqueConstraint("name", "fingerprint"),
)

# Evaluations: one model (the run holding it) checked on one dataset version by the evaluation suite.
# The results, report and model card are artifacts; ``checks`` holds each check's status, ``gate`` the
# promotion gate's decision, so listing needs no artifact read.
evaluations = sa.Table(
    "evaluations",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("project", sa.String(200), nullable=False),
    sa.Column("model_run_id", sa.String(32), sa.ForeignKey("runs.id"), nullable=False, index=True),
    sa.Column("dataset_version_id", sa.Integer, sa.ForeignKey("dataset_versions.id"), nullable=False),
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), nullable=False),
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
)

# The model registry. A registered model is a name; each registration of a trained run under it is a
# version. ``revision`` counts the model's changes of status and alias: a promotion writes only if the
# revision it read is still current, so of two concurrent promotions exactly one wins.
registered_models = sa.Table(
    "registered_models",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("project", sa.String(200), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at_ms", sa.BigInteger, nullable=False),
    sa.Column("updated_at_ms", sa.BigInteger, nullable=False),
)

model_versions = sa.Table(
    "model_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), sa.ForeignKey("registered_models.name"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("project", sa.String(200), nullable=False, index=True),
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("format", sa.String(20), nullable=False),
    sa.Column("artifact_digest", sa.String(100), nullable=False),
    sa.Column("onnx_digest", sa.String(100), nullable=True),
    sa.Column("onnx_note", sa.Text, nullable=True),
    sa.Column("input_schema", sa.JSON, nullable=False),
    sa.Column("output_schema", sa.JSON, nullable=False),
    sa.Column("lineage", sa.JSON, nullable=False),
    sa.Column("metrics", sa.JSON, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at_ms", sa.BigInteger, nullable=False),
    sa.Column("status_changed_at_ms", sa.BigInteger, nullable=False),
    sa.Column("retrain_reason", sa.Text, nullable=True),  # e.g. data it was trained on was erased
    sa.UniqueConstraint("name", "version"),
    sa.UniqueConstraint("name", "run_id"),
)

model_aliases = sa.Table(
    "model_aliases",
    metadata,
    sa.Column("name", sa.String(200), sa.ForeignKey("registered_models.name"), primary_key=True),
    sa.Column("alias", sa.String(100), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
    sa.Column("updated_at_ms", sa.BigInteger, nullable=False),
)

# A gate evaluated against recorded evidence: each check's required and observed value, the decision.
gate_results = sa.Table(
    "gate_results",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project", sa.String(200), nullable=False),
    sa.Column("gate", sa.String(100), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False, index=True),
    sa.Column("decision", sa.String(20), nullable=False),
    sa.Column("checks", sa.JSON, nullable=False),
    sa.Column("evidence", sa.JSON, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at_ms", sa.BigInteger, nullable=False),
)

# A stakeholder's decision on a subject (a model version, a gate), in one of their roles.
signoffs = sa.Table(
    "signoffs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project", sa.String(200), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False, index=True),
    sa.Column("role", sa.String(100), nullable=False),
    sa.Column("person", sa.String(200), nullable=False),
    sa.Column("decision", sa.String(20), nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("created_at_ms", sa.BigInteger, nullable=False),
)

# A failing gate check let through for one subject, by a person in a role allowed to waive, with a reason.
waivers = sa.Table(
    "waivers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project", sa.String(200), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False, index=True),
    sa.Column("check", sa.String(300), nullable=False),
    sa.Column("role", sa.String(100), nullable=False),
    sa.Column("person", sa.String(200), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_at_ms", sa.BigInteger, nullable=False),
)

# API tokens for the server: only a sha256 of the token is kept.
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("user", sa.String(200), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at_ms", sa.BigInteger, nullable=False),
    sa.Column("revoked_at_ms", sa.BigInteger, nullable=True),
    sa.Column("scope", sa.String(250), nullable=True),  # NAME or NAME@VERSION: the only model it may call
)

# The charter (with its KPI sheet and risk register) each time steward.yaml changed it.
charter_versions = sa.Table(
    "charter_versions",
    metadata,
    sa.Column("project", sa.String(200), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("charter", sa.JSON, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at_ms", sa.BigInteger, nullable=False),
)

# What a risk's owner did about it (an action taken, a review): resets its review clock.
risk_actions = sa.Table(
    "risk_actions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project", sa.String(200), nullable=False),
    sa.Column("risk_id", sa.String(40), nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("person", sa.String(200), nullable=False),
    sa.Column("role", sa.String(100), nullable=False),
    sa.Column("created_at_ms", sa.BigInteger, nullable=False),
    sa.Index(None, "project", "risk_id"),
)

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project", sa.String(200), nullable=False, index=True),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("decision", sa.Text, nullable=False),
    sa.Column("rationale", sa.Text, nullable=False),
    sa.Column("alternatives", sa.Text, nullable=False),
    sa.Column("subject", sa.String(300), nullable=True),
    sa.Column("decided_by", sa.String(200), nullable=False),
    sa.Column("created_at_ms", sa.BigInteger, nullable=False),
)

# Written by Steward itself on every model version, promotion and rollback, with the metric deltas.
change_log = sa.Table(
    "change_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project", sa.String(200), nullable=False, index=True),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at_ms", sa.BigInteger, nullable=False),
)

# One append-only Parquet segment of the prediction log (kind "predictions") or of the ground truth
# sent back for predictions (kind "feedback"), stored in the artifact store under ``digest``; the rows
# themselves are never SQL rows. ``model``/``version`` are null on feedback that did not name them.
prediction_segments = sa.Table(
    "prediction_segments",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("model", sa.String(200), nullable=True),
    sa.Column("version", sa.Integer, nullable=True),
    sa.Column("digest", sa.String(100), nullable=False),
    sa.Column("rows", sa.BigInteger, nullable=False),
    sa.Column("bytes", sa.BigInteger, nullable=False),
    sa.Column("first_time_ms", sa.BigInteger, nullable=False),
    sa.Column("last_time_ms", sa.BigInteger, nullable=False),
    sa.Column("created_at_ms", sa.BigInteger, nullable=False),
    sa.Index(None, "kind", "model", "last_time_ms"),
    sa.Index(None, "digest"),
)

# Serving endpoints, one per model: the rollout state (live version, rollback target, canary with its
# share, shadow) the prediction service routes by; ``revision`` guards concurrent changes.
endpoints = sa.Table(
    "endpoints",
    metadata,
    sa.Column("model", sa.String(200), primary_key=True),
    sa.Column("project", sa.String(200), nullable=False),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
    sa.Column("updated_at_ms", sa.BigInteger, nullable=False),
)

# Every deploy, canary or shadow change and rollback: who, when, the state before and after, why.
deployments = sa.Table(
    "deployments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model", sa.String(200), nullable=False, index=True),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("version", sa.Integer, nullable=True),
    sa.Column("before", sa.JSON, nullable=True),
    sa.Column("after", sa.JSON, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at_ms", sa.BigInteger, nullable=False),
)

# One monitor run: the window of logged traffic it read, its signals (the flat numbers alert rules and
# the dashboard read) and its full result (drift, performance, operations, explainability).
monitor_runs = sa.Table(
    "monitor_runs",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("project", sa.String(200), nullable=False),
    sa.Column("monitor", sa.String(200), nullable=False),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("window_start_ms", sa.BigInteger, nullable=False),
    sa.Column("window_end_ms", sa.BigInteger, nullable=False),
    sa.Column("rows", sa.BigInteger, nullable=False),
    sa.Column("signals", sa.JSON, nullable=False),
    sa.Column("result", sa.JSON, nullable=False),
    sa.Column("alerts", sa.Integer, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at_ms", sa.BigInteger, nullable=False),
    sa.Index(None, "monitor", "created_at_ms"),
)

# An alert: one row per firing episode of a rule (``fingerprint`` = monitor, rule, signal). While it
# is open, later runs that fire it again raise ``count`` instead of adding rows (de-duplication).
alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project", sa.String(200), nullable=False),
    sa.Column("monitor", sa.String(200), nullable=False),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("fingerprint", sa.String(400), nullable=False),
    sa.Column("signal", sa.String(200), nullable=False),
    sa.Column("severity", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("observed", sa.Float, nullable=True),
    sa.Column("threshold", sa.Float, nullable=True),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("first_run", sa.String(32), nullable=False),
    sa.Column("last_run", sa.String(32), nullable=False),
    sa.Column("first_seen_ms", sa.BigInteger, nullable=False),
    sa.Column("last_seen_ms", sa.BigInteger, nullable=False),
    sa.Column("notified_at_ms", sa.BigInteger, nullable=True),
    sa.Column("resolved_at_ms", sa.BigInteger, nullable=True),
    sa.Column("incident_id", sa.Integer, nullable=True),
    sa.Index(None, "fingerprint", "status"),
)

# An incident, opened by a SEV alert or by hand, with the runbook's fields (trigger, roles, rollback
# target, artifacts to collect), its timeline and, once resolved, the postmortem.
incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project", sa.String(200), nullable=False),
    sa.Column("model", sa.String(200), nullable=False, index=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("severity", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("fields", sa.JSON, nullable=False),
    sa.Column("timeline", sa.JSON, nullable=False),
    sa.Column("postmortem", sa.Text, nullable=True),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("opened_by", sa.String(200), nullable=False),
    sa.Column("opened_at_ms", sa.BigInteger, nullable=False),
    sa.Column("resolved_at_ms", sa.BigInteger, nullable=True),
)

# What a local file hashed to, keyed by path, size and modification time, so unchanged files of a
# folder dataset are not hashed again on re-add.
file_hashes = sa.Table(
    "file_hashes",
    metadata,
    sa.Column("path", sa.String(1000), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("mtime_ns", sa.BigInteger, nullable=False),
    sa.Column("digest", sa.String(100), nullable=False),
)

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("at_us", sa.BigInteger, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(100), nullable=False),
    sa.Column("entity_type", sa.String(50), nullable=False),
    sa.Column("entity_id", sa.String(200), nullable=False),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index(None, "entity_type", "entity_id"),
)

# A single row (id = 1) holding the last event's seq and hash: it lets verification notice a
# deleted tail, and it is the lock that serialises audited writes on PostgreSQL.
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# the other tables join ``metadata``
from mlsteward.store import schema_labeling, schema_llm, schema_prompts, schema_reviews  # noqa: E402,F401
