"""Governance records of a project: its risk register, risk owners' actions, decisions, charter history.

Each call registers the project from ``steward.yaml`` first (as every stage does), so the charter in
force is recorded as a charter version before anything is read or written against it.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from mlsteward.errors import InvalidInput, NotPermitted
from mlsteward.governance import OwnerAction, RiskRegister, RiskStatus, assess_risks, changed_keys, listed_on
from mlsteward.spec import Spec
from mlsteward.spec_governance import Risk
from mlsteward.store import Store
from mlsteward.store.governance import ChangeLogEntry, CharterVersion, DecisionRecord, RiskActionRecord
from mlsteward.workspace import Workspace


class RiskActionOutcome(BaseModel):
    action: RiskActionRecord
    risk: RiskStatus  # the risk's status once the action is recorded


class CharterChange(BaseModel):
    """One charter version in the history, with the top-level keys that changed from the one before."""

    version: int
    digest: str
    created_by: str
    created_at_ms: int
    changed: list[str]


def _register(workspace: Workspace, spec: Spec) -> None:
    workspace.store.projects.register(spec.project, spec.charter.model_dump(mode="json"))


def find_risk(spec: Spec, risk_id: str) -> Risk:
    """The charter's risk ``risk_id``; an error listing the known ids when there is none."""
    for risk in spec.charter.risks:
        if risk.id == risk_id:
            return risk
    known = ", ".join(r.id for r in spec.charter.risks)
    raise InvalidInput(f"no risk {risk_id!r} in the charter of {spec.project}: "
                       + (f"known risks are {known}" if known else "the charter lists no risks yet; add them under "
                          "`charter.risks` in steward.yaml"))


def check_owner(spec: Spec, risk: Risk, actor: str) -> str:
    """The owner role of ``risk`` when ``actor`` holds it; otherwise an error naming the role and its holders."""
    if risk.owner in spec.charter.roles_of(actor):
        return risk.owner
    holders = "; ".join(f"{p.name} (STEWARD_USER {' or '.join(repr(i) for i in sorted(p.identities))})"
                        for p in spec.charter.stakeholders if p.role == risk.owner)
    roles = ", ".join(spec.charter.roles_of(actor)) or "none in the charter"
    raise NotPermitted(f"only risk {risk.id}'s owner may record an action on it: the owner role is "
                       f"'{risk.owner}', held by {holders}; you act as {actor!r} (your roles: {roles})")


def risk_register(workspace: Workspace, spec: Spec, today: dt.date | None = None) -> RiskRegister:
    """Each charter risk's score, last owner action, next review and escalation on ``today`` (default: UTC today)."""
    _register(workspace, spec)
    return read_risk_register(workspace.store, spec, today)


def read_risk_register(store: Store, spec: Spec, today: dt.date | None = None) -> RiskRegister:
    """The risk register from what ``store`` holds, without registering the project (reads only)."""
    governance = store.governance
    history = [(v.created_at_ms, v.charter) for v in governance.list_charters(spec.project)]
    listed = {r.id: day for r in spec.charter.risks if (day := listed_on(history, r.id)) is not None}
    actions = [OwnerAction.model_validate(a.model_dump()) for a in governance.list_risk_actions(spec.project)]
    return assess_risks(spec.project, spec.charter.risks, actions, today or dt.datetime.now(dt.UTC).date(), listed)


def record_risk_action(workspace: Workspace, spec: Spec, risk_id: str, action: str) -> RiskActionOutcome:
    """Record what the acting person, who must hold the risk's owner role, did about risk ``risk_id``."""
    risk = find_risk(spec, risk_id)
    role = check_owner(spec, risk, workspace.store.actor)
    if not action.strip():
        raise InvalidInput("the action must not be empty: say what was done, e.g. --action 'reviewed the label "
                           "delay monitor: within bounds'")
    _register(workspace, spec)
    record = workspace.store.governance.record_risk_action(spec.project, risk.id, action, role)
    status = next(r for r in risk_register(workspace, spec).risks if r.id == risk.id)
    return RiskActionOutcome(action=record, risk=status)


def record_decision(workspace: Workspace, spec: Spec, title: str, decision: str, rationale: str,
                    alternatives: str = "", subject: str | None = None) -> DecisionRecord:
    """Add a decision to the project's decision log, decided by the acting person."""
    return workspace.store.governance.record_decision(spec.project, title=title, decision=decision,
                                                      rationale=rationale, alternatives=alternatives, subject=subject)


def decision_log(workspace: Workspace, spec: Spec, subject: str | None = None) -> list[DecisionRecord]:
    """The project's decisions, newest first."""
    return workspace.store.governance.list_decisions(spec.project, subject)


def change_log(workspace: Workspace, spec: Spec, subject: str | None = None,
               kind: str | None = None) -> list[ChangeLogEntry]:
    """The project's change log (model versions, promotions, rollbacks, ...), newest first."""
    return workspace.store.governance.list_changes(spec.project, subject=subject, kind=kind)


def charter_history(workspace: Workspace, spec: Spec) -> list[CharterChange]:
    """Every charter version, newest first, with the top-level keys that changed from the version before."""
    _register(workspace, spec)
    versions = workspace.store.governance.list_charters(spec.project)
    changes = [CharterChange(**v.model_dump(exclude={"project", "charter"}),
                             changed=changed_keys(versions[i - 1].charter if i else None, v.charter))
               for i, v in enumerate(versions)]
    return changes[::-1]


def charter_version(workspace: Workspace, spec: Spec, version: int | None = None) -> CharterVersion:
    """Charter version ``version`` (default: the latest) of the project."""
    _register(workspace, spec)
    return workspace.store.governance.get_charter(spec.project, version)


__all__ = ["CharterChange", "RiskActionOutcome", "change_log", "charter_history", "charter_version", "check_owner",
           "decision_log", "find_risk", "read_risk_register", "record_decision", "record_risk_action", "risk_register"]
