"""`steward mitigate` on a copy of the quickstart's project: its model fails the promotion gate's demographic parity
check by gender; the mitigation is recorded as a run with its report, and the decision goes to the decision log.
Bad inputs are refused with a clear error and leave nothing behind."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from fairlearn.metrics import demographic_parity_difference
from sklearn.metrics import accuracy_score
from typer.testing import CliRunner

from mlsteward.cli import mitigate as mitigate_cli
from mlsteward.errors import Conflict, InvalidInput
from mlsteward.evaluate.mitigation import MitigationResult
from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.lifecycle.evaluation import evaluate_model
from mlsteward.lifecycle.governance import decision_log
from mlsteward.lifecycle.mitigation import decide_mitigation, run_mitigation
from mlsteward.lifecycle.registry import load_model_version
from mlsteward.settings import resolve_settings
from mlsteward.spec import load_spec
from mlsteward.workspace import Workspace

MODEL = "gss-income-model@1"


def _open(quickstart_project: tuple[str, str], folder: Path) -> tuple[Path, Workspace]:
    shutil.copytree(quickstart_project[0], folder)
    return folder, Workspace(resolve_settings(start=folder))


@pytest.fixture(scope="module")
def qs(quickstart_project: tuple[str, str], tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    folder, workspace = _open(quickstart_project, tmp_path_factory.mktemp("mitigation") / "qs")
    spec = load_spec(folder / "steward.yaml")
    outcome = run_mitigation(workspace, spec, MODEL, method="threshold_optimizer")
    yield folder, workspace, spec, outcome
    workspace.store.close()


def _recorded(workspace: Workspace, folder: Path) -> tuple[int, int, int]:
    """Runs, decisions and report files: what a refused call must not add to."""
    store = workspace.store
    project = load_spec(folder / "steward.yaml").project
    return (len(store.runs.search(experiment=project, limit=1_000_000)),
            len(store.governance.list_decisions(project)), len(list((folder / ".steward" / "reports").iterdir())))


def test_the_failed_parity_check_is_mitigated_and_recorded(qs) -> None:  # noqa: ANN001
    _, workspace, _, outcome = qs
    result = outcome.result
    version = workspace.store.models.resolve(MODEL)
    evaluation = workspace.store.evaluations.list(model_run_id=version.run_id)[0]
    # the attribute and the constraint come from the evaluation's failed gate check
    assert (outcome.sensitive, result.constraint, result.fairness_metric) == (
        "gender", "demographic_parity", "demographic_parity_difference")
    assert outcome.evaluation == evaluation.id and outcome.test == evaluation.dataset
    assert outcome.fitted_on == workspace.store.runs.get(version.run_id).params["validation"]
    # the before-numbers are the registered model's, measured independently on the test split
    test = load_dataset(workspace, evaluation.dataset)
    predicted = load_model_version(workspace, MODEL).predict(test.drop(columns=["high_income"]))
    assert result.accuracy.before == pytest.approx(accuracy_score(test["high_income"], predicted), abs=1e-12)
    assert result.fairness.before == pytest.approx(demographic_parity_difference(
        test["high_income"], predicted, sensitive_features=test["gender"]), abs=1e-12)
    # ... and what the evaluation recorded for the gate check
    gate = outcome.gate[0]
    assert gate.check == "demographic_parity_difference by gender <= 0.1"
    assert gate.evaluation_observed == pytest.approx(result.fairness.before, abs=1e-12)
    # measured: 0.141 -> 0.009, accuracy 0.772 -> 0.760: the check now passes, at about a point of accuracy
    assert result.fairness.before > 0.12 and result.fairness.after < 0.05
    assert (gate.met_before, gate.met_after) == (False, True)
    assert -0.03 < result.accuracy.change < 0
    assert result.test_rows == len(test)


def test_the_run_holds_the_comparison_and_the_report(qs) -> None:  # noqa: ANN001
    folder, workspace, _, outcome = qs
    run = workspace.store.runs.get(outcome.run_id)
    version = workspace.store.models.resolve(MODEL)
    assert run.status == "finished" and run.parent_id == version.run_id
    assert {k: run.tags[k] for k in ("kind", "method", "constraint", "model_version", "sensitive")} == {
        "kind": "mitigation", "method": "threshold_optimizer", "constraint": "demographic_parity",
        "model_version": MODEL, "sensitive": "gender"}
    assert run.params["evaluation"] == outcome.evaluation and run.params["fitted_on"] == outcome.fitted_on
    assert run.metrics["demographic_parity_difference_before"] == pytest.approx(outcome.result.fairness.before)
    assert run.metrics["demographic_parity_difference_after"] == pytest.approx(outcome.result.fairness.after)
    assert run.metrics["accuracy_after"] == pytest.approx(outcome.result.accuracy.after)
    artifacts = {a.path: a.digest for a in run.artifacts}
    stored = MitigationResult.model_validate_json(workspace.artifacts.get_bytes(artifacts["mitigation.json"]))
    assert stored == outcome.result
    # Fairlearn's estimators are not loadable safely: no model file, and the run says why
    assert "model.skops" not in artifacts and not outcome.model_saved
    assert outcome.model_note.startswith("the mitigated model is not saved")
    report = Path(outcome.report_path)
    assert report.parent == folder / ".steward" / "reports" and report.name.startswith(f"{MODEL}-mitigation-")
    html = report.read_text()
    assert artifacts["mitigation-report.html"] == outcome.report_digest
    assert workspace.artifacts.get_bytes(outcome.report_digest).decode() == html
    for text in ("Accuracy against demographic_parity_difference", "every prediction needs the row",
                 f"{outcome.result.fairness.after:.4f}", f"steward mitigate decide {outcome.run_id[:8]}"):
        assert text in html
    assert "-performance.html" in html  # linked from the evaluation's report, which is left as it was


def test_the_decision_goes_to_the_decision_log_once(qs) -> None:  # noqa: ANN001
    folder, workspace, spec, outcome = qs
    record = decide_mitigation(workspace, spec, outcome.run_id[:8], True, "the parity gap closes for a point of "
                                                                         "accuracy; batch scoring has gender on file")
    assert record.subject == MODEL and outcome.run_id in record.decision and record.decided_by == workspace.store.actor
    assert record.title.startswith("Accept the threshold_optimizer (demographic_parity) mitigation of")
    assert record.rationale.startswith("the parity gap closes")
    assert f"{outcome.result.accuracy.before:.4f}" in record.alternatives
    assert decision_log(workspace, spec, MODEL)[0].id == record.id
    before = _recorded(workspace, folder)
    with pytest.raises(Conflict, match="already has a decision"):
        decide_mitigation(workspace, spec, outcome.run_id, False, "changed my mind")
    with pytest.raises(InvalidInput, match="give the reason"):
        decide_mitigation(workspace, spec, outcome.run_id, False, "  ")
    with pytest.raises(InvalidInput, match="is not a mitigation"):
        decide_mitigation(workspace, spec, outcome.model_run, True, "not a mitigation run")
    assert _recorded(workspace, folder) == before


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"method": "reweighing"}, "unknown mitigation method 'reweighing'"),
    ({"method": "threshold_optimizer", "constraint": "parity"}, "unknown fairness constraint 'parity'"),
    ({"method": "threshold_optimizer", "sensitive": "race"},
     "the sensitive attribute 'race' is not a column of gss-validation-joined@1"),
])
def test_bad_inputs_are_refused_and_record_nothing(qs, kwargs: dict, message: str) -> None:  # noqa: ANN001
    folder, workspace, spec, _ = qs
    before = _recorded(workspace, folder)
    with pytest.raises(InvalidInput, match=message):
        run_mitigation(workspace, spec, MODEL, **kwargs)
    assert _recorded(workspace, folder) == before


def test_an_evaluation_without_a_sensitive_attribute_is_refused(quickstart_project, tmp_path) -> None:  # noqa: ANN001
    folder, workspace = _open(quickstart_project, tmp_path / "qs")
    raw = yaml.safe_load((folder / "steward.yaml").read_text())
    raw["data"]["sensitive_attributes"] = []
    raw["gates"]["promotion"] = [c for c in raw["gates"]["promotion"] if "fairness" not in c]
    (folder / "steward.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    spec = load_spec(folder / "steward.yaml")
    version = workspace.store.models.resolve(MODEL)
    evaluation = workspace.store.evaluations.list(model_run_id=version.run_id)[0]
    evaluate_model(workspace, spec, version.run_id, evaluation.dataset, checks=["metrics"])  # no fairness audit
    before = _recorded(workspace, folder)
    with pytest.raises(InvalidInput, match=r"audited no sensitive attribute .* give --sensitive COLUMN"):
        run_mitigation(workspace, spec, MODEL, method="threshold_optimizer")
    assert _recorded(workspace, folder) == before
    workspace.store.close()


def test_the_cli_runs_exponentiated_gradient_and_records_a_rejection(quickstart_project, tmp_path,  # noqa: ANN001
                                                                      monkeypatch) -> None:  # noqa: ANN001
    folder, workspace = _open(quickstart_project, tmp_path / "qs")
    monkeypatch.chdir(folder)
    runner = CliRunner()
    # two iterations keep the test fast (the base estimator is the candidate's gradient boosting on 26,000 rows)
    shown = runner.invoke(mitigate_cli.app, ["run", MODEL, "--method", "exponentiated_gradient", "--max-iter", "2",
                                             "--json"])
    assert shown.exit_code == 0, shown.output
    outcome = json.loads(shown.stdout)
    assert outcome["result"]["method"] == "exponentiated_gradient" and outcome["sensitive"] == "gender"
    assert outcome["fitted_on"] == workspace.store.runs.get(outcome["model_run"]).params["train"]
    assert any("stopped at max_iter=2" in n for n in outcome["result"]["notes"])
    run = workspace.store.runs.get(outcome["run_id"])
    assert run.tags["kind"] == "mitigation" and run.tags["method"] == "exponentiated_gradient"
    decided = runner.invoke(mitigate_cli.app, ["decide", outcome["run_id"][:8], "--reject", "--reason",
                                               "two iterations are not a fair trial"])
    assert decided.exit_code == 0, decided.output
    spec = load_spec(folder / "steward.yaml")
    latest = decision_log(workspace, spec, MODEL)[0]
    assert latest.title.startswith("Reject the exponentiated_gradient") and outcome["run_id"] in latest.decision
    refused = runner.invoke(mitigate_cli.app, ["decide", outcome["run_id"][:8], "--reason", "undecided"])
    assert isinstance(refused.exception, InvalidInput) and "--accept or --reject" in refused.exception.message
    workspace.store.close()
