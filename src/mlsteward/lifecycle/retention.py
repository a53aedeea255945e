"""Retention and erasure of data.

``expire_datasets``: the versions older than ``data.retention`` allows (per dataset name, ``'*'`` for the rest)
are marked expired, with the reason, in one audited transaction; then their snapshots are deleted.

``erase_subject``: a data subject's rows (``--where "customer_id = 123"``, several conditions ANDed) are
removed from every table version that holds them: each such version gets a successor without the rows (lineage:
the old version is its parent), then one transaction marks the old versions erased and the model versions
trained on them (or on data made from them) as needing retraining, and their snapshots are deleted. The audit
trail records which columns matched and a sha256 of the values, never the values themselves.

Both are safe to run again after a crash: successors are content-addressed (the same rows give the same
version), and a snapshot whose version is already removed is deleted on the next run.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid

import pandas as pd
from pydantic import BaseModel

from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.datasets import add_dataset, load_dataset
from mlsteward.spec import Spec
from mlsteward.spec_data import period_days
from mlsteward.store.datasets import DatasetVersion
from mlsteward.workspace import Workspace

DAY_MS = 86_400_000
_CONDITION = re.compile(r"\s*([A-Za-z_][\w.]*)\s*=\s*(?:'([^']*)'|\"([^\"]*)\"|(\S+))\s*")


class Condition(BaseModel):
    column: str
    value: str


class ExpiryResult(BaseModel):
    expired: list[str]
    reasons: dict[str, str]
    deleted_snapshots: int
    dry_run: bool


class ErasureResult(BaseModel):
    erasure: str  # an id for this request, in every record it touched
    conditions: list[str]  # column names only: the values are not kept
    replaced: dict[str, str]  # old version -> its successor without the subject's rows
    rows_removed: dict[str, int]
    models_to_retrain: list[str]
    deleted_snapshots: int
    dry_run: bool


def parse_where(conditions: list[str]) -> list[Condition]:
    """``customer_id = 123`` or ``email = 'a@b.org'``; each condition one column equal to one value."""
    if not conditions:
        raise InvalidInput("say whose data to erase: --where \"customer_id = 123\" (repeat --where to AND several)")
    parsed = []
    for text in conditions:
        match = _CONDITION.fullmatch(text)
        if match is None:
            raise InvalidInput(f"--where {text!r} is not COLUMN = VALUE (quote a value with spaces: name = 'Ana Ruiz')")
        value = next(v for v in match.groups()[1:] if v is not None)
        parsed.append(Condition(column=match[1], value=value))
    return parsed


def expire_datasets(workspace: Workspace, spec: Spec, *, now_ms: int | None = None,
                    dry_run: bool = False) -> ExpiryResult:
    """Expire the dataset versions past ``data.retention`` (see the module docstring)."""
    rules = spec.data.retention
    if not rules:
        raise InvalidInput("steward.yaml sets no data.retention: e.g. data: {retention: {gss: 730d, '*': 5y}}")
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    store = workspace.store
    reasons = {}
    for latest in store.datasets.list():
        period = rules.get(latest.name) or rules.get("*")
        if period is None:
            continue
        for version in store.datasets.list(latest.name):
            if version.removed_kind is None and version.created_at_ms < now - period_days(period) * DAY_MS:
                reasons[version.ref] = f"older than the retention of {latest.name} ({period}, data.retention)"
    if dry_run or not reasons:
        return ExpiryResult(expired=sorted(reasons), reasons=reasons, deleted_snapshots=0, dry_run=dry_run)
    removed = store.datasets.remove(reasons, "expired")
    return ExpiryResult(expired=sorted(reasons), reasons=reasons, deleted_snapshots=_delete_snapshots(workspace, removed),
                        dry_run=False)


def erase_subject(workspace: Workspace, spec: Spec, where: list[str], *, dry_run: bool = False) -> ErasureResult:
    """Remove the rows matching ``where`` from every table version holding them (see the module docstring)."""
    conditions = parse_where(where)
    store = workspace.store
    erasure = uuid.uuid4().hex[:12]
    columns = sorted({c.column for c in conditions})
    hits: dict[str, tuple[DatasetVersion, pd.DataFrame, int]] = {}
    for latest in store.datasets.list():
        for version in store.datasets.list(latest.name):
            if version.kind != "table" or version.removed_kind or not _has_columns(version, columns):
                continue
            frame = load_dataset(workspace, version.ref)
            mask = _matches(frame, conditions)
            if mask.any():
                hits[version.ref] = (version, frame.loc[~mask].reset_index(drop=True), int(mask.sum()))
    if not hits:
        return ErasureResult(erasure=erasure, conditions=columns, replaced={}, rows_removed={}, models_to_retrain=[],
                             deleted_snapshots=0, dry_run=dry_run)
    models = _trained_on(workspace, spec, set(hits))
    if dry_run:
        return ErasureResult(erasure=erasure, conditions=columns, replaced=dict.fromkeys(hits, "(dry run)"),
                             rows_removed={ref: n for ref, (_, _, n) in hits.items()}, models_to_retrain=models,
                             deleted_snapshots=0, dry_run=True)
    replaced = {}
    for ref, (version, kept, count) in hits.items():
        successor, _ = add_dataset(workspace, kept, name=version.name, owner=version.owner, parents=[ref],
                                   description=version.description,
                                   transformation=f"erasure {erasure}: {count} row(s) of a data subject removed "
                                                  f"(matched on {', '.join(columns)})")
        replaced[ref] = successor.ref
    fingerprint = hashlib.sha256("\0".join(f"{c.column}={c.value}" for c in conditions).encode()).hexdigest()
    removed = store.datasets.remove(
        {ref: f"erasure {erasure}: replaced by {new}" for ref, new in replaced.items()}, "erased",
        retrain={m: f"erasure {erasure}: trained on data a subject's rows were erased from" for m in models},
        audit={"erasure": erasure, "columns": columns, "subject_sha256": fingerprint})
    return ErasureResult(erasure=erasure, conditions=columns, replaced=replaced,
                         rows_removed={ref: n for ref, (_, _, n) in hits.items()}, models_to_retrain=models,
                         deleted_snapshots=_delete_snapshots(workspace, removed), dry_run=False)


def _has_columns(version: DatasetVersion, columns: list[str]) -> bool:
    names = {c.get("name") for c in version.column_types}
    return all(c in names for c in columns)


def _matches(frame: pd.DataFrame, conditions: list[Condition]) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for c in conditions:
        column = frame[c.column]
        if pd.api.types.is_numeric_dtype(column):
            try:
                mask &= column == float(c.value)
            except ValueError:
                mask &= False
        else:
            mask &= column.astype("string") == c.value
    return mask.fillna(False).astype(bool)


def _trained_on(workspace: Workspace, spec: Spec, refs: set[str]) -> list[str]:
    """Model versions whose training data (or what it was made from) is one of ``refs``."""
    store, found = workspace.store, []
    for version in store.models.versions(project=spec.project):
        lineage = version.lineage or {}
        used = set((lineage.get("datasets") or {}).values()) | set(lineage.get("upstream") or [])
        for ref in list(used):
            used |= {edge.parent for edge in store.datasets.lineage(ref).ancestors}
        if used & refs:
            found.append(version.ref)
    return sorted(found)


def _delete_snapshots(workspace: Workspace, removed: list[DatasetVersion]) -> int:
    """Delete the snapshots of removed versions that no live version shares (content-addressed storage)."""
    store = workspace.store
    live = {v.digest for latest in store.datasets.list() for v in store.datasets.list(latest.name)
            if v.removed_kind is None}
    return sum(workspace.artifacts.delete(v.digest) for v in removed if v.digest not in live)


__all__ = ["Condition", "ErasureResult", "ExpiryResult", "erase_subject", "expire_datasets", "parse_where"]
