"""`steward evaluate`: a trained model checked on a dataset version by the evaluation suite, recorded.

The model is a fitted candidate run of `steward train` (its skops model, loaded safely, and the feature
set it was trained on). The suite reads the project's settings (``evaluation:``, the sensitive
attributes, the promotion gate, the charter's baseline); the run's training and validation splits
feed cross-validation, recalibration, the baselines and retrain ablation. The results, the Model
Performance Report and the model card are stored as artifacts of an evaluation run (a child of the
model's run) and recorded as an Evaluation linked to the model, the data version and that run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel
from sklearn.base import is_classifier

from mlsteward.errors import InvalidInput, NotFound
from mlsteward.evaluate._uplift import KPITarget
from mlsteward.evaluate.suite import SuiteInputs, SuiteResult, run_suite, validate_inputs
from mlsteward.features.definitions import source_columns
from mlsteward.features.feature_set import FeatureSet
from mlsteward.lifecycle.data_stage import REPORTS_DIR
from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.lifecycle.features import load_feature_set
from mlsteward.lifecycle.training import WorkStart, fit_candidate, start_run_record
from mlsteward.models_io import load_model
from mlsteward.report import render_model_card_html, render_model_card_markdown, render_performance_report, write_report
from mlsteward.report.model_card import ModelCardFacts
from mlsteward.spec import Spec
from mlsteward.stages import Stage, StageStatus
from mlsteward.store.evaluations import EvaluationRecord, NewEvaluation
from mlsteward.store.runs import RunRecord
from mlsteward.train.baselines import RuleBaseline, majority_baseline
from mlsteward.train.estimators import import_estimator
from mlsteward.train.metrics import metric_named, score_estimator
from mlsteward.train.scoring import scoring_model
from mlsteward.workspace import Workspace

Progress = Callable[[str, int, int], None]
CRITICAL_TAG = "explainability-critical"


class EvaluationOutcome(BaseModel):
    evaluation: EvaluationRecord
    model_run: str
    candidate: str
    result: SuiteResult
    report_path: str
    card_path: str
    card_html_path: str


def evaluate_model(workspace: Workspace, spec: Spec, model: str, data: str, *, checks: list[str] | None = None,
                   progress: Progress | None = None) -> EvaluationOutcome:
    """Run the evaluation suite on model ``model`` (a run id, or ``best`` / a candidate name of the latest
    training) and dataset version ``data``; record it and write the report and the model card."""
    began = WorkStart()
    record = resolve_model_run(workspace, spec.project, model)
    inputs, train_df = _suite_inputs(workspace, spec, record, data)
    validate_inputs(inputs)  # before the baselines are scored on the test rows
    inputs.baselines = _baselines(spec, inputs.model, train_df, inputs.frame, inputs.y, record.params["target"],
                                  inputs.metric.name)
    result = run_suite(inputs, checks, progress=progress)
    ref = workspace.store.datasets.get(data).ref
    for role in ("train", "validation"):
        if record.params.get(role) == ref:
            result.notes.append(f"evaluated on the model's {role} split ({ref}): the numbers are optimistic; "
                                "evaluate on the held-out test split")
    return _record(workspace, spec, record, data, inputs, result, began)


def resolve_model_run(workspace: Workspace, project: str, ref: str) -> RunRecord:
    """The fitted-candidate run ``ref``: a run id (or prefix), ``best`` (the best candidate of the latest
    `steward train`), or a candidate's name (its fit in the latest training)."""
    if ref != "best" and _looks_like_id(ref):
        try:
            record = workspace.store.runs.get(ref)
        except NotFound:
            record = None  # perhaps a candidate whose name looks like an id
        if record is not None:
            if record.tags.get("kind") != "candidate-fit" or not _model_artifact(record):
                raise InvalidInput(f"run {record.id[:8]} ({record.name}) holds no trained model: evaluate a "
                                   "`best-<candidate>` run of `steward train` (`steward runs list` shows them), "
                                   "or give `best`")
            return record
    return _candidate_run(workspace, project, ref)


def _candidate_run(workspace: Workspace, project: str, ref: str) -> RunRecord:
    runs = workspace.store.runs
    trainings = runs.search("tags.kind = 'training' and status = 'finished'", experiment=project, limit=1)
    if not trainings:
        raise NotFound(f"no finished `steward train` in project {project!r} and no run {ref!r}: train first, "
                       "or give a run id")
    parent = trainings[0].id
    candidate = trainings[0].tags.get("best_candidate") if ref == "best" else ref
    found = runs.search(f"tags.kind = 'candidate-fit' and tags.candidate = '{_quoted(candidate)}' and "
                        f"parent_id = '{parent}'", experiment=project, limit=1)
    if not found:
        names = sorted({r.tags.get("candidate", "") for r in runs.search(
            f"tags.kind = 'candidate-fit' and parent_id = '{parent}'", experiment=project)})
        raise NotFound(f"no candidate {candidate!r} in the latest training run {parent[:8]} (it has: "
                       f"{', '.join(names)}); give `best`, a candidate's name or a run id")
    return found[0]


def _suite_inputs(workspace: Workspace, spec: Spec, record: RunRecord, data: str
                  ) -> tuple[SuiteInputs, pd.DataFrame]:
    """The suite's inputs (without the baselines) and the training split."""
    p = record.params
    estimator = load_model(workspace.artifacts.get_bytes(_model_artifact(record)))
    fs, _ = load_feature_set(workspace, p["feature_set"])
    model = scoring_model(fs, estimator)
    target = p["target"]
    version = workspace.store.datasets.get(data)
    frame = load_dataset(workspace, version.ref)
    if target not in frame.columns:
        raise InvalidInput(f"the target {target!r} the model predicts is not a column of {version.ref}: evaluate on "
                           "a labelled version with the training data's columns")
    frame = frame.reset_index(drop=True)
    train_df, valid_df = (load_dataset(workspace, p[k]).reset_index(drop=True) for k in ("train", "validation"))
    cls, params, seed = import_estimator(p["model"]), json.loads(p["params"]), int(p["seed"])
    test_x = frame.drop(columns=[target])
    return SuiteInputs(
        model=model, frame=test_x, y=frame[target], metric_name=p["metric"], config=spec.evaluation,
        sensitive=list(spec.data.sensitive_attributes), gate=list(spec.gates.get("promotion", [])),
        kpi=_kpi(spec, p["metric"]),
        train=(train_df.drop(columns=[target]), train_df[target]),
        calibration_rows=(valid_df.drop(columns=[target]), valid_df[target]),
        refit=_refitter(fs, cls, params, seed, target), critical=_critical_columns(fs), seed=seed), train_df


def _baselines(spec: Spec, model: Any, train_df: pd.DataFrame, test_x: pd.DataFrame, y_test: pd.Series,
               target: str, metric_name: str) -> dict[str, float]:
    """The baselines of `steward train`, fitted on the training split and scored on the test rows."""
    task = "classification" if is_classifier(model) else "regression"
    metric = metric_named(metric_name, task)
    models = {"majority" if task == "classification" else "mean": majority_baseline(task)}
    rule = spec.charter.baseline.rule if spec.charter.baseline else None
    if rule and task == "classification":
        models["charter_rule"] = RuleBaseline(rule)
    x_train, y_train = train_df.drop(columns=[target]), train_df[target]
    return {name: score_estimator(metric, m.fit(x_train, y_train), test_x, y_test) for name, m in models.items()}


def _kpi(spec: Spec, metric_name: str) -> KPITarget | None:
    """The charter's ML KPI for the model's metric, with today's value when the baseline records one."""
    kpi = next((k for k in spec.charter.kpis.ml if k.name == metric_name), None)
    if kpi is None:
        return None
    today = spec.charter.baseline.kpi_values.get(metric_name) if spec.charter.baseline else None
    return KPITarget(name=kpi.name, target=kpi.target, baseline=today, direction=kpi.direction)


def _refitter(fs: FeatureSet, cls: type, params: dict, seed: int, target: str
              ) -> Callable[[pd.DataFrame, pd.Series], Any]:
    """Fit the model again on raw columns: the features that can still be made from them, then the
    candidate with its recorded parameters (what retrain ablation needs)."""
    def refit(x: pd.DataFrame, y: pd.Series) -> Any:
        by_name = {d.name: d for d in fs.definitions}
        keep = [d for d in fs.definitions if set(source_columns(d, by_name)) <= set(x.columns)]
        if not keep:
            raise InvalidInput("no feature can be made without these columns: nothing to retrain")
        refitted, features = FeatureSet.fit(keep, x.assign(**{target: y.to_numpy()}), target)
        return scoring_model(refitted, fit_candidate(cls, params, seed, features, y))
    return refit


def _critical_columns(fs: FeatureSet) -> list[str]:
    by_name = {d.name: d for d in fs.definitions}
    critical = [d for d in fs.definitions if CRITICAL_TAG in d.tags]
    return list(dict.fromkeys(c for d in critical for c in source_columns(d, by_name)))


def _record(workspace: Workspace, spec: Spec, record: RunRecord, data: str, inputs: SuiteInputs,
            result: SuiteResult, began: WorkStart) -> EvaluationOutcome:
    ref = workspace.store.datasets.get(data).ref
    candidate = record.tags.get("candidate", record.name)
    facts = ModelCardFacts(project=spec.project, charter=spec.charter.model_dump(mode="json"), candidate=candidate,
                           model=record.params.get("model", ""), params=json.loads(record.params.get("params", "{}")),
                           model_run=record.id, train=record.params.get("train"),
                           validation=record.params.get("validation"), feature_set=record.params.get("feature_set"),
                           test=ref, target=record.params.get("target"),
                           sensitive_attributes=list(inputs.sensitive))
    title = f"{spec.project}: {candidate} on {ref}"
    html = render_performance_report(result, title=title, facts=facts)
    card_md = render_model_card_markdown(result, facts)
    card_html = render_model_card_html(result, facts)
    run = start_run_record(workspace, record.experiment, f"evaluate-{candidate}", record.id, inputs.seed,
                           {"kind": "evaluation", "candidate": candidate, "stage": "evaluation",
                            "gate": result.gate.decision if result.gate else "no gate"}, began)
    try:
        run.log_params({"model_run": record.id, "dataset": ref,
                        "checks": ",".join(c.name for c in result.checks if c.status != "skipped")})
        run.log_metrics(_headline_metrics(result))
        results_entry = run.log_bytes(result.model_dump_json(indent=2).encode(), "evaluation.json")
        report_entry = run.log_bytes(html.encode(), "performance-report.html")
        card_entry = run.log_bytes(card_md.encode(), "model-card.md")
        run.log_bytes(card_html.encode(), "model-card.html")
        workspace.store.datasets.link_run(run.id, ref, "evaluation")
        value = _headline_metrics(result).get(result.metric)
        evaluation = workspace.store.evaluations.record(NewEvaluation(
            project=spec.project, model_run_id=record.id, dataset=ref, run_id=run.id, metric=result.metric,
            value=value, suite=inputs.config.model_dump(mode="json"),
            checks={c.name: c.status for c in result.checks}, gate=result.gate.decision if result.gate else "no gate",
            results_digest=results_entry.digest, report_digest=report_entry.digest, card_digest=card_entry.digest))
        run.end("finished")
    except BaseException:
        run.end("failed")
        raise
    folder = Path(workspace.settings.project_root) / REPORTS_DIR
    stem = f"{candidate}-{evaluation.id[:8]}"
    report_path = write_report(html, folder / f"{stem}-performance.html")
    card_path = write_report(card_md, folder / f"{stem}-model-card.md")
    card_html_path = write_report(card_html, folder / f"{stem}-model-card.html")
    _update_board(workspace, spec.project, result, candidate)
    return EvaluationOutcome(evaluation=evaluation, model_run=record.id, candidate=candidate, result=result,
                             report_path=str(report_path), card_path=str(card_path),
                             card_html_path=str(card_html_path))


def _headline_metrics(result: SuiteResult) -> dict[str, float]:
    """The point estimates of the metrics check, the ECE and the Brier score, for the run's metrics."""
    values: dict[str, float] = {}
    metrics = result.result("metrics") or {}
    for name, value in (metrics.get("values") or {}).items():
        if value.get("value") is not None:
            values[name] = value["value"]
    calibration = result.result("calibration") or {}
    for key in ("expected_calibration_error", "brier_score"):
        if isinstance(calibration.get(key), (int, float)):
            values[key] = calibration[key]
    return values


def _update_board(workspace: Workspace, project: str, result: SuiteResult, candidate: str) -> None:
    decision = result.gate.decision if result.gate else "no gate"
    status = {"pass": StageStatus.PASSED, "fail": StageStatus.FAILED}.get(decision, StageStatus.IN_PROGRESS)
    note = f"{candidate}: promotion gate {decision}"
    try:
        workspace.store.projects.set_stage(project, Stage.EVALUATION, status, note=note)
    except NotFound:
        pass


def _model_artifact(record: RunRecord) -> str | None:
    return next((a.digest for a in record.artifacts if a.path == "model.skops"), None)


def _looks_like_id(ref: str) -> bool:
    return len(ref) >= 4 and all(c in "0123456789abcdef" for c in ref.lower())


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


__all__ = ["EvaluationOutcome", "evaluate_model", "resolve_model_run"]
