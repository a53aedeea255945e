"""The ``steward`` command: happy paths, --json, and bad input (one line, exit 2, nothing written)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import mlsteward
from mlsteward.cli.main import app
from mlsteward.store import Store

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init", ".", "--name", "churn"])
    assert result.exit_code == 0, result.output
    return tmp_path


def invoke(*args: str):
    return runner.invoke(app, list(args))


def _runs(project: Path) -> list[str]:
    mlsteward.set_store(f"sqlite:///{project / '.steward' / 'steward.db'}", str(project / ".steward" / "artifacts"))
    ids = []
    for model, auc, depth in (("lgbm", 0.91, 5), ("logreg", 0.78, 3)):
        with mlsteward.start_run(experiment="churn", name=model) as run:
            mlsteward.log_params({"model": model, "max_depth": depth, "lr": 0.1})
            mlsteward.log_metrics({"roc_auc": auc, "f1": 0.5})
        ids.append(run.id)
    mlsteward.set_store(None, None)
    return ids


def test_init_writes_a_valid_spec_and_the_store(project: Path) -> None:
    assert (project / "steward.yaml").exists() and (project / ".steward" / "steward.db").exists()
    assert invoke("validate").exit_code == 0
    again = invoke("init", ".")
    assert again.exit_code == 2 and "--force" in again.output


def test_status_shows_eight_stages(project: Path) -> None:
    result = invoke("status")
    assert result.exit_code == 0
    for stage in ("Scoping", "Feasibility", "Data", "Features", "Training", "Evaluation",
                  "Deployment", "Monitoring"):
        assert stage in result.output
    board = json.loads(invoke("status", "--json").output)
    assert board["project"] == "churn" and [s["status"] for s in board["stages"]] == ["not_started"] * 8


def test_runs_list_show_compare(project: Path) -> None:
    lgbm, logreg = _runs(project)
    listed = json.loads(invoke("runs", "list", "--json").output)
    assert [r["id"] for r in listed] == [logreg, lgbm]
    filtered = invoke("runs", "list", "-f", "metrics.roc_auc > 0.8 and params.model = 'lgbm'", "--json")
    assert [r["id"] for r in json.loads(filtered.output)] == [lgbm]
    shown = invoke("runs", "show", lgbm[:8])
    assert shown.exit_code == 0 and "roc_auc" in shown.output and "0.91" in shown.output
    assert json.loads(invoke("runs", "show", lgbm, "--json").output)["params"]["max_depth"] == "5"
    compared = json.loads(invoke("runs", "compare", lgbm, logreg, "--json").output)
    assert sorted(compared["differing"]) == ["metrics.roc_auc", "params.max_depth", "params.model"]
    assert compared["metrics"]["roc_auc"] == {lgbm: 0.91, logreg: 0.78}
    table = invoke("runs", "compare", lgbm[:8], logreg[:8])
    assert table.exit_code == 0 and "3 of 5 values differ" in table.output


def test_audit_list_and_verify(project: Path) -> None:
    _runs(project)
    events = json.loads(invoke("audit", "list", "--json").output)
    assert events[0]["action"] == "run.ended" and events[-1]["action"] == "project.registered"
    assert "intact" in invoke("audit", "verify").output
    store = Store.open(f"sqlite:///{project / '.steward' / 'steward.db'}", actor="x")
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2")
    result = invoke("audit", "verify")
    assert result.exit_code == 1 and "event 2" in result.output and "edited" in result.output


def _one_line_error(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_unknown_run_id(project: Path) -> None:
    _one_line_error(invoke("runs", "show", "deadbeef"), "no run with id 'deadbeef'", "steward runs list")


def test_malformed_filter(project: Path) -> None:
    _one_line_error(invoke("runs", "list", "-f", "metrics.roc_auc >"), "bad filter", "expected")


def test_broken_spec_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "steward.yaml").write_text("project: churn\ncharter:\n  problem: [unclosed\n")
    _one_line_error(invoke("status"), "steward validate")
    assert not (tmp_path / ".steward").exists()
    result = invoke("validate")
    assert result.exit_code == 2 and "line" in result.output


def test_validate_reports_every_problem_with_its_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "steward.yaml").write_text(
        "project: churn\ncharter:\n  problem: p\n  decision: d\n  prediction_target: t\n"
        "  constraints:\n    p95_latency_ms: fast\n  scopes: []\n")
    result = invoke("validate", "--json")
    assert result.exit_code == 2
    problems = {p["path"]: p for p in json.loads(result.output)}
    assert set(problems) == {"charter.constraints.p95_latency_ms", "charter.scopes"}
    assert problems["charter.constraints.p95_latency_ms"]["found"] == "'fast'"


def test_unreachable_store_url(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_STORE_URL", "postgresql://postgres@127.0.0.1:1/test")
    _one_line_error(invoke("runs", "list"), "cannot reach the store at postgresql", "127.0.0.1:1")
    monkeypatch.setenv("STEWARD_STORE_URL", "mysql://x@y/z")
    _one_line_error(invoke("runs", "list"), "unsupported store URL scheme")


def test_no_store_yet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _one_line_error(invoke("runs", "list"), "steward init")
    assert not (tmp_path / ".steward").exists()


def test_store_info_and_upgrade(project: Path) -> None:
    info = json.loads(invoke("store", "info", "--json").output)
    assert info["up_to_date"] and info["revision"] == info["head"]
    assert "up to date" in invoke("store", "upgrade").output


def test_real_entry_point_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    env = {**os.environ, "STEWARD_STORE_URL": "postgresql://postgres@127.0.0.1:1/test"}
    done = subprocess.run([sys.executable, "-m", "mlsteward.cli", "runs", "show", "abcd"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: cannot reach the store") and done.stderr.count("\n") == 1


def test_help(tmp_path: Path) -> None:
    # `steward quickstart` itself runs in tests/ui/test_dashboard_browser.py (its project is what the browser sees)
    assert "all eight stages" in invoke("quickstart", "--help").output
    assert "filter" in invoke("runs", "list", "--help").output
    assert invoke("--version").output.startswith("steward ")


def test_cli_needs_only_declared_dependencies() -> None:
    # typer vendors click, so `click` is not installed by `pip install -e .`: importing it breaks the CLI
    code = "import sys; sys.modules['click'] = None; import mlsteward.cli.main"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
