"""Registering trained runs, loading them safely, and promotion through the gate on the bundled data:
refused while a check fails or a sign-off is missing, promoted once satisfied (a waiver for the failing
check, sign-offs by the charter's roles), only by identities holding the roles; rollback; tampering."""

from __future__ import annotations

import hashlib
import os
import pickle

import numpy as np
import pytest
from registry_project import COMPLIANCE, PRODUCT_OWNER, build_project

from mlsteward.errors import ArtifactCorrupted, GateRefused, InvalidInput, NotPermitted, UnsafeArtifact
from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.lifecycle.promotion import promote, promotion_gate, rollback, waive_check
from mlsteward.lifecycle.registry import load_model_version, register_model
from mlsteward.lifecycle.signoffs import sign_off
from mlsteward.models_io import load_model
from mlsteward.tracking.run import Run


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict:
    built = build_project(tmp_path_factory.mktemp("registry"))
    yield built
    built["workspace"].store.close()


def act_as(project: dict, user: str) -> None:
    project["workspace"].store.actor = user


def test_a_run_is_registered_with_schema_lineage_onnx_and_loads_verified(project: dict) -> None:
    workspace, spec, parts = project["workspace"], project["spec"], project["parts"]
    outcome = register_model(workspace, spec, project["runs"][0], "wages-model")
    again = register_model(workspace, spec, project["runs"][0], "wages-model")
    v = outcome.version
    assert (v.version, v.status, outcome.created, again.created, again.version.version) == (1, "staging", True,
                                                                                              False, 1)
    run = workspace.store.runs.get(v.run_id)
    assert v.artifact_digest == next(a.digest for a in run.artifacts if a.path == "model.skops")
    assert [c["name"] for c in v.input_schema["columns"]] == ["prestg10", "childs", "educcat"]
    educ = v.input_schema["columns"][2]
    assert educ["kind"] == "categorical" and "Bachelor" in educ["categories"]
    assert v.output_schema["task"] == "classification" and v.output_schema["prediction"]["classes"] == [0, 1]
    assert v.lineage["datasets"]["train"] == parts["train"] and v.lineage["upstream"] == ["gss@1"]
    assert v.lineage["feature_set"] == run.params["feature_set"] and v.lineage["evaluations"]
    assert "test_roc_auc" in v.metrics and v.metrics["roc_auc"] == run.metrics["roc_auc"]
    # the ONNX copy scores as the skops model does
    import onnxruntime as ort

    model = load_model_version(workspace, "wages-model@1")
    test = load_dataset(workspace, parts["test"]).drop(columns=["high_income"]).head(200)
    session = ort.InferenceSession(workspace.artifacts.get_bytes(v.onnx_digest), providers=["CPUExecutionProvider"])
    features = model.features(test).to_numpy(np.float32)
    onnx_proba = session.run(None, {session.get_inputs()[0].name: features})[1]
    np.testing.assert_allclose(onnx_proba, model.predict_proba(test), atol=1e-4)
    assert v.onnx_note.startswith("converted")


def test_promotion_is_refused_until_the_check_is_waived_and_both_roles_sign(project: dict) -> None:
    workspace, spec = project["workspace"], project["spec"]
    register_model(workspace, spec, project["runs"][0], "wages-model")
    act_as(project, "lee")
    with pytest.raises(GateRefused, match="demographic_parity_difference.*missing sign-off by product_owner"):
        promote(workspace, spec, "wages-model@1")
    refused = workspace.store.models.gate_history("model:wages-model@1")[0]
    assert refused["decision"] == "fail" and workspace.store.models.get("wages-model", "1").status == "staging"
    gate = promotion_gate(workspace, spec, workspace.store.models.get("wages-model", "1"))
    by_kind = {c.kind: c for c in gate.checks}
    assert by_kind["metric"].passed is True and by_kind["fairness"].passed is False
    assert by_kind["robustness"].passed is True and by_kind["signoff"].passed is None

    with pytest.raises(NotPermitted, match="needs the role 'product_owner', held by Dana"):
        sign_off(workspace, spec, "wages-model@1", "product_owner", "approve")
    with pytest.raises(NotPermitted, match="needs the role 'compliance_officer'"):
        waive_check(workspace, spec, "wages-model@1", "fairness", "mitigation planned")
    act_as(project, PRODUCT_OWNER)
    sign_off(workspace, spec, "wages-model@1", "product_owner", "approve", "meets the KPI")
    act_as(project, COMPLIANCE)
    with pytest.raises(InvalidInput, match="matches no failing check"):
        waive_check(workspace, spec, "wages-model@1", "roc_auc", "no need")
    waive_check(workspace, spec, "wages-model@1", "fairness", "gap explained by hours worked; tracked as R2")
    sign_off(workspace, spec, "wages-model@1", "compliance_officer", "reject", "wait for the audit")
    act_as(project, "lee")
    with pytest.raises(GateRefused, match="compliance_officer sam@example.com rejected: wait for the audit"):
        promote(workspace, spec, "wages-model@1")
    act_as(project, COMPLIANCE)
    sign_off(workspace, spec, "wages-model@1", "compliance_officer", "approve", "audit done")
    for outsider in (COMPLIANCE, "eve"):  # the gate passes now, but only an ml_engineer may promote
        act_as(project, outsider)
        with pytest.raises(NotPermitted, match="needs one of the roles ml_engineer .held by Lee"):
            promote(workspace, spec, "wages-model@1")
    assert workspace.store.models.get("wages-model", "1").status == "staging"
    act_as(project, "lee")
    promoted = promote(workspace, spec, "wages-model@1")
    assert promoted.status == "production" and promoted.aliases == ["champion"]
    history = workspace.store.models.gate_history("model:wages-model@1")
    assert [h["decision"] for h in history] == ["pass", "fail", "fail"]
    fairness = next(c for c in history[0]["checks"] if c["kind"] == "fairness")
    assert fairness["waived_by"] == "sam@example.com (compliance_officer)"
    actions = [e.action for e in workspace.store.audit.list(limit=20)]
    assert {"model.promoted", "gate.waived", "signoff.recorded", "gate.refused"} <= set(actions)
    assert workspace.store.audit.verify().ok


def test_a_second_version_replaces_the_first_and_rollback_restores_it(project: dict) -> None:
    workspace, spec = project["workspace"], project["spec"]
    assert workspace.store.models.get("wages-model", "1").status == "production"  # promoted by the test above
    second = register_model(workspace, spec, project["runs"][1], "wages-model").version
    act_as(project, COMPLIANCE)
    waive_check(workspace, spec, second.ref, "fairness", "same gap as v1; R2")
    sign_off(workspace, spec, second.ref, "compliance_officer", "approve")
    act_as(project, PRODUCT_OWNER)
    sign_off(workspace, spec, second.ref, "product_owner", "approve")
    act_as(project, "lee")
    promote(workspace, spec, second.ref)
    assert workspace.store.models.get("wages-model", "1").status == "archived"
    assert workspace.store.models.get("wages-model", "champion").version == 2
    restored = rollback(workspace, spec, "wages-model", "latency regression")
    assert restored.version == 1 and restored.status == "production"
    assert workspace.store.models.get("wages-model", "2").status == "archived"
    log = workspace.store.governance.list_changes("wages")
    assert [c.kind for c in log[:3]] == ["rolled_back", "promoted", "registered"]
    assert log[0].details["replaced"] == "wages-model@2" and log[0].details["reason"] == "latency regression"
    deltas = log[1].details["metric_deltas"]["roc_auc"]
    assert deltas["delta"] == pytest.approx(deltas["after"] - deltas["before"]) and deltas["before"] is not None


def test_a_tampered_artifact_is_refused_at_load(project: dict, tmp_path) -> None:
    workspace, spec = project["workspace"], project["spec"]
    v = register_model(workspace, spec, project["runs"][0], "tamper-me").version
    digest = v.artifact_digest
    hex_ = digest.split(":", 1)[1]
    path = next(p for p in (os.path.join(dp, f) for dp, _, fs in os.walk(workspace.settings.artifacts_url)
                            for f in fs) if p.endswith(hex_))
    with open(path, "rb") as f:
        original = f.read()
    try:
        os.chmod(path, 0o644)
        with open(path, "r+b") as f:
            f.seek(len(original) // 2)
            f.write(bytes([original[len(original) // 2] ^ 0xFF]))
        with pytest.raises(ArtifactCorrupted):
            load_model_version(workspace, "tamper-me@1")
    finally:
        with open(path, "wb") as f:
            f.write(original)
    with open(path, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == hex_
    assert load_model(workspace.artifacts.get_bytes(digest)) is not None


def test_a_pickled_model_loads_only_when_trusted(project: dict) -> None:
    from sklearn.linear_model import LogisticRegression

    workspace, spec = project["workspace"], project["spec"]
    record = workspace.store.runs.create(experiment="wages", name="notebook")
    run = Run(workspace, record)
    model = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
    run.log_bytes(pickle.dumps(model), "model.pkl")
    run.end()
    v = register_model(workspace, spec, record.id, "notebook-model").version
    assert v.format == "pickle" and v.onnx_digest is None
    with pytest.raises(UnsafeArtifact, match="trusted=True"):
        load_model_version(workspace, "notebook-model@1")
    loaded = load_model_version(workspace, "notebook-model@1", trusted=True)
    assert loaded.predict(np.array([[3.0]]))[0] == 1
