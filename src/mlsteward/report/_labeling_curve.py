"""The labeling learning curve as an HTML page: the metric against labels bought, active learning against random
selection, with their spread over repeats. Renders the result only; reads nothing else."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from mlsteward.report._charts import BLUE, GREY, ChartEmbedder, Figure
from mlsteward.report._format import package_version, timestamp_text
from mlsteward.report._html import plotly_js, render_template


def curve_figure(result: Any) -> Figure:
    """Mean metric per labelled-set size for both arms, with a band of one standard deviation."""
    sizes = [p.labelled for p in result.curve]
    traces = []
    for arm, colour, name in (("active", BLUE, f"active ({result.strategy})"), ("random", GREY, "random")):
        mean = [getattr(p, f"{arm}_mean") for p in result.curve]
        std = [getattr(p, f"{arm}_std") for p in result.curve]
        traces.append({"type": "scatter", "x": sizes + sizes[::-1], "y": [m + s for m, s in zip(mean, std, strict=True)]
                       + [m - s for m, s in zip(mean[::-1], std[::-1], strict=True)], "fill": "toself",
                       "line": {"width": 0}, "fillcolor": colour, "opacity": 0.15, "hoverinfo": "skip",
                       "showlegend": False})
        traces.append({"type": "scatter", "mode": "lines+markers", "x": sizes, "y": mean, "name": name,
                       "line": {"color": colour}})
    return {"data": traces, "layout": {"height": 380, "margin": {"l": 60, "r": 20, "t": 20, "b": 50},
                                       "xaxis": {"title": {"text": "labels"}},
                                       "yaxis": {"title": {"text": result.metric}}, "legend": {"orientation": "h"}}}


def render_labeling_curve(result: Any, *, dataset: str, label: str, generated_at: _dt.datetime | None = None) -> str:
    """HTML of a ``SimulationResult``."""
    return render_template("labeling_curve.html.j2", {
        "r": result, "dataset": dataset, "label": label, "chart": ChartEmbedder()(curve_figure(result)),
        "plotly_js": plotly_js(), "version": package_version(),
        "generated_at": timestamp_text(generated_at or _dt.datetime.now(_dt.UTC))})


__all__ = ["curve_figure", "render_labeling_curve"]
