"""The deliverables registry on a real small project built through the workflows (bundled GSS data): each
deliverable's status follows the recorded evidence step by step (missing, present, stale by each rule), and
the evidence pack holds the table, the audit verification and verified copies of the artifacts, written
all at once or not at all."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from mlsteward.data.splits import SplitConfig
from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput
from mlsteward.lifecycle import evidence_pack
from mlsteward.lifecycle.data_stage import assess_dataset
from mlsteward.lifecycle.datasets import add_dataset
from mlsteward.lifecycle.deliverables import CATALOGUE, FINDERS, Found, deliverables
from mlsteward.lifecycle.evaluation import evaluate_model
from mlsteward.lifecycle.evidence_pack import export_evidence_pack
from mlsteward.lifecycle.feasibility import run_feasibility
from mlsteward.lifecycle.features import fit_features
from mlsteward.lifecycle.registry import register_model
from mlsteward.lifecycle.splits import split_and_register
from mlsteward.lifecycle.training import train_models
from mlsteward.settings import Settings
from mlsteward.spec import Spec
from mlsteward.stages import Stage
from mlsteward.workspace import Workspace

SPEC = {
    "project": "wages",
    "charter": {"problem": "Outreach reaches the wrong people", "decision": "who gets the advanced material",
                "prediction_target": "income above 20k",
                "kpis": {"ml": [{"name": "roc_auc", "target": 0.7, "timeframe": "now"}]},
                "baseline": {"description": "prestige rule", "rule": "prestg10 > 50", "kpi_values": {"roc_auc": 0.6}},
                "stakeholders": [{"name": "Dana", "role": "product_owner"},
                                 {"name": "Max", "role": "ml_engineer", "user": "tester"}],
                "risks": [{"id": "R1", "description": "labels lag the outcome", "impact": "high",
                           "likelihood": "medium", "owner": "ml_engineer", "mitigation": "time-based splits",
                           "residual": "low", "review_by": "2020-01-15"}]},
    "data": {"target": "high_income", "sensitive_attributes": ["gender"], "quality": {"min_rows": 100}},
    "features": {"definitions": [
        {"name": "prestige", "transform": "impute", "inputs": ["prestg10"]},
        {"name": "children", "transform": "impute", "inputs": ["childs"]}]},
    "feasibility": {"sample_rows": 1000, "timebox_s": 0.01},
    "training": {"seed": 3, "tuning": {"trials": 1}, "candidates": [
        {"name": "logreg", "model": "sklearn.linear_model.LogisticRegression", "params": {"max_iter": 200}}]},
    "evaluation": {"bootstrap": 50, "cv_folds": 2, "explain": {"max_rows": 300, "repeats": 1, "shap": False}},
}
CHECKS = ["metrics", "explain", "failure_modes"]


def _spec(**charter) -> Spec:
    raw = json.loads(json.dumps(SPEC))
    raw["charter"].update(charter)
    return Spec.model_validate(raw)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The project built stage by stage; ``seen[step][key]`` is each deliverable's view after that step."""
    root = tmp_path_factory.mktemp("deliverables")
    workspace = Workspace(Settings(project_root=root, spec_path=None, store_url=f"sqlite:///{root / 's.db'}",
                                   artifacts_url=str(root / "artifacts")))
    spec = Spec.model_validate(SPEC)
    seen: dict[str, dict] = {}

    def snapshot(step: str, with_spec: Spec = spec) -> None:
        seen[step] = {d.key: d for d in deliverables(workspace, with_spec).deliverables}

    snapshot("unregistered")
    workspace.store.projects.register(spec.project, spec.charter.model_dump(mode="json"))  # as `steward status` does
    snapshot("fresh")
    workspace.store.governance.record_risk_action(spec.project, "R1", "reviewed the label delay", "ml_engineer")
    workspace.store.governance.record_decision(spec.project, title="Scope", decision="US respondents only",
                                               rationale="the data covers the US")
    snapshot("governed")
    data = gss_wages_with_target().sample(2000, random_state=0).reset_index(drop=True)
    source, _ = add_dataset(workspace, data, name="gss")
    assess_dataset(workspace, source.ref, spec.data, project=spec.project)
    snapshot("assessed")
    run_feasibility(workspace, spec, source.ref)
    parts = split_and_register(workspace, source.ref, SplitConfig(strategy="stratified", seed=0),
                               target="high_income").parts
    fit_features(workspace, spec, parts["train"])
    train_models(workspace, spec, train=parts["train"], validation=parts["validation"])
    evaluation = evaluate_model(workspace, spec, "best", parts["test"], checks=CHECKS)
    snapshot("evaluated")
    register_model(workspace, spec, evaluation.model_run, "wages-income")  # the evaluated run: still current
    snapshot("registered")
    snapshot("charter_edited", _spec(kpis={"ml": [{"name": "roc_auc", "target": 0.8, "timeframe": "now"}]}))
    edited = _spec()
    edited.features.definitions.append(edited.features.definitions[0].model_copy(update={"name": "prestige_2"}))
    snapshot("features_edited", edited)
    add_dataset(workspace, gss_wages_with_target().sample(1500, random_state=1), name="gss")  # gss@2, not assessed
    snapshot("new_data")
    train_models(workspace, spec, train=parts["train"], validation=parts["validation"])
    snapshot("retrained")
    evaluate_model(workspace, spec, "best", parts["test"], checks=CHECKS)
    snapshot("re_evaluated")
    register_model(workspace, spec, evaluation.model_run, "wages-old")  # the first training's model, registered later
    snapshot("older_model_registered")
    add_dataset(workspace, gss_wages_with_target().sample(1400, random_state=2), name="gss-train")
    snapshot("new_split")
    yield {"workspace": workspace, "spec": spec, "seen": seen, "root": root}
    workspace.store.close()


def _statuses(view: dict, *keys: str) -> dict[str, str]:
    return {key: view[key].status for key in keys}


def test_the_catalogue_covers_the_seed_table() -> None:
    assert len(CATALOGUE) == 31 and len({d.key for d in CATALOGUE}) == 31  # seed's 29 + 2
    by_key = {d.key: d for d in CATALOGUE}
    assert (by_key["project_charter"].stage, by_key["project_charter"].owner) == (Stage.SCOPING, "product_owner")
    assert (by_key["security_checklist"].stage, by_key["security_checklist"].owner) == (
        Stage.DEPLOYMENT, "compliance_officer")
    assert {d.key for d in CATALOGUE if d.key not in FINDERS} == set()  # every deliverable has its finder


def test_an_unregistered_project_has_everything_missing(project: dict) -> None:
    view = project["seen"]["unregistered"]
    assert {d.status for d in view.values()} == {"missing"}
    assert "`steward status`" in view["project_charter"].note


def test_a_fresh_project_has_its_charter_and_nothing_else(project: dict) -> None:
    view = project["seen"]["fresh"]
    assert _statuses(view, "project_charter", "kpi_sheet", "risk_register", "decision_log", "feasibility_report",
                     "data_availability", "eda_report", "model_card", "change_log") == {
        "project_charter": "present", "kpi_sheet": "present", "risk_register": "stale", "decision_log": "missing",
        "feasibility_report": "missing", "data_availability": "missing", "eda_report": "missing",
        "model_card": "missing", "change_log": "missing"}
    charter = view["project_charter"].evidence[0]
    assert (charter.kind, charter.ref, charter.command) == ("charter_version", "wages@1", "steward charter show 1")
    assert "R1" in view["risk_register"].note  # its review date passed with no owner action
    assert "steward deploy" in view["serving_docs"].note


def test_an_owner_action_and_a_decision_are_recorded(project: dict) -> None:
    view = project["seen"]["governed"]
    assert _statuses(view, "risk_register", "decision_log") == {"risk_register": "present", "decision_log": "present"}
    assert view["decision_log"].evidence[0].command == "steward decisions list"


def test_an_assessed_dataset_gives_the_data_deliverables(project: dict) -> None:
    view = project["seen"]["assessed"]
    assert _statuses(view, "data_availability", "clean_dataset", "eda_report", "imbalance_summary", "leakage_log",
                     "feasibility_report", "feature_documentation") == {
        "data_availability": "present", "clean_dataset": "present", "eda_report": "present",
        "imbalance_summary": "present", "leakage_log": "present", "feasibility_report": "missing",
        "feature_documentation": "missing"}
    report = view["eda_report"].evidence[0]
    workspace = project["workspace"]
    assert report.digest == workspace.store.evidence.of("gss@1")["report"].digest
    assert report.command == "steward data report gss@1"
    counts = gss_wages_with_target().sample(2000, random_state=0)["high_income"].value_counts()
    ratio = counts.max() / counts.min()  # majority / minority, by hand
    assert f"{ratio:.2f}" in view["imbalance_summary"].note
    snapshot = view["data_availability"].evidence[0]
    assert snapshot.ref == "gss@1" and not snapshot.in_pack  # raw data never goes into the pack


def test_every_stage_up_to_evaluation_is_documented(project: dict) -> None:
    view = project["seen"]["evaluated"]
    present = {key for key, d in view.items() if d.status == "present"}
    assert present == {"project_charter", "kpi_sheet", "risk_register", "decision_log", "feasibility_report",
                       "data_availability", "clean_dataset", "eda_report", "imbalance_summary",
                       "feature_documentation", "leakage_log", "data_dictionary", "feature_catalog",
                       "experimentation_logs", "baseline_vs_candidate", "efficiency_profile", "performance_report",
                       "explainability_bundle", "failure_modes", "model_card"}
    workspace = project["workspace"]
    record = workspace.store.evaluations.list(project="wages")[-1]  # the first (newest first)
    assert view["model_card"].evidence[0].digest == record.card_digest
    assert view["performance_report"].evidence[0].digest == record.report_digest
    assert view["explainability_bundle"].evidence[0].digest == record.results_digest
    assert view["model_card"].produced_at_ms == record.created_at_ms
    training = workspace.store.runs.search("tags.kind = 'training'", experiment="wages")[-1]  # the first
    assert view["baseline_vs_candidate"].evidence[0].digest == next(
        a.digest for a in training.artifacts if a.path == "training-result.json")


def test_a_model_version_of_the_evaluated_run_writes_the_change_log(project: dict) -> None:
    view = project["seen"]["registered"]
    assert _statuses(view, "change_log", "performance_report", "model_card") == {
        "change_log": "present", "performance_report": "present", "model_card": "present"}


def test_a_charter_edited_in_steward_yaml_is_stale_until_recorded(project: dict) -> None:
    view = project["seen"]["charter_edited"]
    assert _statuses(view, "project_charter", "kpi_sheet", "risk_register") == {
        "project_charter": "stale", "kpi_sheet": "stale", "risk_register": "present"}
    assert "kpis" in view["project_charter"].note


def test_edited_feature_definitions_make_the_feature_documents_stale(project: dict) -> None:
    view = project["seen"]["features_edited"]
    assert _statuses(view, "feature_documentation", "data_dictionary", "feature_catalog") == {
        "feature_documentation": "stale", "data_dictionary": "stale", "feature_catalog": "stale"}
    assert "prestige_2" in view["feature_catalog"].note


def test_a_new_dataset_version_without_assessment_makes_the_data_documents_stale(project: dict) -> None:
    view = project["seen"]["new_data"]
    assert _statuses(view, "eda_report", "imbalance_summary", "clean_dataset", "leakage_log", "data_availability",
                     "feasibility_report") == {
        "eda_report": "stale", "imbalance_summary": "stale", "clean_dataset": "stale", "leakage_log": "stale",
        "data_availability": "present", "feasibility_report": "present"}
    assert "gss@2" in view["eda_report"].note
    assert view["eda_report"].evidence[0].ref == "gss@1:report"  # the report there is, of the older version


def test_a_newer_training_makes_the_evaluation_stale(project: dict) -> None:
    view = project["seen"]["retrained"]
    assert _statuses(view, "performance_report", "model_card", "explainability_bundle", "failure_modes",
                     "experimentation_logs") == {
        "performance_report": "stale", "model_card": "stale", "explainability_bundle": "stale",
        "failure_modes": "stale", "experimentation_logs": "present"}


def test_a_later_model_version_of_another_run_makes_the_evaluation_stale(project: dict) -> None:
    assert project["seen"]["re_evaluated"]["performance_report"].status == "present"
    view = project["seen"]["older_model_registered"]
    assert _statuses(view, "performance_report", "model_card") == {"performance_report": "stale", "model_card": "stale"}
    assert "wages-old@1" in view["model_card"].note


def test_a_newer_training_split_makes_the_training_stale(project: dict) -> None:
    view = project["seen"]["new_split"]
    assert _statuses(view, "experimentation_logs", "baseline_vs_candidate", "efficiency_profile") == {
        "experimentation_logs": "stale", "baseline_vs_candidate": "stale", "efficiency_profile": "stale"}
    assert "gss-train@2" in view["experimentation_logs"].note


def test_a_later_stage_adds_a_deliverable_with_a_finder(project: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(FINDERS, "monitoring_dashboard", lambda src: Found("present", "dashboard"))
    view = {d.key: d for d in deliverables(project["workspace"], project["spec"]).deliverables}
    assert (view["monitoring_dashboard"].status, view["monitoring_dashboard"].note) == ("present", "dashboard")


# ----------------------------------------------------------------------------------------- the evidence pack


def _sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_pack_holds_the_table_the_audit_and_verified_copies(project: dict) -> None:
    workspace, spec = project["workspace"], project["spec"]
    folder = project["root"] / "pack"
    assert export_evidence_pack(workspace, spec, folder) == folder.absolute()
    assert [p.name for p in folder.parent.iterdir() if p.name.startswith(".pack")] == []
    view = json.loads((folder / "deliverables.json").read_text())
    expected = {d.key: d.status for d in deliverables(workspace, spec).deliverables}
    assert {d["key"]: d["status"] for d in view["deliverables"]} == expected
    assert json.loads((folder / "audit.json").read_text())["ok"] is True
    copied = {e["digest"] for d in view["deliverables"] if d["status"] != "missing" for e in d["evidence"]
              if e["digest"] and e["in_pack"]}
    manifest = json.loads((folder / "manifest.json").read_text())
    files = {f["path"]: f for f in manifest["files"]}
    in_artifacts = {f["digest"]: path for path, f in files.items() if path.startswith("artifacts/")}
    assert set(in_artifacts) == copied and len(copied) >= 8
    for digest, path in in_artifacts.items():
        assert _sha256(folder / path) == digest  # the copy is the recorded artifact
    for path, entry in files.items():
        assert _sha256(folder / path) == entry["sha256"]
    card = workspace.store.evaluations.list(project="wages")[0].card_digest
    assert (folder / in_artifacts[card]).read_text().startswith("# Model card")
    snapshot = workspace.store.datasets.get("gss@1").digest
    assert snapshot not in in_artifacts  # the data itself stays in the store
    html = (folder / "index.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html and "://" not in html  # self-contained
    for path in in_artifacts.values():
        assert f'href="{path}"' in html
    assert 'class="badge warn">stale' in html and 'class="badge bad">missing' in html and "verified" in html
    charter = json.loads((folder / "records" / "charter-v1.json").read_text())
    assert charter["charter"]["prediction_target"] == "income above 20k"


def test_a_non_empty_folder_is_refused_and_left_as_it_was(project: dict) -> None:
    workspace, spec = project["workspace"], project["spec"]
    folder = project["root"] / "busy"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(InvalidInput, match="not empty"):
        export_evidence_pack(workspace, spec, folder)
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in project["root"].iterdir() if p.name.startswith(".busy")) == []
    export_evidence_pack(workspace, spec, folder, force=True)
    assert not (folder / "notes.txt").exists() and (folder / "index.html").exists()
    assert sorted(p.name for p in project["root"].iterdir() if p.name.startswith(".busy")) == []


def test_a_failure_while_building_leaves_no_pack(project: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(src, item):
        raise OSError("disk full")

    monkeypatch.setitem(evidence_pack.RECORDS, "change_log", broken)
    folder = project["root"] / "crashed"
    with pytest.raises(OSError, match="disk full"):
        export_evidence_pack(project["workspace"], project["spec"], folder)
    assert not folder.exists()
    assert [p.name for p in project["root"].iterdir() if p.name.startswith(".crashed")] == []


def test_a_tampered_audit_trail_is_reported_in_the_pack(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from mlsteward.store.schema import audit_events

    workspace = Workspace(Settings(project_root=tmp_path, spec_path=None, store_url=f"sqlite:///{tmp_path / 's.db'}",
                                   artifacts_url=str(tmp_path / "artifacts")))
    spec = Spec.model_validate(SPEC)
    workspace.store.projects.register(spec.project, spec.charter.model_dump(mode="json"))
    with workspace.store.engine.begin() as conn:
        conn.execute(sa.update(audit_events).where(audit_events.c.seq == 1).values(actor="someone else"))
    folder = export_evidence_pack(workspace, spec, tmp_path / "pack")
    assert json.loads((folder / "audit.json").read_text())["ok"] is False
    assert "TAMPERED" in (folder / "index.html").read_text()
    assert json.loads((folder / "manifest.json").read_text())["audit_ok"] is False
    workspace.store.close()
