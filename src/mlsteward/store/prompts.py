"""The prompt registry in the system of record: versions, aliases and rollback.

A version's template, variables, parameters and description never change; registering the same content under
the same name returns the existing version. An alias (``production``, ``staging``…) points at one version;
every move is kept (and written to the change log), and a rollback returns the alias to the version its last move came from. Each write is
one audited transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from pydantic import BaseModel

from mlsteward.errors import Conflict, InvalidInput, NotFound
from mlsteward.store._sql import now_ms
from mlsteward.store.changelog import append_change
from mlsteward.store.models import RecordedGate, insert_gate
from mlsteward.store.schema_prompts import prompt_alias_changes, prompt_aliases, prompt_versions, prompts

if TYPE_CHECKING:
    from mlsteward.store.store import Store

NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,199}")
ALIAS = re.compile(r"[a-z][a-z0-9_-]{0,99}")


class PromptVersion(BaseModel):
    name: str
    version: int
    template: str
    variables: list[str]
    params: dict[str, Any]
    description: str
    digest: str
    created_by: str
    created_at_ms: int
    aliases: list[str] = []

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


class AliasChange(BaseModel):
    name: str
    alias: str
    from_version: int | None
    to_version: int
    kind: str  # set, rollback
    reason: str
    changed_by: str
    changed_at_ms: int


class PromptSummary(BaseModel):
    name: str
    project: str
    versions: int
    latest: int
    aliases: dict[str, int]


def prompt_subject(ref: str) -> str:
    """The subject of a prompt version's gate decisions, beside ``model:NAME@V``."""
    return f"prompt:{ref}"


def content_digest(template: str, params: dict[str, Any], description: str) -> str:
    """The address of a version's content: the same content is the same version."""
    canonical = json.dumps({"template": template, "params": params, "description": description}, sort_keys=True)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


class PromptStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    def register(self, *, project: str, name: str, template: str, variables: list[str], params: dict[str, Any],
                 description: str) -> tuple[PromptVersion, bool]:
        """Record a new version (or return the one with this content); True when it is new."""
        if not NAME.fullmatch(name):
            raise InvalidInput(f"{name!r} is not a prompt name: lower-case letters, digits, '-', '_' or '.'")
        digest = content_digest(template, params, description)
        actor, now = self._store.actor, now_ms()
        with self._store.write() as tx:
            owner = tx.conn.scalar(sa.select(prompts.c.project).where(prompts.c.name == name))
            if owner is not None and owner != project:
                raise Conflict(f"prompt {name!r} belongs to project {owner!r}: choose another name")
            same = tx.conn.scalar(sa.select(prompt_versions.c.version).where(
                prompt_versions.c.name == name, prompt_versions.c.digest == digest))
            if same is not None:
                return self.get(f"{name}@{same}", conn=tx.conn), False
            if owner is None:
                tx.conn.execute(prompts.insert().values(name=name, project=project, created_by=actor, created_at_ms=now))
            version = (tx.conn.scalar(sa.select(sa.func.max(prompt_versions.c.version))
                                      .where(prompt_versions.c.name == name)) or 0) + 1
            tx.conn.execute(prompt_versions.insert().values(
                name=name, version=version, template=template, variables=variables, params=params,
                description=description, digest=digest, created_by=actor, created_at_ms=now))
            tx.audit.append("prompt.registered", "prompt", f"{name}@{version}", project=project, digest=digest)
            return self.get(f"{name}@{version}", conn=tx.conn), True

    def get(self, ref: str, *, conn: sa.Connection | None = None) -> PromptVersion:
        """``NAME`` (the latest version), ``NAME@VERSION`` or ``NAME@ALIAS``."""
        if conn is None:
            with self._store.read() as opened:
                return self.get(ref, conn=opened)
        name, _, which = ref.partition("@")
        version = self._version_of(conn, name, which)
        row = conn.execute(sa.select(prompt_versions).where(prompt_versions.c.name == name,
                                                            prompt_versions.c.version == version)).first()
        if row is None:
            raise NotFound(f"prompt {name} has no version {version}: `steward llm prompts show {name}` lists them")
        aliases = conn.scalars(sa.select(prompt_aliases.c.alias).where(
            prompt_aliases.c.name == name, prompt_aliases.c.version == version).order_by(prompt_aliases.c.alias)).all()
        return PromptVersion(**row._asdict(), aliases=list(aliases))

    def versions(self, name: str) -> list[PromptVersion]:
        """Every version of a prompt, newest first."""
        with self._store.read() as conn:
            numbers = conn.scalars(sa.select(prompt_versions.c.version).where(prompt_versions.c.name == name)
                                   .order_by(prompt_versions.c.version.desc())).all()
            if not numbers:
                raise NotFound(f"no prompt {name!r}: `steward llm prompts list` shows the registered ones")
            return [self.get(f"{name}@{v}", conn=conn) for v in numbers]

    def list(self, project: str | None = None) -> list[PromptSummary]:
        p, v, a = prompts.c, prompt_versions.c, prompt_aliases.c
        query = (sa.select(p.name, p.project, sa.func.count(v.version).label("versions"),
                           sa.func.max(v.version).label("latest"))
                 .join(prompt_versions, v.name == p.name).group_by(p.name, p.project).order_by(p.name))
        if project:
            query = query.where(p.project == project)
        with self._store.read() as conn:
            rows = conn.execute(query).all()
            aliases = conn.execute(sa.select(a.name, a.alias, a.version)).all()
        return [PromptSummary(name=r.name, project=r.project, versions=r.versions, latest=r.latest,
                              aliases={alias: version for name, alias, version in aliases if name == r.name})
                for r in rows]

    def set_alias(self, ref: str, alias: str, reason: str, gate: RecordedGate | None = None) -> AliasChange:
        """Point ``alias`` at the version ``ref`` names; ``gate`` (the promotion checklist that allowed it) is
        stored in the same transaction."""
        if not ALIAS.fullmatch(alias) or alias == "latest":
            raise InvalidInput(f"{alias!r} is not an alias: a lower-case word such as production or staging "
                               "(not 'latest', which always means the newest version)")
        if not reason.strip():
            raise InvalidInput("say why the alias moves (--reason): the change log keeps it")
        with self._store.write() as tx:
            target = self.get(ref, conn=tx.conn)
            change = self._move(tx, target.name, alias, target.version, "set", reason)
            if gate is not None:
                project = tx.conn.scalar(sa.select(prompts.c.project).where(prompts.c.name == target.name))
                insert_gate(tx, project=project, subject=prompt_subject(target.ref), gate=gate,
                            actor=self._store.actor)
            return change

    def record_refusal(self, ref: str, gate: RecordedGate) -> int:
        """Store a promotion checklist that refused to move an alias to ``ref`` (audited)."""
        with self._store.write() as tx:
            target = self.get(ref, conn=tx.conn)
            project = tx.conn.scalar(sa.select(prompts.c.project).where(prompts.c.name == target.name))
            gate_id = insert_gate(tx, project=project, subject=prompt_subject(target.ref), gate=gate,
                                  actor=self._store.actor)
            tx.audit.append("gate.refused", "prompt", target.ref, gate=gate.gate, gate_result=gate_id,
                            failing=[c["check"] for c in gate.checks if not c.get("passed")])
            return gate_id

    def rollback(self, name: str, alias: str, reason: str) -> AliasChange:
        """Return ``alias`` to the version it pointed at before its last move."""
        if not reason.strip():
            raise InvalidInput("say why you roll back (--reason): the change log keeps it")
        c = prompt_alias_changes.c
        with self._store.write() as tx:
            last = tx.conn.execute(sa.select(prompt_alias_changes).where(c.name == name, c.alias == alias)
                                   .order_by(c.id.desc()).limit(1)).first()
            if last is None:
                raise NotFound(f"prompt {name} has no alias {alias!r} to roll back")
            if last.from_version is None:
                raise Conflict(f"{name}@{alias} has pointed only at version {last.to_version}: there is nothing to "
                               "roll back to (set the alias to a version instead)")
            return self._move(tx, name, alias, last.from_version, "rollback", reason)

    def alias_history(self, name: str) -> list[AliasChange]:
        """Every alias move of a prompt, newest first."""
        c = prompt_alias_changes.c
        with self._store.read() as conn:
            rows = conn.execute(sa.select(prompt_alias_changes).where(c.name == name).order_by(c.id.desc())).all()
        return [AliasChange(**{k: v for k, v in r._asdict().items() if k != "id"}) for r in rows]

    def _move(self, tx: Any, name: str, alias: str, version: int, kind: str, reason: str) -> AliasChange:
        a = prompt_aliases.c
        current = tx.conn.scalar(sa.select(a.version).where(a.name == name, a.alias == alias))
        if current == version:
            raise Conflict(f"{name}@{alias} already points at version {version}")
        actor, now = self._store.actor, now_ms()
        values = {"version": version, "updated_by": actor, "updated_at_ms": now}
        if current is None:
            tx.conn.execute(prompt_aliases.insert().values(name=name, alias=alias, **values))
        else:
            tx.conn.execute(prompt_aliases.update().where(a.name == name, a.alias == alias).values(**values))
        change = AliasChange(name=name, alias=alias, from_version=current, to_version=version, kind=kind,
                             reason=reason, changed_by=actor, changed_at_ms=now)
        tx.conn.execute(prompt_alias_changes.insert().values(**change.model_dump()))
        tx.audit.append(f"prompt.alias_{kind}", "prompt", f"{name}@{alias}", from_version=current, to_version=version,
                        reason=reason)
        project = tx.conn.scalar(sa.select(prompts.c.project).where(prompts.c.name == name))
        moved = f"from version {current} " if current is not None else ""
        append_change(tx, project=project, subject=f"prompt {name}", kind="prompt_rolled_back" if kind == "rollback"
                      else "prompt_alias_set", summary=f"{name}@{alias} moved {moved}to version {version}: {reason}",
                      details=change.model_dump(), actor=actor)
        return change

    @staticmethod
    def _version_of(conn: sa.Connection, name: str, which: str) -> int:
        if which.isdigit():
            return int(which)
        if which in ("", "latest"):
            latest = conn.scalar(sa.select(sa.func.max(prompt_versions.c.version)).where(prompt_versions.c.name == name))
            if latest is None:
                raise NotFound(f"no prompt {name!r}: `steward llm prompts list` shows the registered ones")
            return latest
        version = conn.scalar(sa.select(prompt_aliases.c.version).where(prompt_aliases.c.name == name,
                                                                         prompt_aliases.c.alias == which))
        if version is None:
            raise NotFound(f"prompt {name} has no alias {which!r}: `steward llm prompts show {name}` lists its aliases")
        return version


__all__ = ["AliasChange", "PromptStore", "PromptSummary", "PromptVersion", "content_digest", "prompt_subject"]
