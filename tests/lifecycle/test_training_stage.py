"""`steward train` on the bundled real data: baselines and tuned candidates, tracked; the saved models
score as recorded; a run is reproduced from its record; bad input stops before anything is trained."""

from __future__ import annotations

import json

import pytest
import yaml
from sklearn.metrics import roc_auc_score

from mlsteward.data.splits import SplitConfig
from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput, QuotaExceeded
from mlsteward.lifecycle.datasets import add_dataset, load_dataset
from mlsteward.lifecycle.features import fit_features, load_feature_set
from mlsteward.lifecycle.splits import split_and_register
from mlsteward.lifecycle.training import reproduce_run, train_models
from mlsteward.models_io import load_model
from mlsteward.spec import Spec
from mlsteward.workspace import Workspace

SPEC = {
    "project": "wages",
    "charter": {"problem": "p", "decision": "d", "prediction_target": "t",
                "kpis": {"ml": [{"name": "roc_auc", "target": 0.8, "timeframe": "now"}]},
                "baseline": {"description": "prestige rule", "rule": "prestg10 > 50"},
                "constraints": {"p95_latency_ms": 500}},
    "data": {"target": "high_income"},
    "features": {"definitions": [
        {"name": "prestige", "transform": "standard_scale", "inputs": ["prestg10"]},
        {"name": "children", "transform": "impute", "inputs": ["childs"]},
        {"name": "education", "transform": "one_hot", "inputs": ["educcat"]},
        {"name": "occupation_rate", "transform": "target_encode", "inputs": ["occrecode"]}]},
    "training": {"seed": 3, "tuning": {"trials": 3}, "candidates": [
        {"name": "logreg", "model": "sklearn.linear_model.LogisticRegression", "params": {"max_iter": 500},
         "space": {"C": {"low": 0.01, "high": 10, "log": True}}},
        {"name": "forest", "model": "sklearn.ensemble.RandomForestClassifier", "params": {"n_estimators": 20},
         "space": {"max_depth": {"low": 2, "high": 8, "int": True}}}]},
}


def _spec(**changes: object) -> Spec:
    spec = json.loads(json.dumps(SPEC))
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            spec[section][field] = value
        else:
            spec[section] = value
    return Spec.model_validate(spec)


@pytest.fixture
def prepared(workspace: Workspace) -> dict[str, str]:
    data = gss_wages_with_target().sample(6000, random_state=0).reset_index(drop=True)
    source, _ = add_dataset(workspace, data, name="gss")
    parts = split_and_register(workspace, source.ref, SplitConfig(strategy="stratified", seed=0),
                               target="high_income").parts
    fit_features(workspace, _spec(), parts["train"])
    return parts


def test_training_tracks_baselines_trials_and_profiled_candidates(workspace: Workspace, prepared) -> None:  # noqa: ANN001
    seen = []
    result = train_models(workspace, _spec(), train=prepared["train"], validation=prepared["validation"],
                          progress=lambda what, done, total, best: seen.append((what, done, total)))
    runs = workspace.store.runs
    parent = runs.get(result.parent_run)
    assert parent.status == "finished" and parent.tags["best_candidate"] == result.best
    assert {b.name for b in result.baselines} == {"majority", "charter_rule"}
    valid = load_dataset(workspace, prepared["validation"])
    y = valid["high_income"]
    rule = next(b for b in result.baselines if b.name == "charter_rule")
    assert rule.value == pytest.approx(roc_auc_score(y, (valid["prestg10"] > 50).astype(int)), abs=1e-12)
    majority = next(b for b in result.baselines if b.name == "majority")
    assert majority.value == pytest.approx(0.5)
    feature_set, _ = load_feature_set(workspace, result.feature_set)
    for candidate in result.candidates:
        best_run = runs.get(candidate.run_id)
        assert best_run.parent_id == parent.id and best_run.params["validation"] == prepared["validation"]
        model = load_model(workspace.artifacts.get_bytes(candidate.model_artifact))
        independent = roc_auc_score(y, model.predict_proba(feature_set.transform(valid))[:, 1])
        assert candidate.value == pytest.approx(independent, abs=1e-12)
        assert candidate.uplift == pytest.approx(candidate.value - max(b.value for b in result.baselines), abs=1e-12)
        assert candidate.trials == 3 and candidate.efficiency.latency_p99_ms > 0
        assert [b.name for b in candidate.budgets][:1] == ["p95_latency_ms"]
    tuning = [r for r in runs.search(experiment="wages") if r.tags.get("kind") == "tuning"]
    assert len(tuning) == 2
    trials = [r for r in runs.search(experiment="wages") if r.parent_id in {t.id for t in tuning}]
    assert len(trials) == 6 and all("roc_auc" in t.metrics for t in trials)
    assert seen[-1][1:] == (3, 3)


def test_a_trained_candidate_is_reproduced_from_its_record(workspace: Workspace, prepared) -> None:  # noqa: ANN001
    result = train_models(workspace, _spec(), train=prepared["train"], validation=prepared["validation"])
    forest = next(c for c in result.candidates if c.name == "forest")
    again = reproduce_run(workspace, forest.run_id[:10])
    assert again.matches and again.reproduced == forest.value and again.environment_changes == {}
    assert workspace.store.runs.get(again.new_run).tags["reproduces"] == forest.run_id
    with pytest.raises(InvalidInput, match="not a fitted candidate"):
        reproduce_run(workspace, result.parent_run)


@pytest.mark.parametrize(("changes", "message"), [
    ({"training__candidates": [{"name": "x", "model": "sklearn.linear_model.LogisticRegresion"}]}, "LogisticRegression"),
    ({"training__candidates": [{"name": "x", "model": "nosuchpackage.Model"}]}, "nosuchpackage"),
    ({"training__candidates": [{"name": "x", "model": "sklearn.linear_model.LinearRegression"}]}, "regress"),
    ({"training__candidates": [{"name": "x", "model": "sklearn.tree.DecisionTreeClassifier",
                                "space": {"depth": {"low": 1, "high": 3}}}]}, "no parameter ['depth']"),
    ({"charter__kpis": {}}, "no metric to optimise"),
    ({"training__candidates": []}, "names no candidate models"),
])
def test_bad_input_is_refused_before_anything_is_trained(workspace: Workspace, prepared, changes, message) -> None:  # noqa: ANN001
    before = len(workspace.store.runs.search(experiment="wages"))
    with pytest.raises(InvalidInput, match=message.replace("[", r"\[").replace("]", r"\]")):
        train_models(workspace, _spec(**changes), train=prepared["train"], validation=prepared["validation"])
    assert len(workspace.store.runs.search(experiment="wages")) == before


def test_targets_that_cannot_be_learned_are_refused(workspace: Workspace, prepared) -> None:  # noqa: ANN001
    train = load_dataset(workspace, prepared["train"])
    one_class, _ = add_dataset(workspace, train.assign(high_income=1), name="ones")
    with pytest.raises(InvalidInput, match="one class"):
        train_models(workspace, _spec(), train=one_class.ref, validation=prepared["validation"])
    valid = load_dataset(workspace, prepared["validation"])
    no_positives, _ = add_dataset(workspace, valid[valid["high_income"] == 0], name="zeros")
    with pytest.raises(InvalidInput, match="validation"):
        train_models(workspace, _spec(), train=prepared["train"], validation=no_positives.ref)


def test_a_bad_parameter_range_is_a_spec_problem() -> None:
    from mlsteward.spec import check_spec_text

    spec = json.loads(json.dumps(SPEC))
    spec["training"]["candidates"][0]["space"]["C"] = {"low": 10, "high": 1}
    spec["training"]["candidates"][1]["space"]["max_depth"] = {"low": 0, "high": 5, "log": True}
    problems = {p.path: p.expected for p in check_spec_text(yaml.safe_dump(spec))}
    assert "low must be below high" in problems["training.candidates[0].space.C"]
    assert "log range needs low > 0" in problems["training.candidates[1].space.max_depth"]


def test_tuning_keeps_to_the_quota(workspace: Workspace, prepared) -> None:  # noqa: ANN001
    capped = _spec(costs={"quota": {"max_trials": 2}}, training__tuning={"trials": 5})
    result = train_models(workspace, capped, train=prepared["train"], validation=prepared["validation"])
    runs = workspace.store.runs.search(experiment="wages", limit=1000)
    tuning = {r.id for r in runs if r.tags.get("kind") == "tuning" and r.parent_id == result.parent_run}
    assert [c.trials for c in result.candidates] == [2, 2]
    assert sum(r.parent_id in tuning for r in runs) == 4
    assert workspace.store.runs.get(result.parent_run).params["quota_max_trials"] == "2"
    # a runtime quota spent by the first candidate's first trial leaves the second untuned, and says so
    hurried = _spec(costs={"quota": {"max_runtime_minutes": 0.0001}}, training__tuning={"trials": 5})
    result = train_models(workspace, hurried, train=prepared["train"], validation=prepared["validation"])
    assert [(c.name, c.trials) for c in result.candidates] == [("logreg", 1)]
    assert any("'forest' was not tuned: the tuning runtime quota" in n for n in result.notes)


def test_training_stops_when_the_months_cpu_quota_is_used(workspace: Workspace, prepared) -> None:  # noqa: ANN001
    train_models(workspace, _spec(), train=prepared["train"], validation=prepared["validation"])
    before = len(workspace.store.runs.search(experiment="wages", limit=1000))
    with pytest.raises(QuotaExceeded, match=r"training CPU hours this month .* raise the quota"):
        train_models(workspace, _spec(costs={"quota": {"monthly_training_cpu_hours": 1e-6}}),
                     train=prepared["train"], validation=prepared["validation"])
    assert len(workspace.store.runs.search(experiment="wages", limit=1000)) == before
