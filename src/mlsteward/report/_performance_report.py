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
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlsteward.errors import InvalidInput
from mlsteward.evaluate.suite import SuiteResult
from mlsteward.report import _charts
from mlsteward.report._charts import AMBER, BLUE, GREEN, GREY, LABEL_CHARS, RED, Figure
from mlsteward.report._feasibility_report import MAX_MATRIX_LABELS, confusion_figure
from mlsteward.report._format import fmt_int, fmt_num, fmt_share, package_version, plotly_text, timestamp_text
from mlsteward.report._html import plotly_js, render_template
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
CHECK_SECTIONS: dict[str, str] = {
    "gates": "gate", "metrics": "metrics", "cross_validation": "metrics", "calibration": "calibration",
    "operating_point": "operating-point", "slices": "slices", "fairness": "fairness", "explain": "explain",
    "robustness": "robustness", "ablation": "ablation", "failure_modes": "failure-modes", "uplift": "uplift",
}
"""The section that renders each check (cross-validation shares the metrics section)."""

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
PERTURBATIONS: dict[str, str] = {
    "gaussian_noise": "Gaussian noise",
    "category_swap": "category swaps",
    "missing_values": "missing values",
    "out_of_range": "out-of-range values",
}
STATUS_TONES: dict[str, str] = {"pass": "good", "warn": "warn", "fail": "bad", "error": "bad", "info": "info",
                                "skipped": "muted-badge"}
DECISIONS: dict[str, tuple[str, str]] = {  # gate decision -> (banner label, tone)
    "pass": ("PASS", "good"), "fail": ("FAIL", "bad"), "pending": ("PENDING", "warn"), "no gate": ("NO GATE", "none"),
}
COST_LABELS: dict[str, str] = {
    "false_positive": "a false alarm (flagged, not positive)",
    "false_negative": "a missed case (positive, not flagged)",
    "true_positive": "a case caught", "true_negative": "a case rightly left alone",
}
PERTURBATION_COLOURS = (BLUE, AMBER, "#7b5ea7", "#1b998b")
SIGNIFICANT_P = 0.01  # a worst segment with a smaller p-value is marked significant
MAX_SLICE_CHARTS = 4  # bar charts of the columns whose groups differ most
MAX_PDP_CHARTS = 6
MAX_BARS = 25
MAX_PARAMS = 12
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
        "verdict": _verdict(result),
        "cards": _cards(result),
        "evaluated": _evaluated(result, facts),
        "checks": _checks(result),
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


def _value(value: float | None) -> str:
    """A metric value as read in the page: four decimals; thousands separated when large."""
    if value is None:
        return "—"
    if not math.isfinite(value):
        return fmt_num(value)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4f}" if value == 0 or abs(value) >= 5e-5 else f"{value:.2g}"


def _signed(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return _value(value)
    return ("+" if value >= 0 else "−") + _value(abs(value))


def _interval(v: dict) -> str:
    if v.get("ci_low") is None or v.get("ci_high") is None:
        return ""
    return f"{_value(v['ci_low'])} – {_value(v['ci_high'])}"


def _p_value(p: float | None) -> str:
    if p is None:
        return "—"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _threshold(t: float | None) -> str:
    return "flag nothing" if t is None else f"{t:.3f}"


def _card(label: str, value: str, detail: str = "", tone: str = "") -> dict[str, str]:
    return {"label": label, "value": value, "detail": detail, "tone": tone, "size": "text" if len(value) > 9 else ""}


def _shorten(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- generic charts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: raw label and hover lines (escaped when drawn), value, colour, ± error."""

    label: str
    value: float
    colour: str = BLUE
    error: float | None = None
    hover: Sequence[str] = field(default_factory=tuple)


def bars_figure(bars: Sequence[Bar], *, x_title: str, lines: Sequence[tuple[float, str, str]] = (),
                value_format: str = ".4f") -> Figure:
    """Horizontal bars, the first on top; ``lines`` are vertical reference lines (x, label, colour)."""
    labels = [plotly_text(b.label, LABEL_CHARS) for b in bars]
    keys = [label + "\u200b" * i if labels.count(label) > 1 else label for i, label in enumerate(labels)]
    trace: dict[str, Any] = {
        "type": "bar", "orientation": "h", "y": keys, "x": [b.value for b in bars],
        "marker": {"color": [b.colour for b in bars]},
        "customdata": [[plotly_text(b.label), "".join("<br>" + plotly_text(h) for h in b.hover)] for b in bars],
        "hovertemplate": f"%{{customdata[0]}}<br>%{{x:{value_format}}}%{{customdata[1]}}<extra></extra>",
    }
    if any(b.error for b in bars):
        trace["error_x"] = {"type": "data", "array": [b.error or 0 for b in bars], "color": "#52606d", "thickness": 1}
    shapes, annotations = _vlines(lines)
    return {"data": [trace], "layout": _charts._layout(
        height=_charts._bar_height(len(bars)) + (16 if lines else 0), margin={"t": 22 if lines else 10},
        shapes=shapes, annotations=annotations, yaxis={"type": "category", "autorange": "reversed"},
        xaxis={"title": {"text": plotly_text(x_title)}, "zeroline": True, "zerolinecolor": "#9aa5b1"})}


def _vlines(lines: Sequence[tuple[float, str, str]]) -> tuple[list[dict], list[dict]]:
    """Dashed vertical lines across the plot, each labelled above it (two labels: the left one to the
    left of its line, the right one to the right, so that close lines keep readable labels)."""
    shapes = [{"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
               "line": {"color": colour, "width": 1.3, "dash": "dash"}} for x, _, colour in lines]
    lowest = min((x for x, _, _ in lines), default=None)
    annotations = [{"x": x, "xref": "x", "y": 1, "yref": "paper", "text": plotly_text(text), "showarrow": False,
                    "yanchor": "bottom", "font": {"size": 10, "color": colour},
                    "xanchor": "center" if len(lines) != 2 else ("right" if x == lowest else "left")}
                   for x, text, colour in lines]
    return shapes, annotations


def line_trace(x: Sequence, y: Sequence, name: str, colour: str, *, hover: str, dash: str = "solid",
               markers: bool = False) -> dict[str, Any]:
    """A line (with markers) named ``name`` in the legend; ``hover`` is a plotly hover template."""
    return {"type": "scatter", "mode": "lines+markers" if markers else "lines", "x": list(x), "y": list(y),
            "name": plotly_text(name), "line": {"color": colour, "width": 2, "dash": dash},
            "marker": {"size": 6}, "hovertemplate": hover + "<extra></extra>"}


def point_trace(x: float, y: float, name: str, colour: str, symbol: str) -> dict[str, Any]:
    """One marked point, e.g. the chosen threshold on a curve."""
    return {"type": "scatter", "mode": "markers", "x": [x], "y": [y], "name": plotly_text(name),
            "marker": {"color": colour, "size": 12, "symbol": symbol, "line": {"color": "white", "width": 1}},
            "hovertemplate": f"{plotly_text(name)}<br>(%{{x:.3f}}, %{{y:.3f}})<extra></extra>"}


def xy_layout(x_title: str, y_title: str, *, height: int = 300, x_range: list | None = None,
              y_range: list | None = None, legend: bool = True, **extra: Any) -> dict[str, Any]:
    """The layout of a line chart: axis titles (raw text), optional ranges, the legend above the plot."""
    xaxis: dict[str, Any] = {"title": {"text": plotly_text(x_title)}}
    yaxis: dict[str, Any] = {"title": {"text": plotly_text(y_title)}}
    if x_range is not None:
        xaxis["range"] = x_range
    if y_range is not None:
        yaxis["range"] = y_range
    margin = {"t": 40 if legend else 10, **extra.pop("margin", {})}
    return _charts._layout(height=height, showlegend=legend, margin=margin,
                           legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "font": {"size": 11}},
                           xaxis=xaxis, yaxis=yaxis, **extra)


def _diagonal(colour: str = GREY) -> dict[str, Any]:
    return {"type": "line", "xref": "x", "yref": "y", "x0": 0, "y0": 0, "x1": 1, "y1": 1,
            "line": {"color": colour, "width": 1, "dash": "dot"}}


# --- the summary ----------------------------------------------------------------------------------


def _verdict(r: SuiteResult) -> dict[str, Any]:
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
            "pending": [c.check for c in pending], "numbers": _headline_numbers(r)}


def _headline_numbers(r: SuiteResult) -> list[tuple[str, str]]:
    numbers = []
    metrics = r.result("metrics")
    value = (metrics or {}).get("values", {}).get(r.metric)
    if value:
        ci = _interval(value)
        level = f"{metrics['confidence']:.0%} interval " if ci else ""
        numbers.append((f"{r.metric} on the test set", _value(value["value"]) + (f" ({level}{ci})" if ci else "")))
    uplift = r.result("uplift")
    if uplift and uplift.get("uplift") is not None:
        best = f"{uplift['best_baseline']} {_value(uplift['best_baseline_value'])}"
        numbers.append(("over the best baseline", f"{_signed(uplift['uplift'])} (vs {best})"))
    point = r.result("operating_point")
    if point:
        opt = point["optimum"]
        flags = f"flags {fmt_share(opt['flagged_share'])} of cases at the least cost"
        numbers.append(("decision threshold", f"{_threshold(opt['threshold'])} ({flags})"))
    return numbers


def _cards(r: SuiteResult) -> list[dict[str, str]]:
    """The "at a glance" cards: one number per check that ran, with what it means."""
    builders = (_metric_card, _uplift_card, _threshold_card, _cv_card, _rows_card, _calibration_card,
                _fairness_card, _slices_card, _robustness_card, _error_card)
    return [card for build in builders if (card := build(r))]


def _metric_card(r: SuiteResult) -> dict[str, str] | None:
    metrics = r.result("metrics")
    value = (metrics or {}).get("values", {}).get(r.metric)
    if not value:
        return None
    ci = _interval(value)
    direction = "higher" if r.greater_is_better else "lower"
    detail = f"{metrics['confidence']:.0%} interval {ci}" if ci else f"{direction} is better"
    return _card(f"{r.metric} (test set)", _value(value["value"]), detail)


def _uplift_card(r: SuiteResult) -> dict[str, str] | None:
    uplift = r.result("uplift")
    if not uplift or uplift.get("uplift") is None:
        return None
    return _card("Uplift over baseline", _signed(uplift["uplift"]),
                 f"{r.metric} vs {uplift['best_baseline']} ({_value(uplift['best_baseline_value'])})",
                 "good" if uplift["uplift"] > 0 else "bad")


def _threshold_card(r: SuiteResult) -> dict[str, str] | None:
    point = r.result("operating_point")
    if not point:
        return None
    opt = point["optimum"]
    return _card("Decision threshold", _threshold(opt["threshold"]),
                 f"flags {fmt_share(opt['flagged_share'])}, finds {fmt_share(opt['recall'], 0)} of positives")


def _cv_card(r: SuiteResult) -> dict[str, str] | None:
    cv = r.result("cross_validation")
    scores = (cv or {}).get("metrics", {}).get(r.metric)
    if not scores:
        return None
    return _card("Cross-validation", f"{_value(scores['mean'])} ± {scores['std']:.2g}",
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
    return _card("Worst segment", _value(worst["metric_value"]),
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
    return _card("Worst degradation", _value(point["degradation"]),
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


def _evaluated(r: SuiteResult, facts: ModelCardFacts) -> dict[str, list[tuple[str, str]]]:
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


def _checks(r: SuiteResult) -> list[dict[str, Any]]:
    return [{"o": c, "anchor": CHECK_SECTIONS.get(c.name) if c.status != "skipped" else None} for c in r.checks]


# --- the gate -------------------------------------------------------------------------------------


def _gate(d: dict, r: SuiteResult, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    rows = [{"check": c["check"], "required": c["required"], "observed": _value(c.get("observed")),
             "passed": c.get("passed"), "note": c.get("note") or ""} for c in d.get("checks", [])]
    return {"decision": d.get("decision", "no gate"), "rows": rows, "met": sum(c["passed"] is True for c in rows)}


# --- metrics --------------------------------------------------------------------------------------


def _metrics(d: dict, r: SuiteResult, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    rows = []
    for name, v in d["values"].items():
        metric = METRICS.get(name)
        rows.append({"name": name, "value": _value(v["value"]), "ci": _interval(v), "headline": name == r.metric,
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
    rows = [{"name": name, "mean": _value(s["mean"]), "std": f"{s['std']:.4f}",
             "test": _value(test[name]["value"]) if name in test else "—",
             "folds": [_value(v) for v in s["per_fold"][:MAX_FOLD_COLUMNS]]}
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
    rows = [{"label": label, "before": _value(before[key]), "after": _value(after[key]) if after else None,
             "change": _signed(after[key] - before[key]) if after else None, "meaning": meaning}
            for label, key, meaning in measures]
    curves = [("model" if after is None else "before recalibration", before, BLUE)]
    if after is not None:
        curves.append((f"after {d['method']} recalibration", after, GREEN))
    better = after is not None and after["expected_calibration_error"] < before["expected_calibration_error"]
    return {"rows": rows, "before": before, "after": after, "d": d, "better": better,
            "binning": "equal-width" if before["strategy"] == "uniform" else "equal-count",
            "chart": chart(reliability_figure(curves), toolbar=False)}


def reliability_figure(curves: Sequence[tuple[str, dict, str]]) -> Figure:
    """Mean predicted probability vs observed share of positives per bin, one line per calibration
    result; the diagonal is perfect calibration; grey bars (right axis) count the first result's rows."""
    first = curves[0][1]["curve"]
    traces: list[dict[str, Any]] = [{
        "type": "bar", "x": [(lo + hi) / 2 for lo, hi in zip(first["bin_low"], first["bin_high"], strict=True)],
        "y": first["count"], "width": [hi - lo for lo, hi in zip(first["bin_low"], first["bin_high"], strict=True)],
        "yaxis": "y2", "name": "rows per bin", "marker": {"color": "rgba(154,165,177,0.35)"},
        "hovertemplate": "%{y:,} rows with a probability in this bin<extra></extra>"}]
    for name, cal, colour in curves:
        c = cal["curve"]
        traces.append(line_trace(c["mean_predicted"], c["observed_frequency"], name, colour, markers=True,
                                 hover=f"{plotly_text(name)}<br>mean predicted %{{x:.3f}}<br>observed %{{y:.3f}}"))
    return {"data": traces, "layout": xy_layout(
        "mean predicted probability", "observed share of positives", height=380, x_range=[0, 1], y_range=[0, 1],
        shapes=[_diagonal()], bargap=0,
        yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "title": {"text": "rows per bin"},
                "rangemode": "tozero", "tickfont": {"size": 10}, "automargin": True, "zeroline": False,
                "tickmode": "auto", "nticks": 5, "tickformat": ",d"})}


# --- the operating point --------------------------------------------------------------------------


def _operating_point(d: dict, r: SuiteResult, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    costs = d["costs"]
    decisions = [("least expected cost", d["optimum"]), (f"default ({_threshold(d['default']['threshold'])})",
                                                          d["default"])]
    if d["bayes"]["threshold"] not in (d["optimum"]["threshold"], d["default"]["threshold"]):
        decisions.append(("theoretical (Bayes)", d["bayes"]))
    rows = [{"label": label, "threshold": _threshold(x["threshold"]), "flagged": fmt_int(x["flagged"]),
             "share": fmt_share(x["flagged_share"]), "tp": fmt_int(x["true_positive"]),
             "fp": fmt_int(x["false_positive"]), "fn": fmt_int(x["false_negative"]), "tn": fmt_int(x["true_negative"]),
             "recall": fmt_share(x["recall"]), "precision": fmt_share(x["precision"]),
             "cost": f"{x['expected_cost']:.4g}"} for label, x in decisions]
    return {"d": d, "opt": d["optimum"], "rows": rows, "unit": costs["unit"],
            "costs": [(label, costs[key]) for key, label in COST_LABELS.items()
                      if costs[key] or key.startswith("false")],  # a benefit of a right decision when there is one
            "charts": [chart(roc_figure(d), toolbar=False), chart(pr_figure(d), toolbar=False),
                       chart(cost_figure(d), toolbar=False)]}


def _rates(x: dict) -> tuple[float, float]:
    """(false positive rate, true positive rate) of a decision."""
    negatives = x["false_positive"] + x["true_negative"]
    return (x["false_positive"] / negatives if negatives else 0.0), x["recall"]


def _decision_points(d: dict, xy: Callable[[dict], tuple[float, float] | None]) -> list[dict[str, Any]]:
    """The optimum and the default threshold as marked points on a curve."""
    points = []
    for name, x, colour, symbol in (("least cost", d["optimum"], RED, "diamond"),
                                    ("default", d["default"], GREY, "circle")):
        at = xy(x)
        if at is not None:
            points.append(point_trace(*at, f"{name} ({_threshold(x['threshold'])})", colour, symbol))
    return points


def roc_figure(d: dict) -> Figure:
    """The ROC curve with the diagonal of guessing and the chosen and default thresholds marked."""
    roc = d["roc"]
    curve = line_trace(roc["false_positive_rate"], roc["true_positive_rate"], f"AUC {d['roc_auc']:.3f}", BLUE,
                       hover="flags %{x:.1%} of negatives<br>finds %{y:.1%} of positives")
    return {"data": [curve, *_decision_points(d, _rates)],
            "layout": xy_layout("false positive rate", "true positive rate (recall)", height=340,
                                x_range=[-0.01, 1.01], y_range=[-0.01, 1.01], shapes=[_diagonal()])}


def pr_figure(d: dict) -> Figure:
    """Precision vs recall, the prevalence (a random model's precision) dotted, thresholds marked."""
    pr = d["precision_recall"]
    curve = line_trace(pr["recall"], pr["precision"], f"AP {d['average_precision']:.3f}", BLUE,
                       hover="finds %{x:.1%} of positives<br>%{y:.1%} of the flagged are positive")
    points = _decision_points(d, lambda x: None if x["precision"] is None else (x["recall"], x["precision"]))
    return {"data": [curve, *points], "layout": xy_layout(
        "recall", "precision", height=340, x_range=[-0.01, 1.01], y_range=[0, 1.02],
        shapes=[{"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": d["prevalence"],
                 "y1": d["prevalence"], "line": {"color": GREY, "width": 1, "dash": "dot"}}])}


def cost_figure(d: dict) -> Figure:
    """Expected cost per prediction by threshold; the optimum and 0.5 as vertical lines, flagging nothing dotted."""
    cc, unit = d["cost_curve"], d["costs"]["unit"]
    kept = [(t, c, s) for t, c, s in zip(cc["thresholds"], cc["expected_cost"], cc["flagged_share"], strict=True)
            if t is not None]
    curve = line_trace([t for t, _, _ in kept], [c for _, c, _ in kept], "expected cost", BLUE,
                       hover=f"threshold %{{x:.3f}}<br>%{{y:.4g}} {plotly_text(unit)} per prediction")
    lines = [(x["threshold"], label, colour) for x, label, colour in (
        (d["optimum"], "least cost", RED), (d["default"], "default", GREY)) if x["threshold"] is not None]
    shapes, annotations = _vlines(lines)
    shapes.append({"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": d["flag_nothing_cost"],
                   "y1": d["flag_nothing_cost"], "line": {"color": GREY, "width": 1, "dash": "dot"}})
    annotations.append({"x": 0, "xref": "paper", "y": d["flag_nothing_cost"], "yref": "y", "text": "flag nothing",
                        "showarrow": False, "xanchor": "left", "yanchor": "bottom",
                        "font": {"size": 10, "color": GREY}})
    return {"data": [curve], "layout": xy_layout("threshold", f"expected cost per prediction ({unit})", height=340,
                                                 x_range=[0, 1], legend=False, shapes=shapes, annotations=annotations,
                                                 margin={"t": 22})}


# --- slices ---------------------------------------------------------------------------------------


def _slices(d: dict, r: SuiteResult, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    segments = [{"description": s["description"], "size": fmt_int(s["size"]), "share": fmt_share(s["share"]),
                 "value": _value(s["metric_value"]), "worse_by": _value(s["worse_by"]),
                 "error": fmt_share(s["error"]) if d["task"] == "classification" else _value(s["error"]),
                 "rest_error": (fmt_share(s["rest_error"]) if d["task"] == "classification"
                                else _value(s["rest_error"])),
                 "p": _p_value(s["p_value"]),
                 "significant": _significantly_worse(s)}
                for s in d["worst_segments"]]
    by_column: dict[str, list[dict]] = {}
    for s in d["slices"]:
        by_column.setdefault(s["column"], []).append(s)
    spread = {c: _spread(groups) for c, groups in by_column.items()}
    charted = sorted((c for c in by_column if spread[c] is not None), key=lambda c: -spread[c])[:MAX_SLICE_CHARTS]
    return {"d": d, "segments": segments, "overall": _value(d["overall"]), "significant_p": SIGNIFICANT_P,
            "charts": [{"column": c, "spread": _value(spread[c]), "chart": chart(slice_figure(d, c, by_column[c]),
                                                                                  toolbar=False)}
                       for c in charted],
            "table": [{"column": s["column"], "group": s["group"], "size": fmt_int(s["size"]),
                       "value": _value(s["metric_value"]), "difference": _signed(s["difference"]),
                       "p": _p_value(s["p_value"]), "worse": (s["worse_by"] or 0) > 0} for s in d["slices"]]}


def _significantly_worse(s: dict) -> bool:
    return (s["worse_by"] or 0) > 0 and s["p_value"] is not None and s["p_value"] < SIGNIFICANT_P


def _spread(groups: list[dict]) -> float | None:
    values = [g["metric_value"] for g in groups if g["metric_value"] is not None]
    return max(values) - min(values) if len(values) > 1 else None


def slice_figure(d: dict, column: str, groups: list[dict]) -> Figure:
    """The metric in each group of one column; groups significantly worse than overall in amber, the
    overall value dashed."""
    bars = [Bar(label=g["group"], value=g["metric_value"], colour=AMBER if _significantly_worse(g) else BLUE,
                hover=[f"{g['size']:,} rows ({g['share']:.1%})", f"p-value {_p_value(g['p_value'])}"])
            for g in groups if g["metric_value"] is not None]
    lines = [(d["overall"], f"overall {_value(d['overall'])}", GREY)] if d["overall"] is not None else []
    return bars_figure(bars, x_title=f"{d['metric']} ({column})", lines=lines)


# --- fairness -------------------------------------------------------------------------------------


def _fairness(d: dict, r: SuiteResult, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    audits = d["attributes"] + ([d["intersection"]] if d.get("intersection") else [])
    return {"d": d, "audits": [_audit(a, d["four_fifths"], chart) for a in audits], "overall": d["overall"]}


def _audit(a: dict, four_fifths: float, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    groups = [{"group": g["group"], "count": fmt_int(g["count"]), "share": fmt_share(g["share"]),
               "selection": fmt_share(g["selection_rate"]), "base": fmt_share(g["base_rate"]),
               "tpr": fmt_share(g["true_positive_rate"]), "fpr": fmt_share(g["false_positive_rate"]),
               "precision": fmt_share(g["precision"]), "accuracy": fmt_share(g["accuracy"]),
               "auc": _value(g.get("roc_auc"))} for g in a["groups"]]
    passes = a["four_fifths_passes"]
    facts = [("demographic parity difference", _value(a["demographic_parity_difference"]),
              "highest minus lowest selection rate (0: every group flagged equally often)"),
             ("equalized odds difference", _value(a["equalized_odds_difference"]),
              "the larger of the gaps in true and false positive rate between groups (0: equal error rates)"),
             ("disparate impact", _value(a["disparate_impact"]),
              (f"lowest / highest selection rate ({a['lowest_selection_group']} / {a['highest_selection_group']});"
               f" the four-fifths rule asks for at least {four_fifths:g}"))]
    return {"a": a, "groups": groups, "facts": facts,
            "verdict": {True: "meets the four-fifths rule", False: "fails the four-fifths rule",
                        None: "four-fifths rule not judged"}[passes],
            "tone": {True: "good", False: "bad", None: "muted-badge"}[passes],
            "chart": chart(selection_figure(a, four_fifths), toolbar=False)}


def selection_figure(a: dict, four_fifths: float) -> Figure:
    """Each group's selection rate; groups below four-fifths of the highest rate in red, that level dashed."""
    highest = max(g["selection_rate"] for g in a["groups"])
    bar = four_fifths * highest
    bars = [Bar(label=g["group"], value=g["selection_rate"], colour=RED if g["selection_rate"] < bar else BLUE,
                hover=[f"{g['count']:,} rows", f"truly positive {g['base_rate']:.1%}"]) for g in a["groups"]]
    return bars_figure(bars, x_title=f"share flagged (selection rate) by {a['attribute']}",
                       lines=[(bar, f"{four_fifths:g} × highest", RED)], value_format=".1%")


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


def importance_figure(d: dict, features: Sequence[dict]) -> Figure:
    """Permutation importance per column with its std over the repeats; critical columns in amber."""
    bars = [Bar(label=f["feature"] + (" (critical)" if f["critical"] else ""), value=f["importance"],
                colour=AMBER if f["critical"] else BLUE, error=f["importance_std"],
                hover=[f"± {f['importance_std']:.4f} over {len(f['importances'])} shuffles", f"{f['kind']} column"])
            for f in features]
    worse = "drop" if d["greater_is_better"] else "rise"
    return bars_figure(bars, x_title=f"{worse} of {d['metric']} when the column is shuffled")


def shap_figure(d: dict, features: Sequence[dict]) -> Figure:
    """Mean |SHAP value| per column: how far, on average, the column moves a prediction."""
    bars = [Bar(label=f["feature"], value=f["shap_mean_abs"], colour=AMBER if f["critical"] else BLUE)
            for f in features]
    return bars_figure(bars, x_title=f"mean |SHAP value| ({d['shap']['output']})")


def dependence_figure(f: dict) -> Figure:
    """The model's average output with the column set to each grid value: a line for numbers, bars for
    categories; one trace per output (a class or the prediction)."""
    pd_ = f["partial_dependence"]
    grid = [plotly_text(v, LABEL_CHARS) if pd_["kind"] == "categorical" else v for v in pd_["grid"]]
    colours = [BLUE, AMBER, GREEN, RED, "#7b5ea7", "#1b998b"]
    traces = []
    for i, (output, values) in enumerate(zip(pd_["outputs"], pd_["average"], strict=True)):
        name = f"class {output}" if pd_["response"] != "predict" else "prediction"
        if pd_["kind"] == "categorical":
            traces.append({"type": "bar", "x": grid, "y": values, "name": plotly_text(name),
                           "marker": {"color": colours[i % len(colours)]},
                           "hovertemplate": "%{x}<br>average %{y:.4g}<extra></extra>"})
        else:
            traces.append(line_trace(grid, values, name, colours[i % len(colours)],
                                     hover="%{x:.4g}<br>average %{y:.4g}"))
    layout = xy_layout(f["feature"], "average output", height=230, legend=len(traces) > 1)
    if pd_["kind"] == "categorical":
        layout["xaxis"] = {**layout["xaxis"], "type": "category", "tickangle": -30 if len(grid) > 4 else 0}
    return {"data": traces, "layout": layout}


def _pdp_output(pd_: dict) -> str:
    if pd_["response"] == "predict":
        return "the average prediction"
    if len(pd_["outputs"]) == 1:
        return f"the average predicted probability of class {pd_['outputs'][0]}"
    return "the average predicted probability of each class"


# --- robustness -----------------------------------------------------------------------------------


def _robustness(d: dict, r: SuiteResult, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    table = [{"kind": PERTURBATIONS.get(c["kind"], c["kind"]), "level": f"{p['level']:g}",
              "score": _value(p.get("score")), "degradation": _signed(p.get("degradation")),
              "changed": fmt_share(p.get("changed_share")), "error": p.get("error") or ""}
             for c in d["curves"] for p in c["points"]]
    probes = [{**p, "tone": "good" if p["passed"] else "bad"} for p in d["probes"]]
    curves = [{"kind": PERTURBATIONS.get(c["kind"], c["kind"]), "columns": ", ".join(c["columns"]),
               "chart": chart(degradation_figure(d, c, PERTURBATION_COLOURS[i % len(PERTURBATION_COLOURS)]),
                              toolbar=False)} for i, c in enumerate(d["curves"])]
    return {"d": d, "table": table, "probes": probes, "curves": curves}


def degradation_figure(d: dict, curve: dict, colour: str) -> Figure:
    """The metric at each level of one perturbation kind, from the clean score at level 0 (dotted)."""
    points = [(0.0, d["clean_score"])] + [(p["level"], p.get("score")) for p in curve["points"]]
    name = PERTURBATIONS.get(curve["kind"], curve["kind"])
    trace = line_trace([x for x, _ in points], [y for _, y in points], name, colour, markers=True,
                       hover=f"{plotly_text(name)} at %{{x:g}}<br>{plotly_text(d['metric'])} %{{y:.4f}}")
    clean = {"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": d["clean_score"],
             "y1": d["clean_score"], "line": {"color": GREY, "width": 1, "dash": "dot"}}
    layout = xy_layout(curve["level_name"], d["metric"], height=240, legend=False, shapes=[clean])
    layout["xaxis"]["title"]["font"] = {"size": 10.5}  # the level's name is long for a small chart
    return {"data": [trace], "layout": layout}


# --- ablation -------------------------------------------------------------------------------------


def _ablation(d: dict, r: SuiteResult, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    groups = sorted(d.get("groups", []), key=lambda g: -g["delta"])
    rows = [{"name": g["name"], "columns": ", ".join(g.get("columns") or []), "delta": _signed(g["delta"]),
             "std": _value(g.get("delta_std")), "score": _value(g.get("score")), "helps": g["delta"] > 0}
            for g in groups]
    return {"d": d, "rows": rows, "show_columns": any(g.get("columns") != [g["name"]] for g in groups),
            "chart": chart(ablation_figure(d, groups[:MAX_BARS]), toolbar=False) if groups else None}


def ablation_figure(d: dict, groups: Sequence[dict]) -> Figure:
    """The metric lost without each feature group (positive: the group helps), largest on top."""
    bars = [Bar(label=g["name"], value=g["delta"], colour=BLUE if g["delta"] > 0 else GREY, error=g.get("delta_std"),
                hover=[", ".join(g.get("columns") or [])]) for g in groups]
    return bars_figure(bars, x_title=f"{d.get('metric', '')} lost without the group")


# --- failure modes --------------------------------------------------------------------------------


def _failure_modes(d: dict, r: SuiteResult, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    regression = d["task"] == "regression"
    rows = [{"rule": m["rule"], "rows": fmt_int(m["rows"]), "errors": fmt_int(m["errors"]),
             "rate": fmt_share(m["error_rate"]), "lift": f"{m['lift']:.2f}", "share": fmt_share(m["share_of_errors"]),
             "mae": _value(m.get("mean_absolute_error")) if regression else None} for m in d["modes"]]
    return {"d": d, "rows": rows, "regression": regression}


# --- uplift ---------------------------------------------------------------------------------------


def _uplift(d: dict, r: SuiteResult, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    rows = [{"name": b["name"], "value": _value(b["baseline_value"]), "improvement": _signed(b["improvement"]),
             "relative": "—" if b["relative_improvement"] is None else f"{b['relative_improvement']:+.1%}",
             "better": b["better"]} for b in d["baselines"]]
    return {"d": d, "rows": rows, "statement": _uplift_statement(d), "kpi": _kpi_statement(d.get("kpi")),
            "chart": chart(uplift_figure(d), toolbar=False)}


def _uplift_statement(d: dict) -> str:
    if d["uplift"] is None:
        return f"The model's {d['metric']} is {_value(d['value'])}; no baseline has a value to compare it with."
    relative = f" ({d['relative_uplift']:+.0%})" if d.get("relative_uplift") is not None else ""
    verdict = "better than" if d["uplift"] > 0 else "not better than"
    return (f"The model's {d['metric']} is {_value(d['value'])}, {verdict} the best baseline ({d['best_baseline']}, "
            f"{_value(d['best_baseline_value'])}): an uplift of {_signed(d['uplift'])}{relative}, signed so that "
            f"positive is better.")


def _kpi_statement(kpi: dict | None) -> str | None:
    if not kpi:
        return None
    reach = "reaches it." if kpi["reaches_target"] else f"does not reach it ({_value(kpi['gap_to_target'])} to go)."
    text = f"KPI {kpi['name']}: target {kpi['target']:g}; the model's value {_value(kpi['value'])} {reach}"
    if kpi.get("baseline") is not None:
        text += f" Today, without the model: {kpi['baseline']:g}"
        if kpi.get("share_of_gap_closed") is not None:
            text += f"; the model closes {kpi['share_of_gap_closed']:.0%} of the gap to the target"
        text += "."
    return text


def uplift_figure(d: dict) -> Figure:
    """The model's value and each baseline's, best first; the KPI target dashed when one is set."""
    entries = [("model", d["value"], BLUE)] + [(b["name"], b["baseline_value"], GREY) for b in d["baselines"]
                                               if b["baseline_value"] is not None]
    entries.sort(key=lambda e: -e[1] if d["greater_is_better"] else e[1])
    bars = [Bar(label=name, value=value, colour=colour) for name, value, colour in entries]
    kpi = d.get("kpi")
    lines = [(kpi["target"], f"KPI target {kpi['target']:g}", RED)] if kpi else []
    return bars_figure(bars, x_title=d["metric"], lines=lines)


BUILDERS: dict[str, Builder] = {
    "gates": _gate, "metrics": _metrics, "cross_validation": _cross_validation, "calibration": _calibration,
    "operating_point": _operating_point, "slices": _slices, "fairness": _fairness, "explain": _explain,
    "robustness": _robustness, "ablation": _ablation, "failure_modes": _failure_modes, "uplift": _uplift,
}
"""What each check's section shows, from its result (keyed by check name)."""

__all__ = ["render_performance_report"]
