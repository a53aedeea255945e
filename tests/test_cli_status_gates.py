"""`steward status` with the stage gates: each stage's recorded status, its gate, one line per missing item
with the command that records it, and `--json` with the board's keys plus the gates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from mlsteward.cli.main import app
from mlsteward.datasets import gss_wages_with_target

runner = CliRunner()

SPEC = {
    "project": "wages",
    "charter": {"problem": "Outreach reaches the wrong people", "decision": "who gets the advanced material",
                "prediction_target": "income above 20k",
                "kpis": {"ml": [{"name": "roc_auc", "target": 0.75, "timeframe": "now"}]},
                "baseline": {"description": "everyone gets the basic material", "kpi_values": {"roc_auc": 0.5}},
                "stakeholders": [{"name": "Dana", "role": "product_owner"}],
                "risks": [{"id": "R1", "description": "labels lag", "impact": "high", "likelihood": "low",
                           "owner": "product_owner", "mitigation": "time splits", "residual": "low"}]},
    "data": {"target": "high_income", "quality": {"min_rows": 100}},
    "gates": {"feasibility": [{"metric": "roc_auc", "min": 0.6}]},
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "steward.yaml").write_text(yaml.safe_dump(SPEC, sort_keys=False))
    return tmp_path


def invoke(*args: str) -> Result:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def _gates(project: Path) -> dict[str, dict]:
    status = json.loads(invoke("status", "--json").output)
    return {gate["stage"]: gate for gate in status["gates"]}


def test_status_shows_each_gate_and_one_line_per_missing_item(project: Path) -> None:
    output = invoke("status").output
    lines = output.splitlines()
    scoping = next(line for line in lines if "Scoping" in line)
    assert "not_started" in scoping and "pass" in scoping
    assert "missing" in next(line for line in lines if "Feasibility" in line)
    assert "2 Feasibility gate missing:" in lines
    assert "  · feasibility study: no finished feasibility study → `steward feasibility DATASET@VERSION`" in lines
    assert ("  · quality SLAs: no assessed dataset version → `steward data add FILE --name NAME` (assesses it)"
            in lines)
    assert sum("steward deploy MODEL" in line for line in lines) == 1 and sum("steward loadtest" in line for line in lines) == 1
    assert sum("monitoring." in line for line in lines) == 2
    assert "1 Scoping gate" not in output  # nothing missing there


def test_status_json_keeps_the_board_and_adds_the_gates(project: Path) -> None:
    status = json.loads(invoke("status", "--json").output)
    assert status["project"] == "wages" and status["current_stage"] == "scoping"
    assert [s["status"] for s in status["stages"]] == ["not_started"] * 8
    assert [g["stage"] for g in status["gates"]] == [s["stage"] for s in status["stages"]]
    assert [g["decision"] for g in status["gates"]] == ["pass"] + ["missing"] * 7
    data = status["gates"][2]
    assert data["items"][0] == {"name": "quality SLAs", "passed": None, "detail": "no assessed dataset version",
                                "command": "`steward data add FILE --name NAME` (assesses it)", "evidence": None}


def test_an_edited_charter_is_judged_at_the_next_status(project: Path) -> None:
    spec = json.loads(json.dumps(SPEC))
    del spec["charter"]["risks"], spec["gates"]
    (project / "steward.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    lines = invoke("status").output.splitlines()
    assert "1 Scoping gate fail:" in lines
    assert "  ✗ top risks: no risk in the register → add charter.risks in steward.yaml, then `steward validate`" in lines
    assert ("  ✗ go/no-go criteria: no go/no-go criteria → add gates.feasibility in steward.yaml, then "
            "`steward validate`") in lines
    scoping = _gates(project)["scoping"]
    assert [i["name"] for i in scoping["items"] if i["passed"] is not True] == ["go/no-go criteria", "top risks"]


def test_data_gate_names_the_quarantined_column_until_it_is_cleared(project: Path) -> None:
    data = gss_wages_with_target().sample(600, random_state=1)
    data["income_copy"] = data["high_income"]  # a planted leak
    data.to_csv(project / "wages.csv", index=False)
    invoke("status")  # registers the project (as `steward init` does)
    invoke("data", "add", "wages.csv", "--name", "wages")
    lines = invoke("status").output.splitlines()
    assert "3 Data gate fail:" in lines
    leak = next(line for line in lines if "leakage review" in line)
    assert leak.startswith("  ✗ leakage review: wages@1: quarantined: income_copy → `steward data clear wages "
                           "income_copy --reason")
    invoke("data", "clear", "wages", "income_copy", "--reason", "planted by the test")
    gate = _gates(project)["data"]
    assert gate["decision"] == "pass"
    assert {i["name"]: i["passed"] for i in gate["items"]} == {"quality SLAs": True, "leakage review": True,
                                                               "contract": True}
    assert gate["items"][1]["evidence"]["ref"] == "wages@1"
    assert not any("Data gate" in line for line in invoke("status").output.splitlines())
