"""`steward evaluate` on the bundled real data: the trained model (safely loaded with its feature set)
checked on the test split; the numbers equal scikit-learn's and Fairlearn's; the Evaluation is stored
and linked to the model run, the data version and its own run; the report and the model card are
written from the evidence; bad references are refused before anything is written."""

from __future__ import annotations

import json

import pytest
from fairlearn.metrics import demographic_parity_difference
from sklearn.metrics import roc_auc_score

from mlsteward.data.splits import SplitConfig
from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput, NotFound
from mlsteward.lifecycle.datasets import add_dataset, load_dataset
from mlsteward.lifecycle.evaluation import evaluate_model, resolve_model_run
from mlsteward.lifecycle.features import fit_features, load_feature_set
from mlsteward.lifecycle.splits import split_and_register
from mlsteward.lifecycle.training import train_models
from mlsteward.models_io import load_model
from mlsteward.spec import Spec
from mlsteward.workspace import Workspace

SPEC = {
    "project": "wages",
    "charter": {"problem": "Outreach reaches the wrong people", "decision": "who gets the advanced material",
                "prediction_target": "income above 20k",
                "kpis": {"ml": [{"name": "roc_auc", "target": 0.75, "timeframe": "now"}]},
                "baseline": {"description": "prestige rule", "rule": "prestg10 > 50", "kpi_values": {"roc_auc": 0.6}},
                "in_scope": ["respondents with an income"], "out_of_scope": ["people not in paid work"],
                "stakeholders": [{"name": "Dana", "role": "product_owner"}]},
    "data": {"target": "high_income", "sensitive_attributes": ["gender", "age"]},
    "features": {"definitions": [
        {"name": "prestige", "transform": "impute", "inputs": ["prestg10"], "tags": ["explainability-critical"]},
        {"name": "children", "transform": "impute", "inputs": ["childs"]},
        {"name": "education", "transform": "one_hot", "inputs": ["educcat"]},
        {"name": "occupation_rate", "transform": "target_encode", "inputs": ["occrecode"]}]},
    "training": {"seed": 3, "tuning": {"trials": 2}, "candidates": [
        {"name": "logreg", "model": "sklearn.linear_model.LogisticRegression", "params": {"max_iter": 500},
         "space": {"C": {"low": 0.01, "high": 10, "log": True}}}]},
    "evaluation": {"bootstrap": 200, "cv_folds": 3, "costs": {"false_positive": 5, "false_negative": 40},
                   "explain": {"max_rows": 800, "repeats": 2, "shap": False}, "robustness": {"max_rows": 800},
                   "ablation": {"mode": "retrain", "groups": {"occupation": ["occrecode"],
                                                               "family": ["childs"]}}},
    "gates": {"promotion": [{"metric": "roc_auc", "min": 0.7}, {"metric": "expected_calibration_error", "max": 0.2},
                            {"fairness": {"metric": "demographic_parity_difference", "by": "gender", "max": 0.5}},
                            {"signoff": ["product_owner"]}]},
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from mlsteward.settings import Settings

    root = tmp_path_factory.mktemp("evaluation")
    workspace = Workspace(Settings(project_root=root, spec_path=None, store_url=f"sqlite:///{root / 's.db'}",
                                   artifacts_url=str(root / "artifacts")))
    spec = Spec.model_validate(SPEC)
    data = gss_wages_with_target().sample(5000, random_state=0).reset_index(drop=True)
    source, _ = add_dataset(workspace, data, name="gss")
    parts = split_and_register(workspace, source.ref, SplitConfig(strategy="stratified", seed=0),
                               target="high_income").parts
    fit_features(workspace, spec, parts["train"])
    training = train_models(workspace, spec, train=parts["train"], validation=parts["validation"])
    yield {"workspace": workspace, "spec": spec, "parts": parts, "training": training}
    workspace.store.close()


def test_the_best_model_is_evaluated_recorded_and_documented(trained: dict) -> None:
    workspace, spec, parts = trained["workspace"], trained["spec"], trained["parts"]
    seen = []
    outcome = evaluate_model(workspace, spec, "best", parts["test"], progress=lambda t, i, n: seen.append(t))
    result = outcome.result
    assert {c.name: c.status for c in result.checks if c.status in ("error", "skipped")} == {}
    model_run = workspace.store.runs.get(outcome.model_run)
    assert model_run.id == trained["training"].candidates[0].run_id
    fs, _ = load_feature_set(workspace, model_run.params["feature_set"])
    model = load_model(workspace.artifacts.get_bytes(trained["training"].candidates[0].model_artifact))
    test = load_dataset(workspace, parts["test"])
    proba = model.predict_proba(fs.transform(test))[:, 1]
    assert result.result("metrics")["values"]["roc_auc"]["value"] == pytest.approx(
        roc_auc_score(test["high_income"], proba), abs=1e-12)
    audit = next(a for a in result.result("fairness")["attributes"] if a["attribute"] == "gender")
    assert audit["demographic_parity_difference"] == pytest.approx(demographic_parity_difference(
        test["high_income"], (proba >= 0.5).astype(int), sensitive_features=test["gender"]), abs=1e-12)
    ages = next(a for a in result.result("fairness")["attributes"] if a["attribute"] == "age")
    assert len(ages["groups"]) <= 5  # a numeric attribute is audited in bands
    uplift = result.result("uplift")
    assert {b["name"] for b in uplift["baselines"]} == {"majority", "charter_rule"}
    assert uplift["kpi"]["baseline"] == 0.6 and uplift["kpi"]["target"] == 0.75
    explain = result.result("explain")
    assert explain["features"][0]["feature"] == "prestg10" and explain["features"][0]["critical"]
    assert result.result("ablation")["mode"] == "retrain"
    assert result.gate.decision == "pending"  # the sign-off is still to come
    assert [c.passed for c in result.gate.checks][-1] is None

    record = outcome.evaluation
    assert record.model_run_id == model_run.id and record.dataset == parts["test"] and record.gate == "pending"
    assert workspace.store.evaluations.list(model_run_id=model_run.id)[0].id == record.id
    stored = json.loads(workspace.artifacts.get_bytes(record.results_digest))
    assert stored["checks"][0]["name"] == "metrics"
    run = workspace.store.runs.get(record.run_id)
    assert run.parent_id == model_run.id and run.status == "finished" and run.tags["kind"] == "evaluation"
    assert run.metrics["roc_auc"] == result.result("metrics")["values"]["roc_auc"]["value"]
    assert {a.path for a in run.artifacts} >= {"evaluation.json", "performance-report.html", "model-card.md"}
    card = open(outcome.card_path, encoding="utf-8").read()
    for text in ("## Intended use", "who gets the advanced material", "## Out-of-scope use", "people not in paid work",
                 "## Fairness analysis", "## Limitations and failure modes", "## Promotion gate", parts["test"]):
        assert text in card
    assert workspace.artifacts.get_bytes(record.card_digest).decode() == card
    html = open(outcome.report_path, encoding="utf-8").read()
    assert html.startswith("<!DOCTYPE html>") and "Promotion gate" in html
    assert workspace.store.audit.list(action="model.evaluated")[0].entity_id == model_run.id
    assert seen[-1] == "done"


def test_models_are_named_by_best_candidate_or_run_id(trained: dict) -> None:
    workspace = trained["workspace"]
    best = trained["training"].candidates[0].run_id
    assert resolve_model_run(workspace, "wages", "best").id == best
    assert resolve_model_run(workspace, "wages", "logreg").id == best
    assert resolve_model_run(workspace, "wages", best[:8]).id == best
    with pytest.raises(NotFound, match="no candidate 'forest'.*it has: logreg"):
        resolve_model_run(workspace, "wages", "forest")
    with pytest.raises(InvalidInput, match="holds no trained model"):
        resolve_model_run(workspace, "wages", trained["training"].parent_run)


def test_bad_references_and_data_write_nothing(trained: dict) -> None:
    workspace, spec, parts = trained["workspace"], trained["spec"], trained["parts"]
    before = len(workspace.store.evaluations.list())
    with pytest.raises(NotFound):
        evaluate_model(workspace, spec, "best", "gss-test@99")
    no_target, _ = add_dataset(workspace, load_dataset(workspace, parts["test"]).drop(columns=["high_income"]),
                               name="unlabelled")
    with pytest.raises(InvalidInput, match="target 'high_income' the model predicts is not a column"):
        evaluate_model(workspace, spec, "best", no_target.ref)
    test = load_dataset(workspace, parts["test"])
    negatives, _ = add_dataset(workspace, test[test["high_income"] == 0], name="negatives")
    with pytest.raises(InvalidInput, match="test set lacks class\\(es\\) \\[1\\]"):
        evaluate_model(workspace, spec, "best", negatives.ref)
    absent = Spec.model_validate(SPEC | {"data": SPEC["data"] | {"sensitive_attributes": ["ethnicity"]}})
    with pytest.raises(InvalidInput, match="sensitive attribute"):
        evaluate_model(workspace, absent, "best", parts["test"])
    assert len(workspace.store.evaluations.list()) == before
