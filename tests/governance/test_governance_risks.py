"""The risk register's status, computed with a fixed today: scores, next reviews and escalation."""

from __future__ import annotations

import datetime as dt

import pytest

from mlsteward.governance import OwnerAction, assess_risk, assess_risks, changed_keys, listed_on, risk_score
from mlsteward.spec_governance import Risk

D = dt.date


def ms(day: dt.date, hour: int = 12) -> int:
    return int(dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC).timestamp() * 1000)


def risk(**changes) -> Risk:
    return Risk(**({"id": "R1", "description": "labels lag by 30 days", "category": "data", "impact": "high",
                    "likelihood": "medium", "owner": "ml_engineer", "mitigation": "time-based splits",
                    "residual": "low", "review_by": D(2027, 1, 15)} | changes))


def act(day: dt.date, risk_id: str = "R1") -> OwnerAction:
    return OwnerAction(risk_id=risk_id, action="reviewed", person="lee", role="ml_engineer", created_at_ms=ms(day))


@pytest.mark.parametrize(("impact", "likelihood", "score"), [("low", "low", 1), ("high", "medium", 6),
                                                             ("medium", "low", 2), ("high", "high", 9)])
def test_score_is_impact_times_likelihood(impact: str, likelihood: str, score: int) -> None:
    assert risk_score(impact, likelihood) == score
    assert assess_risk(risk(impact=impact, likelihood=likelihood), [], D(2027, 1, 1)).score == score


def test_review_by_passed_without_owner_action_escalates() -> None:
    listed = D(2027, 1, 1)
    on_the_day = assess_risk(risk(), [], D(2027, 1, 15), listed)
    assert on_the_day.next_review == D(2027, 1, 15) and not on_the_day.escalate and on_the_day.reason is None
    late = assess_risk(risk(), [], D(2027, 1, 18), listed)
    assert late.escalate and late.last_action is None
    assert "due on 2027-01-15 (3 days ago)" in late.reason and "ml_engineer" in late.reason
    assert "listed it on 2027-01-01" in late.reason


def test_owner_action_restarts_the_clock() -> None:
    actions = [act(D(2027, 1, 5)), act(D(2027, 1, 10)), act(D(2027, 1, 20), risk_id="R2")]
    status = assess_risk(risk(), actions, D(2027, 1, 18), D(2027, 1, 1))
    assert status.last_action.on == D(2027, 1, 10)
    assert status.next_review == D(2027, 2, 9) and not status.escalate
    overdue = assess_risk(risk(), actions, D(2027, 2, 10), D(2027, 1, 1))
    assert overdue.escalate and "lee's last action on 2027-01-10" in overdue.reason


def test_action_before_the_charter_listed_the_risk_does_not_count() -> None:
    status = assess_risk(risk(), [act(D(2026, 12, 20))], D(2027, 1, 20), listed=D(2027, 1, 1))
    assert status.last_action.on == D(2026, 12, 20)  # shown, but the charter's review_by rules
    assert status.next_review == D(2027, 1, 15) and status.escalate


def test_without_review_by_the_clock_starts_at_listing() -> None:
    status = assess_risk(risk(review_by=None, review_every_days=10), [], D(2027, 1, 12), D(2027, 1, 1))
    assert status.next_review == D(2027, 1, 11) and status.escalate
    unknown = assess_risk(risk(review_by=None), [], D(2030, 1, 1))
    assert unknown.next_review is None and not unknown.escalate


def test_register_keeps_charter_order_and_lists_escalated() -> None:
    risks = [risk(), risk(id="R2", owner="compliance_officer", impact="low", likelihood="low", review_by=D(2027, 3, 1))]
    register = assess_risks("churn", risks, [], D(2027, 2, 1), {"R1": D(2027, 1, 1), "R2": D(2027, 1, 1)})
    assert [r.id for r in register.risks] == ["R1", "R2"]
    assert [r.id for r in register.escalated] == ["R1"]
    assert [r.score for r in register.risks] == [6, 1]


def test_listed_on_follows_the_current_review_by() -> None:
    def charter(*entries: dict) -> dict:
        return {"problem": "p", "risks": list(entries)}

    r1 = {"id": "R1", "review_by": "2027-01-15", "mitigation": "a"}
    history = [(ms(D(2027, 1, 1)), charter(r1)),
               (ms(D(2027, 1, 5)), charter(r1 | {"mitigation": "b"})),  # other edits keep the listing date
               (ms(D(2027, 1, 9)), charter(r1 | {"mitigation": "b"}, {"id": "R2"}))]
    assert listed_on(history, "R1") == D(2027, 1, 1)
    assert listed_on(history, "R2") == D(2027, 1, 9)
    history.append((ms(D(2027, 2, 1)), charter(r1 | {"review_by": "2027-06-01"}, {"id": "R2"})))
    assert listed_on(history, "R1") == D(2027, 2, 1)  # a new review date restarts the clock
    history.append((ms(D(2027, 2, 2)), charter({"id": "R2"})))
    assert listed_on(history, "R1") is None and listed_on(history, "R2") == D(2027, 1, 9)
    assert listed_on([], "R1") is None


def test_changed_keys_between_charter_versions() -> None:
    assert changed_keys(None, {"problem": "p", "kpis": {}}) == ["kpis", "problem"]
    assert changed_keys({"problem": "p", "risks": [1]}, {"problem": "p", "risks": [2], "decision": "d"}) == [
        "decision", "risks"]
    assert changed_keys({"a": None}, {}) == ["a"]
    assert changed_keys({"a": 1}, {"a": 1}) == []
