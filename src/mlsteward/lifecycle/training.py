"""`steward train`: baselines and tuned candidates on the recorded split, through the fitted feature
set, each tracked; the best trial of each candidate refitted, profiled and saved safely.

Everything that can be wrong with the configuration or the data is checked before the first model is
fitted. The record of each candidate fit (datasets, feature set, model, parameters, seed) is enough for
``reproduce_run`` to fit it again and compare the metric.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
import pandas as pd
from pydantic import BaseModel

from mlsteward.errors import InvalidInput, NotFound
from mlsteward.features.feature_set import FeatureSet
from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.lifecycle.features import load_feature_set
from mlsteward.lifecycle.tuning_quota import TuningQuota, check_monthly_quota
from mlsteward.models_io import dump_model
from mlsteward.spec import Spec
from mlsteward.spec_training import Candidate, ParamRange
from mlsteward.stages import Stage, StageStatus
from mlsteward.tracking.environment import capture_environment
from mlsteward.tracking.optuna_callback import StewardCallback
from mlsteward.tracking.run import Run
from mlsteward.train.baselines import RuleBaseline, majority_baseline
from mlsteward.train.efficiency import BudgetCheck, EfficiencyProfile, profile_model, within_budget
from mlsteward.train.estimators import build_estimator, check_task, import_estimator
from mlsteward.train.metrics import check_classes_present, check_target, metric_named, score_estimator, task_of
from mlsteward.workspace import Workspace

Progress = Callable[[str, int, int, float | None], None]  # (what, done, total, best so far)


class BaselineResult(BaseModel):
    name: str
    value: float
    run_id: str


class CandidateResult(BaseModel):
    name: str
    model: str
    params: dict[str, Any]
    value: float
    uplift: float
    trials: int
    pruned: int
    run_id: str  # the refit of the best trial, holding the model
    model_artifact: str
    efficiency: EfficiencyProfile
    budgets: list[BudgetCheck]


class Reproduction(BaseModel):
    run: str  # the run reproduced
    new_run: str
    metric: str
    recorded: float
    reproduced: float
    matches: bool
    environment_changes: dict[str, tuple[str | None, str | None]]


class TrainingResult(BaseModel):
    parent_run: str
    metric: str
    greater_is_better: bool
    train: str
    validation: str
    feature_set: str
    baselines: list[BaselineResult]
    candidates: list[CandidateResult]
    best: str | None
    notes: list[str]


def train_models(workspace: Workspace, spec: Spec, *, train: str, validation: str, feature_set: str | None = None,
                 progress: Progress | None = None) -> TrainingResult:
    """Train the baselines and tune every candidate of ``spec.training``; return the comparison."""
    progress = progress or (lambda *_: None)
    config = spec.training
    if not config.candidates:
        raise InvalidInput("steward.yaml names no candidate models: add them under training.candidates")
    target = spec.data.target
    if not target:
        raise InvalidInput("steward.yaml has no data.target: say which column the models predict")
    metric_name = config.metric or (spec.charter.kpis.ml[0].name if spec.charter.kpis.ml else None)
    if metric_name is None:
        raise InvalidInput("no metric to optimise: set training.metric, or give the charter an ML KPI "
                           "(charter.kpis.ml)")
    train_version, valid_version = (workspace.store.datasets.get(r) for r in (train, validation))
    train_df, valid_df = load_dataset(workspace, train_version.ref), load_dataset(workspace, valid_version.ref)
    for frame, ref in ((train_df, train_version.ref), (valid_df, valid_version.ref)):
        if target not in frame.columns:
            raise InvalidInput(f"the target {target!r} is not a column of {ref}")
    y_train, y_valid = train_df[target], valid_df[target]
    task = task_of(y_train)
    check_target(y_train, task)
    if task == "classification":
        check_classes_present(y_train, y_valid)
    metric = metric_named(metric_name, task)
    estimators = {c.name: _checked_candidate(c, task, config.seed) for c in config.candidates}

    fs, fs_record = _feature_set(workspace, spec, feature_set, train_version.ref)
    notes: list[str] = []
    x_train = training_features(fs, fs_record, train_df, target, train_version.ref, notes)
    x_valid = fs.transform(valid_df)

    check_monthly_quota(workspace, spec)
    quota = TuningQuota(spec)
    parent = start_run_record(workspace, spec.project, "train", None, config.seed)
    parent.log_params({"train": train_version.ref, "validation": valid_version.ref, "feature_set": fs_record.ref,
                       "metric": metric_name, "seed": config.seed, "task": task,
                       "candidates": json.dumps([c.model_dump() for c in config.candidates]), **quota.params()})
    parent.set_tags({"stage": "training", "kind": "training"})
    for ref, role in ((train_version.ref, "train"), (valid_version.ref, "validation")):
        workspace.store.datasets.link_run(parent.id, ref, role)
    try:
        baselines = _baselines(workspace, spec, parent, task, metric, train_df, y_train, valid_df, y_valid, target)
        best_baseline = _best(metric, [b.value for b in baselines])
        candidates = []
        for i, candidate in enumerate(config.candidates):
            timeout = quota.timeout_s(len(config.candidates) - i)
            if timeout is not None and timeout <= 0:
                notes.append(f"candidate {candidate.name!r} was not tuned: the tuning runtime quota "
                             f"(costs.quota.max_runtime_minutes = {quota.max_runtime_minutes:g}) was used up")
                continue
            candidates.append(_tune(workspace, spec, parent, candidate, estimators[candidate.name], metric,
                                    x_train, y_train, x_valid, y_valid, best_baseline, fs_record.ref,
                                    (train_version.ref, valid_version.ref), (quota.trials, timeout),
                                    lambda done, total, best, i=i, c=candidate:
                                    progress(f"{c.name} ({i + 1}/{len(config.candidates)})", done, total, best)))
        best = max(candidates, key=lambda c: c.value if metric.greater_is_better else -c.value) if candidates else None
        parent.log_metrics({f"baseline_{b.name}_{metric_name}": b.value for b in baselines}
                           | {f"{c.name}_{metric_name}": c.value for c in candidates})
        result = TrainingResult(parent_run=parent.id, metric=metric_name, greater_is_better=metric.greater_is_better,
                                train=train_version.ref, validation=valid_version.ref, feature_set=fs_record.ref,
                                baselines=baselines, candidates=candidates, best=best.name if best else None,
                                notes=notes)
        parent.log_bytes(result.model_dump_json(indent=2).encode(), "training-result.json")
        parent.set_tag("best_candidate", result.best)
        parent.end("finished")
    except BaseException:
        parent.end("failed")
        raise
    _update_board(workspace, spec.project, result)
    return result


def fit_candidate(cls: type, params: dict, seed: int, x: pd.DataFrame, y: pd.Series) -> object:
    """Build and fit one model (the same call for training and for reproducing a run)."""
    return build_estimator(cls, params, seed).fit(x, y)


def reproduce_run(workspace: Workspace, ref: str) -> Reproduction:
    """Fit a candidate run again from its record (datasets, feature set, model, parameters, seed) and
    compare its metric with the recorded one; the reproduction is a run of its own."""
    record = workspace.store.runs.get(ref)
    if record.tags.get("kind") != "candidate-fit":
        raise InvalidInput(f"run {record.id[:8]} ({record.name}) is not a fitted candidate: reproduce a "
                           "`best-<candidate>` run of `steward train` (`steward runs list` shows them)")
    p = record.params
    fs, fs_record = load_feature_set(workspace, p["feature_set"])
    train_df, valid_df = load_dataset(workspace, p["train"]), load_dataset(workspace, p["validation"])
    target, seed = p["target"], int(p["seed"])
    x_train = training_features(fs, fs_record, train_df, target, p["train"], [])
    metric = metric_named(p["metric"], task_of(train_df[target]))
    model = fit_candidate(import_estimator(p["model"]), json.loads(p["params"]), seed, x_train, train_df[target])
    value = score_estimator(metric, model, fs.transform(valid_df), valid_df[target])
    run = start_run_record(workspace, record.experiment, f"reproduce-{record.name}", record.parent_id, seed,
                 {"kind": "reproduction", "reproduces": record.id})
    run.log_params(p)
    run.log_metric(metric.name, value)
    run.end("finished")
    recorded = record.metrics[metric.name]
    now = capture_environment(str(workspace.settings.project_root))
    changes = _environment_changes(record.environment, now)
    return Reproduction(run=record.id, new_run=run.id, metric=metric.name, recorded=recorded, reproduced=value,
                        matches=bool(np.isclose(value, recorded, rtol=0, atol=1e-12)), environment_changes=changes)


def _environment_changes(then: dict, now: dict) -> dict[str, tuple[str | None, str | None]]:
    """Python and package versions that differ between the recorded run and this one."""
    changes = {}
    if then.get("python") != now.get("python"):
        changes["python"] = (then.get("python"), now.get("python"))
    old, new = then.get("packages") or {}, now.get("packages") or {}
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            changes[name] = (old.get(name), new.get(name))
    return changes


def _checked_candidate(candidate: Candidate, task: str, seed: int) -> type:
    cls = import_estimator(candidate.model)
    check_task(cls, task)
    build_estimator(cls, candidate.params, seed)  # fixed parameters are valid names
    known = set(cls().get_params())
    unknown = sorted(set(candidate.space) - known)
    if unknown:
        raise InvalidInput(f"candidate {candidate.name!r}: {candidate.model} has no parameter {unknown} to tune "
                           f"(it has: {sorted(known)})")
    return cls


def _feature_set(workspace: Workspace, spec: Spec, ref: str | None, train_ref: str) -> tuple[FeatureSet, Any]:
    name = ref or spec.features.name or spec.project
    try:
        fs, record = load_feature_set(workspace, name)
    except NotFound as error:
        raise InvalidInput(f"no fitted feature set {name!r}: run `steward features fit --dataset {train_ref}` "
                           "first (models train on the fitted feature pipeline)") from error
    return fs, record


def training_features(fs: FeatureSet, record: Any, train_df: pd.DataFrame, target: str, train_ref: str,
                       notes: list[str]) -> pd.DataFrame:
    """The training rows' features exactly as the fit produced them (target encodings cross-fitted)."""
    if record.dataset == train_ref:
        refit, features = FeatureSet.fit(fs.definitions, train_df, target)
        if refit.output_columns != fs.output_columns:  # a selection step was appended after the fit
            features = features[fs.output_columns]
        return features
    notes.append(f"the feature set {record.ref} was fitted on {record.dataset}, not {train_ref}: training rows "
                 "use its transform (target encodings are not cross-fitted)")
    return fs.transform(train_df)


@dataclass(frozen=True)
class WorkStart:
    """When a piece of work began (wall clock and this process's CPU time): a run recorded once the work is done
    starts here, so that its time and CPU seconds (its cost) are the work's."""

    wall_ms: int = field(default_factory=lambda: time.time_ns() // 1_000_000)
    cpu_seconds: float = field(default_factory=time.process_time)


def start_run_record(workspace: Workspace, experiment: str, name: str, parent: str | None, seed: int | None,
                     tags: dict | None = None, began: WorkStart | None = None) -> Run:
    """A tracked run (with the environment recorded) that lifecycle code logs into; ``began`` backdates it to
    the start of the work it records."""
    record = workspace.store.runs.create(
        experiment=experiment, name=name, parent_id=parent, seed=seed, tags=tags,
        environment=capture_environment(str(workspace.settings.project_root)),
        start_time_ms=began.wall_ms if began else None)
    return Run(workspace, record, cpu_start=began.cpu_seconds if began else None)


def _baselines(workspace: Workspace, spec: Spec, parent: Run, task: str, metric: Any, train_df: pd.DataFrame,
               y_train: pd.Series, valid_df: pd.DataFrame, y_valid: pd.Series, target: str) -> list[BaselineResult]:
    models = {"majority" if task == "classification" else "mean": majority_baseline(task)}
    rule = spec.charter.baseline.rule if spec.charter.baseline else None
    if rule and task == "classification":
        models["charter_rule"] = RuleBaseline(rule)
    results = []
    for name, model in models.items():
        x_train, x_valid = train_df.drop(columns=[target]), valid_df.drop(columns=[target])
        model.fit(x_train, y_train)
        value = score_estimator(metric, model, x_valid, y_valid)
        run = start_run_record(workspace, parent.experiment, f"baseline-{name}", parent.id, None,
                     {"kind": "baseline", "baseline": name})
        run.log_params({"model": type(model).__name__, **({"rule": rule} if name == "charter_rule" else {})})
        run.log_metric(metric.name, value)
        run.end("finished")
        results.append(BaselineResult(name=name, value=value, run_id=run.id))
    return results


def _tune(workspace: Workspace, spec: Spec, parent: Run, candidate: Candidate, cls: type, metric: Any,
          x_train: pd.DataFrame, y_train: pd.Series, x_valid: pd.DataFrame, y_valid: pd.Series,
          best_baseline: float, feature_set: str, datasets: tuple[str, str], limits: tuple[int, float | None],
          progress: Callable[[int, int, float | None], None]) -> CandidateResult:
    """Tune one candidate for at most ``limits`` (trials, timeout in seconds), then refit and profile its best."""
    config = spec.training
    seed = config.seed
    study_parent = start_run_record(workspace, parent.experiment, f"tune-{candidate.name}", parent.id, seed,
                          {"kind": "tuning", "candidate": candidate.name})
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    direction = "maximize" if metric.greater_is_better else "minimize"
    pruner = optuna.pruners.MedianPruner(n_warmup_steps=1) if config.tuning.pruning else optuna.pruners.NopPruner()
    study = optuna.create_study(direction=direction, sampler=optuna.samplers.TPESampler(seed=seed), pruner=pruner)
    total, timeout = limits

    def objective(trial: optuna.Trial) -> float:
        params = {**candidate.params, **{k: _suggest(trial, k, r) for k, r in candidate.space.items()}}
        return _fit_and_score(trial, cls, params, seed, metric, x_train, y_train, x_valid, y_valid)

    def report(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        finished = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
        progress(len(study.trials), total, study.best_value if finished else None)

    callback = StewardCallback(study_parent, metric_name=metric.name)
    study.optimize(objective, n_trials=total, timeout=timeout, callbacks=[callback, report],
                   catch=())
    study_parent.end("finished")
    completed = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not completed:
        raise InvalidInput(f"candidate {candidate.name!r}: no trial completed (all were pruned or failed)")
    params = {**candidate.params, **study.best_params}
    fitted, efficiency = profile_model(lambda: build_estimator(cls, params, seed), x_train, y_train,
                                       predict_rows=x_valid)
    value = score_estimator(metric, fitted, x_valid, y_valid)
    uplift = (value - best_baseline) if metric.greater_is_better else (best_baseline - value)
    constraints = spec.charter.constraints
    budgets = within_budget(efficiency, constraints.p95_latency_ms, constraints.cost_per_prediction_usd)
    run = start_run_record(workspace, parent.experiment, f"best-{candidate.name}", parent.id, seed,
                 {"kind": "candidate-fit", "candidate": candidate.name})
    run.log_params({"model": candidate.model, "params": json.dumps(params, sort_keys=True, default=str),
                    "train": datasets[0], "validation": datasets[1], "feature_set": feature_set,
                    "target": spec.data.target, "metric": metric.name, "seed": seed})
    run.log_metrics({metric.name: value, "uplift_over_baseline": uplift,
                     **{f"efficiency_{k}": float(v) for k, v in efficiency.model_dump().items()}})
    artifact = run.log_bytes(dump_model(fitted), "model.skops")
    for ref, role in zip(datasets, ("train", "validation"), strict=True):
        workspace.store.datasets.link_run(run.id, ref, role)
    run.end("finished")
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    return CandidateResult(name=candidate.name, model=candidate.model, params=params, value=value, uplift=uplift,
                           trials=len(study.trials), pruned=pruned, run_id=run.id, model_artifact=artifact.digest,
                           efficiency=efficiency, budgets=budgets)


def _suggest(trial: optuna.Trial, name: str, space: ParamRange) -> Any:
    if space.choices is not None:
        return trial.suggest_categorical(name, space.choices)
    if space.int or (space.step is not None and float(space.step).is_integer() and float(space.low).is_integer()):
        return trial.suggest_int(name, int(space.low), int(space.high), step=int(space.step or 1), log=space.log)
    return trial.suggest_float(name, space.low, space.high, step=space.step, log=space.log)


_STAGES = 4  # a model that can grow (warm_start) is fitted in this many steps, each reported for pruning


def _fit_and_score(trial: optuna.Trial, cls: type, params: dict, seed: int, metric: Any, x_train: pd.DataFrame,
                   y_train: pd.Series, x_valid: pd.DataFrame, y_valid: pd.Series) -> float:
    """Fit and score one trial; a model with warm_start and n_estimators grows in steps, each reported
    to the pruner, and is stopped early when the trial is unpromising."""
    model = build_estimator(cls, params, seed)
    grow = "warm_start" in model.get_params() and "n_estimators" in model.get_params()
    if not grow:
        return score_estimator(metric, model.fit(x_train, y_train), x_valid, y_valid)
    full = model.get_params()["n_estimators"]
    value = float("nan")
    for step, size in enumerate(np.unique(np.linspace(max(1, full // _STAGES), full, _STAGES).astype(int))):
        model.set_params(warm_start=True, n_estimators=int(size)).fit(x_train, y_train)
        value = score_estimator(metric, model, x_valid, y_valid)
        trial.report(value, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return value


def _best(metric: Any, values: list[float]) -> float:
    return max(values) if metric.greater_is_better else min(values)


def _update_board(workspace: Workspace, project: str, result: TrainingResult) -> None:
    best = next((c for c in result.candidates if c.name == result.best), None)
    note = (f"run {result.parent_run[:8]}: best {best.name} {result.metric} {best.value:.4f} "
            f"({best.uplift:+.4f} over the best baseline)" if best else f"run {result.parent_run[:8]}")
    try:
        workspace.store.projects.set_stage(project, Stage.TRAINING, StageStatus.IN_PROGRESS, note=note)
    except NotFound:
        pass
