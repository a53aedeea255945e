"""``steward deliverables`` (the table, --json, --missing) and ``steward deliverables export`` on a small
project: a charter recorded and one assessed dataset version of the bundled data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from mlsteward.cli import deliverables
from mlsteward.cli.main import StewardGroup

runner = CliRunner()
app = typer.Typer(cls=StewardGroup)
app.add_typer(deliverables.app, name="deliverables")


@app.callback()
def _root() -> None:
    """The steward command with only the deliverables group."""


SPEC = {
    "project": "wages",
    "charter": {"problem": "Outreach reaches the wrong people", "decision": "who gets the advanced material",
                "prediction_target": "income above 20k",
                "kpis": {"ml": [{"name": "roc_auc", "target": 0.7, "timeframe": "now"}]},
                "stakeholders": [{"name": "Dana", "role": "product_owner"}]},
    "data": {"target": "high_income"},
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mlsteward.datasets import gss_wages_with_target
    from mlsteward.lifecycle.board import lifecycle_board
    from mlsteward.lifecycle.data_stage import assess_dataset
    from mlsteward.lifecycle.datasets import add_dataset
    from mlsteward.settings import resolve_settings
    from mlsteward.spec import load_spec
    from mlsteward.workspace import Workspace

    root = tmp_path_factory.mktemp("deliverables-cli")
    (root / "steward.yaml").write_text(yaml.safe_dump(SPEC, sort_keys=False))
    spec = load_spec(root / "steward.yaml")
    workspace = Workspace(resolve_settings(start=root), create=True)
    lifecycle_board(workspace.store, spec)  # what `steward status` does: records the charter
    version, _ = add_dataset(workspace, gss_wages_with_target().head(800), name="gss")
    assess_dataset(workspace, version.ref, spec.data, project=spec.project)
    workspace.store.close()
    return root


def invoke(folder: Path, monkeypatch: pytest.MonkeyPatch, *args: str):
    monkeypatch.chdir(folder)
    monkeypatch.delenv("STEWARD_STORE_URL", raising=False)
    return runner.invoke(app, ["deliverables", *args])


def test_json_lists_every_deliverable_with_its_status(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = invoke(folder, monkeypatch, "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    status = {d["key"]: d["status"] for d in body["deliverables"]}
    assert len(status) == 31 and body["project"] == "wages"
    assert (status["project_charter"], status["eda_report"], status["feasibility_report"]) == (
        "present", "present", "missing")
    assert body["counts"]["present"] == sum(s == "present" for s in status.values())
    report = next(d for d in body["deliverables"] if d["key"] == "eda_report")
    assert report["evidence"][0]["command"] == "steward data report gss@1"
    assert report["evidence"][0]["digest"].startswith("sha256:") and report["stage"] == "data"


def test_missing_lists_only_what_is_left_to_do(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = json.loads(invoke(folder, monkeypatch, "--missing", "--json").output)
    keys = {d["key"] for d in body["deliverables"]}
    assert "feasibility_report" in keys and "monitoring_dashboard" in keys
    assert not keys & {"project_charter", "eda_report", "data_availability"}
    assert {d["status"] for d in body["deliverables"]} <= {"missing", "stale"}


def test_the_table_shows_status_owner_and_what_to_run(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deliverables.console, "width", 200)
    result = invoke(folder, monkeypatch)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    rows = {line.split("│")[2].strip(): line for line in result.output.splitlines() if line.count("│") > 5}
    assert "product_owner" in rows["Project charter"] and "present" in rows["Project charter"]
    assert "missing" in rows["Feasibility report"] and "steward feasibility" in rows["Feasibility report"]
    assert "steward data report gss@1" in rows["EDA report"]
    assert "7 present, 0 stale, 24 missing" in text


def test_export_writes_the_pack_and_refuses_a_non_empty_folder(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = invoke(folder, monkeypatch, "export", "pack")
    assert result.exit_code == 0, result.output
    pack = folder / "pack"
    assert (pack / "index.html").exists() and "audit trail verified" in " ".join(result.output.split())
    listed = json.loads((pack / "deliverables.json").read_text())
    assert {d["key"]: d["status"] for d in listed["deliverables"]}["eda_report"] == "present"
    before = sorted(p.name for p in pack.rglob("*"))
    again = invoke(folder, monkeypatch, "export", "pack")
    assert again.exit_code == 2 and "not empty" in again.output and "--force" in again.output
    assert sorted(p.name for p in pack.rglob("*")) == before
    forced = invoke(folder, monkeypatch, "export", "pack", "--force")
    assert forced.exit_code == 0, forced.output


def test_without_steward_yaml_the_error_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = invoke(tmp_path, monkeypatch, "--json")
    assert result.exit_code == 2 and "steward init" in result.output
