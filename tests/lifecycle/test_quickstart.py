"""The quickstart on the bundled real data: a project, feasibility, data evidence, splits, features, training."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.quickstart import run_quickstart
from mlsteward.spec import check_spec_file
from mlsteward.stages import StageStatus


def test_quickstart_walks_the_stages_that_exist(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    steps: list[str] = []
    result = run_quickstart(tmp_path / "qs", step=steps.append)
    assert check_spec_file(Path(result.spec)) == []
    assert result.dataset == "gss@1" and set(result.splits) == {"train", "validation", "test"}
    assert Path(result.data_report).read_text().startswith("<!DOCTYPE html>")
    statuses = {s.stage.value: s.status for s in result.board.stages}
    assert {statuses[s] for s in ("scoping", "data", "features", "training")} == {StageStatus.IN_PROGRESS}
    assert statuses["feasibility"] == StageStatus.PASSED and result.feasibility == "go" and len(steps) == 12
    assert Path(result.feasibility_report).read_text().startswith("<!DOCTYPE html>")
    assert result.feature_set == "gss-income@1" and Path(result.data_dictionary).exists()
    assert result.training_sets == {"train": "gss-train-joined@1", "validation": "gss-validation-joined@1",
                                    "test": "gss-test-joined@1"}
    assert result.test_validation == "passed"

    from mlsteward.lifecycle.datasets import load_dataset
    from mlsteward.settings import resolve_settings
    from mlsteward.workspace import Workspace

    workspace = Workspace(resolve_settings(start=tmp_path / "qs"))
    train = load_dataset(workspace, result.splits["train"])
    test = load_dataset(workspace, result.splits["test"])
    assert train["year"].max() < test["year"].min()
    run = workspace.store.runs.get(result.training_run)
    assert run.status == "finished" and run.params["train"] == "gss-train-joined@1"
    assert workspace.store.datasets.runs_of(run.id) == [("gss-train-joined@1", "train"),
                                                         ("gss-validation-joined@1", "validation")]
    assert run.tags["best_candidate"] in result.best_candidate
    features = workspace.store.feature_sets.get(result.feature_set)
    assert features.dataset == "gss-train-joined@1" and "age" not in features.summary["inputs"]  # audit only
    assert "gender" not in features.summary["inputs"]
    evaluation = workspace.store.evaluations.list()[0]
    assert evaluation.id[:8] in result.evaluation and evaluation.dataset == "gss-test-joined@1"
    assert statuses["evaluation"] == {"pass": StageStatus.PASSED, "fail": StageStatus.FAILED}.get(
        evaluation.gate, StageStatus.IN_PROGRESS)
    assert Path(result.performance_report).read_text().startswith("<!DOCTYPE html>")
    assert "## Intended use" in Path(result.model_card).read_text()

    from typer.testing import CliRunner

    from mlsteward.cli.main import app

    monkeypatch.chdir(tmp_path / "qs")
    listed = CliRunner().invoke(app, ["evaluations", "list"])
    assert listed.exit_code == 0 and evaluation.id[:8] in listed.output
    card = CliRunner().invoke(app, ["evaluations", "show", evaluation.id[:8], "--card"])
    assert card.exit_code == 0 and card.output.startswith("# Model card: gss-income")
    shown = CliRunner().invoke(app, ["evaluations", "show", evaluation.id[:8]])
    assert shown.exit_code == 0 and "Promotion gate" in shown.output
    again = CliRunner().invoke(app, ["evaluate", "best", "--data", "gss-test-joined@1", "--check", "metrics",
                                     "--check", "calibration"])
    assert again.exit_code == 0, again.output
    assert "Calibration" in again.output and len(workspace.store.evaluations.list()) == 2
    refused = CliRunner().invoke(app, ["evaluate", "best", "--data", "gss-test-joined@1", "--check", "shapley"])
    assert refused.exit_code == 2 and "unknown check" in refused.output
    # registered, refused while the fairness check failed and sign-offs were missing, then promoted
    model = workspace.store.models.resolve(result.model)
    assert (model.ref, model.status, model.aliases) == ("gss-income-model@1", "production", ["champion"])
    assert model.run_id == evaluation.model_run_id
    history = workspace.store.models.gate_history(model.subject)
    assert [h["decision"] for h in history] == ["pass", "fail"]
    refused_checks = {c["kind"]: c["passed"] for c in history[1]["checks"]}
    assert refused_checks["fairness"] is False and refused_checks["signoff"] is None
    assert result.promotion[1].startswith("promotion refused: demographic_parity_difference by gender")
    waiver = workspace.store.signoffs.waivers(model.subject)[0]
    assert (waiver.person, waiver.role) == ("sam.okafor@example.org", "compliance_officer")
    assert {s.person for s in workspace.store.signoffs.signoffs(model.subject)} == {
        "dana.whitfield@example.org", "sam.okafor@example.org"}
    (decision,) = workspace.store.governance.list_decisions("gss-income")
    assert decision.subject == model.ref and decision.decided_by == "sam.okafor@example.org"
    # deployed, 1,500 requests of the test period served and logged, a monitor run: the period's drift alerts
    assert result.monitoring[0].startswith("gss-income-model@1 live")
    (run,) = workspace.store.monitoring.runs(monitor="income")
    assert run.rows == 1500 and run.signals["labelled_rows"] == 1200 and run.signals["drift_share"] > 0.25
    (alert,) = workspace.store.monitoring.alerts()
    assert alert.signal == "drift_share" and alert.severity == "sev2" and alert.incident_id == 1
    assert any(line.startswith("incident INC-1 opened") for line in result.monitoring)
    assert any("retraining trigger: drift_share" in line for line in result.monitoring)
    assert 0 <= run.signals["demographic_parity_difference.gender"] <= 1  # gender came with the feedback
    assert any(line.startswith("demographic parity difference") for line in result.monitoring)
    assert workspace.store.audit.verify().ok
    with pytest.raises(InvalidInput, match="already exists"):
        run_quickstart(tmp_path / "qs")
