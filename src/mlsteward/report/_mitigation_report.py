"""The fairness mitigation report: the mitigated candidate against the model it came from, accuracy against
the fairness metric, per group, with the promotion gate's fairness checks. Renders the results it is given;
reads nothing else."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from mlsteward.report._charts import BLUE, GREY, ChartEmbedder, Figure
from mlsteward.report._format import package_version, plotly_text, timestamp_text
from mlsteward.report._html import plotly_js, render_template


def tradeoff_figure(result: Any, limit: float | None = None) -> Figure:
    """Accuracy (y) against the constraint's disparity (x): the model before, the mitigated candidate after,
    an arrow between them, and the gate's ceiling as a dashed line when there is one."""
    before, after = result.fairness, result.accuracy
    xs, ys = [before.before, before.after], [after.before, after.after]
    names = ["before (as trained)", f"after ({plotly_text(result.method)})"]
    left = 0 if (xs[0] or 0) <= (xs[1] or 0) else 1  # the label of the leftmost point goes to its right
    traces = [{"type": "scatter", "mode": "markers+text", "x": [x], "y": [y], "text": [name],
               "textposition": "top right" if i == left else "top left", "marker": {"size": 13, "color": colour},
               "name": name, "cliponaxis": False,
               "hovertemplate": f"{name}<br>{plotly_text(result.fairness_metric)} %{{x:.4f}}<br>accuracy %{{y:.4f}}"
                                "<extra></extra>"}
              for i, (x, y, name, colour) in enumerate(zip(xs, ys, names, (GREY, BLUE), strict=True))]
    shapes = []
    if limit is not None:
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": limit, "x1": limit, "y0": 0, "y1": 1,
                       "line": {"dash": "dash", "color": "#c0392b", "width": 1}})
    span = [v for v in [*xs, limit] if v is not None]
    return {"data": traces, "layout": {
        "height": 340, "margin": {"l": 60, "r": 20, "t": 20, "b": 50}, "showlegend": False, "shapes": shapes,
        "annotations": [{"x": xs[1], "y": ys[1], "ax": xs[0], "ay": ys[0], "xref": "x", "yref": "y", "axref": "x",
                         "ayref": "y", "showarrow": True, "arrowhead": 3, "arrowcolor": BLUE, "text": ""}],
        "xaxis": {"title": {"text": f"{plotly_text(result.fairness_metric)} by "
                                    f"{plotly_text(result.sensitive_attribute)} (lower is fairer)"},
                  "range": [0, max(span) * 1.25 + 0.01]},
        "yaxis": {"title": {"text": "accuracy"}, "range": _padded([y for y in ys if y is not None])}}}


def _padded(values: list[float]) -> list[float] | None:
    if not values:
        return None
    low, high = min(values), max(values)
    pad = max((high - low) * 0.25, 0.005)
    return [low - pad, high + pad]


def groups_figure(result: Any) -> Figure:
    """Each group's selection rate before and after, side by side."""
    groups = [plotly_text(g.group, 28) for g in result.groups]
    traces = [{"type": "bar", "name": name, "x": groups, "marker": {"color": colour},
               "y": [getattr(g.selection_rate, when) for g in result.groups],
               "hovertemplate": f"%{{x}}: {name} selection rate %{{y:.3f}}<extra></extra>"}
              for when, name, colour in (("before", "before", GREY), ("after", "after", BLUE))]
    return {"data": traces, "layout": {"height": 300, "barmode": "group", "showlegend": True,
                                       "legend": {"orientation": "h"}, "margin": {"l": 60, "r": 20, "t": 20, "b": 40},
                                       "yaxis": {"title": {"text": "selection rate"}, "rangemode": "tozero"}}}


def render_mitigation_report(result: Any, *, project: str, model: str, run_id: str, evaluation: str | None,
                             test: str, fitted_on: str, gate: list[Any], model_note: str, notes: list[str],
                             evaluation_report: str | None = None, generated_at: _dt.datetime | None = None) -> str:
    """HTML of a ``MitigationResult`` with the gate comparisons (``GateComparison``) and where it came from."""
    embed = ChartEmbedder()
    ceiling = next((g.maximum for g in gate if g.metric == result.fairness_metric), None)
    return render_template("mitigation_report.html.j2", {
        "r": result, "project": project, "model": model, "run_id": run_id, "evaluation": evaluation, "test": test,
        "fitted_on": fitted_on, "gate": gate, "model_note": model_note, "notes": [*notes, *result.notes],
        "evaluation_report": evaluation_report, "tradeoff": embed(tradeoff_figure(result, ceiling)),
        "groups_chart": embed(groups_figure(result), toolbar=False), "plotly_js": plotly_js(),
        "version": package_version(), "generated_at": timestamp_text(generated_at or _dt.datetime.now(_dt.UTC))})


__all__ = ["groups_figure", "render_mitigation_report", "tradeoff_figure"]
