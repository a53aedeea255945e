"""The feasibility report: the study of stage 2 and its go / no-go decision as one self-contained HTML page.

Pure rendering: a ``FeasibilityResult`` in, a string out. The page opens with the decision, its
reasons and the gate checks (required vs observed), then the evidence: the sample, baselines vs
prototypes, the learning curve (chart with the fitted power law and the target), the labeling cost,
the compute viability against the budgets, and the error taxonomy (confusion matrix, error segments
as rules). Written for a product owner: every number says what it means.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

import numpy as np

from mlsteward.errors import InvalidInput
from mlsteward.report import _charts
from mlsteward.report._charts import AMBER, BLUE, GREEN, GREY, LABEL_CHARS, RED, Figure
from mlsteward.report._format import (
    fmt_bytes,
    fmt_int,
    fmt_num,
    fmt_share,
    package_version,
    plotly_text,
    timestamp_text,
)
from mlsteward.report._html import plotly_js, render_template
from mlsteward.train.feasibility_models import (
    ConfusionMatrix,
    ErrorTaxonomy,
    FeasibilityCheck,
    FeasibilityResult,
    LearningCurve,
)

SECTIONS: dict[str, str] = {
    "decision": "Decision",
    "sample": "Sample",
    "models": "Baselines vs prototypes",
    "learning-curve": "Learning curve",
    "labeling": "Labeling cost",
    "compute": "Compute",
    "errors": "Errors",
}
MAX_MATRIX_LABELS = 30  # a confusion matrix with more classes is listed by its top confusions only
MAX_CLASSES_LISTED = 20
VALIDATION = "#d9822b"


def render_feasibility_report(result: FeasibilityResult, *, title: str,
                              generated_at: _dt.datetime | None = None) -> str:
    """The feasibility study and its go / no-go decision as one self-contained HTML document.

    ``generated_at`` is printed in the header (default: now, UTC); with it fixed, the same result
    renders to the same page. The page inlines its CSS and the plotly.js of the installed plotly
    package and refers to no URL: it opens offline. Every value from the result is escaped.
    """
    if not isinstance(result, FeasibilityResult):
        raise InvalidInput(f"The 'result' parameter of render_feasibility_report must be a FeasibilityResult; got "
                           f"{type(result).__name__} instead. Pass the study's result (or "
                           f"FeasibilityResult.model_validate_json(...) of a stored one).")
    if not isinstance(title, str) or not title.strip():
        raise InvalidInput(f"The 'title' parameter of render_feasibility_report must be a non-empty str, e.g. "
                           f"'Feasibility: churn model'; got {title!r} instead.")
    if generated_at is not None and not isinstance(generated_at, _dt.datetime):
        raise InvalidInput(f"The 'generated_at' parameter of render_feasibility_report must be a datetime or None; "
                           f"got {type(generated_at).__name__} instead.")
    if generated_at is None:
        generated_at = _dt.datetime.now(_dt.UTC)
    chart = _charts.ChartEmbedder()
    context = {
        "title": title,
        "generated_at": timestamp_text(generated_at),
        "version": package_version(),
        "plotly_js": plotly_js(),
        "nav": list(SECTIONS.items()),
        "r": result,
        "decision": _decision(result),
        "cards": _cards(result),
        "sample": _sample(result),
        "models": _models(result, chart),
        "curve": _learning_curve(result.learning_curve, chart) if result.learning_curve else None,
        "labeling": result.labeling_cost,
        "compute": _compute(result) if result.compute_viability else None,
        "errors": _errors(result.error_taxonomy, chart) if result.error_taxonomy else None,
    }
    return render_template("feasibility_report.html.j2", context)


# --- formatting -----------------------------------------------------------------------------------


def _metric(value: float | None) -> str:
    """A metric value as read in the page: four significant digits."""
    if value is None:
        return "—"
    if not math.isfinite(value):
        return fmt_num(value)
    return f"{value:.4g}" if abs(value) < 1e5 else f"{value:,.0f}"


def _observed(value: float | str | None) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else _metric(value)


def _usd(value: float | None) -> str:
    if value is None:
        return "—"
    if value == 0:
        return "USD 0"
    return f"USD {value:,.2f}" if abs(value) >= 0.01 else f"USD {value:.3g}"


def _card(label: str, value: str, detail: str = "", tone: str = "") -> dict[str, str]:
    return {"label": label, "value": value, "detail": detail, "tone": tone, "size": "text" if len(value) > 9 else ""}


def _checks(checks: list[FeasibilityCheck]) -> list[dict[str, Any]]:
    return [{"check": c.check, "required": c.required, "observed": _observed(c.observed), "passed": c.passed,
             "note": c.note} for c in checks]


# --- the decision and the summary -----------------------------------------------------------------


def _decision(r: FeasibilityResult) -> dict[str, Any]:
    go = r.decision == "go"
    failed = [c.check for c in r.gate_checks if c.passed is False]
    return {
        "go": go,
        "label": "GO" if go else "NO-GO",
        "headline": ("There is enough signal to justify the investment: the project may continue to the data stage."
                     if go else "The study does not show enough signal to justify the investment (yet)."),
        "checks": _checks(r.gate_checks),
        "failed": failed,
        "met": sum(c.passed is True for c in r.gate_checks),
    }


def _cards(r: FeasibilityResult) -> list[dict[str, str]]:
    cards = [_card("Sample", fmt_int(r.sample.rows) + " rows",
                   f"positive rate {fmt_share(r.sample.positive_rate)}" if r.sample.positive_rate is not None
                   else r.sample.task)]
    proto, base, uplift = r.best_prototype, r.best_baseline, r.uplift
    if proto:
        cards.append(_card(f"Best prototype ({r.metric})", _metric(proto[1]), proto[0]))
    if base:
        cards.append(_card(f"Best baseline ({r.metric})", _metric(base[1]), base[0]))
    if uplift is not None:
        cards.append(_card("Uplift over baseline", f"{uplift:+.4g}", f"{r.metric}, best prototype vs best baseline",
                           "good" if uplift > 0 else "bad"))
    lc = r.learning_curve
    if lc is not None:
        cards.append(_card("More data", "would help" if lc.trend == "rising" else "unlikely to help",
                           "learning curve still rising" if lc.trend == "rising" else "learning curve flat",
                           "warn" if lc.trend == "rising" else ""))
        if lc.target is not None:
            if lc.target_met:
                cards.append(_card("Rows for target", "met", f"target {lc.target:g} reached already", "good"))
            else:
                cards.append(_card("Rows for target", fmt_int(lc.rows_needed) if lc.rows_needed else "not reachable",
                                   f"training rows for {lc.metric} {lc.target:g}", "" if lc.rows_needed else "bad"))
    if r.labeling_cost is not None and r.labeling_cost.estimated_cost_usd is not None:
        cards.append(_card("Labeling cost", _usd(r.labeling_cost.estimated_cost_usd),
                           f"{fmt_int(r.labeling_cost.rows_to_label)} rows to label"))
    if r.compute_viability is not None:
        passed = r.compute_viability.passed
        cards.append(_card("Compute budgets", {True: "within", False: "over", None: "not set"}[passed],
                           "latency and cost per prediction", {True: "good", False: "bad", None: ""}[passed]))
    if r.error_taxonomy is not None:
        cards.append(_card("Error rate", fmt_share(r.error_taxonomy.error_rate),
                           f"{fmt_int(r.error_taxonomy.errors)} of {fmt_int(r.error_taxonomy.rows)} rows"))
    return cards


def _sample(r: FeasibilityResult) -> dict[str, Any]:
    s = r.sample
    facts = [("rows", fmt_int(s.rows))]
    if s.columns is not None:
        facts.append(("columns", fmt_int(s.columns)))
    if s.target:
        facts.append(("target", s.target))
    facts.append(("task", s.task))
    if s.positive_rate is not None:
        facts.append(("positive rate", f"{fmt_share(s.positive_rate)} (class {s.positive_label})"))
    facts += [(k, fmt_num(v)) for k, v in s.target_summary.items()]
    return {"facts": facts, "classes": s.classes[:MAX_CLASSES_LISTED],
            "more_classes": max(0, len(s.classes) - MAX_CLASSES_LISTED), "notes": s.notes}


# --- baselines vs prototypes ----------------------------------------------------------------------


def _models(r: FeasibilityResult, chart: _charts.ChartEmbedder) -> dict[str, Any] | None:
    sign = 1 if r.greater_is_better else -1
    base = r.best_baseline
    rows = []
    for name, value in r.baselines.items():
        rows.append({"name": name, "kind": "baseline", "value": value, "std": None, "eff": None, "notes": []})
    for name, p in r.prototypes.items():
        rows.append({"name": name, "kind": "prototype", "value": p.metric_value, "std": p.metric_std,
                     "eff": p.efficiency, "notes": p.notes})
    if not rows:
        return None
    rows.sort(key=lambda m: -sign * m["value"] if math.isfinite(m["value"]) else math.inf)
    for m in rows:
        m["text"] = _metric(m["value"]) + (f" ± {m['std']:.2g}" if m["std"] is not None else "")
        m["uplift"] = (f"{sign * (m['value'] - base[1]):+.4g}" if base is not None and m["kind"] == "prototype"
                       else "")
        e = m["eff"]
        m["cells"] = [
            "—" if e is None or e.train_seconds is None else f"{e.train_seconds:,.2f} s",
            "—" if e is None or e.latency_p50_ms is None else f"{e.latency_p50_ms:.3g} ms",
            "—" if e is None or e.latency_p99_ms is None else f"{e.latency_p99_ms:.3g} ms",
            "—" if e is None or e.batch_rows_per_second is None else f"{e.batch_rows_per_second:,.0f}",
            "—" if e is None or e.peak_memory_mb is None else f"{e.peak_memory_mb:,.1f} MB",
            fmt_bytes(None if e is None else e.model_size_bytes),
        ]
    return {"rows": rows, "chart": chart(models_figure(r, rows), toolbar=False),
            "direction": "higher is better" if r.greater_is_better else "lower is better"}


def models_figure(r: FeasibilityResult, rows: list[dict[str, Any]]) -> Figure:
    """One bar per model, best on top: baselines grey, prototypes blue, whiskers one std over the folds."""
    shown = [m for m in rows if math.isfinite(m["value"])]
    keys = [plotly_text(m["name"], LABEL_CHARS) + "\u200b" * i for i, m in enumerate(shown)]
    return {
        "data": [{
            "type": "bar", "orientation": "h", "y": keys, "x": [m["value"] for m in shown],
            "marker": {"color": [GREY if m["kind"] == "baseline" else BLUE for m in shown]},
            "error_x": {"type": "data", "array": [m["std"] or 0 for m in shown], "color": "#52606d", "thickness": 1},
            "customdata": [[plotly_text(m["name"]), m["kind"]] for m in shown],
            "hovertemplate": f"%{{customdata[0]}} (%{{customdata[1]}})<br>{plotly_text(r.metric)} %{{x:.4g}}"
                             "<extra></extra>",
        }],
        "layout": _charts._layout(height=_charts._bar_height(len(shown)),
                                  yaxis={"type": "category", "autorange": "reversed"},
                                  xaxis={"title": {"text": plotly_text(r.metric)}}),
    }


# --- the learning curve ---------------------------------------------------------------------------


def _learning_curve(lc: LearningCurve, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    fit = lc.fit
    facts = [("metric", f"{lc.metric} ({'higher' if lc.greater_is_better else 'lower'} is better)"),
             ("cross-validation", f"{lc.folds} folds, seed {lc.seed}"),
             ("rows studied", fmt_int(lc.rows))]
    if fit is not None:
        facts += [("fitted curve", fit.formula), ("fitted ceiling (asymptote)", _metric(fit.asymptote)),
                  ("fit error (RMSE)", f"{fit.rmse:.2g}")]
    if lc.gain_per_doubling is not None:
        facts.append(("gain per doubling of the rows",
                      f"{lc.gain_per_doubling:+.3g} (flat at or below {lc.tolerance:.2g})"))
    if lc.target is not None:
        facts.append(("target", f"{lc.target:g}"))
        facts.append(("training rows needed", "met already" if lc.target_met else
                      (fmt_int(lc.rows_needed) if lc.rows_needed is not None else "not reachable by more data")))
    return {"lc": lc, "facts": facts, "chart": chart(learning_curve_figure(lc)),
            "tone": "warn" if lc.trend == "rising" else "info"}


def learning_curve_figure(lc: LearningCurve) -> Figure:
    """Training and validation means with ±1 std bands, the fitted power law (extended to the rows
    needed for the target when that is near), the fitted ceiling and the target as lines."""
    metric = plotly_text(lc.metric)
    x = [p.train_rows for p in lc.points]
    traces: list[dict[str, Any]] = []
    for name, colour, fill, mean_key, std_key in (
            ("training", BLUE, "rgba(56,103,181,0.15)", "train_mean", "train_std"),
            ("validation", VALIDATION, "rgba(217,130,43,0.18)", "validation_mean", "validation_std")):
        mean = [getattr(p, mean_key) for p in lc.points]
        std = [getattr(p, std_key) for p in lc.points]
        traces.append({"type": "scatter", "x": x + x[::-1],
                       "y": [m + s for m, s in zip(mean, std, strict=True)]
                            + [m - s for m, s in zip(mean[::-1], std[::-1], strict=True)],
                       "fill": "toself", "fillcolor": fill, "line": {"width": 0}, "hoverinfo": "skip",
                       "showlegend": False, "name": f"{name} ± 1 std"})
        traces.append({"type": "scatter", "mode": "lines+markers", "name": f"{name} score", "x": x, "y": mean,
                       "line": {"color": colour, "width": 2, "dash": "dot" if name == "training" else "solid"},
                       "marker": {"size": 7}, "customdata": std,
                       "hovertemplate": f"%{{x:,}} training rows<br>{name} {metric} %{{y:.4g}} ± %{{customdata:.2g}}"
                                        "<extra></extra>"})
    shapes, annotations = [], []
    x_max = max(x) * 2
    fit = lc.fit
    if fit is not None:
        if lc.rows_needed is not None and not lc.target_met:
            x_max = max(x_max, min(lc.rows_needed * 1.25, max(x) * 50))
        grid = np.geomspace(min(x) * 0.8, x_max, 80)
        traces.append({"type": "scatter", "mode": "lines", "name": "fitted power law", "x": grid.tolist(),
                       "y": [fit.predict(v) for v in grid], "line": {"color": GREEN, "width": 1.5, "dash": "dash"},
                       "hovertemplate": f"%{{x:,.0f}} training rows<br>fitted {metric} %{{y:.4g}}<extra></extra>"})
        shapes.append(_hline(fit.asymptote, GREY, "dot"))
        annotations.append(_label(fit.asymptote, f"fitted ceiling {fit.asymptote:.4g}", GREY, "left"))
    if lc.target is not None:
        shapes.append(_hline(lc.target, RED, "dash"))
        annotations.append(_label(lc.target, f"target {lc.target:g}", RED, "right"))
        if lc.rows_needed is not None and not lc.target_met and lc.rows_needed <= x_max:
            shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": lc.rows_needed, "x1": lc.rows_needed,
                           "y0": 0, "y1": 1, "line": {"color": AMBER, "width": 1.2, "dash": "dash"}})
            annotations.append({"x": math.log10(lc.rows_needed), "xref": "x", "y": 0, "yref": "paper",
                                "text": f"{lc.rows_needed:,} rows", "showarrow": False, "xanchor": "left",
                                "yanchor": "bottom", "font": {"size": 10, "color": AMBER}})
    return {
        "data": traces,
        "layout": _charts._layout(
            height=380, showlegend=True, margin={"t": 40},
            legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
            shapes=shapes, annotations=annotations,
            xaxis={"type": "log", "title": {"text": "training rows (log scale)"}},
            yaxis={"title": {"text": metric}}),
    }


def _hline(y: float, colour: str, dash: str) -> dict[str, Any]:
    return {"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": y, "y1": y,
            "line": {"color": colour, "width": 1.2, "dash": dash}}


def _label(y: float, text: str, colour: str, side: str) -> dict[str, Any]:
    return {"x": 0 if side == "left" else 1, "xref": "paper", "y": y, "yref": "y", "text": text,
            "showarrow": False, "xanchor": side, "yanchor": "bottom", "font": {"size": 10, "color": colour}}


# --- compute --------------------------------------------------------------------------------------


def _compute(r: FeasibilityResult) -> dict[str, Any]:
    cv = r.compute_viability
    assert cv is not None
    m = cv.measured
    facts = [
        ("training time", "—" if m.train_seconds is None else f"{m.train_seconds:,.2f} s"),
        ("single-row latency p50", "—" if m.latency_p50_ms is None else f"{m.latency_p50_ms:.3g} ms"),
        ("single-row latency p99", "—" if m.latency_p99_ms is None else f"{m.latency_p99_ms:.3g} ms"),
        ("batch throughput", "—" if m.batch_rows_per_second is None else f"{m.batch_rows_per_second:,.0f} rows/s"),
        ("peak memory (training)", "—" if m.peak_memory_mb is None else f"{m.peak_memory_mb:,.1f} MB"),
        ("model size", fmt_bytes(m.model_size_bytes)),
        ("cost per prediction (estimated)", _usd(cv.estimated_cost_per_prediction_usd)),
    ]
    checks = _checks(cv.checks)
    for c, raw in zip(checks, cv.checks, strict=True):
        if isinstance(raw.observed, float) and raw.check == "p95_latency_ms":
            c["observed"] = f"{raw.observed:.3g} ms"
        elif isinstance(raw.observed, float) and raw.check == "cost_per_prediction_usd":
            c["observed"] = _usd(raw.observed)
    passed = cv.passed
    return {"c": cv, "facts": facts, "checks": checks,
            "verdict": {True: "within budget", False: "over budget", None: "no budget checked"}[passed],
            "tone": {True: "good", False: "bad", None: "warn"}[passed]}


# --- errors ---------------------------------------------------------------------------------------


def _errors(et: ErrorTaxonomy, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    matrix = None
    cm = et.confusion_matrix
    if cm is not None and len(cm.labels) <= MAX_MATRIX_LABELS:
        totals = [sum(row) for row in cm.counts]
        matrix = {"labels": cm.labels, "rows": [
            {"label": label, "cells": [{"count": c, "share": c / totals[i] if totals[i] else None, "diag": i == j}
                                       for j, c in enumerate(row)], "total": totals[i]}
            for i, (label, row) in enumerate(zip(cm.labels, cm.counts, strict=True))],
            "chart": chart(confusion_figure(cm), toolbar=False)}
    return {"e": et, "matrix": matrix,
            "too_many_labels": cm is not None and matrix is None}


def confusion_figure(cm: ConfusionMatrix) -> Figure:
    """Counts of true (rows) vs predicted (columns) classes; the colour is the share of the true class."""
    labels = [plotly_text(v, LABEL_CHARS) for v in cm.labels]
    keys = [label + "\u200b" * i if labels.count(label) > 1 else label for i, label in enumerate(labels)]
    totals = [sum(row) or 1 for row in cm.counts]
    shares = [[c / totals[i] for c in row] for i, row in enumerate(cm.counts)]
    n = len(labels)
    return {
        "data": [{
            "type": "heatmap", "z": shares, "x": keys, "y": keys, "zmin": 0, "zmax": 1,
            "colorscale": [[0, "#f7fbff"], [1, "#2f5597"]], "xgap": 1, "ygap": 1, "showscale": False,
            "text": [[f"{c:,}" for c in row] for row in cm.counts], "texttemplate": "%{text}",
            "hovertemplate": "true %{y}, predicted %{x}<br>%{text} rows (%{z:.1%} of the true class)<extra></extra>",
        }],
        "layout": _charts._layout(
            height=min(640, max(220, 40 * n + 110)),
            xaxis={"type": "category", "title": {"text": "predicted class"}, "side": "bottom", "showgrid": False},
            yaxis={"type": "category", "title": {"text": "true class"}, "autorange": "reversed", "showgrid": False}),
    }
