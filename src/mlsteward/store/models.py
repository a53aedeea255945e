"""The model registry in the system of record: registered models, their versions, aliases and status.

A version is a trained run registered under a model's name. Its status is ``staging`` (new),
``production`` or ``archived``; aliases (``champion``, ``challenger``, any name) point at versions.
Every change of status or alias bumps the model's ``revision``: a change is written only if the
revision its caller decided on is still current, so of two concurrent promotions exactly one wins
and the other gets a ``Conflict``. Each change is audited and written to the change log in the same
transaction.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

import sqlalchemy as sa
from pydantic import BaseModel

from mlsteward.errors import Conflict, InvalidInput, NotFound
from mlsteward.store._sql import now_ms
from mlsteward.store.changelog import append_change
from mlsteward.store.schema import gate_results, model_aliases, model_versions, registered_models

if TYPE_CHECKING:
    from mlsteward.store.store import Store, WriteTx

Status = Literal["staging", "production", "archived", "retired"]
STATUSES: tuple[str, ...] = ("staging", "production", "archived")  # what a version may be moved to
RETIRED = "retired"  # set only by `retire`: read-only for good
_ALIAS = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,99}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}")


class NewModelVersion(BaseModel):
    name: str
    project: str
    run_id: str
    format: Literal["skops", "pickle"] = "skops"
    artifact_digest: str
    onnx_digest: str | None = None
    onnx_note: str | None = None
    input_schema: dict = {}
    output_schema: dict = {}
    lineage: dict = {}
    metrics: dict[str, float] = {}
    description: str = ""


class ModelVersion(NewModelVersion):
    version: int
    status: Status
    aliases: list[str] = []
    created_by: str
    created_at_ms: int
    status_changed_at_ms: int
    retrain_reason: str | None = None  # set when data it was trained on was erased

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def subject(self) -> str:
        """How sign-offs, waivers and gate results name this version."""
        return model_subject(self.name, self.version)


class RegisteredModel(BaseModel):
    name: str
    project: str
    revision: int
    latest_version: int
    production_version: int | None
    aliases: dict[str, int]
    created_by: str
    created_at_ms: int
    updated_at_ms: int


class Change(BaseModel):
    """What a status change means, for the change log: its kind, a sentence, the metric deltas."""

    kind: str
    summary: str
    details: dict = {}


class RecordedGate(BaseModel):
    """A gate decision to store with the change it allowed (or alone, when it refused)."""

    gate: str
    decision: str
    checks: list[dict]
    evidence: dict = {}


def _not_retired(version: ModelVersion) -> None:
    if version.status == RETIRED:
        raise Conflict(f"{version.ref} is retired: a retired version is read-only (its records and artifacts stay "
                       "for the audit); register a new version instead")


def insert_gate(tx: WriteTx, *, project: str, subject: str, gate: RecordedGate, actor: str) -> int:
    """Store a gate decision about ``subject`` (a model or prompt version) inside the caller's transaction."""
    result = tx.conn.execute(gate_results.insert().values(
        project=project, gate=gate.gate, subject=subject, decision=gate.decision, checks=gate.checks,
        evidence=gate.evidence, created_by=actor, created_at_ms=now_ms()))
    return int(result.inserted_primary_key[0])


def model_subject(name: str, version: int) -> str:
    return f"model:{name}@{version}"


def check_model_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidInput(f"model name {name!r} is not valid: use 1 to 200 letters, digits, '.', '-' or '_', "
                           "starting with a letter or digit")
    return name


def parse_model_ref(ref: str) -> tuple[str, str | None]:
    """``NAME``, ``NAME@3`` or ``NAME@champion`` -> (name, version or alias or None)."""
    name, _, which = ref.strip().partition("@")
    return check_model_name(name), (which or None)


MAX_VERSION = 2**31 - 1  # the largest version number every backend's INTEGER column holds


class ModelStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    # -- writing ---------------------------------------------------------------------------------
    def register(self, new: NewModelVersion) -> tuple[ModelVersion, bool]:
        """Version N+1 of ``new.name`` in status staging; the same run already registered under the
        name returns its version (``created`` False). Audited, and logged with the metric deltas
        against the production version."""
        check_model_name(new.name)
        actor = self._store.actor
        with self._store.write() as tx:
            c = model_versions.c
            existing = tx.conn.execute(sa.select(c.version).where(c.name == new.name, c.run_id == new.run_id)).scalar()
            if existing is not None:
                return self.get(new.name, str(existing), conn=tx.conn), False
            now = now_ms()
            model = tx.conn.execute(sa.select(registered_models).where(registered_models.c.name == new.name)).first()
            if model is None:
                tx.conn.execute(registered_models.insert().values(
                    name=new.name, project=new.project, revision=0, created_by=actor, created_at_ms=now,
                    updated_at_ms=now))
            elif model.project != new.project:
                raise Conflict(f"model {new.name!r} belongs to project {model.project!r}: choose another name")
            version = (tx.conn.execute(sa.select(sa.func.max(c.version)).where(c.name == new.name)).scalar() or 0) + 1
            tx.conn.execute(model_versions.insert().values(
                **new.model_dump(), version=version, status="staging", created_by=actor, created_at_ms=now,
                status_changed_at_ms=now))
            self._bump(tx, new.name, None)
            production = self._production(tx.conn, new.name)
            deltas = metric_deltas(production.metrics if production else {}, new.metrics)
            against = f" (against production {production.ref})" if production else ""
            append_change(tx, project=new.project, subject=model_subject(new.name, version), kind="registered",
                          summary=f"{new.name}@{version} registered from run {new.run_id[:8]}{against}",
                          details={"run": new.run_id, "metric_deltas": deltas,
                                   "against": production.ref if production else None}, actor=actor)
            tx.audit.append("model.registered", "model", f"{new.name}@{version}", run=new.run_id,
                            artifact=new.artifact_digest, format=new.format, onnx=new.onnx_digest)
            return self.get(new.name, str(version), conn=tx.conn), True

    def set_status(self, name: str, version: int, status: Status, *, expected_revision: int, change: Change,
                   gate: RecordedGate | None = None, move_champion: bool = True) -> ModelVersion:
        """Move ``name@version`` to ``status`` if the model is still at ``expected_revision``.

        Promoting to production archives the version that was in production and, with
        ``move_champion``, points the ``champion`` alias at the new one. The gate decision that
        allowed it is stored with it; the change log and the audit trail get one entry each.
        """
        if status not in STATUSES:
            raise InvalidInput(f"status {status!r} is not one of {', '.join(STATUSES)}")
        actor, now = self._store.actor, now_ms()
        with self._store.write() as tx:
            current = self.get(name, str(version), conn=tx.conn)
            _not_retired(current)
            self._bump(tx, name, expected_revision)
            c = model_versions.c
            archived = None
            if status == "production":
                previous = self._production(tx.conn, name)
                if previous is not None and previous.version != version:
                    tx.conn.execute(model_versions.update().where(c.name == name, c.version == previous.version)
                                    .values(status="archived", status_changed_at_ms=now))
                    archived = previous.ref
                if move_champion:
                    self._point_alias(tx, name, "champion", version)
            tx.conn.execute(model_versions.update().where(c.name == name, c.version == version)
                            .values(status=status, status_changed_at_ms=now))
            gate_id = self.record_gate(tx, current.project, current.subject, gate) if gate else None
            append_change(tx, project=current.project, subject=current.subject, kind=change.kind,
                          summary=change.summary,
                          details=change.details | {"from": current.status, "to": status, "archived": archived,
                                                    "gate_result": gate_id}, actor=actor)
            tx.audit.append(f"model.{change.kind}", "model", current.ref, status=status, previous=current.status,
                            archived=archived, gate_result=gate_id)
            return self.get(name, str(version), conn=tx.conn)

    def set_alias(self, name: str, alias: str, version: int) -> ModelVersion:
        """Point ``alias`` at ``name@version`` (moving it if it pointed elsewhere)."""
        if not _ALIAS.fullmatch(alias) or alias.isdigit():
            raise InvalidInput(f"alias {alias!r} is not valid: a name starting with a letter, then letters, digits, "
                               "'-' or '_' (e.g. champion, challenger)")
        with self._store.write() as tx:
            target = self.get(name, str(version), conn=tx.conn)
            _not_retired(target)
            self._bump(tx, name, None)
            self._point_alias(tx, name, alias, version)
            tx.audit.append("model.alias_set", "model", target.ref, alias=alias)
            return self.get(name, str(version), conn=tx.conn)

    def remove_alias(self, name: str, alias: str) -> None:
        with self._store.write() as tx:
            removed = tx.conn.execute(model_aliases.delete().where(
                model_aliases.c.name == name, model_aliases.c.alias == alias)).rowcount
            if not removed:
                raise NotFound(f"model {name!r} has no alias {alias!r}")
            self._bump(tx, name, None)
            tx.audit.append("model.alias_removed", "model", name, alias=alias)

    def retire(self, name: str, version: int, *, sunset: dict, endpoint_after: dict | None,
               endpoint_revision: int | None) -> tuple[ModelVersion, list[str]]:
        """Retire ``name@version`` in one transaction: clear it from its endpoint (``endpoint_after``), revoke the
        tokens scoped to it, drop its aliases, set it ``retired`` and write the sunset record to the change log.
        Returns the version and the revoked token ids."""
        from mlsteward.store.deployments import write_change
        from mlsteward.store.tokens import revoke_scoped

        actor, now = self._store.actor, now_ms()
        with self._store.write() as tx:
            current = self.get(name, str(version), conn=tx.conn)
            _not_retired(current)
            self._bump(tx, name, None)
            if endpoint_after is not None:
                write_change(tx, current.project, endpoint_after, action="retire", version=version,
                             expected_revision=endpoint_revision, reason=sunset["reason"], actor=actor,
                             summary=f"{current.ref} retired: taken off the endpoint")
            revoked = revoke_scoped(tx, current.ref, f"{current.ref} retired")
            tx.conn.execute(model_aliases.delete().where(model_aliases.c.name == name,
                                                         model_aliases.c.version == version))
            c = model_versions.c
            tx.conn.execute(model_versions.update().where(c.name == name, c.version == version)
                            .values(status=RETIRED, status_changed_at_ms=now))
            append_change(tx, project=current.project, subject=current.subject, kind="retired",
                          summary=f"{current.ref} retired: {sunset['reason']}",
                          details={**sunset, "from": current.status, "revoked_tokens": revoked}, actor=actor)
            tx.audit.append("model.retired", "model", current.ref, previous=current.status, reason=sunset["reason"],
                            archive=sunset.get("archive"), revoked_tokens=revoked)
            return self.get(name, str(version), conn=tx.conn), revoked

    def record_refusal(self, project: str, subject: str, gate: RecordedGate) -> int:
        """Store a gate decision that refused a change (the promotion history keeps refusals too)."""
        with self._store.write() as tx:
            gate_id = self.record_gate(tx, project, subject, gate)
            tx.audit.append("gate.refused", "model", subject.removeprefix("model:"), gate=gate.gate,
                            gate_result=gate_id, failing=[c["check"] for c in gate.checks if c.get("passed") is False])
            return gate_id

    def record_gate(self, tx: WriteTx, project: str, subject: str, gate: RecordedGate) -> int:
        return insert_gate(tx, project=project, subject=subject, gate=gate, actor=self._store.actor)

    def _bump(self, tx: WriteTx, name: str, expected_revision: int | None) -> None:
        rm = registered_models.c
        query = registered_models.update().where(rm.name == name)
        if expected_revision is not None:
            query = query.where(rm.revision == expected_revision)
        updated = tx.conn.execute(query.values(revision=rm.revision + 1, updated_at_ms=now_ms())).rowcount
        if updated:
            return
        row = tx.conn.execute(sa.select(registered_models).where(rm.name == name)).first()
        if row is None:
            raise NotFound(f"no registered model {name!r}: `steward models list` shows them")
        production = self._production(tx.conn, name)
        now = f"{production.ref} is in production" if production else "no version is in production"
        raise Conflict(f"model {name!r} changed while this change was being decided (revision {expected_revision} "
                       f"-> {row.revision}; {now}): run the command again to decide against the current state")

    def _point_alias(self, tx: WriteTx, name: str, alias: str, version: int) -> None:
        a = model_aliases.c
        tx.conn.execute(model_aliases.delete().where(a.name == name, a.alias == alias))
        tx.conn.execute(model_aliases.insert().values(name=name, alias=alias, version=version,
                                                      updated_by=self._store.actor, updated_at_ms=now_ms()))

    # -- reading ---------------------------------------------------------------------------------
    def get(self, name: str, which: str | None = None, *, conn: sa.Connection | None = None) -> ModelVersion:
        """A version by number or alias; the latest version when ``which`` is None."""
        check_model_name(name)
        if conn is None:
            with self._store.read() as own:
                return self.get(name, which, conn=own)
        c = model_versions.c
        if which is None:
            version = conn.execute(sa.select(sa.func.max(c.version)).where(c.name == name)).scalar()
        elif which.isdigit():
            version = int(which) if int(which) <= MAX_VERSION else None  # past any column's range: no such version
        else:
            version = conn.execute(sa.select(model_aliases.c.version).where(
                model_aliases.c.name == name, model_aliases.c.alias == which)).scalar()
            if version is None:
                known = conn.execute(sa.select(model_aliases.c.alias).where(model_aliases.c.name == name)).scalars()
                listed = ", ".join(sorted(known)) or "none"
                raise NotFound(f"model {name!r} has no version or alias {which!r} (aliases: {listed})")
        row = conn.execute(sa.select(model_versions).where(c.name == name, c.version == version)).first() \
            if version is not None else None
        if row is None:
            raise NotFound(f"no model version {name}@{which or 'latest'}: `steward models list` shows them")
        return self._versions(conn, [row])[0]

    def resolve(self, ref: str) -> ModelVersion:
        """``NAME``, ``NAME@VERSION`` or ``NAME@ALIAS``."""
        name, which = parse_model_ref(ref)
        return self.get(name, which)

    def versions(self, name: str | None = None, *, project: str | None = None,
                 status: str | None = None) -> list[ModelVersion]:
        """Versions, newest first within each model, filtered by model, project or status."""
        c = model_versions.c
        query = sa.select(model_versions).order_by(c.name, c.version.desc())
        if name:
            query = query.where(c.name == name)
        if project:
            query = query.where(c.project == project)
        if status:
            query = query.where(c.status == status)
        with self._store.read() as conn:
            return self._versions(conn, list(conn.execute(query)))

    def model(self, name: str) -> RegisteredModel:
        models = self.models(name=name)
        if not models:
            raise NotFound(f"no registered model {name!r}: `steward models list` shows them")
        return models[0]

    def models(self, *, project: str | None = None, name: str | None = None) -> list[RegisteredModel]:
        rm, c = registered_models.c, model_versions.c
        latest = sa.select(sa.func.max(c.version)).where(c.name == rm.name).scalar_subquery()
        production = sa.select(sa.func.max(c.version)).where(c.name == rm.name, c.status == "production") \
            .scalar_subquery()
        query = sa.select(registered_models, latest.label("latest_version"),
                          production.label("production_version")).order_by(rm.name)
        if project:
            query = query.where(rm.project == project)
        if name:
            query = query.where(rm.name == name)
        with self._store.read() as conn:
            rows = list(conn.execute(query))
            aliases = self._aliases(conn, [r.name for r in rows])
        return [RegisteredModel(**r._asdict(), aliases={alias: v for (n, alias), v in aliases.items() if n == r.name})
                for r in rows]

    def gate_history(self, subject: str) -> list[dict]:
        """The gate decisions recorded for a subject, newest first."""
        g = gate_results.c
        with self._store.read() as conn:
            rows = conn.execute(sa.select(gate_results).where(g.subject == subject).order_by(g.id.desc()))
            return [r._asdict() for r in rows]

    def _production(self, conn: sa.Connection, name: str) -> ModelVersion | None:
        c = model_versions.c
        row = conn.execute(sa.select(model_versions).where(c.name == name, c.status == "production")).first()
        return self._versions(conn, [row])[0] if row is not None else None

    @staticmethod
    def _aliases(conn: sa.Connection, names: list[str]) -> dict[tuple[str, str], int]:
        if not names:
            return {}
        a = model_aliases.c
        rows = conn.execute(sa.select(a.name, a.alias, a.version).where(a.name.in_(names)).order_by(a.alias))
        return {(r.name, r.alias): r.version for r in rows}

    def _versions(self, conn: sa.Connection, rows: list) -> list[ModelVersion]:
        aliases = self._aliases(conn, sorted({r.name for r in rows}))
        out = []
        for row in rows:
            values = row._asdict()
            values.pop("id")
            values["aliases"] = [alias for (n, alias), v in aliases.items() if n == row.name and v == row.version]
            out.append(ModelVersion(**values))
        return out


def metric_deltas(before: dict[str, float], after: dict[str, float]) -> dict[str, dict[str, float | None]]:
    """Per metric in ``after``: the value before, after, and the change (None where there was none before)."""
    out: dict[str, dict[str, float | None]] = {}
    for key, value in sorted(after.items()):
        old = before.get(key)
        out[key] = {"before": old, "after": value, "delta": None if old is None else value - old}
    return out


__all__ = ["STATUSES", "Change", "ModelStore", "ModelVersion", "NewModelVersion", "RecordedGate", "RegisteredModel",
           "check_model_name", "insert_gate", "metric_deltas", "model_subject", "parse_model_ref"]
