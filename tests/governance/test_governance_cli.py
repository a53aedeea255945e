"""The governance commands in a project made by `steward init`: roi, risks, decisions, changelog, charter."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from mlsteward.cli import governance
from mlsteward.cli.main import StewardGroup
from mlsteward.cli.main import app as steward
from mlsteward.store import Store
from mlsteward.store.changelog import append_change

SAM = "sam.okafor@example.com"  # the template's compliance_officer, owner of risk R2
DANA = "dana.whitfield@example.com"  # product_owner

app = typer.Typer(cls=StewardGroup)
app.command("roi")(governance.roi)
app.add_typer(governance.risks_app, name="risks")
app.add_typer(governance.decisions_app, name="decisions")
app.command("changelog")(governance.changelog)
app.add_typer(governance.charter_app, name="charter")
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    result = runner.invoke(steward, ["init", ".", "--name", "churn"])
    assert result.exit_code == 0, result.output
    monkeypatch.setenv("STEWARD_USER", SAM)
    return tmp_path


def open_store(project: Path) -> Store:
    return Store.open(f"sqlite:///{project / '.steward' / 'steward.db'}", actor="test", create=False)


def edit_charter(project: Path, change) -> None:
    path = project / "steward.yaml"
    spec = yaml.safe_load(path.read_text())
    change(spec["charter"])
    path.write_text(yaml.safe_dump(spec, sort_keys=False))


def test_roi_prints_the_seed_example_and_json() -> None:
    result = invoke("roi", "--annual-benefit", "480000", "--annual-cost", "300000", "--initial-investment", "150000")
    assert result.exit_code == 0, result.output
    assert "60.0%" in result.output and "10.0 months" in result.output
    data = json.loads(invoke("roi", "-b", "480000", "-c", "300000", "-i", "150000", "--json").output)
    assert (data["roi"], data["payback_months"]) == (0.6, 10.0)
    never = invoke("roi", "-b", "100", "-c", "200", "-i", "50")
    assert never.exit_code == 0 and "-50.0%" in never.output and "never" in never.output
    bad = invoke("roi", "-b", "480000", "-c", "0")
    assert bad.exit_code == 2 and "annual cost must be more than 0" in bad.output


def test_roi_reads_steward_yaml_when_no_figure_is_given(project: Path) -> None:
    refused = invoke("roi")
    assert refused.exit_code == 2 and "governance.roi" in refused.output
    path = project / "steward.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["governance"]["roi"] = {"annual_benefit": 480000, "annual_cost": 300000, "initial_investment": 150000}
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    data = json.loads(invoke("roi", "--json").output)
    assert (data["roi"], data["payback_months"]) == (0.6, 10.0)  # the seed's example, worked by hand
    override = json.loads(invoke("roi", "--annual-cost", "240000", "--json").output)
    assert (override["roi"], override["annual_benefit"]) == (1.0, 480000)  # (480,000 - 240,000) / 240,000


def test_risk_register_lists_the_template_risks(project: Path) -> None:
    today = dt.datetime.now(dt.UTC).date()
    data = json.loads(invoke("risks", "list", "--json").output)
    assert data["project"] == "churn"
    assert [(r["id"], r["score"], r["owner"], r["escalate"]) for r in data["risks"]] == [
        ("R1", 6, "ml_engineer", False), ("R2", 3, "compliance_officer", False)]
    assert [r["next_review"] for r in data["risks"]] == [str(today + dt.timedelta(days=30)),
                                                         str(today + dt.timedelta(days=90))]
    table = invoke("risks", "list")
    assert table.exit_code == 0 and "compliance_officer" in table.output and "ESCALATE" not in table.output


def test_owner_records_an_action(project: Path) -> None:
    result = invoke("risks", "act", "R2", "--action", "quarterly fairness review: parity 0.04", "--json")
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)
    assert (outcome["action"]["person"], outcome["action"]["role"]) == (SAM, "compliance_officer")
    assert outcome["risk"]["last_action"]["action"] == "quarterly fairness review: parity 0.04"
    register = json.loads(invoke("risks", "list", "--json").output)
    assert register["risks"][1]["last_action"]["person"] == SAM
    assert register["risks"][0]["last_action"] is None


def test_someone_else_is_refused_and_nothing_is_written(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(project)
    before = len(store.audit.list(limit=1000))
    monkeypatch.setenv("STEWARD_USER", DANA)
    refused = invoke("risks", "act", "R2", "--action", "looked at it")
    assert refused.exit_code == 2
    assert "'compliance_officer', held by Sam Okafor" in refused.output and DANA in refused.output
    unknown = invoke("risks", "act", "R9", "--action", "x")
    assert unknown.exit_code == 2 and "known risks are R1, R2" in unknown.output
    monkeypatch.setenv("STEWARD_USER", SAM)
    empty = invoke("risks", "act", "R2", "--action", " ")
    assert empty.exit_code == 2 and "action must not be empty" in empty.output
    assert store.governance.list_risk_actions("churn") == []
    assert len(store.audit.list(limit=1000)) == before
    store.close()


def test_passed_review_date_escalates_and_charter_versions_follow(project: Path) -> None:
    edit_charter(project, lambda charter: charter["risks"][0].update(review_by="2020-01-01"))
    data = json.loads(invoke("risks", "list", "--json").output)
    r1 = data["risks"][0]
    assert r1["escalate"] and r1["next_review"] == "2020-01-01" and "due on 2020-01-01" in r1["reason"]
    assert "ESCALATE" in invoke("risks", "list").output
    history = json.loads(invoke("charter", "history", "--json").output)
    assert [(c["version"], c["changed"]) for c in history][:1] == [(2, ["risks"])]
    assert [c["version"] for c in history] == [2, 1] and history[1]["created_by"] == "tester"
    first = json.loads(invoke("charter", "show", "1", "--json").output)
    assert first["version"] == 1 and first["charter"]["risks"][0]["review_by"] is None
    assert "version 2" in invoke("charter", "show", "2").output
    missing = invoke("charter", "show", "9")
    assert missing.exit_code == 2 and "no version 9 of the charter" in missing.output
    assert invoke("charter", "history").exit_code == 0


def test_decisions_are_added_and_listed(project: Path) -> None:
    added = invoke("decisions", "add", "Ship gbm", "--decision", "promote gbm to production",
                   "--rationale", "ROC AUC 0.84 against 0.79", "--alternatives", "logreg", "--subject", "model:churn@3",
                   "--json")
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["decided_by"] == SAM
    refused = invoke("decisions", "add", "No reason", "--decision", "d", "--rationale", "  ")
    assert refused.exit_code == 2 and "rationale must not be empty" in refused.output
    listed = json.loads(invoke("decisions", "list", "--json").output)
    assert [(d["title"], d["subject"], d["alternatives"]) for d in listed] == [("Ship gbm", "model:churn@3", "logreg")]
    assert "Ship gbm" in invoke("decisions", "list").output


def test_changelog_lists_what_steward_wrote(project: Path) -> None:
    assert "No changes recorded yet" in invoke("changelog").output
    store = open_store(project)
    with store.write() as tx:
        append_change(tx, project="churn", subject="model:churn", kind="registered", summary="version 1 registered",
                      details={"version": 1}, actor="tester")
        append_change(tx, project="churn", subject="model:other", kind="registered", summary="other", details={},
                      actor="tester")
        tx.audit.append("model.registered", "model", "churn@1")
    store.close()
    entries = json.loads(invoke("changelog", "--subject", "model:churn", "--json").output)
    assert [(e["kind"], e["summary"]) for e in entries] == [("registered", "version 1 registered")]
    assert len(json.loads(invoke("changelog", "--json").output)) == 2
    assert "version 1 registered" in invoke("changelog").output
