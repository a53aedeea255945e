"""`steward feasibility`: is there enough signal to justify the investment?

On a stratified sample of a dataset version with simple automatic features: the baselines (majority /
mean, and the charter's rule), two prototypes (a linear model and a shallow tree), a learning curve
with the rows needed to reach the charter's target, compute viability against the budgets, the
labeling cost and an initial error taxonomy. The feasibility gate of steward.yaml decides go / no-go;
the result is recorded as evidence of the version, as a tracked run, and as an HTML report.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pandas as pd
from pydantic import BaseModel
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from mlsteward.errors import InvalidInput, NotFound
from mlsteward.evaluate.gates import GateEvidence, decide_gate
from mlsteward.lifecycle.data_stage import REPORTS_DIR
from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.lifecycle.training import WorkStart, start_run_record
from mlsteward.report import render_feasibility_report, write_report
from mlsteward.spec import Spec
from mlsteward.stages import Stage, StageStatus
from mlsteward.store.evidence import Evidence
from mlsteward.train.baselines import RuleBaseline, majority_baseline
from mlsteward.train.efficiency import profile_model
from mlsteward.train.feasibility_core import (
    compute_viability,
    labeling_cost,
    learning_curve_study,
    sample_summary,
)
from mlsteward.train.feasibility_errors import error_taxonomy
from mlsteward.train.feasibility_models import Efficiency, FeasibilityCheck, FeasibilityResult, PrototypeResult
from mlsteward.train.metrics import Metric, check_target, metric_named, score_estimator, task_of
from mlsteward.workspace import Workspace

Step = Callable[[str], None]
MAX_CATEGORIES = 50  # text columns with more distinct values are left out of the simple features
_UNIT_RANGE = {"accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc", "average_precision",
               "brier_score"}


class FeasibilityOutcome(BaseModel):
    dataset: str
    result: FeasibilityResult
    run_id: str
    report_path: str


def run_feasibility(workspace: Workspace, spec: Spec, dataset: str, *, step: Step = lambda _: None
                    ) -> FeasibilityOutcome:
    """Run the timeboxed study on ``dataset`` and record it; see the module docstring."""
    began = WorkStart()
    started = time.perf_counter()
    config = spec.feasibility
    target = spec.data.target
    if not target:
        raise InvalidInput("steward.yaml has no data.target: the study needs the column the model predicts")
    metric_name = spec.training.metric or (spec.charter.kpis.ml[0].name if spec.charter.kpis.ml else None)
    if metric_name is None:
        raise InvalidInput("the charter has no target metric: add an ML KPI (charter.kpis.ml) or set training.metric")
    version = workspace.store.datasets.get(dataset)
    frame = load_dataset(workspace, version.ref)
    if target not in frame.columns:
        raise InvalidInput(f"the target {target!r} is not a column of {version.ref}")
    frame = frame[frame[target].notna()]
    task = task_of(frame[target])
    check_target(frame[target], task)
    metric = metric_named(metric_name, task)
    kpi_target = next((k.target for k in spec.charter.kpis.ml if k.name == metric_name), None)

    step(f"sampling up to {config.sample_rows:,} rows (stratified)")
    sample = _sample(frame, target, task, config.sample_rows, spec.training.seed)
    x, y = _inputs(sample, spec), sample[target]
    x_fit, x_hold, y_fit, y_hold = train_test_split(
        x, y, test_size=0.25, random_state=spec.training.seed, stratify=y if task == "classification" else None)
    notes: list[str] = []

    step("baselines")
    baselines = _baselines(spec, task, metric, sample.loc[x_fit.index], y_fit, sample.loc[x_hold.index], y_hold,
                           target)
    step("prototypes: a linear model and a shallow tree")
    prototypes, fitted = _prototypes(task, metric, x_fit, y_fit, x_hold, y_hold, spec.training.seed)
    best = max(prototypes, key=lambda n: prototypes[n].metric_value * (1 if metric.greater_is_better else -1))

    step(f"learning curve of {best}")
    curve = None
    if time.perf_counter() - started < config.timebox_s:
        curve = learning_curve_study(
            _prototype_models(task, x, spec.training.seed)[best], x, y, seed=spec.training.seed,
            scoring=lambda est, xs, ys: score_estimator(metric, est, xs, ys), target=kpi_target,
            greater_is_better=metric.greater_is_better, score_range=(0.0, 1.0) if metric.name in _UNIT_RANGE else None)
    else:
        notes.append(f"learning curve skipped: the {config.timebox_s:g} s timebox was used up")
    labelled = config.labelled_rows if config.labelled_rows is not None else len(frame)
    per_row, measured = config.label_cost_per_row, None
    if per_row is None:
        from mlsteward.lifecycle.label_quality import measured_cost_per_item

        measured = measured_cost_per_item(workspace, spec)
        per_row = measured[0] if measured else None
    cost = labeling_cost(curve.rows_needed if curve else None, labelled, per_row)
    if measured:
        cost.notes.append(f"The cost per row ({per_row:.2f} USD) is measured in labeling project {measured[1]}: "
                          "its annotators' timed answers at labeling.hourly_rate_usd.")
    constraints = spec.charter.constraints
    efficiency = prototypes[best].efficiency
    viability = compute_viability(**efficiency.model_dump(), p95_latency_ms=constraints.p95_latency_ms,
                                  cost_per_prediction_usd=constraints.cost_per_prediction_usd)
    step("error taxonomy")
    errors = error_taxonomy(x_hold, y_hold, fitted[best].predict(x_hold))

    best_baseline = (max if metric.greater_is_better else min)(baselines.values())
    checks = _gate_checks(spec, metric, prototypes[best].metric_value, best_baseline)
    decision, reasons = _decide(checks, viability.passed, curve, metric, prototypes[best].metric_value, best_baseline,
                                best)
    result = FeasibilityResult(
        metric=metric.name, greater_is_better=metric.greater_is_better,
        sample=sample_summary(y, columns=x.shape[1], target=target), baselines=baselines, prototypes=prototypes,
        learning_curve=curve, labeling_cost=cost, compute_viability=viability, error_taxonomy=errors,
        decision=decision, reasons=reasons, gate_checks=checks, elapsed_seconds=time.perf_counter() - started,
        notes=notes)
    return _record(workspace, spec, version.ref, result, began)


def _sample(frame: pd.DataFrame, target: str, task: str, rows: int, seed: int) -> pd.DataFrame:
    if len(frame) <= rows:
        return frame
    stratify = frame[target] if task == "classification" else None
    sample, _ = train_test_split(frame, train_size=rows, random_state=seed, stratify=stratify)
    return sample.sort_index()


def _inputs(sample: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """The columns simple features are made from: not the target, the sensitive attributes (audit only)
    or the time columns; text columns with at most ``MAX_CATEGORIES`` values, as text."""
    data = spec.data
    left_out = {data.target, data.time_column, data.prediction_time_column, *data.sensitive_attributes}
    columns = {}
    for name in sample.columns:
        column = sample[name]
        if name in left_out or pd.api.types.is_datetime64_any_dtype(column):
            continue
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            columns[name] = column.astype(float)
        elif column.nunique() <= MAX_CATEGORIES:
            columns[name] = column.astype(object).where(column.notna(), "(missing)").astype(str)
    if not columns:
        raise InvalidInput("no usable input columns for the feasibility study (numbers, or text with at most "
                           f"{MAX_CATEGORIES} values, other than the target, time and sensitive columns)")
    return pd.DataFrame(columns, index=sample.index)


def _simple_features(x: pd.DataFrame) -> ColumnTransformer:
    numeric = [c for c in x.columns if pd.api.types.is_float_dtype(x[c])]
    text = [c for c in x.columns if c not in numeric]
    return ColumnTransformer([
        ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        ("categories", OneHotEncoder(handle_unknown="ignore", sparse_output=False), text),
    ])


def _prototype_models(task: str, x: pd.DataFrame, seed: int) -> dict[str, Pipeline]:
    if task == "classification":
        models = {"logistic_regression": LogisticRegression(max_iter=1000),
                  "decision_tree": DecisionTreeClassifier(max_depth=6, min_samples_leaf=20, random_state=seed)}
    else:
        models = {"ridge": Ridge(), "decision_tree": DecisionTreeRegressor(max_depth=6, min_samples_leaf=20,
                                                                           random_state=seed)}
    return {name: Pipeline([("features", _simple_features(x)), ("model", model)]) for name, model in models.items()}


def _prototypes(task: str, metric: Metric, x_fit: pd.DataFrame, y_fit: pd.Series, x_hold: pd.DataFrame,
                y_hold: pd.Series, seed: int) -> tuple[dict[str, PrototypeResult], dict[str, Pipeline]]:
    results, fitted = {}, {}
    for name, model in _prototype_models(task, x_fit, seed).items():
        model_fit, profile = profile_model(lambda m=model: clone(m), x_fit, y_fit, predict_rows=x_hold)
        fitted[name] = model_fit
        measured = Efficiency(**profile.model_dump(include=set(Efficiency.model_fields)))
        results[name] = PrototypeResult(metric_value=score_estimator(metric, model_fit, x_hold, y_hold),
                                        efficiency=measured)
    return results, fitted


def _baselines(spec: Spec, task: str, metric: Metric, fit_rows: pd.DataFrame, y_fit: pd.Series,
               hold_rows: pd.DataFrame, y_hold: pd.Series, target: str) -> dict[str, float]:
    models = {"majority" if task == "classification" else "mean": majority_baseline(task)}
    rule = spec.charter.baseline.rule if spec.charter.baseline else None
    if rule and task == "classification":
        models["charter_rule"] = RuleBaseline(rule)
    return {name: score_estimator(metric, model.fit(fit_rows.drop(columns=[target]), y_fit),
                                  hold_rows.drop(columns=[target]), y_hold) for name, model in models.items()}


def _gate_checks(spec: Spec, metric: Metric, value: float, baseline: float) -> list[FeasibilityCheck]:
    """The feasibility gate of steward.yaml, decided on the best prototype's metric and uplift."""
    uplift = (value - baseline) * (1 if metric.greater_is_better else -1)
    evidence = GateEvidence(metrics={metric.name: value}, uplift={metric.name: uplift},
                            pending_notes={"fairness": "fairness is audited at evaluation (stage 6)"})
    result = decide_gate("feasibility", spec.gates.get("feasibility", []), evidence)
    return [FeasibilityCheck(check=c.check, required=c.required, observed=c.observed, passed=c.passed, note=c.note or "")
            for c in result.checks]


def _decide(checks: list[FeasibilityCheck], viable: bool | None, curve, metric: Metric, value: float,  # noqa: ANN001
            baseline: float, best: str) -> tuple[str, list[str]]:
    uplift = (value - baseline) * (1 if metric.greater_is_better else -1)
    reasons = [f"best prototype {best}: {metric.name} {value:.4f} against the best baseline's {baseline:.4f} "
               f"({uplift:+.4f})"]
    failed = [c for c in checks if c.passed is False]
    for check in checks:
        if check.passed is not None:
            reasons.append(f"gate check {check.check}: observed {check.observed:.4f}, "
                           f"{'met' if check.passed else 'not met'}")
    if not checks:
        reasons.append("steward.yaml has no feasibility gate: decided on the uplift over the baseline alone")
    if viable is False:
        reasons.append("the prototype exceeds the charter's compute budget (see compute viability)")
    if curve is not None:
        reasons.append(curve.verdict)
    go = not failed and viable is not False and (checks or uplift > 0)
    return ("go" if go else "no-go"), reasons


def _record(workspace: Workspace, spec: Spec, ref: str, result: FeasibilityResult,
            began: WorkStart) -> FeasibilityOutcome:
    html = render_feasibility_report(result, title=f"{spec.project}: feasibility study on {ref}")
    report_path = write_report(html, workspace.settings.project_root / REPORTS_DIR / f"{ref}-feasibility.html")
    run = start_run_record(workspace, spec.project, "feasibility", None, spec.training.seed, {"kind": "feasibility"},
                           began)
    run.log_params({"dataset": ref, "metric": result.metric, "sample_rows": result.sample.rows})
    run.log_metrics({f"baseline_{k}": v for k, v in result.baselines.items()}
                    | {f"prototype_{k}": p.metric_value for k, p in result.prototypes.items()})
    run.set_tags({"decision": result.decision, "stage": "feasibility"})
    json_entry = run.log_bytes(result.model_dump_json(indent=2).encode(), "feasibility.json")
    run.log_bytes(html.encode(), "feasibility-report.html")
    workspace.store.datasets.link_run(run.id, ref, "feasibility")
    run.end("finished")
    workspace.store.evidence.record(ref, [Evidence(
        kind="feasibility", digest=json_entry.digest, passed=result.decision == "go",
        summary={"decision": result.decision, "metric": result.metric, "run": run.id,
                 "best_prototype": max(p.metric_value for p in result.prototypes.values())})])
    _update_board(workspace, spec.project, result)
    return FeasibilityOutcome(dataset=ref, result=result, run_id=run.id, report_path=str(report_path))


def _update_board(workspace: Workspace, project: str, result: FeasibilityResult) -> None:
    pending = any(c.passed is None for c in result.gate_checks)
    status = (StageStatus.FAILED if result.decision == "no-go"
              else StageStatus.IN_PROGRESS if pending else StageStatus.PASSED)
    note = f"{result.decision}" + (" (gate checks pending: sign-offs)" if pending and result.decision == "go" else "")
    try:
        workspace.store.projects.set_stage(project, Stage.FEASIBILITY, status, note=f"feasibility: {note}")
    except NotFound:
        pass


__all__ = ["FeasibilityOutcome", "run_feasibility"]
