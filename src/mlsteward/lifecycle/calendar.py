"""The governance calendar of a project: each review's due date and state, the risks escalated past their
review date, and completing a review (who, when, and the evidence reviewed, as the deliverables stood)."""

from __future__ import annotations

import datetime as dt
import time

from pydantic import BaseModel, computed_field

from mlsteward.errors import InvalidInput, NotPermitted
from mlsteward.governance.calendar import Completion, ReviewStatus, review_schedule
from mlsteward.lifecycle.deliverables import CATALOGUE, deliverables
from mlsteward.lifecycle.governance import read_risk_register
from mlsteward.spec import Spec
from mlsteward.spec_calendar import ReviewCadence
from mlsteward.store.governance import ReviewRecord
from mlsteward.workspace import Workspace


class EscalatedRisk(BaseModel):
    id: str
    owner: str
    reason: str | None


class GovernanceCalendar(BaseModel):
    """What the board and the dashboard flag: reviews due or overdue, and risks with no owner action past their
    review date."""

    project: str
    at_ms: int
    reviews: list[ReviewStatus]
    escalated_risks: list[EscalatedRisk]

    @computed_field
    @property
    def flags(self) -> list[str]:
        overdue = [f"review {r.name} overdue by {r.days_overdue:.0f} day(s)" for r in self.reviews
                   if r.status == "overdue"]
        risks = [f"risk {r.id} past its review date with no action by its owner ({r.owner})"
                 for r in self.escalated_risks]
        return overdue + risks


def governance_calendar(workspace: Workspace, spec: Spec, *, now_ms: int | None = None) -> GovernanceCalendar:
    """Each review of ``governance.calendar`` (the seed's cadence by default) with its state, and the risks
    escalated past their review date."""
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    store = workspace.store
    project = store.projects.register(spec.project, spec.charter.model_dump(mode="json"))
    done = [Completion(review=r.review, completed_by=r.completed_by, completed_at_ms=r.completed_at_ms)
            for r in store.governance.list_reviews(spec.project)]
    schedule = review_schedule(spec.governance.reviews, done, start_ms=project.created_at_ms, now_ms=now)
    today = dt.datetime.fromtimestamp(now / 1000, dt.UTC).date()
    register = read_risk_register(store, spec, today)
    return GovernanceCalendar(project=spec.project, at_ms=now, reviews=schedule,
                              escalated_risks=[EscalatedRisk(id=r.id, owner=r.owner, reason=r.reason)
                                               for r in register.escalated])


def complete_review(workspace: Workspace, spec: Spec, name: str, note: str = "") -> ReviewRecord:
    """Record that the acting person completed review ``name``, with the covered deliverables as they stand."""
    cadence = _cadence(spec, name)
    actor = workspace.store.actor
    roles = spec.charter.roles_of(actor)
    if cadence.owner and cadence.owner not in roles:
        holders = ", ".join(sorted(p.user or p.email or p.name for p in spec.charter.stakeholders
                                   if p.role == cadence.owner))
        raise NotPermitted(f"review {name} is held by the '{cadence.owner}' role ({holders}); you act as {actor!r} "
                           f"(your roles: {', '.join(roles) or 'none'})")
    view = {d.key: d for d in deliverables(workspace, spec).deliverables}
    unknown = [key for key in cadence.covers if key not in view]
    if unknown:
        raise InvalidInput(f"review {name} covers {unknown}, which are not deliverables; known: "
                           f"{', '.join(d.key for d in CATALOGUE)}")
    evidence = [{"key": key, "status": view[key].status, "note": view[key].note,
                 "evidence": [{"ref": e.ref, "digest": e.digest} for e in view[key].evidence]}
                for key in cadence.covers]
    return workspace.store.governance.record_review(spec.project, name, roles=roles, note=note, evidence=evidence)


def _cadence(spec: Spec, name: str) -> ReviewCadence:
    reviews = spec.governance.reviews
    found = next((r for r in reviews if r.name == name), None)
    if found is None:
        raise InvalidInput(f"no review named {name!r} in the governance calendar; its reviews: "
                           f"{', '.join(r.name for r in reviews) or 'none (governance.calendar is empty)'}")
    return found


__all__ = ["EscalatedRisk", "GovernanceCalendar", "complete_review", "governance_calendar"]
