"""Feature sets in the system of record: register (deduplicated by content), read and list."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from pydantic import BaseModel

from mlsteward.errors import NotFound
from mlsteward.store._sql import now_ms
from mlsteward.store.datasets import check_name, parse_ref, version_id
from mlsteward.store.schema import dataset_versions, feature_sets

if TYPE_CHECKING:
    from mlsteward.store.store import Store


class NewFeatureSet(BaseModel):
    """What fitting computed; the store adds the version number and who made it."""

    name: str
    digest: str  # the skops pipeline artifact
    fingerprint: str  # what was fitted: definitions, settings, the data's content; the same fit is one version
    dataset: str  # the dataset version it was fitted on
    target: str | None = None
    definitions: list[dict]
    summary: dict  # outputs, validation references, leakage status, selection


class FeatureSetRecord(NewFeatureSet):
    id: int
    version: int
    created_by: str
    created_at_ms: int

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


class FeatureSetStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    def register(self, new: NewFeatureSet) -> tuple[FeatureSetRecord, bool]:
        """Record a fitted feature set, or return the existing one with the same fingerprint; (record, created)."""
        check_name(new.name, "feature set")
        fs = feature_sets
        with self._store.write() as tx:
            found = tx.conn.scalar(sa.select(fs.c.version).where(fs.c.name == new.name,
                                                                  fs.c.fingerprint == new.fingerprint))
            if found is not None:
                return self.get(f"{new.name}@{found}"), False
            dataset_id = version_id(tx.conn, new.dataset)
            version = (tx.conn.scalar(sa.select(sa.func.max(fs.c.version)).where(fs.c.name == new.name)) or 0) + 1
            tx.conn.execute(fs.insert().values(
                name=new.name, version=version, digest=new.digest, fingerprint=new.fingerprint, dataset_version_id=dataset_id, target=new.target,
                definitions=new.definitions, summary=new.summary, created_by=self._store.actor, created_at_ms=now_ms()))
            tx.audit.append("feature_set.fitted", "feature_set", f"{new.name}@{version}", digest=new.digest,
                            dataset=new.dataset, features=[d["name"] for d in new.definitions])
        return self.get(f"{new.name}@{version}"), True

    def get(self, ref: str) -> FeatureSetRecord:
        name, version = parse_ref(ref, "feature set")
        query = self._select().where(feature_sets.c.name == name)
        query = (query.where(feature_sets.c.version == version) if version
                 else query.order_by(feature_sets.c.version.desc()).limit(1))
        with self._store.read() as conn:
            row = conn.execute(query).one_or_none()
        if row is None:
            what = f"version {version} of feature set {name!r}" if version else f"feature set {name!r}"
            raise NotFound(f"no {what}: fit one with `steward features fit` (`steward features list` shows them)")
        return _record(row)

    def list(self, name: str | None = None) -> list[FeatureSetRecord]:
        """Every version of ``name`` (newest first), or every feature set's versions."""
        query = self._select().order_by(feature_sets.c.name, feature_sets.c.version.desc())
        if name:
            query = query.where(feature_sets.c.name == check_name(name, "feature set"))
        with self._store.read() as conn:
            return [_record(r) for r in conn.execute(query)]

    @staticmethod
    def _select() -> sa.Select:
        dv = dataset_versions
        return sa.select(feature_sets, (dv.c.name + "@" + sa.cast(dv.c.version, sa.String)).label("dataset")).join(
            dv, dv.c.id == feature_sets.c.dataset_version_id)


def _record(row: sa.Row) -> FeatureSetRecord:
    values = row._asdict()
    values.pop("dataset_version_id")
    return FeatureSetRecord(**values)
