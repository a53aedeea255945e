"""`steward mitigate`: a registered model version whose evaluation failed a fairness check, mitigated with
Fairlearn, compared before/after, tracked as a run; the accept/reject decision goes to the decision log.

``run_mitigation`` reads the version's newest evaluation (its test split, and the promotion gate's fairness
checks it failed: they name the sensitive attribute and the constraint when none is given), the splits the
model was trained on (from its run's params), and mitigates (``mlsteward.evaluate.mitigation``):

* ``threshold_optimizer`` is fitted on the **validation** split, which the model was not trained on
  (on the training rows its scores are optimistic), on the model's ``predict_proba``;
* ``exponentiated_gradient`` refits the base estimator on the **training** split's features, as
  `steward train` made them.

Both are compared on the evaluation's test split. Everything is computed and checked before anything is
written; then one tracked run (tags ``kind=mitigation``, ``method``, ``constraint``; params; metrics
before/after) holds the result (``mitigation.json``) and the before/after report
(``mitigation-report.html``, also written to ``.steward/reports/<model>@<v>-mitigation-<run>.html`` and
linking the evaluation's performance report). The stored evaluation is not changed.

The mitigated model is stored as ``model.skops`` only when Steward can load it again safely: Fairlearn's
estimators are not among ``models_io.ALLOWED_PACKAGES``, so today the run records why it is not saved and
everything needed to fit it again (method, constraint, settings, seed, splits). A threshold optimizer needs
the sensitive attribute with every prediction; the result's notes say so. ``decide_mitigation`` records
the decision to accept or reject a mitigation run in the decision log, with the model version as subject.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from mlsteward.errors import Conflict, InvalidInput, NotFound
from mlsteward.evaluate.checks import AUDIT_BANDS, MAX_AUDIT_GROUPS
from mlsteward.evaluate.gates import within
from mlsteward.evaluate.mitigation import CONSTRAINT_OF_METRIC, CONSTRAINTS, METHODS, MitigationResult, check_choice
from mlsteward.evaluate.mitigation import mitigate as mitigate_model
from mlsteward.evaluate.suite import SuiteResult
from mlsteward.lifecycle.data_stage import REPORTS_DIR
from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.lifecycle.features import load_feature_set
from mlsteward.lifecycle.governance import decision_log, record_decision
from mlsteward.lifecycle.training import WorkStart, start_run_record, training_features
from mlsteward.models_io import ALLOWED_PACKAGES, dump_model, load_model, refused_types
from mlsteward.report import write_report
from mlsteward.report._mitigation_report import render_mitigation_report
from mlsteward.spec import Spec
from mlsteward.spec_gates import FairnessThreshold
from mlsteward.store.evaluations import EvaluationRecord
from mlsteward.store.governance import DecisionRecord
from mlsteward.store.models import ModelVersion
from mlsteward.store.runs import RunRecord
from mlsteward.workspace import Workspace

KIND = "mitigation"


class GateComparison(BaseModel):
    """A promotion-gate fairness check on the mitigated attribute, before and after mitigation (test rows)."""

    check: str
    required: str
    metric: str
    maximum: float | None = None
    before: float | None
    after: float | None
    met_before: bool | None
    met_after: bool | None
    evaluation_observed: float | None = None  # what the evaluation recorded for the check


class MitigationOutcome(BaseModel):
    run_id: str
    model: str  # NAME@VERSION
    model_run: str
    evaluation: str | None
    test: str  # the dataset version compared on
    fitted_on: str  # the dataset version the mitigation was fitted on
    sensitive: str
    result: MitigationResult
    gate: list[GateComparison]
    model_saved: bool
    model_note: str
    report_path: str
    report_digest: str
    notes: list[str]


def run_mitigation(workspace: Workspace, spec: Spec, model_ref: str, *, method: str, constraint: str | None = None,
                   sensitive: str | None = None, max_iter: int = 50, eps: float = 0.01,
                   grid_size: int = 1000) -> MitigationOutcome:
    """Mitigate model version ``model_ref`` (``NAME@V``) with ``method`` for ``constraint`` on attribute
    ``sensitive`` (both default to the evaluation's failed fairness check), record it and write the report."""
    began = WorkStart()
    if method not in METHODS:
        raise InvalidInput(f"unknown mitigation method {method!r}: choose one of {', '.join(METHODS)}")
    if constraint is not None:
        check_choice(method, constraint)
    version = workspace.store.models.resolve(model_ref)
    run = workspace.store.runs.get(version.run_id)
    _check_trained(version, run)
    evaluation, suite = _evaluation(workspace, version, run)
    notes: list[str] = []
    checks = _fairness_checks(spec, suite)
    sensitive = _sensitive(spec, version, evaluation, suite, checks, sensitive, notes)
    p = run.params
    target, seed = p["target"], int(p.get("seed") or 0)
    fit_ref = p["validation"] if method == "threshold_optimizer" else p["train"]
    frames = {ref: load_dataset(workspace, ref).reset_index(drop=True) for ref in dict.fromkeys(
        (fit_ref, evaluation.dataset))}
    for ref, frame in frames.items():
        _check_columns(spec, ref, frame, sensitive, target)
    chosen = check_choice(method, constraint or _constraint(checks, sensitive, method))
    fs, fs_record = load_feature_set(workspace, p["feature_set"])
    if sensitive in fs.input_columns:
        notes.append(f"the model reads {sensitive} as an input: the mitigation constrains a model that already "
                     "uses the attribute")
    fit_df, test_df = frames[fit_ref], frames[evaluation.dataset]
    if fit_ref == evaluation.dataset:
        notes.append(f"the evaluation ran on {fit_ref}, the split the mitigation is fitted on: the after-numbers are "
                     "optimistic; evaluate on the held-out test split")
    a_fit, a_test = _groups(fit_df[sensitive], test_df[sensitive], sensitive, notes)
    estimator = load_model(workspace.artifacts.get_bytes(version.artifact_digest))
    if method == "threshold_optimizer":
        x_fit = fs.transform(fit_df.drop(columns=[target]))
        notes.append(f"fitted on the validation split {fit_ref} (the model was not trained on it)")
    else:
        x_fit = training_features(fs, fs_record, fit_df, target, fit_ref, notes)
        notes.append(f"the base estimator refitted on the training split {fit_ref}")
    x_test = fs.transform(test_df.drop(columns=[target]))
    result, mitigated = mitigate_model(estimator, x_fit, fit_df[target], a_fit, x_test, test_df[target], a_test,
                                       method=method, constraint=chosen.name, seed=seed, grid_size=grid_size,
                                       eps=eps, max_iter=max_iter, sensitive_name=sensitive)
    gate = _gate(checks, sensitive, result)
    model_bytes, model_note = _saveable(mitigated)
    return _record(workspace, spec, version, run, evaluation, fit_ref, result, gate, model_bytes, model_note,
                   notes, began)


def decide_mitigation(workspace: Workspace, spec: Spec, run_id: str, accept: bool, reason: str) -> DecisionRecord:
    """Record in the decision log that the mitigation of run ``run_id`` is accepted (or rejected), and why."""
    if not reason or not reason.strip():
        raise InvalidInput("give the reason for the decision (--reason '...'): the decision log records why a "
                           "mitigated candidate was accepted or rejected")
    record = workspace.store.runs.get(run_id)
    if record.tags.get("kind") != KIND:
        raise InvalidInput(f"run {record.id[:8]} ({record.name}) is not a mitigation: decide on a run of "
                           "`steward mitigate run` (`steward runs list` shows them, tag kind=mitigation)")
    if record.status != "finished":
        raise InvalidInput(f"mitigation run {record.id[:8]} is {record.status}, not finished: run the mitigation "
                           "again and decide on the new run")
    p, m = record.params, record.metrics
    subject = p["model_version"]
    earlier = [d for d in decision_log(workspace, spec, subject) if record.id in d.decision]
    if earlier:
        raise Conflict(f"mitigation run {record.id[:8]} already has a decision (#{earlier[0].id}, "
                       f"{earlier[0].title!r}, by {earlier[0].decided_by}): the decision log is append-only; "
                       "run the mitigation again to decide on a new candidate")
    metric = p["fairness_metric"]
    verb = "Accept" if accept else "Reject"
    before = f"accuracy {_fmt(m.get('accuracy_before'))}, {metric} {_fmt(m.get(f'{metric}_before'))}"
    after = f"accuracy {_fmt(m.get('accuracy_after'))}, {metric} {_fmt(m.get(f'{metric}_after'))}"
    title = f"{verb} the {p['method']} ({p['constraint']}) mitigation of {subject} by {p['sensitive']}"
    if accept:
        decision = (f"accept the mitigated candidate of {subject} (mitigation run {record.id}): {after} on "
                    f"{p['test']}, against {before} unmitigated")
        alternatives = f"keep {subject} unmitigated ({before})"
    else:
        decision = (f"reject the mitigated candidate of {subject} (mitigation run {record.id}); keep {subject} "
                    f"as trained ({before})")
        alternatives = f"the mitigated candidate ({after})"
    return record_decision(workspace, spec, title, decision=decision, rationale=reason.strip(),
                           alternatives=alternatives, subject=subject)


# -- reading what was recorded -------------------------------------------------------------------------------


def _check_trained(version: ModelVersion, run: RunRecord) -> None:
    missing = [k for k in ("train", "validation", "feature_set", "target") if not run.params.get(k)]
    if missing:
        raise InvalidInput(f"{version.ref} was not trained by `steward train` (its run {run.id[:8]} records no "
                           f"{', '.join(missing)}): mitigation refits on the splits and the feature set the model "
                           "was trained with; register a `best-<candidate>` run of `steward train`")
    if version.format != "skops":
        raise InvalidInput(f"{version.ref} is stored as {version.format}, not skops: mitigation loads models "
                           "safely only; retrain it with `steward train`")


def _evaluation(workspace: Workspace, version: ModelVersion, run: RunRecord) -> tuple[EvaluationRecord, SuiteResult]:
    evaluations = workspace.store.evaluations.list(model_run_id=run.id)
    if not evaluations:
        raise NotFound(f"{version.ref} has no evaluation: run `steward evaluate {run.id[:8]} --data TEST` "
                       "first; mitigation compares on the evaluation's test split")
    evaluation = evaluations[0]
    suite = SuiteResult.model_validate_json(workspace.artifacts.get_bytes(evaluation.results_digest))
    return evaluation, suite


def _fairness_checks(spec: Spec, suite: SuiteResult) -> list[tuple[FairnessThreshold, Any]]:
    """The promotion gate's fairness checks, each with its outcome in the evaluation (None if not decided)."""
    outcomes = {c.check: c for c in (suite.gate.checks if suite.gate else [])}
    return [(c, outcomes.get(c.describe())) for c in spec.gates.get("promotion", []) if isinstance(c, FairnessThreshold)]


def _audited(suite: SuiteResult) -> list[str]:
    found = suite.result("fairness") or {}
    return [a["attribute"] for a in found.get("attributes", [])]


def _sensitive(spec: Spec, version: ModelVersion, evaluation: EvaluationRecord, suite: SuiteResult,
               checks: list, given: str | None, notes: list[str]) -> str:
    audited = _audited(suite)
    failing = [(c, o) for c, o in checks if o is not None and o.passed is False]
    where = f"the evaluation {evaluation.id[:8]} of {version.ref}"
    for check, outcome in failing:
        notes.append(f"{where} failed the promotion gate's fairness check '{outcome.check}' ({outcome.note})")
    if given is not None:
        if not given.strip():
            raise InvalidInput("the sensitive attribute is empty: give a column, e.g. --sensitive gender")
        if given not in audited:
            notes.append(f"{where} did not audit {given}: the before-numbers here are its first fairness audit")
        return given
    if failing:
        return failing[0][0].fairness.by
    if checks:
        notes.append(f"{where} failed no fairness check: the mitigation is a comparison, not a fix")
        return checks[0][0].fairness.by
    if audited:
        raise InvalidInput(f"{where} audited {', '.join(audited)} but the promotion gate has no fairness check to "
                           "say which one to mitigate: give --sensitive COLUMN")
    listed = ", ".join(spec.data.sensitive_attributes) or "none"
    raise InvalidInput(f"{where} audited no sensitive attribute (its fairness check did not run) and none was "
                       f"given: list the attribute in data.sensitive_attributes of steward.yaml (now: {listed}) and "
                       "evaluate again, or give --sensitive COLUMN")


def _constraint(checks: list, sensitive: str, method: str) -> str:
    """The constraint for the gate's fairness checks on ``sensitive``, failed ones first."""
    on = sorted(((c, o) for c, o in checks if c.fairness.by == sensitive),
                key=lambda pair: not (pair[1] is not None and pair[1].passed is False))
    for check, _ in on:
        found = CONSTRAINT_OF_METRIC.get(check.fairness.metric)
        if found:
            return found
    choices = [c.name for c in CONSTRAINTS.values() if method != "threshold_optimizer" or c.threshold_optimizer]
    raise InvalidInput(f"no fairness check of the promotion gate on {sensitive!r} names a metric a constraint "
                       f"mitigates: give --constraint (one of {', '.join(choices)})")


def _check_columns(spec: Spec, ref: str, frame: pd.DataFrame, sensitive: str, target: str) -> None:
    if target not in frame.columns:
        raise InvalidInput(f"the target {target!r} is not a column of {ref}: mitigation needs the labelled split")
    if sensitive not in frame.columns:
        listed = ", ".join(spec.data.sensitive_attributes) or "none listed in data.sensitive_attributes"
        raise InvalidInput(f"the sensitive attribute {sensitive!r} is not a column of {ref}: give one of its columns "
                           f"(the project's sensitive attributes: {listed})")


def _groups(fit: pd.Series, test: pd.Series, name: str, notes: list[str]) -> tuple[pd.Series, pd.Series]:
    """The attribute's groups; a number with many values (an age) in equal-count bands of the fitting rows,
    cut the same way in the test rows (as the fairness audit bands it)."""
    numeric = pd.api.types.is_numeric_dtype(fit) and not pd.api.types.is_bool_dtype(fit)
    if not numeric or fit.nunique() <= MAX_AUDIT_GROUPS:
        return fit.rename(name), test.rename(name)
    _, edges = pd.qcut(fit, AUDIT_BANDS, retbins=True, duplicates="drop")
    low = fit.min()
    labels = [f"{max(a, low):g} to {b:g}" for a, b in itertools.pairwise(edges)]
    cuts = np.concatenate([[-np.inf], edges[1:-1], [np.inf]])
    notes.append(f"{name} banded in {len(labels)} equal-count bands of the fitting rows ({', '.join(labels)}); "
                 "the evaluation bands the test rows, so its groups may differ slightly")

    def band(values: pd.Series) -> pd.Series:
        return pd.cut(values, cuts, labels=labels).astype(object).rename(name)

    return band(fit), band(test)


def _gate(checks: list, sensitive: str, result: MitigationResult) -> list[GateComparison]:
    out = []
    for check, outcome in checks:
        bounds = check.fairness
        change = result.disparities.get(bounds.metric)
        if bounds.by != sensitive or change is None:
            continue
        out.append(GateComparison(
            check=check.describe(), required=bounds.bounded("value"), metric=bounds.metric, maximum=bounds.max,
            before=change.before,
            after=change.after, met_before=None if change.before is None else within(bounds, change.before),
            met_after=None if change.after is None else within(bounds, change.after),
            evaluation_observed=outcome.observed if outcome is not None else None))
    return out


def _saveable(mitigated: Any) -> tuple[bytes | None, str]:
    """The skops bytes when Steward can load them again without trusted=True; else None and why."""
    try:
        data = dump_model(mitigated)
    except InvalidInput as exc:
        why = exc.__cause__ or exc.message
        return None, (f"the mitigated model is not saved: skops cannot write Fairlearn's {type(mitigated).__name__} "
                      f"({why}). The run records everything needed to fit it again (method, constraint, settings, "
                      "seed, splits) and the comparison")
    refused = refused_types(data)
    if refused:
        shown = ", ".join(refused[:3]) + (f" and {len(refused) - 3} more" if len(refused) > 3 else "")
        return None, (f"the mitigated model is not saved: it holds {shown}, outside the packages Steward loads "
                      f"safely ({', '.join(ALLOWED_PACKAGES)}), so it could only be loaded with trusted=True. The "
                      "run records everything needed to fit it again (method, constraint, settings, seed, "
                      "splits) and the comparison")
    return data, "saved as model.skops"


# -- recording ----------------------------------------------------------------------------------------------


def _record(workspace: Workspace, spec: Spec, version: ModelVersion, run: RunRecord, evaluation: EvaluationRecord,
            fit_ref: str, result: MitigationResult, gate: list[GateComparison], model_bytes: bytes | None,
            model_note: str, notes: list[str], began: WorkStart) -> MitigationOutcome:
    candidate = run.tags.get("candidate", run.name)
    tags = {"kind": KIND, "method": result.method, "constraint": result.constraint, "model_version": version.ref,
            "sensitive": result.sensitive_attribute, "candidate": candidate, "stage": "evaluation"}
    tracked = start_run_record(workspace, run.experiment, f"mitigate-{candidate}-{result.method}", run.id,
                               result.seed, tags, began)
    try:
        tracked.log_params({
            "model_version": version.ref, "model_run": run.id, "evaluation": evaluation.id,
            "evaluation_run": evaluation.run_id, "test": evaluation.dataset, "fitted_on": fit_ref,
            "train": run.params["train"], "validation": run.params["validation"],
            "feature_set": run.params["feature_set"], "target": run.params["target"], "method": result.method,
            "constraint": result.constraint, "sensitive": result.sensitive_attribute,
            "fairness_metric": result.fairness_metric, "seed": result.seed,
            "settings": json.dumps(result.settings, sort_keys=True, default=str)})
        tracked.log_metrics(_metrics(result))
        tracked.log_bytes(result.model_dump_json(indent=2).encode(), "mitigation.json")
        if model_bytes is not None:
            tracked.log_bytes(model_bytes, "model.skops")
        folder = Path(workspace.settings.project_root) / REPORTS_DIR
        performance = f"{candidate}-{evaluation.id[:8]}-performance.html"
        html = render_mitigation_report(
            result, project=spec.project, model=version.ref, run_id=tracked.id, evaluation=evaluation.id,
            test=evaluation.dataset, fitted_on=fit_ref, gate=gate, model_note=model_note, notes=notes,
            evaluation_report=performance if (folder / performance).is_file() else None)
        report_entry = tracked.log_bytes(html.encode(), "mitigation-report.html")
        for ref, role in dict.fromkeys(((fit_ref, "mitigation-fit"), (evaluation.dataset, "evaluation"))):
            workspace.store.datasets.link_run(tracked.id, ref, role)
        tracked.end("finished")
    except BaseException:
        tracked.end("failed")
        raise
    path = write_report(html, folder / f"{version.ref}-mitigation-{tracked.id[:8]}.html")
    return MitigationOutcome(run_id=tracked.id, model=version.ref, model_run=run.id, evaluation=evaluation.id,
                             test=evaluation.dataset, fitted_on=fit_ref, sensitive=result.sensitive_attribute,
                             result=result, gate=gate, model_saved=model_bytes is not None, model_note=model_note,
                             report_path=str(path), report_digest=report_entry.digest, notes=notes)


def _metrics(result: MitigationResult) -> dict[str, float]:
    values = {}
    changes = {"accuracy": result.accuracy, **result.metrics, **result.disparities}
    for name, change in changes.items():
        for when in ("before", "after"):
            value = getattr(change, when)
            if value is not None:
                values[f"{name}_{when}"] = float(value)
    return values


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


__all__ = ["GateComparison", "MitigationOutcome", "decide_mitigation", "run_mitigation"]
