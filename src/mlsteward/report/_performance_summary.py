"""The summary of the Model Performance Report: the verdict banner, the at-a-glance cards, what was
evaluated and the table of checks, built from the suite's result."""

from __future__ import annotations

from typing import Any

from mlsteward.evaluate.suite import SuiteResult
from mlsteward.report._format import fmt_int, fmt_share
from mlsteward.report._performance_charts import (
    PERTURBATIONS,
    interval_text,
    signed_text,
    threshold_text,
    value_text,
)
from mlsteward.report.model_card import ModelCardFacts

CHECK_SECTIONS: dict[str, str] = {
    "gates": "gate", "metrics": "metrics", "cross_validation": "metrics", "calibration": "calibration",
    "operating_point": "operating-point", "slices": "slices", "fairness": "fairness", "explain": "explain",
    "robustness": "robustness", "ablation": "ablation", "failure_modes": "failure-modes", "uplift": "uplift",
}
"""The section that renders each check (cross-validation shares the metrics section)."""


DECISIONS: dict[str, tuple[str, str]] = {  # gate decision -> (banner label, tone)
    "pass": ("PASS", "good"), "fail": ("FAIL", "bad"), "pending": ("PENDING", "warn"), "no gate": ("NO GATE", "none"),
}


MAX_PARAMS = 12


def _card(label: str, value: str, detail: str = "", tone: str = "") -> dict[str, str]:
    return {"label": label, "value": value, "detail": detail, "tone": tone, "size": "text" if len(value) > 9 else ""}


def _shorten(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def verdict(r: SuiteResult) -> dict[str, Any]:
    """The banner: the gate's decision, why, and the three numbers a product owner asks for first."""
    gate = r.gate
    decision = gate.decision if gate else "no gate"
    label, tone = DECISIONS[decision]
    failed = gate.failed if gate else []
    pending = [c for c in gate.checks if c.passed is None] if gate else []
    if decision == "pass":
        headline = "The model meets every check of the promotion gate: it may be promoted."
    elif decision == "fail":
        headline = (f"The model fails {len(failed)} of {len(gate.checks)} checks of the promotion gate: it must "
                    f"not be promoted as it is.")
    elif decision == "pending":
        headline = (f"No check of the promotion gate failed, but {len(pending)} of {len(gate.checks)} still await "
                    f"evidence (a sign-off, a value not measured here): promotion waits for them.")
    elif r.check("gates") is None:
        headline = "The promotion gate was not evaluated in this run: judge the evidence below."
    else:
        headline = "No promotion gate is set (gates.promotion in steward.yaml): judge the evidence below."
    return {"label": label, "tone": tone, "headline": headline, "failed": [c.check for c in failed],
            "pending": [c.check for c in pending], "numbers": headline_numbers(r)}


def headline_numbers(r: SuiteResult) -> list[tuple[str, str]]:
    numbers = []
    metrics = r.result("metrics")
    value = (metrics or {}).get("values", {}).get(r.metric)
    if value:
        ci = interval_text(value)
        level = f"{metrics['confidence']:.0%} interval " if ci else ""
        numbers.append((f"{r.metric} on the test set", value_text(value["value"]) + (f" ({level}{ci})" if ci else "")))
    uplift = r.result("uplift")
    if uplift and uplift.get("uplift") is not None:
        best = f"{uplift['best_baseline']} {value_text(uplift['best_baseline_value'])}"
        numbers.append(("over the best baseline", f"{signed_text(uplift['uplift'])} (vs {best})"))
    point = r.result("operating_point")
    if point:
        opt = point["optimum"]
        flags = f"flags {fmt_share(opt['flagged_share'])} of cases at the least cost"
        numbers.append(("decision threshold", f"{threshold_text(opt['threshold'])} ({flags})"))
    return numbers


def cards(r: SuiteResult) -> list[dict[str, str]]:
    """The "at a glance" cards: one number per check that ran, with what it means."""
    builders = (_metric_card, _uplift_card, _threshold_card, _cv_card, _rows_card, _calibration_card,
                _fairness_card, _slices_card, _robustness_card, _error_card)
    return [card for build in builders if (card := build(r))]


def _metric_card(r: SuiteResult) -> dict[str, str] | None:
    metrics = r.result("metrics")
    value = (metrics or {}).get("values", {}).get(r.metric)
    if not value:
        return None
    ci = interval_text(value)
    direction = "higher" if r.greater_is_better else "lower"
    detail = f"{metrics['confidence']:.0%} interval {ci}" if ci else f"{direction} is better"
    return _card(f"{r.metric} (test set)", value_text(value["value"]), detail)


def _uplift_card(r: SuiteResult) -> dict[str, str] | None:
    uplift = r.result("uplift")
    if not uplift or uplift.get("uplift") is None:
        return None
    return _card("Uplift over baseline", signed_text(uplift["uplift"]),
                 f"{r.metric} vs {uplift['best_baseline']} ({value_text(uplift['best_baseline_value'])})",
                 "good" if uplift["uplift"] > 0 else "bad")


def _threshold_card(r: SuiteResult) -> dict[str, str] | None:
    point = r.result("operating_point")
    if not point:
        return None
    opt = point["optimum"]
    return _card("Decision threshold", threshold_text(opt["threshold"]),
                 f"flags {fmt_share(opt['flagged_share'])}, finds {fmt_share(opt['recall'], 0)} of positives")


def _cv_card(r: SuiteResult) -> dict[str, str] | None:
    cv = r.result("cross_validation")
    scores = (cv or {}).get("metrics", {}).get(r.metric)
    if not scores:
        return None
    return _card("Cross-validation", f"{value_text(scores['mean'])} ± {scores['std']:.2g}",
                 f"{r.metric}, {cv['folds']} folds of the training split")


def _rows_card(r: SuiteResult) -> dict[str, str]:
    point = r.result("operating_point")
    detail = f"positive rate {fmt_share(point['prevalence'])}" if point else f"{r.task} target"
    return _card("Test rows", fmt_int(r.n_rows), detail)


def _calibration_card(r: SuiteResult) -> dict[str, str] | None:
    cal = r.result("calibration")
    if not cal:
        return None
    before = cal.get("before", cal)
    tone = "warn" if r.check("calibration").status == "warn" else ""
    return _card("Calibration error", f"{before['expected_calibration_error']:.3f}",
                 "ECE: gap between probabilities and outcomes (0 = calibrated)", tone)


def _fairness_card(r: SuiteResult) -> dict[str, str] | None:
    fair = r.result("fairness")
    audits = [a for a in (fair or {}).get("attributes", []) if a.get("disparate_impact") is not None]
    if not audits:
        return None
    worst = min(audits, key=lambda a: a["disparate_impact"])
    fails = worst["four_fifths_passes"] is False
    return _card("Four-fifths rule", "fails" if fails else "passes",
                 f"disparate impact {worst['disparate_impact']:.2f} by {worst['attribute']}",
                 "bad" if fails else "good")


def _slices_card(r: SuiteResult) -> dict[str, str] | None:
    sl = r.result("slices")
    if not sl or not sl.get("worst_segments"):
        return None
    worst = sl["worst_segments"][0]
    tone = "warn" if r.check("slices").status == "warn" else ""
    return _card("Worst segment", value_text(worst["metric_value"]),
                 f"{_shorten(worst['description'], 60)} ({fmt_int(worst['size'])} rows)", tone)


def _robustness_card(r: SuiteResult) -> dict[str, str] | None:
    rob = r.result("robustness")
    if not rob:
        return None
    worst = _worst_degradation(rob)
    if worst is None:
        return None
    kind, point = worst
    tone = {"fail": "bad", "warn": "warn"}.get(r.check("robustness").status, "")
    return _card("Worst degradation", value_text(point["degradation"]),
                 f"{r.metric} lost under {PERTURBATIONS.get(kind, kind)} at level {point['level']:g}", tone)


def _worst_degradation(rob: dict) -> tuple[str, dict] | None:
    points = [(c["kind"], p) for c in rob.get("curves", []) for p in c["points"] if p.get("degradation") is not None]
    return max(points, key=lambda kp: kp[1]["degradation"]) if points else None


def _error_card(r: SuiteResult) -> dict[str, str] | None:
    modes = r.result("failure_modes")
    if not modes or modes["task"] == "regression":  # there an error is a top-decile error: 10% by definition
        return None
    return _card("Error rate", fmt_share(modes["error_rate"]),
                 f"{fmt_int(modes['errors'])} of {fmt_int(modes['rows'])} test rows wrong")


def evaluated_facts(r: SuiteResult, facts: ModelCardFacts) -> dict[str, list[tuple[str, str]]]:
    """What was evaluated (the model and its data) and what it is for (the charter)."""
    params = sorted(facts.params.items())
    shown = ", ".join(f"{k}={v}" for k, v in params[:MAX_PARAMS]) + (" …" if len(params) > MAX_PARAMS else "")
    model = [("project", facts.project), ("candidate", facts.candidate), ("model", facts.model),
             ("parameters", shown or "library defaults"), ("trained in run", facts.model_run)]
    model += [(label, value) for label, value in (("feature set", facts.feature_set), ("target", facts.target),
                                                  ("training data", facts.train), ("validation data", facts.validation))
              if value]
    model.append(("test data", f"{facts.test} ({fmt_int(r.n_rows)} rows)"))
    if r.classes is not None:
        model.append(("classes", ", ".join(str(c) for c in r.classes[:20]) + (" …" if len(r.classes) > 20 else "")
                      + (f" (positive: {r.positive_class})" if r.positive_class is not None else "")))
    charter = facts.charter
    purpose = [(label, str(charter[key])) for key, label in (
        ("problem", "problem"), ("decision", "decision supported"), ("prediction_target", "predicts"))
        if charter.get(key)]
    if facts.sensitive_attributes:
        purpose.append(("sensitive attributes", ", ".join(facts.sensitive_attributes)))
    return {"model": model, "purpose": purpose}


def checks_table(r: SuiteResult) -> list[dict[str, Any]]:
    return [{"o": c, "anchor": CHECK_SECTIONS.get(c.name) if c.status != "skipped" else None} for c in r.checks]
