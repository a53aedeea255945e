"""The charts of the Model Performance Report: plotly figures built from the suite's result dicts, and the
number formats they share with the page."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlsteward.report import _charts
from mlsteward.report._charts import AMBER, BLUE, GREEN, GREY, LABEL_CHARS, RED, Figure
from mlsteward.report._format import fmt_num, plotly_text

PERTURBATIONS: dict[str, str] = {
    "gaussian_noise": "Gaussian noise",
    "category_swap": "category swaps",
    "missing_values": "missing values",
    "out_of_range": "out-of-range values",
}


SIGNIFICANT_P = 0.01  # a worst segment with a smaller p-value is marked significant


def value_text(value: float | None) -> str:
    """A metric value as read in the page: four decimals; thousands separated when large."""
    if value is None:
        return "—"
    if not math.isfinite(value):
        return fmt_num(value)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4f}" if value == 0 or abs(value) >= 5e-5 else f"{value:.2g}"


def p_value_text(p: float | None) -> str:
    if p is None:
        return "—"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def threshold_text(t: float | None) -> str:
    return "flag nothing" if t is None else f"{t:.3f}"


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
            points.append(point_trace(*at, f"{name} ({threshold_text(x['threshold'])})", colour, symbol))
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


def significantly_worse(s: dict) -> bool:
    return (s["worse_by"] or 0) > 0 and s["p_value"] is not None and s["p_value"] < SIGNIFICANT_P


def slice_figure(d: dict, column: str, groups: list[dict]) -> Figure:
    """The metric in each group of one column; groups significantly worse than overall in amber, the
    overall value dashed."""
    bars = [Bar(label=g["group"], value=g["metric_value"], colour=AMBER if significantly_worse(g) else BLUE,
                hover=[f"{g['size']:,} rows ({g['share']:.1%})", f"p-value {p_value_text(g['p_value'])}"])
            for g in groups if g["metric_value"] is not None]
    lines = [(d["overall"], f"overall {value_text(d['overall'])}", GREY)] if d["overall"] is not None else []
    return bars_figure(bars, x_title=f"{d['metric']} ({column})", lines=lines)


def selection_figure(a: dict, four_fifths: float) -> Figure:
    """Each group's selection rate; groups below four-fifths of the highest rate in red, that level dashed."""
    highest = max(g["selection_rate"] for g in a["groups"])
    bar = four_fifths * highest
    bars = [Bar(label=g["group"], value=g["selection_rate"], colour=RED if g["selection_rate"] < bar else BLUE,
                hover=[f"{g['count']:,} rows", f"truly positive {g['base_rate']:.1%}"]) for g in a["groups"]]
    return bars_figure(bars, x_title=f"share flagged (selection rate) by {a['attribute']}",
                       lines=[(bar, f"{four_fifths:g} × highest", RED)], value_format=".1%")


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


def ablation_figure(d: dict, groups: Sequence[dict]) -> Figure:
    """The metric lost without each feature group (positive: the group helps), largest on top."""
    bars = [Bar(label=g["name"], value=g["delta"], colour=BLUE if g["delta"] > 0 else GREY, error=g.get("delta_std"),
                hover=[", ".join(g.get("columns") or [])]) for g in groups]
    return bars_figure(bars, x_title=f"{d.get('metric', '')} lost without the group")


def uplift_figure(d: dict) -> Figure:
    """The model's value and each baseline's, best first; the KPI target dashed when one is set."""
    entries = [("model", d["value"], BLUE)] + [(b["name"], b["baseline_value"], GREY) for b in d["baselines"]
                                               if b["baseline_value"] is not None]
    entries.sort(key=lambda e: -e[1] if d["greater_is_better"] else e[1])
    bars = [Bar(label=name, value=value, colour=colour) for name, value, colour in entries]
    kpi = d.get("kpi")
    lines = [(kpi["target"], f"KPI target {kpi['target']:g}", RED)] if kpi else []
    return bars_figure(bars, x_title=d["metric"], lines=lines)


def signed_text(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return value_text(value)
    return ("+" if value >= 0 else "−") + value_text(abs(value))


def interval_text(v: dict) -> str:
    if v.get("ci_low") is None or v.get("ci_high") is None:
        return ""
    return f"{value_text(v['ci_low'])} – {value_text(v['ci_high'])}"
