"""A small trained and evaluated project on the bundled GSS data, shared by the registry tests."""

from __future__ import annotations

from pathlib import Path

from mlsteward.data.splits import SplitConfig
from mlsteward.datasets import gss_wages_with_target
from mlsteward.lifecycle.datasets import add_dataset
from mlsteward.lifecycle.evaluation import evaluate_model
from mlsteward.lifecycle.features import fit_features
from mlsteward.lifecycle.splits import split_and_register
from mlsteward.lifecycle.training import train_models
from mlsteward.settings import Settings
from mlsteward.spec import Spec
from mlsteward.workspace import Workspace

PRODUCT_OWNER, COMPLIANCE = "dana@example.com", "sam@example.com"
SPEC = {
    "project": "wages",
    "charter": {"problem": "Outreach reaches the wrong people", "decision": "who gets the advanced material",
                "prediction_target": "income above 20k",
                "kpis": {"ml": [{"name": "roc_auc", "target": 0.75, "timeframe": "now"}]},
                "stakeholders": [{"name": "Dana", "role": "product_owner", "email": PRODUCT_OWNER},
                                 {"name": "Sam", "role": "compliance_officer", "email": COMPLIANCE},
                                 {"name": "Lee", "role": "ml_engineer", "user": "lee"}]},
    "data": {"target": "high_income", "sensitive_attributes": ["gender"]},
    "features": {"definitions": [
        {"name": "prestige", "transform": "impute", "inputs": ["prestg10"]},
        {"name": "children", "transform": "impute", "inputs": ["childs"]},
        {"name": "education", "transform": "one_hot", "inputs": ["educcat"]}]},
    "training": {"seed": 3, "tuning": {"trials": 2}, "candidates": [
        {"name": "logreg", "model": "sklearn.linear_model.LogisticRegression", "params": {"max_iter": 500},
         "space": {"C": {"low": 0.01, "high": 10, "log": True}}}]},
    "evaluation": {"checks": ["metrics", "calibration", "fairness", "robustness", "uplift", "gates"],
                   "bootstrap": 50, "robustness": {"max_rows": 500}},
    "gates": {"promotion": [{"metric": "roc_auc", "min": 0.6},
                            {"fairness": {"metric": "demographic_parity_difference", "by": "gender", "max": 0.01}},
                            {"robustness": {"max_drop": 0.5}},
                            {"signoff": ["product_owner", "compliance_officer"]}]},
    "governance": {"waiver_roles": ["compliance_officer"], "promoter_roles": ["ml_engineer"]},
}


def build_project(root: Path) -> dict:
    """Data -> split -> features -> two trainings (two model runs) -> an evaluation of each."""
    workspace = Workspace(Settings(project_root=root, spec_path=None, store_url=f"sqlite:///{root / 's.db'}",
                                   artifacts_url=str(root / "artifacts")))
    spec = Spec.model_validate(SPEC)
    data = gss_wages_with_target().sample(3000, random_state=0).reset_index(drop=True)
    source, _ = add_dataset(workspace, data, name="gss")
    parts = split_and_register(workspace, source.ref, SplitConfig(strategy="stratified", seed=0),
                               target="high_income").parts
    fit_features(workspace, spec, parts["train"])
    runs = []
    for seed in (3, 4):
        seeded = spec.model_copy(update={"training": spec.training.model_copy(update={"seed": seed})})
        training = train_models(workspace, seeded, train=parts["train"], validation=parts["validation"])
        runs.append(training.candidates[0].run_id)
        evaluate_model(workspace, spec, training.candidates[0].run_id, parts["test"])
    return {"workspace": workspace, "spec": spec, "parts": parts, "runs": runs}
