"""Governance records in the system of record: charter versions, risk owners' actions, the decision log,
and the change log (written by Steward itself, see ``changelog.append_change``). Every write is audited."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

import sqlalchemy as sa
from pydantic import BaseModel

from mlsteward.errors import InvalidInput, NotFound
from mlsteward.store._sql import now_ms
from mlsteward.store.schema import change_log, charter_versions, decisions, risk_actions
from mlsteward.store.schema_reviews import reviews

if TYPE_CHECKING:
    from mlsteward.store.store import Store, WriteTx


class CharterVersion(BaseModel):
    project: str
    version: int
    digest: str  # sha256 of the charter's canonical JSON
    charter: dict
    created_by: str
    created_at_ms: int


class RiskActionRecord(BaseModel):
    id: int
    project: str
    risk_id: str
    action: str
    person: str
    role: str
    created_at_ms: int


class DecisionRecord(BaseModel):
    id: int
    project: str
    title: str
    decision: str
    rationale: str
    alternatives: str
    subject: str | None
    decided_by: str
    created_at_ms: int


class ReviewRecord(BaseModel):
    id: int
    project: str
    review: str
    completed_by: str
    roles: list[str]
    note: str
    evidence: list[dict]  # per covered deliverable: key, status, evidence refs and digests
    completed_at_ms: int


class ChangeLogEntry(BaseModel):
    id: int
    project: str
    subject: str
    kind: str
    summary: str
    details: dict
    created_by: str
    created_at_ms: int


def charter_digest(charter: dict) -> str:
    """sha256 of the charter's canonical JSON (sorted keys, no spaces): equal charters, equal digests."""
    text = json.dumps(charter, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def record_charter_version(tx: WriteTx, project: str, charter: dict, actor: str, *,
                           audit: bool = True) -> tuple[int, bool]:
    """Inside ``tx``: a new charter version when its digest differs from the latest; (version, created).

    ``audit=False`` when the caller's own event in ``tx`` records the change (``project.registered``,
    ``project.charter_updated``)."""
    cv = charter_versions
    digest = charter_digest(charter)
    latest = tx.conn.execute(sa.select(cv.c.version, cv.c.digest).where(cv.c.project == project)
                             .order_by(cv.c.version.desc()).limit(1)).one_or_none()
    if latest is not None and latest.digest == digest:
        return latest.version, False
    version = 1 if latest is None else latest.version + 1
    tx.conn.execute(cv.insert().values(project=project, version=version, digest=digest, charter=charter,
                                       created_by=actor, created_at_ms=now_ms()))
    if audit:
        tx.audit.append("charter.versioned", "charter", f"{project}@{version}", project=project, version=version,
                        digest=digest)
    return version, True


def _text(name: str, value: str | None, limit: int | None = None) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"the {name} must not be empty")
    if limit and len(value) > limit:
        raise InvalidInput(f"the {name} is {len(value)} characters long: keep it to {limit} at most")
    return value


class GovernanceStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    # charter versions
    def record_charter(self, project: str, charter: dict) -> tuple[int, bool]:
        """Record the charter as a new version if it changed since the latest; (version, created)."""
        with self._store.write() as tx:
            return record_charter_version(tx, project, charter, self._store.actor)

    def list_charters(self, project: str) -> list[CharterVersion]:
        """Every charter version of ``project``, oldest first."""
        query = sa.select(charter_versions).where(charter_versions.c.project == project).order_by(
            charter_versions.c.version)
        with self._store.read() as conn:
            return [CharterVersion.model_validate(r._asdict()) for r in conn.execute(query)]

    def get_charter(self, project: str, version: int | None = None) -> CharterVersion:
        """Charter version ``version`` of ``project`` (default: the latest)."""
        cv = charter_versions
        query = sa.select(cv).where(cv.c.project == project)
        query = query.where(cv.c.version == version) if version else query.order_by(cv.c.version.desc()).limit(1)
        with self._store.read() as conn:
            row = conn.execute(query).one_or_none()
        if row is None:
            what = f"version {version} of the charter" if version else "charter version"
            raise NotFound(f"no {what} of project {project!r}: `steward charter history` lists them "
                           "(`steward status` records the charter from steward.yaml)")
        return CharterVersion.model_validate(row._asdict())

    # risk owners' actions
    def record_risk_action(self, project: str, risk_id: str, action: str, role: str) -> RiskActionRecord:
        """What the acting person, in the risk's owner ``role``, did about risk ``risk_id``."""
        values = {"project": project, "risk_id": _text("risk id", risk_id, 40), "action": _text("action", action),
                  "person": self._store.actor, "role": _text("role", role, 100), "created_at_ms": now_ms()}
        with self._store.write() as tx:
            values["id"] = int(tx.conn.execute(risk_actions.insert().values(**values)).inserted_primary_key[0])
            tx.audit.append("risk.action_recorded", "risk", f"{project}:{values['risk_id']}", id=values["id"],
                            role=values["role"], text=values["action"])
        return RiskActionRecord(**values)

    def list_risk_actions(self, project: str, risk_id: str | None = None) -> list[RiskActionRecord]:
        """Owner actions of ``project`` (of one risk if given), newest first."""
        query = sa.select(risk_actions).where(risk_actions.c.project == project).order_by(
            risk_actions.c.created_at_ms.desc(), risk_actions.c.id.desc())
        if risk_id:
            query = query.where(risk_actions.c.risk_id == risk_id)
        with self._store.read() as conn:
            return [RiskActionRecord.model_validate(r._asdict()) for r in conn.execute(query)]

    # the governance calendar
    def record_review(self, project: str, review: str, *, roles: list[str], note: str,
                      evidence: list[dict]) -> ReviewRecord:
        """The acting person completed ``review``, having looked at ``evidence``."""
        values = {"project": project, "review": _text("review", review, 100), "completed_by": self._store.actor,
                  "roles": roles, "note": (note or "").strip(), "evidence": evidence, "completed_at_ms": now_ms()}
        with self._store.write() as tx:
            values["id"] = int(tx.conn.execute(reviews.insert().values(**values)).inserted_primary_key[0])
            tx.audit.append("review.completed", "review", f"{project}:{values['review']}", id=values["id"],
                            roles=roles, deliverables=[e.get("key") for e in evidence])
        return ReviewRecord(**values)

    def list_reviews(self, project: str, review: str | None = None) -> list[ReviewRecord]:
        """Completed reviews of ``project`` (of one review if given), newest first."""
        query = sa.select(reviews).where(reviews.c.project == project).order_by(
            reviews.c.completed_at_ms.desc(), reviews.c.id.desc())
        if review:
            query = query.where(reviews.c.review == review)
        with self._store.read() as conn:
            return [ReviewRecord.model_validate(r._asdict()) for r in conn.execute(query)]

    # the decision log
    def record_decision(self, project: str, *, title: str, decision: str, rationale: str, alternatives: str = "",
                        subject: str | None = None) -> DecisionRecord:
        """A decision taken by the acting person: what, why, and what else was considered."""
        values = {"project": project, "title": _text("title", title, 300), "decision": _text("decision", decision),
                  "rationale": _text("rationale", rationale), "alternatives": (alternatives or "").strip(),
                  "subject": _text("subject", subject, 300) if subject is not None else None,
                  "decided_by": self._store.actor, "created_at_ms": now_ms()}
        with self._store.write() as tx:
            values["id"] = int(tx.conn.execute(decisions.insert().values(**values)).inserted_primary_key[0])
            tx.audit.append("decision.recorded", "decision", str(values["id"]), project=project,
                            title=values["title"], subject=values["subject"])
        return DecisionRecord(**values)

    def list_decisions(self, project: str, subject: str | None = None) -> list[DecisionRecord]:
        """Decisions of ``project`` (about one subject if given), newest first."""
        query = sa.select(decisions).where(decisions.c.project == project).order_by(
            decisions.c.created_at_ms.desc(), decisions.c.id.desc())
        if subject:
            query = query.where(decisions.c.subject == subject)
        with self._store.read() as conn:
            return [DecisionRecord.model_validate(r._asdict()) for r in conn.execute(query)]

    # the change log
    def list_changes(self, project: str | None = None, *, subject: str | None = None, kind: str | None = None,
                     limit: int | None = None) -> list[ChangeLogEntry]:
        """Change-log entries, newest first, filtered by project, subject and kind when given."""
        query = sa.select(change_log).order_by(change_log.c.created_at_ms.desc(), change_log.c.id.desc())
        for column, value in ((change_log.c.project, project), (change_log.c.subject, subject),
                              (change_log.c.kind, kind)):
            if value:
                query = query.where(column == value)
        if limit:
            query = query.limit(limit)
        with self._store.read() as conn:
            return [ChangeLogEntry.model_validate(r._asdict()) for r in conn.execute(query)]


__all__ = ["ChangeLogEntry", "CharterVersion", "DecisionRecord", "GovernanceStore", "ReviewRecord", "RiskActionRecord",
           "charter_digest", "record_charter_version"]
