"""The quickstart on the bundled real data: a project, feasibility, data evidence, splits, features, training,
evaluation, promotion, deployment, monitoring, and the retrained challenger in shadow."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.quickstart import run_quickstart
from mlsteward.spec import check_spec_file
from mlsteward.stages import StageStatus


def test_quickstart_walks_the_stages_that_exist(tmp_path, monkeypatch) -> None:
    steps: list[str] = []
    result = run_quickstart(tmp_path / "qs", step=steps.append)
    assert check_spec_file(Path(result.spec)) == []
    assert result.dataset == "gss@1" and set(result.splits) == {"train", "validation", "test"}
    assert Path(result.data_report).read_text().startswith("<!DOCTYPE html>")
    statuses = {s.stage.value: s.status for s in result.board.stages}
    assert {statuses[s] for s in ("scoping", "data", "features", "training")} == {StageStatus.IN_PROGRESS}
    assert statuses["feasibility"] == StageStatus.PASSED and result.feasibility == "go" and len(steps) == 14
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
    evaluation = workspace.store.evaluations.list()[-1]  # the first: the champion's (the challenger's came later)
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
    assert "Calibration" in again.output and len(workspace.store.evaluations.list()) == 3
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
    # retrained on a newer split, the challenger compared on the logged traffic and shadowing the champion
    assert_retrained_challenger_in_shadow(workspace, result, train)
    monkeypatch.setattr("mlsteward.lifecycle.quickstart.run_quickstart", lambda directory, step: result)
    printed = CliRunner().invoke(app, ["quickstart", str(tmp_path / "unused")])  # the summary the CLI prints
    assert printed.exit_code == 0, printed.output
    assert printed.output.count("retraining:") == len(result.retraining) and "Not in the quickstart" not in printed.output
    assert "the champion–challenger report:" in printed.output and "gss-income-model@2" in printed.output
    assert workspace.store.audit.verify().ok
    with pytest.raises(InvalidInput, match="already exists"):
        run_quickstart(tmp_path / "qs")


def assert_retrained_challenger_in_shadow(workspace, result, champion_train) -> None:
    from sklearn.metrics import accuracy_score, recall_score, roc_auc_score

    from mlsteward.lifecycle.datasets import load_dataset
    from mlsteward.lifecycle.deployment import endpoint_of
    from mlsteward.lifecycle.prediction_logs import read_predictions
    from mlsteward.lifecycle.registry import load_model_version
    from mlsteward.monitor.champion_challenger import ChampionChallenger

    store = workspace.store
    assert result.challenger == "gss-income-model@2" and result.not_yet == []
    challenger = store.models.resolve(result.challenger)
    assert challenger.status == "staging" and challenger.input_schema["source"] == "gss-train-joined@2"
    champion = store.models.resolve("gss-income-model@1")
    assert (champion.status, champion.aliases) == ("production", ["champion"])
    trained = store.runs.get(challenger.run_id)
    assert (trained.params["train"], trained.params["validation"]) == ("gss-train-joined@2", "gss-validation-joined@2")
    assert store.datasets.get("gss-train-joined@2").parents[0] == "gss-train@2"
    newer = {part: load_dataset(workspace, f"gss-{part}@2")["year"] for part in ("train", "validation", "test")}
    assert newer["train"].max() > champion_train["year"].max()  # later survey waves than the champion learnt from
    assert newer["train"].max() < newer["validation"].min() <= newer["validation"].max() < newer["test"].min() <= 2016
    evaluation = store.evaluations.list(model_run_id=challenger.run_id)[-1]  # the retrain's (then `evaluate best`)
    assert evaluation.dataset == "gss-test-joined@2" and evaluation.id[:8] in result.retraining[1]
    endpoint, _ = endpoint_of(workspace, "gss-income-model")
    assert (endpoint.live, endpoint.shadow) == (1, 2)
    report = Path(result.champion_challenger_report)
    assert report.name == "champion-challenger-gss-income-model-v2.html"
    html = report.read_text()
    assert html.startswith("<!DOCTYPE html>") and "gss-income-model@1" in html and "gss-income-model@2" in html
    (retrain_run,) = store.runs.search("tags.kind = 'retrain'")
    assert retrain_run.params["train"] == "gss-train-joined@2" and "drift_share" in retrain_run.params["triggers"]
    saved = next(a for a in retrain_run.artifacts if a.path == "champion-challenger.json")
    comparison = ChampionChallenger.model_validate_json(workspace.artifacts.get_bytes(saved.digest))
    assert (comparison.champion, comparison.challenger) == ("gss-income-model@1", "gss-income-model@2")

    # the comparison recomputed from the prediction log: the monitor window's requests (the live rows logged
    # before the challenger shadowed any), the champion's logged answers and the labels sent back
    logged = read_predictions(workspace, "gss-income-model")
    shadowed = set(logged.loc[logged["arm"] == "shadow", "request_id"])
    window = logged[(logged["arm"] == "live") & ~logged["request_id"].isin(shadowed)].reset_index(drop=True)
    assert (len(window), comparison.rows, comparison.labelled_rows) == (1500, 1500, 1200)
    columns = [c["name"] for c in challenger.input_schema["columns"]]
    estimator = load_model_version(workspace, challenger.ref)
    assert list(estimator.classes_) == [0, 1]
    inputs = window[[f"input.{c}" for c in columns]].set_axis(columns, axis=1)
    challenger_pred, challenger_prob = estimator.predict(inputs), estimator.predict_proba(inputs)[:, 1]
    champion_pred = window["prediction"].astype(int).to_numpy()
    champion_prob = window.apply(lambda r: r["probabilities"][[str(c) for c in r["classes"]].index("1")],
                                 axis=1).to_numpy()
    agreement = float((champion_pred == challenger_pred).mean())
    assert comparison.agreement == pytest.approx(agreement, abs=1e-12)
    assert retrain_run.metrics["agreement"] == pytest.approx(agreement)
    labelled = window["label"].notna().to_numpy()
    y = window.loc[labelled, "label"].astype(int).to_numpy()
    expected = {
        "roc_auc": roc_auc_score(y, challenger_prob[labelled]) - roc_auc_score(y, champion_prob[labelled]),
        "accuracy": accuracy_score(y, challenger_pred[labelled]) - accuracy_score(y, champion_pred[labelled]),
        "recall": recall_score(y, challenger_pred[labelled]) - recall_score(y, champion_pred[labelled]),
    }
    for name, value in expected.items():
        assert comparison.differences[name] == pytest.approx(value, abs=1e-9), name
        assert retrain_run.metrics[f"difference.{name}"] == pytest.approx(comparison.differences[name])
    comparison_line = next(line for line in result.retraining if line.startswith("champion gss-income-model@1 vs"))
    assert f"the same answer on {agreement:.1%}" in comparison_line
    assert f"roc_auc {roc_auc_score(y, champion_prob[labelled]):.3f} → " in comparison_line
    assert f"({comparison.differences['roc_auc']:+.3f})" in comparison_line
    assert any(line.startswith("promotion gate for gss-income-model@2: ") and "not promoted" in line
               for line in result.retraining)
    assert result.retraining[-1].startswith(f"the champion–challenger report: {report} (run {retrain_run.id[:8]}")

    # the shadow on live requests: 300 asked again, answered by @1, each scored by @2 and logged as arm shadow
    shadow = logged[logged["arm"] == "shadow"].set_index("request_id")
    again = logged[(logged["arm"] == "live") & logged["request_id"].isin(shadowed)].set_index("request_id")
    assert len(shadow) == len(again) == 300 and set(shadow["version"]) == {2} and set(again["version"]) == {1}
    assert shadow["label"].notna().sum() == 240  # the labels came back for the shadowed requests too
    shadow_inputs = shadow[[f"input.{c}" for c in columns]].set_axis(columns, axis=1)
    assert (shadow["prediction"].astype(int).to_numpy() == estimator.predict(shadow_inputs)).all()
    same = float((shadow["prediction"] == again.loc[shadow.index, "prediction"]).mean())
    assert any("scored 300 in shadow" in line and f"the same answer on {same:.1%}" in line
               for line in result.retraining)
