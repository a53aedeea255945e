"""The labeling tables: projects on a dataset version, their versioned guidelines, the items to label,
each annotator's answer, and the adjudicator's decision on a tie. Part of ``schema.metadata``."""

from __future__ import annotations

import sqlalchemy as sa

from mlsteward.store.schema import metadata

label_projects = sa.Table(
    "label_projects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("project", sa.String(200), nullable=False),
    sa.Column("dataset", sa.String(250), nullable=False),  # the unlabeled version, NAME@VERSION
    sa.Column("kind", sa.String(20), nullable=False),  # table, text or files
    sa.Column("settings", sa.JSON, nullable=False),  # id / text / shown columns, gold column, label column
    sa.Column("label_schema", sa.JSON, nullable=False),  # {"kind": "classes" | "rating", "labels": [...]}
    sa.Column("annotators_per_item", sa.Integer, nullable=False),
    sa.Column("gold_share", sa.Float, nullable=False),
    sa.Column("guideline_version", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at_ms", sa.BigInteger, nullable=False),
)

label_guidelines = sa.Table(
    "label_guidelines",
    metadata,
    sa.Column("project_id", sa.Integer, sa.ForeignKey("label_projects.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("text", sa.Text, nullable=False),  # Markdown; its "## " sections are cited by the audit
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at_ms", sa.BigInteger, nullable=False),
)

# An item to label: a row, a text or a file of the dataset, or a production prediction sent for review
# (``source`` feedback / monitoring, its inputs and the model's answer in ``payload``).
label_items = sa.Table(
    "label_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("label_projects.id"), nullable=False),
    sa.Column("key", sa.String(500), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("gold_label", sa.String(200), nullable=True),
    sa.Column("priority", sa.Float, nullable=True),  # active learning's score: higher is asked first
    sa.Column("payload", sa.JSON, nullable=True),
    sa.Column("added_at_ms", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("project_id", "key"),
)

label_annotations = sa.Table(
    "label_annotations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("label_projects.id"), nullable=False),
    sa.Column("item_id", sa.Integer, sa.ForeignKey("label_items.id"), nullable=False),
    sa.Column("annotator", sa.String(200), nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),  # label, skip or unclear
    sa.Column("label", sa.String(200), nullable=True),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("seconds", sa.Float, nullable=True),  # time on the item in the web UI
    sa.Column("guideline_version", sa.Integer, nullable=False),
    sa.Column("origin", sa.String(40), nullable=False),  # ui, api, csv, label-studio
    sa.Column("created_at_ms", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("item_id", "annotator"),
    sa.Index(None, "project_id", "annotator"),
)

label_adjudications = sa.Table(
    "label_adjudications",
    metadata,
    sa.Column("item_id", sa.Integer, sa.ForeignKey("label_items.id"), primary_key=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("label_projects.id"), nullable=False),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("decided_by", sa.String(200), nullable=False),
    sa.Column("decided_at_ms", sa.BigInteger, nullable=False),
)
