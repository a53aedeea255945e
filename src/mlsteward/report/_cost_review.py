"""The cost-optimisation review of `steward costs review`: the month and its forecast against the budgets,
spending per month, serving per day, the most expensive runs, the candidates' tuning cost against their score,
and the findings. Renders the review it is given; reads nothing else."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from mlsteward.report._charts import AMBER, BLUE, ChartEmbedder, Figure
from mlsteward.report._format import package_version, timestamp_text
from mlsteward.report._html import plotly_js, render_template


def months_figure(months: list[Any]) -> Figure:
    """Training and inference spending per month, stacked."""
    labels = [m.month for m in months]
    traces = [{"type": "bar", "name": name, "x": labels, "y": [getattr(m, key) for m in months],
               "marker": {"color": colour}, "hovertemplate": f"%{{x}} {name}: $%{{y:,.2f}}<extra></extra>"}
              for key, name, colour in (("training_usd", "training", BLUE), ("inference_usd", "inference", AMBER))]
    return {"data": traces, "layout": {"height": 300, "barmode": "stack", "legend": {"orientation": "h"},
                                       "margin": {"l": 60, "r": 20, "t": 20, "b": 40},
                                       "xaxis": {"type": "category"},
                                       "yaxis": {"title": {"text": "USD"}, "rangemode": "tozero"}}}


def serving_figure(days: list[Any]) -> Figure:
    """Each day's inference cost: predictions and infrastructure, stacked."""
    x = [d.day.isoformat() for d in days]
    traces = [{"type": "bar", "name": name, "x": x, "y": [getattr(d, key) for d in days], "marker": {"color": colour},
               "hovertemplate": f"%{{x}} {name}: $%{{y:,.4f}}<extra></extra>"}
              for key, name, colour in (("infrastructure_usd", "infrastructure", AMBER),
                                        ("predictions_usd", "predictions", BLUE))]
    return {"data": traces, "layout": {"height": 300, "barmode": "stack", "legend": {"orientation": "h"},
                                       "margin": {"l": 60, "r": 20, "t": 20, "b": 40}, "xaxis": {"type": "category"},
                                       "yaxis": {"title": {"text": "USD per day"}, "rangemode": "tozero"}}}


def render_cost_review(review: Any, *, generated_at: _dt.datetime | None = None) -> str:
    """HTML of a ``mlsteward.lifecycle.cost_review.CostReview``."""
    embed = ChartEmbedder()
    since = _dt.datetime.fromtimestamp(review.since_ms / 1000, tz=_dt.UTC)
    return render_template("cost_review.html.j2", {
        "r": review, "s": review.summary, "since": timestamp_text(since),
        "months_chart": embed(months_figure(review.months), toolbar=False) if review.months else None,
        "serving_chart": embed(serving_figure(review.serving_days), toolbar=False) if review.serving_days else None,
        "plotly_js": plotly_js(), "version": package_version(),
        "when": lambda ms: _dt.datetime.fromtimestamp(ms / 1000, tz=_dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "generated_at": timestamp_text(generated_at or _dt.datetime.now(_dt.UTC))})


__all__ = ["months_figure", "render_cost_review", "serving_figure"]
