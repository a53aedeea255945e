"""The governance calendar: due dates worked by hand, completing a review (with the owner role checked and the
deliverables recorded as they stood), and overdue reviews and escalated risks flagged on the lifecycle board,
`steward status`, `steward reviews` and the dashboard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from mlsteward.cli.main import app as steward
from mlsteward.errors import InvalidInput, NotPermitted, SpecInvalid
from mlsteward.governance.calendar import DAY_MS, Completion, review_schedule
from mlsteward.lifecycle.calendar import complete_review, governance_calendar
from mlsteward.lifecycle.stage_gates import project_status
from mlsteward.serving.app import create_app
from mlsteward.settings import resolve_settings
from mlsteward.spec import load_spec
from mlsteward.spec_calendar import SEED_CALENDAR, ReviewCadence
from mlsteward.store.schema import projects
from mlsteward.workspace import Workspace

SAM = "sam.okafor@example.com"  # the template's compliance_officer
DANA = "dana.whitfield@example.com"  # product_owner
runner = CliRunner()
START = 1_700_000_000_000


def test_due_dates_and_states_worked_by_hand() -> None:
    weekly, quarterly = ReviewCadence(name="w", every="weekly"), ReviewCadence(name="q", every="quarterly")
    done = [Completion(review="w", completed_by="ana", completed_at_ms=START + 3 * DAY_MS),
            Completion(review="w", completed_by="ben", completed_at_ms=START + 10 * DAY_MS)]
    # weekly: last done on day 10, due on day 17, its window opens 7/4 = 1.75 days before (day 15.25)
    states = {d: review_schedule([weekly], done, start_ms=START, now_ms=START + d * DAY_MS)[0].status
              for d in (15, 15.25, 17, 17.5)}
    assert states == {15: "scheduled", 15.25: "due", 17: "due", 17.5: "overdue"}
    w = review_schedule([weekly], done, start_ms=START, now_ms=START + 20 * DAY_MS)[0]
    assert (w.last_completed_by, w.due_ms, w.days_overdue) == ("ben", START + 17 * DAY_MS, pytest.approx(3.0))
    q = review_schedule([quarterly], done, start_ms=START, now_ms=START + 100 * DAY_MS)[0]
    assert (q.last_completed_ms, q.due_ms, q.status) == (None, START + 91 * DAY_MS, "overdue")  # never done
    assert ReviewCadence(name="x", every="14d").days == 14
    with pytest.raises(ValueError, match="weekly, monthly, quarterly or a number of days"):
        ReviewCadence(name="x", every="fortnightly")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    result = runner.invoke(steward, ["init", ".", "--name", "churn"])
    assert result.exit_code == 0, result.output
    spec = yaml.safe_load((tmp_path / "steward.yaml").read_text())
    spec["governance"]["calendar"] = [
        {"name": "risk-update", "every": "weekly", "covers": ["risk_register"]},
        {"name": "fairness-compliance-review", "every": "quarterly", "owner": "compliance_officer",
         "covers": ["performance_report", "model_card", "risk_register"]}]
    (tmp_path / "steward.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return tmp_path


def _workspace(project: Path) -> tuple[Workspace, object]:
    return Workspace(resolve_settings(start=project)), load_spec(project / "steward.yaml")


def _started_days_ago(workspace: Workspace, days: float) -> None:
    """The project was registered ``days`` ago (a calendar needs time to pass)."""
    with workspace.store.engine.begin() as conn:
        conn.execute(sa.update(projects).values(created_at_ms=projects.c.created_at_ms - int(days * DAY_MS)))


def test_completing_a_review_records_who_and_the_deliverables_reviewed(project: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    workspace, spec = _workspace(project)
    monkeypatch.setenv("STEWARD_USER", DANA)
    with pytest.raises(NotPermitted, match="held by the 'compliance_officer' role"):
        complete_review(Workspace(resolve_settings(start=project)), spec, "fairness-compliance-review")
    with pytest.raises(InvalidInput, match="no review named 'audit'.*risk-update"):
        complete_review(workspace, spec, "audit")
    monkeypatch.setenv("STEWARD_USER", SAM)
    workspace, _ = _workspace(project)
    record = complete_review(workspace, spec, "fairness-compliance-review", note="gap within bounds")
    assert record.completed_by == SAM and record.roles == ["compliance_officer"]
    assert [(e["key"], e["status"]) for e in record.evidence] == [
        ("performance_report", "missing"), ("model_card", "missing"), ("risk_register", "present")]
    calendar = governance_calendar(workspace, spec)
    review = next(r for r in calendar.reviews if r.name == "fairness-compliance-review")
    assert (review.last_completed_by, review.status) == (SAM, "scheduled")
    assert review.due_ms == record.completed_at_ms + 91 * DAY_MS
    events = workspace.store.audit.list(entity_type="review")
    assert events[0].action == "review.completed" and events[0].actor == SAM


def test_overdue_reviews_and_escalated_risks_are_flagged_everywhere(project: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    workspace, spec = _workspace(project)
    governance_calendar(workspace, spec)  # registers the project
    _started_days_ago(workspace, 10)
    status = project_status(workspace, spec)
    assert "review risk-update overdue by 3 day(s)" in status.flags
    escalated = [f for f in status.flags if f.startswith("risk ")]  # the template's risks have review dates
    assert escalated == [f"risk {r.id} past its review date with no action by its owner ({r.owner})"
                         for r in governance_calendar(workspace, spec).escalated_risks]

    out = runner.invoke(steward, ["status"]).output
    assert "flag: review risk-update overdue by 3 day(s)" in " ".join(out.split())
    listed = json.loads(runner.invoke(steward, ["reviews", "--json"]).output)
    assert {r["name"]: r["status"] for r in listed["reviews"]} == {"risk-update": "overdue",
                                                                   "fairness-compliance-review": "scheduled"}
    assert listed["flags"] == status.flags
    done = runner.invoke(steward, ["reviews", "complete", "risk-update", "--note", "R1 unchanged"])
    assert done.exit_code == 0 and "risk_register (present)" in " ".join(done.output.split()), done.output
    assert not any(f.startswith("review ") for f in project_status(workspace, spec).flags)

    _started_days_ago(workspace, 200)
    web = TestClient(create_app(workspace, require_token=False, dashboard_open=True))
    board = web.get("/ui/").text
    assert "review fairness-compliance-review overdue by" in board and "governance calendar" in board
    assert "fairness-compliance-review" in web.get("/ui/governance").text


def test_a_calendar_owner_must_be_a_charter_role(project: Path) -> None:
    path = project / "steward.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["governance"]["calendar"][1]["owner"] = "auditor"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    with pytest.raises(SpecInvalid) as raised:
        load_spec(path)
    assert any("auditor" in str(problem) and "calendar" in str(problem) for problem in raised.value.problems)
    assert [r.name for r in SEED_CALENDAR] == ["experiment-review", "risk-update", "performance-drift-audit",
                                               "fairness-compliance-review"]
