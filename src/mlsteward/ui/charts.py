"""The dashboard's plotly figures, as plain figure dicts in the reports' style (their ``_layout``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mlsteward.report._charts import AMBER, BLUE, GREEN, GREY, RED, _layout
from mlsteward.report._format import plotly_text

Figure = dict[str, Any]
PALETTE = [BLUE, AMBER, GREEN, RED, "#7b5ea7", "#1b998b", GREY, "#d1495b"]


def lines(series: Mapping[str, tuple[Sequence[Any], Sequence[float | None]]], *, x_title: str, y_title: str,
          height: int = 300, threshold: float | None = None, markers: bool = True) -> Figure:
    """One line per named series of (x values, y values); ``threshold`` draws a dashed horizontal line."""
    data = [{"type": "scatter", "mode": "lines+markers" if markers else "lines", "name": plotly_text(name),
             "x": list(xs), "y": list(ys), "line": {"color": PALETTE[i % len(PALETTE)], "width": 2},
             "marker": {"size": 7}}
            for i, (name, (xs, ys)) in enumerate(series.items())]
    shapes = [] if threshold is None else [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": threshold,
                                             "y1": threshold, "line": {"color": RED, "dash": "dash", "width": 1}}]
    return {"data": data, "layout": _layout(height=height, showlegend=len(data) > 1, shapes=shapes,
                                            legend={"orientation": "h", "y": -0.25},
                                            xaxis={"title": {"text": x_title}}, yaxis={"title": {"text": y_title}})}


def grouped_bars(groups: Sequence[str], series: Mapping[str, Sequence[float | None]], *, y_title: str,
                 height: int = 300) -> Figure:
    """Bars per group (x), one colour per series (e.g. a metric per run)."""
    data = [{"type": "bar", "name": plotly_text(name), "x": [plotly_text(g) for g in groups], "y": list(values),
             "marker": {"color": PALETTE[i % len(PALETTE)]}}
            for i, (name, values) in enumerate(series.items())]
    return {"data": data, "layout": _layout(height=height, barmode="group", showlegend=len(data) > 1,
                                            legend={"orientation": "h", "y": -0.25},
                                            yaxis={"title": {"text": y_title}})}


def horizontal_bars(labels: Sequence[str], values: Sequence[float], *, x_title: str,
                    flagged: Sequence[bool] | None = None, threshold: float | None = None) -> Figure:
    """One bar per label (red where flagged), largest first from the top."""
    colours = [RED if f else BLUE for f in (flagged or [False] * len(labels))]
    shapes = [] if threshold is None else [{"type": "line", "yref": "paper", "y0": 0, "y1": 1, "x0": threshold,
                                             "x1": threshold, "line": {"color": RED, "dash": "dash", "width": 1}}]
    return {"data": [{"type": "bar", "orientation": "h", "y": [plotly_text(v) for v in labels], "x": list(values),
                      "marker": {"color": colours}}],
            "layout": _layout(height=max(180, 26 * len(labels) + 70), shapes=shapes,
                              yaxis={"autorange": "reversed"}, xaxis={"title": {"text": x_title}})}


__all__ = ["grouped_bars", "horizontal_bars", "lines"]
