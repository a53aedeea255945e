"""The Model Performance Report: the evaluation suite's results (stage 6) as one self-contained HTML page.

Pure rendering: a ``SuiteResult`` and the model card's facts in, a string out. The page opens with the
promotion gate's decision, the headline metric with its interval, the uplift over the best baseline and
the decision threshold, then one section per check of the suite: metrics and cross-validation,
calibration, the operating point, slices, fairness, explainability, robustness, ablation, failure modes
and uplift. Written for a product owner first and the data scientist second: every number says what it
means. Each check's result is read as the JSON of its typed result (what the store keeps); a check that
was skipped or failed to run shows its reason in its section, a check not in the suite has no section.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any

from mlsteward.errors import InvalidInput
from mlsteward.evaluate.suite import SuiteResult
from mlsteward.report import _charts
from mlsteward.report._charts import AMBER, BLUE, GREEN
from mlsteward.report._feasibility_report import MAX_MATRIX_LABELS, confusion_figure
from mlsteward.report._format import fmt_int, fmt_share, package_version, timestamp_text
from mlsteward.report._html import plotly_js, render_template
from mlsteward.report._performance_charts import (
    PERTURBATIONS,
    SIGNIFICANT_P,
    ablation_figure,
    cost_figure,
    degradation_figure,
    dependence_figure,
    importance_figure,
    interval_text,
    p_value_text,
    pr_figure,
    reliability_figure,
    roc_figure,
    selection_figure,
    shap_figure,
    signed_text,
    significantly_worse,
    slice_figure,
    threshold_text,
    uplift_figure,
    value_text,
)
from mlsteward.report._performance_summary import (
    CHECK_SECTIONS,
    cards,
    checks_table,
    evaluated_facts,
    verdict,
)
from mlsteward.report.model_card import ModelCardFacts
from mlsteward.train.feasibility_models import ConfusionMatrix
from mlsteward.train.metrics import METRICS

SECTIONS: dict[str, str] = {
    "summary": "Summary",
    "gate": "Promotion gate",
    "metrics": "Metrics",
    "calibration": "Calibration",
    "operating-point": "Operating point",
    "slices": "Slices",
    "fairness": "Fairness",
    "explain": "Explainability",
    "robustness": "Robustness",
    "ablation": "Ablation",
    "failure-modes": "Failure modes",
    "uplift": "Uplift",
}

METRIC_MEANINGS: dict[str, str] = {
    "accuracy": "share of rows whose class is predicted right",
    "balanced_accuracy": "recall averaged over the classes (not fooled by a majority class)",
    "precision": "share of the rows predicted positive that are positive",
    "recall": "share of the positive rows the model finds",
    "f1": "harmonic mean of precision and recall",
    "roc_auc": "chance that a random positive row scores above a random negative one (0.5: guessing)",
    "average_precision": "precision averaged over all recall levels (area under the precision-recall curve)",
    "log_loss": "penalty for confident wrong probabilities",
    "brier_score": "mean squared gap between the predicted probability and the outcome",
    "rmse": "typical size of an error, in the target's units (large errors weigh more)",
    "mae": "mean size of an error, in the target's units",
    "r2": "share of the target's variance explained (1: perfect, 0: no better than the mean)",
    "mape": "mean error as a fraction of the true value (0.1 = 10%)",
}
STATUS_TONES: dict[str, str] = {"pass": "good", "warn": "warn", "fail": "bad", "error": "bad", "info": "info",
                                "skipped": "muted-badge"}
COST_LABELS: dict[str, str] = {
    "false_positive": "a false alarm (flagged, not positive)",
    "false_negative": "a missed case (positive, not flagged)",
    "true_positive": "a case caught", "true_negative": "a case rightly left alone",
}
PERTURBATION_COLOURS = (BLUE, AMBER, "#7b5ea7", "#1b998b")
MAX_SLICE_CHARTS = 4  # bar charts of the columns whose groups differ most
MAX_PDP_CHARTS = 6
MAX_BARS = 25
MAX_FOLD_COLUMNS = 10

Builder = Callable[[dict, SuiteResult, _charts.ChartEmbedder], dict[str, Any]]


def render_performance_report(result: SuiteResult, *, title: str, facts: ModelCardFacts,
                              generated_at: _dt.datetime | None = None) -> str:
    """The evaluation suite's results as one self-contained HTML document.

    ``facts`` says what was evaluated (project, charter, candidate, model, data versions).
    ``generated_at`` is printed in the header (default: now, UTC); with it fixed, the same result
    renders to the same page. The page inlines its CSS and the plotly.js of the installed plotly
    package and refers to no URL: it opens offline. Every value from the result is escaped.
    """
    _check_arguments(result, title, facts, generated_at)
    chart = _charts.ChartEmbedder()
    sections = {name: _section(result, name, build, chart) for name, build in BUILDERS.items()}
    present = {"summary", *(CHECK_SECTIONS[name] for name, section in sections.items() if section)}
    context = {
        "title": title,
        "generated_at": timestamp_text(generated_at or _dt.datetime.now(_dt.UTC)),
        "version": package_version(),
        "plotly_js": plotly_js(),
        "nav": [(key, label) for key, label in SECTIONS.items() if key in present],
        "r": result,
        "facts": facts,
        "direction": "higher" if result.greater_is_better else "lower",
        "verdict": verdict(result),
        "cards": cards(result),
        "evaluated": evaluated_facts(result, facts),
        "checks": checks_table(result),
        "tones": STATUS_TONES,
        "s": sections,
    }
    return render_template("performance_report.html.j2", context)


def _check_arguments(result: Any, title: Any, facts: Any, generated_at: Any) -> None:
    if not isinstance(result, SuiteResult):
        raise InvalidInput(f"The 'result' parameter of render_performance_report must be a SuiteResult; got "
                           f"{type(result).__name__} instead. Pass run_suite's result (or "
                           f"SuiteResult.model_validate_json(...) of a stored one).")
    if not isinstance(title, str) or not title.strip():
        raise InvalidInput(f"The 'title' parameter of render_performance_report must be a non-empty str, e.g. "
                           f"'churn: gbm on test@v3'; got {title!r} instead.")
    if not isinstance(facts, ModelCardFacts):
        raise InvalidInput(f"The 'facts' parameter of render_performance_report must be a ModelCardFacts (what "
                           f"was evaluated: project, charter, model, data); got {type(facts).__name__} instead.")
    if generated_at is not None and not isinstance(generated_at, _dt.datetime):
        raise InvalidInput(f"The 'generated_at' parameter of render_performance_report must be a datetime or "
                           f"None; got {type(generated_at).__name__} instead.")


def _section(result: SuiteResult, name: str, build: Builder, chart: _charts.ChartEmbedder) -> dict[str, Any] | None:
    """A check's outcome (``o``) and, when it produced a result, what its section shows (``d``); None
    when the check is not in the suite or was skipped (the table of checks says why)."""
    outcome = result.check(name)
    if outcome is None or outcome.status == "skipped":
        return None
    return {"o": outcome, "d": build(outcome.result, result, chart) if outcome.result is not None else None}


# --- formatting -----------------------------------------------------------------------------------


# --- generic charts -------------------------------------------------------------------------------


# --- the summary ----------------------------------------------------------------------------------


# --- the gate -------------------------------------------------------------------------------------


def _gate(d: dict, r: SuiteResult, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    rows = [{"check": c["check"], "required": c["required"], "observed": value_text(c.get("observed")),
             "passed": c.get("passed"), "note": c.get("note") or ""} for c in d.get("checks", [])]
    return {"decision": d.get("decision", "no gate"), "rows": rows, "met": sum(c["passed"] is True for c in rows)}


# --- metrics --------------------------------------------------------------------------------------


def _metrics(d: dict, r: SuiteResult, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    rows = []
    for name, v in d["values"].items():
        metric = METRICS.get(name)
        rows.append({"name": name, "value": value_text(v["value"]), "ci": interval_text(v),
                     "headline": name == r.metric,
                     "direction": "" if metric is None else ("higher" if metric.greater_is_better else "lower"),
                     "meaning": METRIC_MEANINGS.get(name, ""), "skipped": v.get("skipped_resamples", 0)})
    rows.sort(key=lambda row: not row["headline"])
    return {"rows": rows, "level": f"{d['confidence']:.0%}", "bootstrap": d["bootstrap"], "notes": d.get("notes", []),
            "matrix": _matrix(d, chart), "per_class": d.get("per_class") or []}


def _matrix(d: dict, chart: _charts.ChartEmbedder) -> dict[str, Any] | None:
    counts, labels = d.get("confusion_matrix"), d.get("classes")
    if not counts or not labels or len(labels) > MAX_MATRIX_LABELS:
        return None
    totals = [sum(row) for row in counts]
    rows = [{"label": label, "total": totals[i],
             "cells": [{"count": c, "share": c / totals[i] if totals[i] else None, "diag": i == j}
                       for j, c in enumerate(row)]}
            for i, (label, row) in enumerate(zip(labels, counts, strict=True))]
    figure = confusion_figure(ConfusionMatrix(labels=labels, counts=counts))
    return {"labels": labels, "rows": rows, "chart": chart(figure, toolbar=False)}


def _cross_validation(d: dict, r: SuiteResult, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    test = (r.result("metrics") or {}).get("values", {})
    rows = [{"name": name, "mean": value_text(s["mean"]), "std": f"{s['std']:.4f}",
             "test": value_text(test[name]["value"]) if name in test else "—",
             "folds": [value_text(v) for v in s["per_fold"][:MAX_FOLD_COLUMNS]]}
            for name, s in d["metrics"].items()]
    return {"rows": rows, "folds": d["folds"], "splitter": d["splitter"], "n_rows": d["n_rows"],
            "fold_sizes": d["fold_sizes"][:MAX_FOLD_COLUMNS]}


# --- calibration ----------------------------------------------------------------------------------


def _calibration(d: dict, r: SuiteResult, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    recalibrated = "before" in d
    before, after = (d["before"], d["after"]) if recalibrated else (d, None)
    measures = [("Brier score", "brier_score", "mean squared gap between probability and outcome"),
                ("expected calibration error (ECE)", "expected_calibration_error",
                 "mean gap between predicted and observed, over the bins"),
                ("maximum calibration error (MCE)", "maximum_calibration_error", "the largest gap of any bin")]
    rows = [{"label": label, "before": value_text(before[key]), "after": value_text(after[key]) if after else None,
             "change": signed_text(after[key] - before[key]) if after else None, "meaning": meaning}
            for label, key, meaning in measures]
    curves = [("model" if after is None else "before recalibration", before, BLUE)]
    if after is not None:
        curves.append((f"after {d['method']} recalibration", after, GREEN))
    better = after is not None and after["expected_calibration_error"] < before["expected_calibration_error"]
    return {"rows": rows, "before": before, "after": after, "d": d, "better": better,
            "binning": "equal-width" if before["strategy"] == "uniform" else "equal-count",
            "chart": chart(reliability_figure(curves), toolbar=False)}


# --- the operating point --------------------------------------------------------------------------


def _operating_point(d: dict, r: SuiteResult, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    costs = d["costs"]
    decisions = [("least expected cost", d["optimum"]), (f"default ({threshold_text(d['default']['threshold'])})",
                                                          d["default"])]
    if d["bayes"]["threshold"] not in (d["optimum"]["threshold"], d["default"]["threshold"]):
        decisions.append(("theoretical (Bayes)", d["bayes"]))
    rows = [{"label": label, "threshold": threshold_text(x["threshold"]), "flagged": fmt_int(x["flagged"]),
             "share": fmt_share(x["flagged_share"]), "tp": fmt_int(x["true_positive"]),
             "fp": fmt_int(x["false_positive"]), "fn": fmt_int(x["false_negative"]), "tn": fmt_int(x["true_negative"]),
             "recall": fmt_share(x["recall"]), "precision": fmt_share(x["precision"]),
             "cost": f"{x['expected_cost']:.4g}"} for label, x in decisions]
    return {"d": d, "opt": d["optimum"], "rows": rows, "unit": costs["unit"],
            "costs": [(label, costs[key]) for key, label in COST_LABELS.items()
                      if costs[key] or key.startswith("false")],  # a benefit of a right decision when there is one
            "charts": [chart(roc_figure(d), toolbar=False), chart(pr_figure(d), toolbar=False),
                       chart(cost_figure(d), toolbar=False)]}


# --- slices ---------------------------------------------------------------------------------------


def _slices(d: dict, r: SuiteResult, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    segments = [{"description": s["description"], "size": fmt_int(s["size"]), "share": fmt_share(s["share"]),
                 "value": value_text(s["metric_value"]), "worse_by": value_text(s["worse_by"]),
                 "error": fmt_share(s["error"]) if d["task"] == "classification" else value_text(s["error"]),
                 "rest_error": (fmt_share(s["rest_error"]) if d["task"] == "classification"
                                else value_text(s["rest_error"])),
                 "p": p_value_text(s["p_value"]),
                 "significant": significantly_worse(s)}
                for s in d["worst_segments"]]
    by_column: dict[str, list[dict]] = {}
    for s in d["slices"]:
        by_column.setdefault(s["column"], []).append(s)
    spread = {c: _spread(groups) for c, groups in by_column.items()}
    charted = sorted((c for c in by_column if spread[c] is not None), key=lambda c: -spread[c])[:MAX_SLICE_CHARTS]
    return {"d": d, "segments": segments, "overall": value_text(d["overall"]), "significant_p": SIGNIFICANT_P,
            "charts": [{"column": c, "spread": value_text(spread[c]), "chart": chart(slice_figure(d, c, by_column[c]),
                                                                                  toolbar=False)}
                       for c in charted],
            "table": [{"column": s["column"], "group": s["group"], "size": fmt_int(s["size"]),
                       "value": value_text(s["metric_value"]), "difference": signed_text(s["difference"]),
                       "p": p_value_text(s["p_value"]), "worse": (s["worse_by"] or 0) > 0} for s in d["slices"]]}


def _spread(groups: list[dict]) -> float | None:
    values = [g["metric_value"] for g in groups if g["metric_value"] is not None]
    return max(values) - min(values) if len(values) > 1 else None


# --- fairness -------------------------------------------------------------------------------------


def _fairness(d: dict, r: SuiteResult, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    audits = d["attributes"] + ([d["intersection"]] if d.get("intersection") else [])
    return {"d": d, "audits": [_audit(a, d["four_fifths"], chart) for a in audits], "overall": d["overall"]}


def _audit(a: dict, four_fifths: float, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    groups = [{"group": g["group"], "count": fmt_int(g["count"]), "share": fmt_share(g["share"]),
               "selection": fmt_share(g["selection_rate"]), "base": fmt_share(g["base_rate"]),
               "tpr": fmt_share(g["true_positive_rate"]), "fpr": fmt_share(g["false_positive_rate"]),
               "precision": fmt_share(g["precision"]), "accuracy": fmt_share(g["accuracy"]),
               "auc": value_text(g.get("roc_auc"))} for g in a["groups"]]
    passes = a["four_fifths_passes"]
    facts = [("demographic parity difference", value_text(a["demographic_parity_difference"]),
              "highest minus lowest selection rate (0: every group flagged equally often)"),
             ("equalized odds difference", value_text(a["equalized_odds_difference"]),
              "the larger of the gaps in true and false positive rate between groups (0: equal error rates)"),
             ("disparate impact", value_text(a["disparate_impact"]),
              (f"lowest / highest selection rate ({a['lowest_selection_group']} / {a['highest_selection_group']});"
               f" the four-fifths rule asks for at least {four_fifths:g}"))]
    return {"a": a, "groups": groups, "facts": facts,
            "verdict": {True: "meets the four-fifths rule", False: "fails the four-fifths rule",
                        None: "four-fifths rule not judged"}[passes],
            "tone": {True: "good", False: "bad", None: "muted-badge"}[passes],
            "chart": chart(selection_figure(a, four_fifths), toolbar=False)}


# --- explainability -------------------------------------------------------------------------------


def _explain(d: dict, r: SuiteResult, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    features = d["features"]
    ranked = sorted(features, key=lambda f: -f["importance"])
    shown = [f for i, f in enumerate(ranked) if i < MAX_BARS or f["critical"]]
    pdp = [f for f in features if f.get("partial_dependence")][:MAX_PDP_CHARTS]
    shap = sorted((f for f in features if f.get("shap_mean_abs") is not None), key=lambda f: -f["shap_mean_abs"])
    return {"d": d, "critical": [f["feature"] for f in features if f["critical"]],
            "hidden": len(ranked) - len(shown),
            "importance": chart(importance_figure(d, shown), toolbar=False),
            "pdp": [{"feature": f["feature"], "critical": f["critical"],
                     "chart": chart(dependence_figure(f), toolbar=False)} for f in pdp],
            "pdp_output": _pdp_output(pdp[0]["partial_dependence"]) if pdp else "",
            "shap": chart(shap_figure(d, shap[:MAX_BARS]), toolbar=False) if shap else None}


def _pdp_output(pd_: dict) -> str:
    if pd_["response"] == "predict":
        return "the average prediction"
    if len(pd_["outputs"]) == 1:
        return f"the average predicted probability of class {pd_['outputs'][0]}"
    return "the average predicted probability of each class"


# --- robustness -----------------------------------------------------------------------------------


def _robustness(d: dict, r: SuiteResult, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    table = [{"kind": PERTURBATIONS.get(c["kind"], c["kind"]), "level": f"{p['level']:g}",
              "score": value_text(p.get("score")), "degradation": signed_text(p.get("degradation")),
              "changed": fmt_share(p.get("changed_share")), "error": p.get("error") or ""}
             for c in d["curves"] for p in c["points"]]
    probes = [{**p, "tone": "good" if p["passed"] else "bad"} for p in d["probes"]]
    curves = [{"kind": PERTURBATIONS.get(c["kind"], c["kind"]), "columns": ", ".join(c["columns"]),
               "chart": chart(degradation_figure(d, c, PERTURBATION_COLOURS[i % len(PERTURBATION_COLOURS)]),
                              toolbar=False)} for i, c in enumerate(d["curves"])]
    return {"d": d, "table": table, "probes": probes, "curves": curves}


# --- ablation -------------------------------------------------------------------------------------


def _ablation(d: dict, r: SuiteResult, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    groups = sorted(d.get("groups", []), key=lambda g: -g["delta"])
    rows = [{"name": g["name"], "columns": ", ".join(g.get("columns") or []), "delta": signed_text(g["delta"]),
             "std": value_text(g.get("delta_std")), "score": value_text(g.get("score")), "helps": g["delta"] > 0}
            for g in groups]
    return {"d": d, "rows": rows, "show_columns": any(g.get("columns") != [g["name"]] for g in groups),
            "chart": chart(ablation_figure(d, groups[:MAX_BARS]), toolbar=False) if groups else None}


# --- failure modes --------------------------------------------------------------------------------


def _failure_modes(d: dict, r: SuiteResult, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    regression = d["task"] == "regression"
    rows = [{"rule": m["rule"], "rows": fmt_int(m["rows"]), "errors": fmt_int(m["errors"]),
             "rate": fmt_share(m["error_rate"]), "lift": f"{m['lift']:.2f}", "share": fmt_share(m["share_of_errors"]),
             "mae": value_text(m.get("mean_absolute_error")) if regression else None} for m in d["modes"]]
    return {"d": d, "rows": rows, "regression": regression}


# --- uplift ---------------------------------------------------------------------------------------


def _uplift(d: dict, r: SuiteResult, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    rows = [{"name": b["name"], "value": value_text(b["baseline_value"]), "improvement": signed_text(b["improvement"]),
             "relative": "—" if b["relative_improvement"] is None else f"{b['relative_improvement']:+.1%}",
             "better": b["better"]} for b in d["baselines"]]
    return {"d": d, "rows": rows, "statement": _uplift_statement(d), "kpi": _kpi_statement(d.get("kpi")),
            "chart": chart(uplift_figure(d), toolbar=False)}


def _uplift_statement(d: dict) -> str:
    if d["uplift"] is None:
        return f"The model's {d['metric']} is {value_text(d['value'])}; no baseline has a value to compare it with."
    relative = f" ({d['relative_uplift']:+.0%})" if d.get("relative_uplift") is not None else ""
    judged = "better than" if d["uplift"] > 0 else "not better than"
    return (f"The model's {d['metric']} is {value_text(d['value'])}, {judged} the best baseline ({d['best_baseline']}, "
            f"{value_text(d['best_baseline_value'])}): an uplift of {signed_text(d['uplift'])}{relative}, signed so "
            "that positive is better.")


def _kpi_statement(kpi: dict | None) -> str | None:
    if not kpi:
        return None
    reach = "reaches it." if kpi["reaches_target"] else f"does not reach it ({value_text(kpi['gap_to_target'])} to go)."
    text = f"KPI {kpi['name']}: target {kpi['target']:g}; the model's value {value_text(kpi['value'])} {reach}"
    if kpi.get("baseline") is not None:
        text += f" Today, without the model: {kpi['baseline']:g}"
        if kpi.get("share_of_gap_closed") is not None:
            text += f"; the model closes {kpi['share_of_gap_closed']:.0%} of the gap to the target"
        text += "."
    return text


BUILDERS: dict[str, Builder] = {
    "gates": _gate, "metrics": _metrics, "cross_validation": _cross_validation, "calibration": _calibration,
    "operating_point": _operating_point, "slices": _slices, "fairness": _fairness, "explain": _explain,
    "robustness": _robustness, "ablation": _ablation, "failure_modes": _failure_modes, "uplift": _uplift,
}
"""What each check's section shows, from its result (keyed by check name)."""

__all__ = ["render_performance_report"]
