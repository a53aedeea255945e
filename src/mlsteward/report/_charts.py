"""Plotly figures of the data-stage results, as plain figure dicts (``{"data": [...], "layout": {...}}``).

Each builder reads one result and returns a dict that ``plotly.graph_objects.Figure`` accepts; the
page embeds it with ``plotly.io.to_html`` (the library itself is included once per page). Figures
carry their own small style instead of plotly's default template, which would otherwise be copied
into every chart (about 8 KB each). Every text that comes from the data goes through
``plotly_text``, so plotly shows it literally rather than reading it as markup.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.io as pio
from markupsafe import Markup

from mlsteward.data.leakage import LeakageReport
from mlsteward.data.profile import Histogram, ValueCount
from mlsteward.data.profile_target import ClassCount, Correlations, TargetAssociation
from mlsteward.report._format import fmt_num, plotly_text

Figure = dict[str, Any]

FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
BLUE = "#3867b5"
GREY = "#9aa5b1"
RED = "#c0392b"
GREEN = "#2e7d4f"
AMBER = "#c77c02"
METHOD_COLOURS = {"cramers_v": BLUE, "eta": "#7b5ea7", "pearson": "#1b998b"}
METHOD_NAMES = {"cramers_v": "Cramér's V", "eta": "correlation ratio (eta)", "pearson": "Pearson r"}
# negative blue, zero white, positive red (ColorBrewer RdBu, reversed)
DIVERGING = [[0.0, "#2166ac"], [0.25, "#92c5de"], [0.5, "#f7f7f7"], [0.75, "#f4a582"], [1.0, "#b2182b"]]
LABEL_CHARS = 28  # axis labels are cut here; the hover shows the whole value

# Plotly config of every chart: no plotly logo link, no cloud export (no URL in the page).
CONFIG = {"displaylogo": False, "responsive": True, "showSendToCloud": False,
          "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}

_AXIS = {"gridcolor": "#e4e7eb", "linecolor": "#9aa5b1", "zeroline": False, "automargin": True,
         "tickfont": {"size": 11}}
_BASE_LAYOUT: dict[str, Any] = {
    "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
    "font": {"family": FONT, "size": 12, "color": "#1f2933"},
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "showlegend": False,
    "hoverlabel": {"font": {"family": FONT}, "align": "left"},
    "xaxis": _AXIS,
    "yaxis": _AXIS,
}


def _layout(**overrides: Any) -> dict[str, Any]:
    layout = copy.deepcopy(_BASE_LAYOUT)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(layout.get(key), dict):
            layout[key] = {**layout[key], **value}
        else:
            layout[key] = value
    return layout


def _bar_height(n: int) -> int:
    return max(160, 22 * n + 60)


# --- per column -----------------------------------------------------------------------------------


def histogram_figure(histogram: Histogram, *, lower_fence: float | None = None,
                     upper_fence: float | None = None) -> Figure:
    """Bars over the profile's histogram edges; the IQR fences that fall in range as dashed lines."""
    edges, counts = histogram.edges, histogram.counts
    centres = [(a + b) / 2 for a, b in itertools.pairwise(edges)]
    widths = [b - a for a, b in itertools.pairwise(edges)]
    last = len(counts) - 1
    ranges = [f"[{fmt_num(a)}, {fmt_num(b)}{']' if i == last else ')'}"
              for i, (a, b) in enumerate(itertools.pairwise(edges))]
    shapes, annotations = [], []
    for name, fence in (("lower fence", lower_fence), ("upper fence", upper_fence)):
        if fence is not None and edges[0] < fence < edges[-1]:
            shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": fence, "x1": fence,
                           "y0": 0, "y1": 1, "line": {"color": AMBER, "width": 1.5, "dash": "dash"}})
            annotations.append({"x": fence, "xref": "x", "y": 1, "yref": "paper", "text": name,
                                "showarrow": False, "yanchor": "bottom", "font": {"size": 10, "color": AMBER}})
    return {
        "data": [{
            "type": "bar", "x": centres, "y": counts, "width": widths, "customdata": ranges,
            "marker": {"color": BLUE, "line": {"color": "white", "width": 0.5}},
            "hovertemplate": "%{customdata}<br>%{y:,} rows<extra></extra>",
        }],
        "layout": _layout(height=240, bargap=0, shapes=shapes, annotations=annotations,
                          margin={"t": 18 if annotations else 10},
                          yaxis={"title": {"text": "rows"}}),
    }


def top_values_figure(top_values: Sequence[ValueCount]) -> Figure:
    """The most frequent values as horizontal bars, the most frequent on top."""
    labels = [plotly_text(v.value, LABEL_CHARS) for v in top_values]
    # distinct category keys even when two long values share their first characters
    keys = [label + "\u200b" * i if labels.count(label) > 1 else label for i, label in enumerate(labels)]
    return {
        "data": [{
            "type": "bar", "orientation": "h", "y": keys, "x": [v.count for v in top_values],
            "customdata": [[plotly_text(v.value), f"{v.share:.1%}"] for v in top_values],
            "text": [f"{v.share:.1%}" for v in top_values], "textposition": "auto",
            "marker": {"color": BLUE},
            "hovertemplate": "%{customdata[0]}<br>%{x:,} rows (%{customdata[1]})<extra></extra>",
        }],
        "layout": _layout(height=_bar_height(len(top_values)),
                          yaxis={"autorange": "reversed", "type": "category"},
                          xaxis={"title": {"text": "rows"}}),
    }


# --- the target -----------------------------------------------------------------------------------


def class_figure(classes: Sequence[ClassCount]) -> Figure:
    """Rows per class of a classification target, with each class's share."""
    return {
        "data": [{
            "type": "bar", "x": [plotly_text(c.label, LABEL_CHARS) for c in classes],
            "y": [c.count for c in classes], "text": [f"{c.share:.1%}" for c in classes],
            "textposition": "auto", "marker": {"color": BLUE},
            "customdata": [[plotly_text(c.label), f"{c.balanced_weight:.3g}"] for c in classes],
            "hovertemplate": ("class %{customdata[0]}<br>%{y:,} rows (%{text})<br>"
                              "balanced weight %{customdata[1]}<extra></extra>"),
        }],
        "layout": _layout(height=280, xaxis={"type": "category", "title": {"text": "class"}},
                          yaxis={"title": {"text": "rows"}}),
    }


def associations_figure(associations: Sequence[TargetAssociation]) -> Figure:
    """Each feature's association with the target, strongest on top, coloured by measure."""
    shown = sorted((a for a in associations if a.value is not None), key=lambda a: -abs(a.value or 0.0))
    traces = []
    for method, colour in METHOD_COLOURS.items():
        rows = [a for a in shown if a.method == method]
        if not rows:
            continue
        traces.append({
            "type": "bar", "orientation": "h", "name": METHOD_NAMES[method],
            "y": [plotly_text(a.feature, LABEL_CHARS) for a in rows], "x": [a.value for a in rows],
            "marker": {"color": colour},
            "customdata": [[plotly_text(a.feature), f"{a.rows:,}"] for a in rows],
            "hovertemplate": (f"%{{customdata[0]}}<br>{METHOD_NAMES[method]} %{{x:.3f}}<br>"
                              "%{customdata[1]} rows<extra></extra>"),
        })
    order = [plotly_text(a.feature, LABEL_CHARS) for a in shown]
    negative = any((a.value or 0.0) < 0 for a in shown)
    return {
        "data": traces,
        "layout": _layout(height=_bar_height(len(shown)), showlegend=True,
                          legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
                          margin={"t": 30}, barmode="overlay",
                          yaxis={"type": "category", "categoryorder": "array", "categoryarray": order,
                                 "autorange": "reversed"},
                          xaxis={"range": [-1 if negative else 0, 1], "title": {"text": "association"}}),
    }


# --- correlations ---------------------------------------------------------------------------------


def correlation_figure(correlations: Correlations, columns: Sequence[str]) -> Figure:
    """Pearson and Spearman heatmaps of ``columns`` with buttons to switch between them."""
    labels = [plotly_text(c, LABEL_CHARS) for c in columns]
    full = [plotly_text(c) for c in columns]
    n = len(columns)
    traces = []
    for i, (name, matrix) in enumerate((("Pearson", correlations.pearson), ("Spearman", correlations.spearman))):
        z = [[matrix[row][col] for col in columns] for row in columns]
        trace = {
            "type": "heatmap", "name": name, "z": z, "x": labels, "y": labels, "zmin": -1, "zmax": 1,
            "zmid": 0, "colorscale": DIVERGING, "xgap": 1, "ygap": 1, "visible": i == 0,
            "colorbar": {"title": {"text": "r"}, "thickness": 12},
            "customdata": [[[full[r], full[c]] for c in range(n)] for r in range(n)],
            "hovertemplate": f"%{{customdata[0]}} × %{{customdata[1]}}<br>{name} %{{z:.3f}}<extra></extra>",
        }
        if n <= 20:
            trace["texttemplate"] = "%{z:.2f}"
            trace["textfont"] = {"size": 10 if n > 12 else 11}
        traces.append(trace)
    buttons = [{"label": name, "method": "update",
                "args": [{"visible": [j == i for j in range(2)]}]}
               for i, name in enumerate(("Pearson", "Spearman"))]
    size = min(820, max(360, 34 * n + 160))
    return {
        "data": traces,
        "layout": _layout(
            height=size, margin={"t": 50},
            xaxis={"type": "category", "tickangle": -40, "showgrid": False},
            yaxis={"type": "category", "autorange": "reversed", "showgrid": False},
            updatemenus=[{"type": "buttons", "direction": "right", "buttons": buttons, "active": 0,
                          "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom",
                          "pad": {"t": 0, "b": 0}, "showactive": True,
                          "bgcolor": "#f1f4f8", "bordercolor": "#c7ced6"}],
        ),
    }


# --- leakage --------------------------------------------------------------------------------------


def leakage_scores_figure(report: LeakageReport, status: Mapping[str, str], limit: int) -> Figure:
    """Each column's single-feature score, highest on top, flagged columns in colour, the threshold dashed.

    ``status`` maps flagged columns to ``quarantined`` or ``cleared``; only the ``limit`` highest
    scores are drawn (flagged columns always are).
    """
    ranked = sorted(report.columns, key=lambda c: -c.single_feature_score)
    shown = [c for i, c in enumerate(ranked) if i < limit or c.column in status]
    colours = {"quarantined": RED, "cleared": GREEN}
    metric = {"roc_auc": "ROC AUC", "roc_auc_ovr": "ROC AUC (one-vs-rest)", "r2": "R²"}[report.metric]
    return {
        "data": [{
            "type": "bar", "orientation": "h",
            "y": [plotly_text(c.column, LABEL_CHARS) for c in shown],
            "x": [c.single_feature_score for c in shown],
            "error_x": {"type": "data", "array": [c.score_std for c in shown], "color": "#52606d",
                        "thickness": 1},
            "marker": {"color": [colours.get(status.get(c.column, ""), BLUE) for c in shown]},
            "customdata": [[plotly_text(c.column), status.get(c.column, "not flagged"),
                            ", ".join(c.flags) or "—"] for c in shown],
            "hovertemplate": (f"%{{customdata[0]}}<br>{metric} %{{x:.3f}}<br>%{{customdata[1]}}"
                              "<br>flags: %{customdata[2]}<extra></extra>"),
        }],
        "layout": _layout(
            height=_bar_height(len(shown)), margin={"t": 22},
            yaxis={"type": "category", "autorange": "reversed"},
            xaxis={"range": [min([0.0] + [c.single_feature_score - c.score_std for c in shown]), 1.02],
                   "title": {"text": f"single-feature {metric} (dashed line: proxy threshold "
                                     f"{report.proxy_threshold:g})"}},
            shapes=[{"type": "line", "xref": "x", "yref": "paper", "x0": report.proxy_threshold,
                     "x1": report.proxy_threshold, "y0": 0, "y1": 1,
                     "line": {"color": RED, "width": 1.5, "dash": "dash"}}],
        ),
    }


# --- embedding ------------------------------------------------------------------------------------


class ChartEmbedder:
    """Turns figure dicts into HTML fragments with stable element ids (``chart-1``, ``chart-2``…).

    The fragments call ``Plotly.newPlot``; the page includes the plotly library once, before them.
    Stable ids make the same results render to the same page.
    """

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, figure: Figure, *, toolbar: bool = True) -> Markup:
        """The figure as a ``<div>`` and its script. ``toolbar=False`` hides plotly's mode bar (small
        charts, where it would cover the bars); zooming by dragging still works."""
        self.count += 1
        layout = figure.get("layout", {})
        height = layout.get("height", 300)
        config = CONFIG if toolbar else {**CONFIG, "displayModeBar": False}
        if toolbar and layout.get("margin", {}).get("t", 0) < 34:  # room for the mode bar above the plot
            figure = {**figure, "layout": {**layout, "margin": {**layout.get("margin", {}), "t": 34},
                                           "height": height + 34 - layout.get("margin", {}).get("t", 0)}}
            height = figure["layout"]["height"]
        html = pio.to_html(figure, include_plotlyjs=False, full_html=False, config=config,
                           div_id=f"chart-{self.count}", default_height=f"{height}px",
                           default_width="100%", validate=False)
        return Markup(html)  # safe: plotly's JSON writes <, > and / as \u escapes inside the script
