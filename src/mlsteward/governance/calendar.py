"""When each review of the governance calendar is due: pure date arithmetic over the cadence and the times the
review was completed.

A review is due one period after it was last completed (after the project started, when it never was). Its
window opens a quarter of a period before that: ``scheduled`` until then, ``due`` inside the window,
``overdue`` once the due time has passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel

from mlsteward.spec_calendar import ReviewCadence

DAY_MS = 86_400_000
ReviewState = Literal["scheduled", "due", "overdue"]


class ReviewStatus(BaseModel):
    name: str
    every: str
    owner: str | None
    covers: list[str]
    last_completed_ms: int | None
    last_completed_by: str | None
    due_ms: int
    status: ReviewState
    days_overdue: float | None  # when overdue


class Completion(BaseModel):
    review: str
    completed_by: str
    completed_at_ms: int


def review_schedule(cadences: Sequence[ReviewCadence], completions: Sequence[Completion], *, start_ms: int,
                    now_ms: int) -> list[ReviewStatus]:
    """Each review's due time and state at ``now_ms``; ``start_ms`` anchors reviews never completed."""
    out = []
    for cadence in cadences:
        done = [c for c in completions if c.review == cadence.name]
        last = max(done, key=lambda c: c.completed_at_ms) if done else None
        period = cadence.days * DAY_MS
        due = (last.completed_at_ms if last else start_ms) + period
        state: ReviewState = "overdue" if now_ms > due else "due" if now_ms >= due - period / 4 else "scheduled"
        out.append(ReviewStatus(name=cadence.name, every=cadence.every, owner=cadence.owner, covers=cadence.covers,
                                last_completed_ms=last.completed_at_ms if last else None,
                                last_completed_by=last.completed_by if last else None, due_ms=due, status=state,
                                days_overdue=(now_ms - due) / DAY_MS if state == "overdue" else None))
    return out


__all__ = ["DAY_MS", "Completion", "ReviewStatus", "review_schedule"]
