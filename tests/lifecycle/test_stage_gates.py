"""Stage gates on a real small project built through the workflows, stage by stage: each gate's decision
and each missing item named with its command, read from the store's records (never an artifact)."""

from __future__ import annotations

import json

import pytest

from mlsteward.artifacts import ArtifactStore
from mlsteward.data.splits import SplitConfig
from mlsteward.datasets import gss_wages_with_target
from mlsteward.lifecycle.board import lifecycle_board
from mlsteward.lifecycle.data_stage import assess_dataset
from mlsteward.lifecycle.datasets import add_dataset
from mlsteward.lifecycle.evaluation import evaluate_model
from mlsteward.lifecycle.evidence_lookup import (
    EvidenceLink,
    latest_assessed_dataset,
    latest_feature_set,
    project_dataset_names,
)
from mlsteward.lifecycle.feasibility import run_feasibility
from mlsteward.lifecycle.features import fit_features
from mlsteward.lifecycle.splits import split_and_register
from mlsteward.lifecycle.stage_gates import (
    STAGE_GATES,
    PlannedItem,
    StageGate,
    StageGateItem,
    decide,
    planned_gate,
    project_status,
    stage_gates,
)
from mlsteward.lifecycle.training import train_models
from mlsteward.settings import Settings
from mlsteward.spec import Spec
from mlsteward.stages import Stage
from mlsteward.store.models import Change, NewModelVersion
from mlsteward.workspace import Workspace

DESCRIBED = {"description": "a described feature", "owner": "analytics"}
SPEC = {
    "project": "wages",
    "charter": {"problem": "Outreach reaches the wrong people", "decision": "who gets the advanced material",
                "prediction_target": "income above 20k",
                "kpis": {"ml": [{"name": "roc_auc", "target": 0.75, "timeframe": "now"}]},
                "baseline": {"description": "prestige rule", "rule": "prestg10 > 50", "kpi_values": {"roc_auc": 0.6}},
                "stakeholders": [{"name": "Dana", "role": "product_owner"}],
                "risks": [{"id": "R1", "description": "labels lag", "impact": "high", "likelihood": "low",
                           "owner": "product_owner", "mitigation": "time splits", "residual": "low"}]},
    "data": {"target": "high_income", "sensitive_attributes": ["gender"], "quality": {"min_rows": 1000}},
    "features": {"definitions": [
        {"name": "prestige", "transform": "impute", "inputs": ["prestg10"], **DESCRIBED},
        {"name": "children", "transform": "impute", "inputs": ["childs"], **DESCRIBED},
        {"name": "education", "transform": "one_hot", "inputs": ["educcat"], **DESCRIBED}]},
    "feasibility": {"sample_rows": 800, "timebox_s": 0.5},  # the learning curve is skipped: fast
    "training": {"seed": 3, "tuning": {"trials": 2}, "candidates": [
        {"name": "logreg", "model": "sklearn.linear_model.LogisticRegression", "params": {"max_iter": 500},
         "space": {"C": {"low": 0.01, "high": 10, "log": True}}}]},
    "evaluation": {"bootstrap": 0},
    "gates": {"feasibility": [{"metric": "roc_auc", "min": 0.6}],
              "promotion": [{"metric": "roc_auc", "min": 0.6}, {"signoff": ["product_owner"]}]},
}
SCOPING_ITEMS = ["problem statement", "decision supported", "prediction target", "KPIs", "ML KPI", "baseline",
                 "go/no-go criteria", "top risks", "stakeholders"]


def _spec(**sections: object) -> Spec:
    """SPEC with top-level sections replaced (``features__definitions=`` replaces one key of a section)."""
    raw = json.loads(json.dumps(SPEC))
    for key, value in sections.items():
        section, _, field = key.partition("__")
        if field:
            raw[section][field] = value
        else:
            raw[section] = value
    return Spec.model_validate(raw)


def _by_stage(gates: list[StageGate]) -> dict[str, StageGate]:
    return {gate.stage.value: gate for gate in gates}


def _passed(gate: StageGate) -> dict[str, bool | None]:
    return {item.name: item.passed for item in gate.items}


def _item(gate: StageGate, name: str) -> StageGateItem:
    return next(item for item in gate.items if item.name == name)


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A project walked through stages 1-6, with every gate read after each step."""
    root = tmp_path_factory.mktemp("gates")
    workspace = Workspace(Settings(project_root=root, spec_path=None, store_url=f"sqlite:///{root / 's.db'}",
                                   artifacts_url=str(root / "artifacts")))
    spec = _spec()
    seen: dict[str, dict[str, StageGate]] = {}

    def snap(step: str) -> None:
        seen[step] = _by_stage(stage_gates(workspace, spec))

    lifecycle_board(workspace.store, spec)
    snap("registered")
    data = gss_wages_with_target().sample(2500, random_state=0).reset_index(drop=True)
    data["income_copy"] = data["high_income"]  # a planted leak
    gss, _ = add_dataset(workspace, data, name="gss")
    assess_dataset(workspace, gss.ref, _spec(data={**SPEC["data"], "quality": {"min_rows": 10**6}}).data,
                   project="wages")
    snap("quality not met")
    assess_dataset(workspace, gss.ref, spec.data, project="wages")
    snap("quarantined")
    workspace.store.evidence.clear_column("gss", "income_copy", "planted by the test: never a feature")
    snap("cleared")
    run_feasibility(workspace, _spec(gates={"feasibility": [{"uplift_over_baseline": {"metric": "roc_auc",
                                                                                      "min": 0.9}}]}), gss.ref)
    snap("no-go")
    feasibility = run_feasibility(workspace, spec, gss.ref)
    snap("go")
    parts = split_and_register(workspace, gss.ref, SplitConfig(strategy="stratified", seed=0),
                               target="high_income").parts
    undocumented = json.loads(json.dumps(SPEC["features"]["definitions"]))
    del undocumented[1]["description"]
    fit_features(workspace, _spec(features__definitions=undocumented), parts["train"])
    snap("undocumented")
    fit_features(workspace, spec, parts["train"])
    snap("features")
    training = train_models(workspace, spec, train=parts["train"], validation=parts["validation"])
    snap("trained")
    failing = _spec(gates={"promotion": [{"metric": "roc_auc", "min": 0.999}]})
    evaluate_model(workspace, failing, "best", parts["test"], checks=["metrics", "gates"])
    snap("evaluation failed")
    pending = evaluate_model(workspace, spec, "best", parts["test"], checks=["metrics", "gates"])
    snap("evaluation pending")
    best = training.candidates[0]
    version, _ = workspace.store.models.register(NewModelVersion(
        name="wages-model", project="wages", run_id=best.run_id, artifact_digest=best.model_artifact))
    workspace.store.models.set_status("wages-model", version.version, "production",
                                      expected_revision=workspace.store.models.model("wages-model").revision,
                                      change=Change(kind="promoted", summary="promoted by the test"))
    snap("production")
    yield {"workspace": workspace, "spec": spec, "seen": seen, "gss": gss.ref, "parts": parts,
           "feasibility": feasibility, "training": training, "pending": pending}
    workspace.store.close()


def test_an_empty_project_names_every_missing_charter_item(workspace: Workspace) -> None:
    spec = Spec.model_validate({"project": "bare", "charter": {"problem": "p", "decision": "d",
                                                                "prediction_target": "t"}})
    unregistered = _by_stage(stage_gates(workspace, spec))["scoping"]
    assert unregistered.decision == "missing" and _passed(unregistered) == {"charter": None}

    status = project_status(workspace, spec)
    assert [s.status.value for s in status.stages] == ["not_started"] * 8
    gates = _by_stage(status.gates)
    assert list(gates) == [s.value for s in Stage]
    scoping = gates["scoping"]
    assert scoping.decision == "fail"
    assert [i.name for i in scoping.items] == SCOPING_ITEMS
    assert [i.name for i in scoping.missing] == ["KPIs", "ML KPI", "baseline", "go/no-go criteria", "top risks",
                                                 "stakeholders"]
    assert all(i.passed is False for i in scoping.missing)
    assert _item(scoping, "ML KPI").command == "add charter.kpis.ml in steward.yaml, then `steward validate`"
    assert _item(scoping, "stakeholders").detail == "no product_owner (roles: none)"
    assert _item(scoping, "problem statement").passed and _item(scoping, "problem statement").command is None
    assert _item(scoping, "KPIs").evidence.kind == "project" and _item(scoping, "KPIs").evidence.ref == "bare"
    for stage in ("feasibility", "data", "features", "training", "evaluation", "deployment", "monitoring"):
        assert gates[stage].decision == "missing", stage
        assert all(i.passed is None and i.command for i in gates[stage].items), stage
    assert "steward data add" in gates["data"].items[0].command


def test_a_baseline_without_kpi_values_and_stakeholders_without_a_product_owner_fail(workspace: Workspace) -> None:
    spec = _spec(charter={**SPEC["charter"], "baseline": {"description": "the rule"}, "risks": [],
                          "stakeholders": [{"name": "Sam", "role": "compliance_officer"}]},
                 gates={"feasibility": SPEC["gates"]["feasibility"]})
    scoping = _by_stage(project_status(workspace, spec).gates)["scoping"]
    assert [(i.name, i.detail) for i in scoping.missing] == [
        ("baseline", "the baseline has no KPI values"), ("top risks", "no risk in the register"),
        ("stakeholders", "no product_owner (roles: compliance_officer)")]


def test_registered_project_passes_scoping_and_waits_for_evidence(walk: dict) -> None:
    gates = walk["seen"]["registered"]
    assert gates["scoping"].decision == "pass" and gates["scoping"].missing == []
    assert [g.decision for g in gates.values()][1:] == ["missing"] * 7
    assert {i.name: i.command for i in gates["feasibility"].items} == {
        "feasibility study": "`steward feasibility DATASET@VERSION`",
        "go decision": "`steward feasibility DATASET@VERSION`"}


def test_data_gate_names_the_unmet_sla_then_the_quarantined_column_then_passes(walk: dict) -> None:
    seen = walk["seen"]
    unmet = seen["quality not met"]["data"]
    assert unmet.decision == "fail"
    assert _passed(unmet) == {"quality SLAs": False, "leakage review": False, "contract": True}
    assert _item(unmet, "quality SLAs").detail == "gss@1: not met: min_rows"

    quarantined = seen["quarantined"]["data"]
    assert _passed(quarantined) == {"quality SLAs": True, "leakage review": False, "contract": True}
    leak = _item(quarantined, "leakage review")
    assert leak.detail == "gss@1: quarantined: income_copy"
    assert leak.command.startswith('`steward data clear gss income_copy --reason "..."`')

    cleared = seen["cleared"]["data"]
    assert cleared.decision == "pass"
    assert _item(cleared, "leakage review").detail == "gss@1: no column quarantined; cleared: income_copy"
    evidence = walk["workspace"].store.evidence.of("gss@1")
    link = _item(cleared, "contract").evidence
    assert (link.kind, link.ref, link.digest) == ("dataset", "gss@1", evidence["report"].digest)


def test_feasibility_gate_follows_the_latest_finished_study(walk: dict) -> None:
    no_go = walk["seen"]["no-go"]["feasibility"]
    assert no_go.decision == "fail" and _passed(no_go) == {"feasibility study": True, "go decision": False}
    assert _item(no_go, "go decision").detail == "decision: no-go"
    go = walk["seen"]["go"]["feasibility"]
    assert go.decision == "pass"
    link = _item(go, "go decision").evidence
    assert link.kind == "run" and link.ref == walk["feasibility"].run_id
    run = walk["workspace"].store.runs.get(link.ref)
    assert link.digest == next(a.digest for a in run.artifacts if a.path == "feasibility-report.html")


def test_features_gate_names_the_undocumented_feature(walk: dict) -> None:
    assert walk["seen"]["go"]["features"].decision == "missing"
    undocumented = walk["seen"]["undocumented"]["features"]
    assert undocumented.decision == "fail"
    assert _passed(undocumented) == {"fitted": True, "validated": True, "catalog": False}
    assert _item(undocumented, "catalog").detail == "no description: children"
    assert _item(undocumented, "fitted").detail == f"wages@1 on {walk['parts']['train']}"
    documented = walk["seen"]["features"]["features"]
    assert documented.decision == "pass" and _item(documented, "fitted").evidence.ref == "wages@2"
    assert _item(documented, "catalog").detail == "3 feature(s) described in the data dictionary"


def test_training_gate_reads_the_run_its_baselines_and_what_makes_it_reproducible(walk: dict) -> None:
    assert walk["seen"]["features"]["training"].decision == "missing"
    training = walk["seen"]["trained"]["training"]
    assert training.decision == "pass"
    assert _item(training, "training run").evidence.ref == walk["training"].parent_run
    assert _item(training, "baselines").detail == "baselines: charter_rule, majority"
    reproducible = _item(training, "reproducible").detail
    assert reproducible.startswith("seed 3; environment (python, packages")
    assert f"{walk['parts']['train']} (train)" in reproducible
    assert f"{walk['parts']['validation']} (validation)" in reproducible


def test_evaluation_gate_follows_the_promotion_gate_then_production(walk: dict) -> None:
    assert walk["seen"]["trained"]["evaluation"].decision == "missing"
    failed = walk["seen"]["evaluation failed"]["evaluation"]
    assert failed.decision == "fail" and "failed (`steward evaluations show" in failed.items[0].detail
    pending = walk["seen"]["evaluation pending"]["evaluation"]
    item = pending.items[0]
    assert pending.decision == "missing" and item.detail.endswith("pending sign-offs")
    assert item.evidence.ref == walk["pending"].evaluation.id and item.command.startswith("`steward signoff MODEL@VERSION --role ROLE --decision approve`")
    production = walk["seen"]["production"]["evaluation"]
    assert production.decision == "pass"
    assert production.items[0].detail == (f"in production: wages-model@1; latest evaluation "
                                           f"{walk['pending'].evaluation.id[:8]}: pending")
    assert production.items[0].evidence.kind == "model_version"


def test_deployment_and_monitoring_stay_missing_with_what_will_record_them(walk: dict) -> None:
    for step, gates in walk["seen"].items():
        assert _passed(gates["deployment"]) == {"rollback plan": None, "load test": None,
                                                "security & compliance scan": None}, step
        assert _passed(gates["monitoring"]) == {"monitor runs": None, "retraining triggers": None}, step
    last = walk["seen"]["production"]
    commands = [i.command for i in last["deployment"].items]
    assert "steward deploy" in commands[0] and "steward loadtest" in commands[1] and "steward scan" in commands[2]
    assert all("monitoring." in i.command for i in last["monitoring"].items)
    assert [g.decision for g in last.values()] == ["pass"] * 6 + ["missing"] * 2


def test_a_finder_is_all_a_later_stage_needs(walk: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    found = EvidenceLink(kind="deployment", ref="dep-1", at_ms=1)
    monkeypatch.setitem(STAGE_GATES, Stage.DEPLOYMENT, planned_gate((
        PlannedItem("rollback plan", "`steward deploy`", finder=lambda ws, spec: found),
        PlannedItem("load test", "`steward deploy --load-test`", finder=lambda ws, spec: None))))
    gate = _by_stage(stage_gates(walk["workspace"], walk["spec"]))["deployment"]
    assert gate.decision == "missing"
    assert [(i.passed, i.evidence, i.command) for i in gate.items] == [
        (True, found, None), (None, None, "`steward deploy --load-test`")]


def test_gates_read_records_only(walk: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a stage gate read an artifact")

    for method in ("open", "verified_path", "get_bytes", "get_file"):
        monkeypatch.setattr(ArtifactStore, method, refuse)
    assert len(stage_gates(walk["workspace"], walk["spec"])) == 8


def test_the_projects_datasets_are_those_its_runs_used_with_their_ancestors(walk: dict) -> None:
    workspace = walk["workspace"]
    assert project_dataset_names(workspace, "wages") == ["gss", "gss-train", "gss-validation"]
    assert latest_assessed_dataset(workspace, "wages").dataset == "gss@1"
    assert latest_assessed_dataset(workspace, "elsewhere").dataset == "gss@1"  # no runs: the store's datasets
    assert latest_feature_set(workspace, "wages").feature_set == "wages@2"
    assert latest_feature_set(workspace, "wages", "nothing-by-that-name") is None


def test_decide() -> None:
    def items(*passed: bool | None) -> list[StageGateItem]:
        return [StageGateItem(name=str(i), passed=p, detail="") for i, p in enumerate(passed)]

    assert decide(items(True, True)) == "pass"
    assert decide(items(True, None)) == "missing"
    assert decide(items(None, False, True)) == "fail"
