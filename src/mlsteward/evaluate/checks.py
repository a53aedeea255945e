"""The built-in evaluation checks, registered by name in report order.

Each runner adapts one plain function of ``mlsteward.evaluate`` to the suite: it reads the inputs
(predictions are computed once), calls the function with the project's settings, and turns the typed
result into a status and a one-line summary. Statuses: ``pass`` / ``fail`` where the check has a
criterion of its own (the promotion gate; invalid rows must not crash scoring), ``warn`` for a finding
a reviewer should look at (thresholds below), ``info`` otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlsteward.evaluate._ablation import ablation
from mlsteward.evaluate._calibration import calibration, recalibrate
from mlsteward.evaluate._cross_validation import cross_validate
from mlsteward.evaluate._explain import explain
from mlsteward.evaluate._failure_modes import failure_modes
from mlsteward.evaluate._fairness import fairness
from mlsteward.evaluate._metrics import metrics
from mlsteward.evaluate._operating_point import operating_point
from mlsteward.evaluate._robustness import robustness
from mlsteward.evaluate._slices import slices
from mlsteward.evaluate._uplift import uplift
from mlsteward.evaluate.gates import GateEvidence, decide_gate
from mlsteward.evaluate.suite import CheckReport, SuiteInputs, register_check
from mlsteward.spec_evaluation import Costs

ECE_WARN = 0.05  # an expected calibration error above this is flagged
SEGMENT_WARN_P = 0.01  # a segment significantly worse than the rest (p below this) ...
SEGMENT_WARN_BY = 0.05  # ... by more than this, in the metric's units, is flagged
NOISE_WARN_DROP = 0.05
MAX_AUDIT_GROUPS = 10  # a numeric sensitive attribute with more values is audited in bands ...
AUDIT_BANDS = 4  # ... of equal counts  # a metric falling by more than this under the smallest noise is flagged
EQUAL_COSTS = Costs(false_positive=1.0, false_negative=1.0, unit="error")


def _binary_with_proba(inputs: SuiteInputs) -> str | None:
    if inputs.task != "classification":
        return "needs a classifier; the model is a regressor"
    if not inputs.binary:
        return f"needs a binary target; this one has {len(inputs.classes)} classes"
    if not inputs.has_proba:
        return "needs probabilities; the model has no predict_proba"
    return None


def _value_text(name: str, value: dict) -> str:
    text = f"{name} {value['value']:.4f}"
    if value.get("ci_low") is not None and value.get("ci_high") is not None:
        text += f" [{value['ci_low']:.4f}, {value['ci_high']:.4f}]"
    return text


@register_check("metrics", "Metrics")
def _metrics(inputs: SuiteInputs, _: dict) -> CheckReport:
    config = inputs.config
    result = metrics(inputs.y, inputs.y_pred, inputs.y_prob, task=inputs.task, labels=inputs.classes,
                     bootstrap=config.bootstrap, confidence=config.confidence, seed=inputs.seed)
    values = result.model_dump()["values"]
    shown = [inputs.metric.name] + [n for n in ("accuracy", "f1", "rmse", "r2") if n != inputs.metric.name]
    summary = "; ".join(_value_text(n, values[n]) for n in shown if n in values)
    if config.bootstrap:
        summary += f" ({config.confidence:.0%} bootstrap intervals, {config.bootstrap} resamples)"
    return CheckReport(status="info", summary=summary, result=result)


@register_check("cross_validation", "Cross-validation",
                unsuitable=lambda i: None if i.train is not None else "needs the training split")
def _cross_validation(inputs: SuiteInputs, _: dict) -> CheckReport:
    x, y = inputs.train
    result = cross_validate(inputs.model, x[list(inputs.X.columns)], y, folds=inputs.config.cv_folds,
                            metrics=[inputs.metric.name], seed=inputs.seed)
    scores = result.metrics[inputs.metric.name]
    return CheckReport(status="info", result=result,
                       summary=f"{inputs.metric.name} {scores.mean:.4f} ± {scores.std:.4f} over {result.folds} "
                               f"folds of the training split ({result.n_rows:,} rows)")


@register_check("calibration", "Calibration", unsuitable=_binary_with_proba)
def _calibration(inputs: SuiteInputs, _: dict) -> CheckReport:
    config = inputs.config
    if config.recalibration != "none" and inputs.calibration_rows is not None:
        x_cal, y_cal = inputs.calibration_rows
        result = recalibrate(inputs.model, x_cal, y_cal, inputs.X, inputs.y, method=config.recalibration,
                             bins=config.calibration_bins)
        before, after = result.before, result.after
        summary = (f"ECE {before.expected_calibration_error:.4f}, Brier {before.brier_score:.4f}; "
                   f"{config.recalibration} recalibration on the validation split: ECE "
                   f"{after.expected_calibration_error:.4f}, Brier {after.brier_score:.4f}")
        return CheckReport(status="warn" if before.expected_calibration_error > ECE_WARN else "info",
                           summary=summary, result=result)
    result = calibration(inputs.y, inputs.positive_proba, bins=config.calibration_bins)
    return CheckReport(status="warn" if result.expected_calibration_error > ECE_WARN else "info", result=result,
                       summary=f"ECE {result.expected_calibration_error:.4f}, Brier {result.brier_score:.4f}")


@register_check("operating_point", "Operating point", unsuitable=_binary_with_proba)
def _operating_point(inputs: SuiteInputs, _: dict) -> CheckReport:
    costs = inputs.config.costs or EQUAL_COSTS
    result = operating_point(inputs.y, inputs.positive_proba, costs=costs)
    note = "" if inputs.config.costs else " (no evaluation.costs in steward.yaml: errors weighted equally)"
    return CheckReport(status="info", result=result, summary=result.rationale + note)


@register_check("slices", "Slices")
def _slices(inputs: SuiteInputs, _: dict) -> CheckReport:
    config = inputs.config.slices
    result = slices(inputs.frame, inputs.y, inputs.y_pred, inputs.positive_proba, columns=config.columns,
                    bins=config.bins, metric=inputs.metric.name, min_size=config.min_size, task=inputs.task)
    flagged = [s for s in result.worst_segments if s.p_value is not None and s.p_value < SEGMENT_WARN_P
               and s.worse_by is not None and s.worse_by > SEGMENT_WARN_BY]
    if not result.worst_segments:
        return CheckReport(status="info", result=result, summary="no segment performs notably worse")
    worst = result.worst_segments[0]
    summary = (f"worst segment {worst.description} ({worst.size:,} rows): {result.metric} "
               f"{_num(worst.metric_value)} vs {_num(result.overall)} overall; {len(flagged)} segment(s) "
               f"significantly worse by > {SEGMENT_WARN_BY}")
    return CheckReport(status="warn" if flagged else "info", result=result, summary=summary)


def _no_sensitive(inputs: SuiteInputs) -> str | None:
    if not inputs.sensitive:
        return "no sensitive attributes: list them in data.sensitive_attributes of steward.yaml"
    if inputs.task != "classification" or not inputs.binary:
        return "group fairness metrics need a binary classifier"
    return None


def audit_groups(frame: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """The sensitive columns as groups: a number with more than ``MAX_AUDIT_GROUPS`` values (an age) is
    cut into ``AUDIT_BANDS`` equal-count bands, labelled by their range."""
    groups, notes = {}, []
    for name in columns:
        column = frame[name]
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        if numeric and column.nunique() > MAX_AUDIT_GROUPS:
            bands = pd.qcut(column, AUDIT_BANDS, duplicates="drop")
            low = column.min()  # qcut moves the first edge just below the minimum
            labels = [f"{max(b.left, low):g} to {b.right:g}" for b in bands.cat.categories]
            groups[name] = bands.cat.rename_categories(labels).astype(object)
            notes.append(f"{name} audited in {len(labels)} equal-count bands")
        else:
            groups[name] = column
    return pd.DataFrame(groups, index=frame.index), notes


@register_check("fairness", "Fairness", unsuitable=_no_sensitive)
def _fairness(inputs: SuiteInputs, _: dict) -> CheckReport:
    groups, notes = audit_groups(inputs.frame, list(inputs.sensitive))
    result = fairness(inputs.y, inputs.y_pred, sensitive_features=groups, y_prob=inputs.positive_proba)
    result.warnings.extend(notes)
    parts = [f"{a.attribute}: parity difference {a.demographic_parity_difference:.3f}, equalized odds "
             f"{a.equalized_odds_difference:.3f}, disparate impact {_num(a.disparate_impact, 3)}"
             f"{'' if a.four_fifths_passes is not False else ' (fails the four-fifths rule)'}"
             for a in result.attributes]
    failing = any(a.four_fifths_passes is False for a in result.attributes)
    return CheckReport(status="warn" if failing else "info", result=result, summary="; ".join(parts))


@register_check("explain", "Explainability")
def _explain(inputs: SuiteInputs, _: dict) -> CheckReport:
    config = inputs.config.explain
    result = explain(inputs.model, inputs.X, inputs.y, metric=inputs.metric.name, critical=list(inputs.critical),
                     max_rows=config.max_rows, repeats=config.repeats, shap=config.shap, seed=inputs.seed)
    ranked = sorted(result.features, key=lambda f: -f.importance)[:3]
    summary = "most important: " + ", ".join(f"{f.feature} ({f.importance:+.4f})" for f in ranked)
    summary += f"; SHAP values ({result.shap.explainer})" if result.shap else ""
    return CheckReport(status="info", result=result, summary=summary)


@register_check("robustness", "Robustness")
def _robustness(inputs: SuiteInputs, _: dict) -> CheckReport:
    config = inputs.config.robustness
    result = robustness(inputs.model, inputs.X, inputs.y, metric=inputs.metric.name,
                        noise_scales=tuple(config.noise_scales), missing_rates=tuple(config.missing_rates),
                        max_rows=config.max_rows, seed=inputs.seed)
    failed = [f"{p.probe} ({p.outcome})" for p in result.probes if not p.passed]
    if failed:
        return CheckReport(status="fail", result=result, summary="invalid rows broke scoring: " + ", ".join(failed))
    worst = max(((p.degradation, c.kind, p.level) for c in result.curves for p in c.points
                 if p.degradation is not None), default=None)
    gentlest = [c.points[0].degradation for c in result.curves
                if c.kind == "gaussian_noise" and c.points and c.points[0].degradation is not None]
    summary = f"clean {result.metric} {result.clean_score:.4f}"
    if worst:
        summary += f"; worst drop {worst[0]:.4f} ({worst[1].replace('_', ' ')} at {worst[2]:g})"
    summary += f"; {len(result.probes)} invalid-row probes scored or cleanly refused"
    warn = bool(gentlest) and gentlest[0] > NOISE_WARN_DROP
    return CheckReport(status="warn" if warn else "info", result=result, summary=summary)


@register_check("ablation", "Ablation")
def _ablation(inputs: SuiteInputs, _: dict) -> CheckReport:
    config = inputs.config.ablation
    groups = config.groups or None
    retrain = config.mode == "retrain"
    x_train, y_train = inputs.train if retrain and inputs.train else (None, None)
    result = ablation(inputs.model, inputs.X, inputs.y, groups, metric=inputs.metric.name, mode=config.mode,
                      refit=inputs.refit if retrain else None, X_train=x_train, y_train=y_train,
                      repeats=config.repeats, seed=inputs.seed)
    ranked = sorted(result.groups, key=lambda g: -g.delta)
    summary = ", ".join(f"{g.name} {g.delta:+.4f}" for g in ranked[:3])
    return CheckReport(status="info", result=result,
                       summary=f"{result.metric} lost without each group ({config.mode}): {summary}")


@register_check("failure_modes", "Failure modes")
def _failure_modes(inputs: SuiteInputs, _: dict) -> CheckReport:
    result = failure_modes(inputs.frame, inputs.y, inputs.y_pred, task=inputs.task, seed=inputs.seed)
    if not result.modes:
        return CheckReport(status="info", result=result,
                           summary=f"error rate {result.error_rate:.1%}; no segment errs notably more often")
    top = result.modes[0]
    return CheckReport(status="info", result=result,
                       summary=f"{len(result.modes)} failure mode(s); first: {top.rule} ({top.rows:,} rows, "
                               f"error rate {top.error_rate:.1%} vs {result.error_rate:.1%})")


@register_check("uplift", "Uplift", unsuitable=lambda i: None if i.baselines else "no baseline was scored")
def _uplift(inputs: SuiteInputs, reports: dict) -> CheckReport:
    value = _model_value(inputs, reports)
    result = uplift(value, inputs.baselines, metric=inputs.metric.name,
                    greater_is_better=inputs.metric.greater_is_better, kpi=inputs.kpi)
    summary = (f"{result.metric} {result.value:.4f} vs best baseline {result.best_baseline} "
               f"{_num(result.best_baseline_value)}: {result.uplift:+.4f}")
    if result.kpi is not None:
        summary += (f"; KPI target {result.kpi.target:g} {'reached' if result.kpi.reaches_target else 'not reached'}")
    return CheckReport(status="info" if result.beats_all_baselines else "warn", result=result, summary=summary)


@register_check("gates", "Promotion gate")
def _gates(inputs: SuiteInputs, reports: dict) -> CheckReport:
    result = decide_gate("promotion", list(inputs.gate), gate_evidence(inputs, reports))
    if not result.checks:
        return CheckReport(status="info", result=result, summary="no promotion gate in steward.yaml (gates.promotion)")
    met = sum(c.passed is True for c in result.checks)
    status = {"pass": "pass", "fail": "fail"}.get(result.decision, "warn")
    failed = "; ".join(f"{c.check} (observed {_num(c.observed)})" for c in result.failed)
    summary = f"{result.decision}: {met} of {len(result.checks)} checks met" + (f"; failed: {failed}" if failed else "")
    return CheckReport(status=status, result=result, summary=summary)


def gate_evidence(inputs: SuiteInputs, reports: dict) -> GateEvidence:
    """The values the promotion gate reads, from the checks that ran."""
    values: dict[str, float] = {}
    found = reports.get("metrics")
    if found is not None and found.result is not None:
        values |= {name: v.value for name, v in found.result.values.items()}
    found = reports.get("calibration")
    if found is not None and found.result is not None:
        cal = getattr(found.result, "before", found.result)
        values |= {"expected_calibration_error": cal.expected_calibration_error,
                   "maximum_calibration_error": cal.maximum_calibration_error, "brier_score": cal.brier_score}
    uplift_values: dict[str, float] = {}
    found = reports.get("uplift")
    if found is not None and found.result is not None and found.result.uplift is not None:
        uplift_values[found.result.metric] = found.result.uplift
    fair: dict[str, dict[str, float]] = {}
    found = reports.get("fairness")
    pending = {}
    if found is not None and found.result is not None:
        for audit in found.result.attributes:
            fair[audit.attribute] = {k: v for k, v in {
                "demographic_parity_difference": audit.demographic_parity_difference,
                "demographic_parity_ratio": audit.demographic_parity_ratio,
                "equalized_odds_difference": audit.equalized_odds_difference,
                "equalized_odds_ratio": audit.equalized_odds_ratio,
                "disparate_impact": audit.disparate_impact}.items() if v is not None}
    elif "fairness" not in reports:
        pending["fairness"] = "the fairness check did not run (no sensitive attributes, or not selected)"
    robust: dict[str, float] = {}
    found = reports.get("robustness")
    if found is not None and found.result is not None:
        mildest = [c.points[0].degradation for c in found.result.curves
                   if c.points and c.points[0].degradation is not None]
        robust = {"mildest_drop": max(mildest, default=0.0),
                  "probes_failed": float(sum(not p.passed for p in found.result.probes))}
    return GateEvidence(metrics=values, uplift=uplift_values, fairness=fair, robustness=robust, pending_notes=pending,
                        sources={"metrics": "the test set", "uplift": "baselines scored on the test set"})


def _model_value(inputs: SuiteInputs, reports: dict) -> float:
    found = reports.get("metrics")
    if found is not None and found.result is not None and inputs.metric.name in found.result.values:
        return found.result.values[inputs.metric.name].value
    pred = inputs.y_prob if inputs.metric.needs == "proba" else inputs.y_pred
    return inputs.metric.score(inputs.y, pred, labels=inputs.classes)


def _num(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"
