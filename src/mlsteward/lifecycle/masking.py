"""Mask personal data: a derived dataset version with the PII-tagged columns hashed or dropped,
the attributes steward.yaml declares sensitive for fairness kept, and the lineage recorded."""

from __future__ import annotations

from typing import Literal

from mlsteward.data.pii import PiiReport, detect_pii, mask_columns
from mlsteward.lifecycle.datasets import add_dataset, load_dataset
from mlsteward.store.datasets import DatasetVersion
from mlsteward.workspace import Workspace


def mask_dataset(workspace: Workspace, ref: str, *, method: Literal["hash", "drop"] = "hash",
                 salt: str | None = None, keep: list[str] | tuple[str, ...] = (),
                 extra_columns: list[str] | tuple[str, ...] = (), name: str | None = None) -> DatasetVersion:
    """Register ``<name>-masked`` (or ``name``) made from ``ref`` with its PII columns masked.

    The tags come from the version's recorded PII evidence (detected now if it has none);
    ``extra_columns`` are masked too; ``keep`` columns are never masked."""
    version = workspace.store.datasets.get(ref)
    df = load_dataset(workspace, version.ref)
    recorded = workspace.store.evidence.of(version.ref).get("pii")
    report = (PiiReport.model_validate_json(workspace.artifacts.get_bytes(recorded.digest)) if recorded
              else detect_pii(df))
    tags = {**report.tagged(), **{c: ["declared"] for c in extra_columns}}
    masked_columns = [c for c in tags if c not in set(keep)]
    masked = mask_columns(df, tags, method=method, salt=salt, keep=keep)
    how = "dropped" if method == "drop" else "hashed (salted sha256)"
    transformation = (f"personal data {how}: {', '.join(masked_columns)}" if masked_columns
                      else "no personal data found: unchanged")
    derived, _ = add_dataset(workspace, masked, name=name or f"{version.name}-masked", parents=[version.ref],
                             transformation=transformation)
    return derived
