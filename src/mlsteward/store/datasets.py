"""Dataset versions in the system of record: register (deduplicated by content), read, lineage,
the datasets runs used, and the cache of file hashes for folder datasets."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

import sqlalchemy as sa
from pydantic import BaseModel

from mlsteward.errors import InvalidInput, NotFound
from mlsteward.store._sql import now_ms, upsert
from mlsteward.store.schema import dataset_parents, dataset_versions, file_hashes, model_versions, run_datasets, runs

if TYPE_CHECKING:
    from mlsteward.store.store import Store

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}$")
_BY_NAME_DIGEST = sa.select(dataset_versions).where(dataset_versions.c.name == sa.bindparam("name"),
                                                     dataset_versions.c.digest == sa.bindparam("digest"))
_LAST_VERSION = sa.select(sa.func.max(dataset_versions.c.version)).where(
    dataset_versions.c.name == sa.bindparam("name"))


class NewDatasetVersion(BaseModel):
    """What ingestion computed about a version; the store adds its number and who made it."""

    name: str
    kind: Literal["table", "folder"]
    digest: str
    format: str
    rows: int
    columns: int
    column_types: list[dict]
    size_bytes: int
    source: str = ""
    owner: str = ""
    description: str = ""
    transformation: str = ""
    parents: list[str] = []


class DatasetVersion(NewDatasetVersion):
    id: int
    version: int
    created_by: str
    created_at_ms: int
    removed_kind: Literal["expired", "erased"] | None = None  # its snapshot is deleted; the record stays
    removed_reason: str | None = None
    removed_at_ms: int | None = None

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


class LineageEdge(BaseModel):
    parent: str
    child: str
    transformation: str


class DatasetLineage(BaseModel):
    dataset: str
    ancestors: list[LineageEdge]
    descendants: list[LineageEdge]
    runs: list[dict]


def check_name(name: str, what: str = "dataset") -> str:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise InvalidInput(f"{what} name {name!r} is not allowed: use letters, digits, '_', '-' and '.', "
                           "starting with a letter or digit (at most 200 characters)")
    return name


def parse_ref(ref: str, what: str = "dataset") -> tuple[str, int | None]:
    """``name``, ``name@latest`` or ``name@3`` → (name, version or None for the latest)."""
    name, _, version = ref.partition("@")
    check_name(name, what)
    if version in ("", "latest"):
        return name, None
    if not version.isdigit() or int(version) < 1:
        raise InvalidInput(f"bad {what} reference {ref!r}: write NAME, NAME@latest or NAME@VERSION "
                           "with a version number such as churn@3")
    return name, int(version)


def version_id(conn: sa.Connection, ref: str) -> int:
    """The row id of a dataset version reference (NAME, NAME@latest, NAME@3)."""
    name, version = parse_ref(ref)
    dv = dataset_versions
    query = sa.select(dv.c.id).where(dv.c.name == name)
    query = query.where(dv.c.version == version) if version else query.order_by(dv.c.version.desc()).limit(1)
    found = conn.scalar(query)
    if found is None:
        what = f"version {version} of dataset {name!r}" if version else f"dataset {name!r}"
        raise NotFound(f"no {what}: `steward data list` shows the datasets and their versions")
    return found


class DatasetStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    def register(self, new: NewDatasetVersion, *, run_id: str | None = None,
                 role: str = "input") -> tuple[DatasetVersion, bool]:
        """Record a version, or return the existing one with the same content; (version, created)."""
        check_name(new.name)
        with self._store.write() as tx:
            conn = tx.conn
            row = conn.execute(_BY_NAME_DIGEST, {"name": new.name, "digest": new.digest}).one_or_none()
            if row is not None and row.removed_kind is not None:
                raise InvalidInput(f"{new.name}@{row.version} had this content and was {row.removed_kind} "
                                   f"({row.removed_reason}): it may not be registered again")
            created = row is None
            if created:
                parent_ids = [version_id(conn, ref) for ref in new.parents]
                version = (conn.scalar(_LAST_VERSION, {"name": new.name}) or 0) + 1
                dataset_id = conn.execute(dataset_versions.insert().values(
                    **new.model_dump(exclude={"parents"}), version=version, created_by=self._store.actor, created_at_ms=now_ms())
                ).inserted_primary_key[0]
                if parent_ids:
                    conn.execute(dataset_parents.insert(),
                                 [{"child_id": dataset_id, "parent_id": p} for p in dict.fromkeys(parent_ids)])
                tx.audit.append("dataset.registered", "dataset", f"{new.name}@{version}", digest=new.digest,
                                rows=new.rows, parents=list(new.parents))
            else:
                dataset_id, version = row.id, row.version
            if run_id:
                self._link(tx, run_id, dataset_id, f"{new.name}@{version}", role)
        return self.get(f"{new.name}@{version}"), created

    def remove(self, reasons: dict[str, str], kind: Literal["expired", "erased"], *,
               retrain: dict[str, str] | None = None, audit: dict | None = None) -> list[DatasetVersion]:
        """Mark the versions ``reasons`` names as removed (their snapshots are then deleted by the caller) and the
        model versions ``retrain`` names (NAME@VERSION -> why) as needing retraining, in one transaction."""
        now = now_ms()
        with self._store.write() as tx:
            for ref, reason in reasons.items():
                tx.conn.execute(dataset_versions.update().where(dataset_versions.c.id == version_id(tx.conn, ref))
                                .values(removed_kind=kind, removed_reason=reason, removed_at_ms=now))
                tx.audit.append(f"dataset.{kind}", "dataset", ref, reason=reason, **(audit or {}))
            for ref, reason in (retrain or {}).items():
                name, _, number = ref.partition("@")
                mv = model_versions.c
                tx.conn.execute(model_versions.update().where(mv.name == name, mv.version == int(number))
                                .values(retrain_reason=reason))
                tx.audit.append("model.needs_retraining", "model", ref, reason=reason)
        return [self.get(ref) for ref in reasons]

    def link_run(self, run_id: str, ref: str, role: str = "input") -> DatasetVersion:
        """Record that a run used a dataset version (in the given role)."""
        with self._store.write() as tx:
            dataset_id = version_id(tx.conn, ref)
            version = self._load(tx.conn, dataset_id)
            self._link(tx, run_id, dataset_id, version.ref, role)
        return version

    def get(self, ref: str) -> DatasetVersion:
        with self._store.read() as conn:
            return self._load(conn, version_id(conn, ref))

    def list(self, name: str | None = None) -> list[DatasetVersion]:
        """Every version of ``name`` (newest first), or the latest version of every dataset."""
        dv = dataset_versions
        with self._store.read() as conn:
            if name:
                ids = conn.scalars(sa.select(dv.c.id).where(dv.c.name == check_name(name))
                                   .order_by(dv.c.version.desc())).all()
            else:
                latest = sa.select(dv.c.name, sa.func.max(dv.c.version).label("v")).group_by(dv.c.name).subquery()
                ids = conn.scalars(sa.select(dv.c.id).join(latest, (dv.c.name == latest.c.name)
                                                           & (dv.c.version == latest.c.v)).order_by(dv.c.name)).all()
            return [self._load(conn, i) for i in ids]

    def lineage(self, ref: str) -> DatasetLineage:
        """Every ancestor and descendant of a version with the transformation on each edge, and the
        runs that used it."""
        with self._store.read() as conn:
            start = version_id(conn, ref)
            ancestors = self._walk(conn, start, up=True)
            descendants = self._walk(conn, start, up=False)
            used = conn.execute(sa.select(run_datasets.c.run_id, run_datasets.c.role, runs.c.name, runs.c.experiment)
                                .join(runs, runs.c.id == run_datasets.c.run_id)
                                .where(run_datasets.c.dataset_version_id == start)
                                .order_by(runs.c.start_time_ms)).all()
            return DatasetLineage(dataset=self._load(conn, start).ref, ancestors=ancestors, descendants=descendants,
                                  runs=[{"run_id": r.run_id, "role": r.role, "name": r.name,
                                         "experiment": r.experiment} for r in used])

    def runs_of(self, run_id: str) -> list[tuple[str, str]]:
        """(dataset ref, role) for each dataset version the run used."""
        with self._store.read() as conn:
            rows = conn.execute(sa.select(dataset_versions.c.name, dataset_versions.c.version, run_datasets.c.role)
                                .join(run_datasets, run_datasets.c.dataset_version_id == dataset_versions.c.id)
                                .where(run_datasets.c.run_id == run_id).order_by(dataset_versions.c.name)).all()
        return [(f"{r.name}@{r.version}", r.role) for r in rows]

    # -- the file-hash cache of folder datasets ------------------------------------------------
    def cached_digests(self, paths: list[str]) -> dict[str, tuple[int, int, str]]:
        """path → (size, mtime_ns, digest) for the paths hashed before."""
        found: dict[str, tuple[int, int, str]] = {}
        with self._store.read() as conn:
            for start in range(0, len(paths), 500):
                chunk = paths[start:start + 500]
                for r in conn.execute(sa.select(file_hashes).where(file_hashes.c.path.in_(chunk))):
                    found[r.path] = (r.size, r.mtime_ns, r.digest)
        return found

    def remember_digests(self, rows: list[dict]) -> None:
        """Cache {path, size, mtime_ns, digest} rows (a cache: not audited)."""
        if not rows:
            return
        with self._store.engine.begin() as conn:
            for start in range(0, len(rows), 5000):
                upsert(conn, file_hashes, rows[start:start + 5000], ("path",), ("size", "mtime_ns", "digest"))

    # -- helpers -------------------------------------------------------------------------------
    @staticmethod
    def _link(tx, run_id: str, dataset_id: int, ref: str, role: str) -> None:  # noqa: ANN001 - WriteTx
        if tx.conn.scalar(sa.select(runs.c.id).where(runs.c.id == run_id)) is None:
            raise NotFound(f"run {run_id} does not exist")
        upsert(tx.conn, run_datasets, [{"run_id": run_id, "dataset_version_id": dataset_id, "role": role}],
               ("run_id", "dataset_version_id"), ("role",))
        tx.audit.append("run.dataset_used", "run", run_id, dataset=ref, role=role)

    @staticmethod
    def _load(conn: sa.Connection, dataset_id: int) -> DatasetVersion:
        row = conn.execute(sa.select(dataset_versions).where(dataset_versions.c.id == dataset_id)).one()
        parent = dataset_versions.alias("parent")
        parents = conn.execute(sa.select(parent.c.name, parent.c.version)
                               .join(dataset_parents, dataset_parents.c.parent_id == parent.c.id)
                               .where(dataset_parents.c.child_id == dataset_id)
                               .order_by(parent.c.name, parent.c.version)).all()
        return DatasetVersion(**row._asdict(), parents=[f"{p.name}@{p.version}" for p in parents])

    @staticmethod
    def _walk(conn: sa.Connection, start: int, *, up: bool) -> list[LineageEdge]:
        dv, link = dataset_versions, dataset_parents
        near, far = (link.c.child_id, link.c.parent_id) if up else (link.c.parent_id, link.c.child_id)
        pairs, seen, frontier = [], {start}, [start]
        while frontier:
            rows = conn.execute(sa.select(near, far).where(near.in_(frontier))).all()
            frontier = [b for _, b in rows if b not in seen]
            seen.update(frontier)
            pairs += [(b, a) if up else (a, b) for a, b in rows]  # (parent id, child id)
        info = {r.id: (f"{r.name}@{r.version}", r.transformation) for r in conn.execute(
            sa.select(dv.c.id, dv.c.name, dv.c.version, dv.c.transformation).where(dv.c.id.in_(seen)))}
        return [LineageEdge(parent=info[p][0], child=info[c][0], transformation=info[c][1]) for p, c in pairs]
