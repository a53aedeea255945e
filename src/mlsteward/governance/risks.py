"""The risk register's status: each charter risk's score, its owner's last action, its next review,
and whether it must be escalated.

- score = impact x likelihood, each on a 1-3 scale (low 1, medium 2, high 3): 1 to 9.
- next review = the charter's ``review_by`` while the owner has recorded no action since the risk was
  listed; after an action, the action's date + ``review_every_days``. A risk counts as listed from the
  first charter version that has it with its current ``review_by``, so a new date restarts the clock.
  With no ``review_by`` and no action, the next review is the listing date + ``review_every_days``.
- escalate when today is after the next review: the review date passed without an owner action.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pydantic import BaseModel

from mlsteward.spec_governance import Level, Risk

LEVEL_SCORE: dict[str, int] = {"low": 1, "medium": 2, "high": 3}


class OwnerAction(BaseModel):
    """What a risk's owner did about it (the store's risk action, as the core reads it)."""

    risk_id: str
    action: str
    person: str
    role: str
    created_at_ms: int

    @property
    def on(self) -> dt.date:
        """The UTC date of the action."""
        return dt.datetime.fromtimestamp(self.created_at_ms / 1000, tz=dt.UTC).date()


class RiskStatus(BaseModel):
    id: str
    description: str
    category: str
    impact: Level
    likelihood: Level
    score: int
    owner: str
    mitigation: str
    residual: Level
    review_by: dt.date | None
    review_every_days: int
    listed_on: dt.date | None
    last_action: OwnerAction | None
    next_review: dt.date | None
    escalate: bool
    reason: str | None  # why it is escalated


class RiskRegister(BaseModel):
    project: str
    today: dt.date
    risks: list[RiskStatus]

    @property
    def escalated(self) -> list[RiskStatus]:
        return [risk for risk in self.risks if risk.escalate]


def risk_score(impact: Level, likelihood: Level) -> int:
    """impact x likelihood on 1-3 scales."""
    return LEVEL_SCORE[impact] * LEVEL_SCORE[likelihood]


def listed_on(history: Sequence[tuple[int, dict]], risk_id: str) -> dt.date | None:
    """The UTC date from which the charter has listed ``risk_id`` with its current ``review_by``.

    ``history``: (created_at_ms, charter as stored) of each charter version, oldest first."""
    since, current = None, None
    for created_at_ms, charter in reversed(history):
        entry = next((r for r in charter.get("risks") or [] if r.get("id") == risk_id), None)
        if entry is None or (since is not None and entry.get("review_by") != current):
            break
        since, current = created_at_ms, entry.get("review_by")
    return None if since is None else dt.datetime.fromtimestamp(since / 1000, tz=dt.UTC).date()


def assess_risk(risk: Risk, actions: Sequence[OwnerAction], today: dt.date,
                listed: dt.date | None = None) -> RiskStatus:
    """One risk's status on ``today``; ``actions`` are its owner's (any order), ``listed`` its listing date."""
    own = [a for a in actions if a.risk_id == risk.id]
    last = max(own, key=lambda a: a.created_at_ms, default=None)
    every = dt.timedelta(days=risk.review_every_days)
    if last is not None and (listed is None or last.on >= listed):
        next_review, since = last.on + every, f"{last.person}'s last action on {last.on}"
    elif risk.review_by is not None:
        next_review, since = risk.review_by, f"the charter listed it on {listed}" if listed else "it was listed"
    elif listed is not None:
        next_review, since = listed + every, f"the charter listed it on {listed}"
    else:
        next_review, since = None, ""
    escalate = next_review is not None and today > next_review
    reason = None
    if escalate:
        days = (today - next_review).days
        reason = (f"review was due on {next_review} ({days} day{'s' if days != 1 else ''} ago) and the "
                  f"{risk.owner} has recorded no action since {since}: `steward risks act {risk.id} --action ...`")
    return RiskStatus(**risk.model_dump(), score=risk_score(risk.impact, risk.likelihood), listed_on=listed,
                      last_action=last, next_review=next_review, escalate=escalate, reason=reason)


def assess_risks(project: str, risks: Sequence[Risk], actions: Sequence[OwnerAction], today: dt.date,
                 listed: dict[str, dt.date] | None = None) -> RiskRegister:
    """The register of ``risks`` (charter order) on ``today``, from their owners' recorded actions."""
    listed = listed or {}
    return RiskRegister(project=project, today=today,
                        risks=[assess_risk(risk, actions, today, listed.get(risk.id)) for risk in risks])


__all__ = ["LEVEL_SCORE", "OwnerAction", "RiskRegister", "RiskStatus", "assess_risk", "assess_risks", "listed_on",
           "risk_score"]
