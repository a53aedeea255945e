"""Rendering a dashboard page: the Jinja2 environment (every value HTML-escaped), its filters, and charts."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import jinja2
from markupsafe import Markup

from mlsteward.report._charts import ChartEmbedder
from mlsteward.report._format import FILTERS


def when(ms: float | None, seconds: bool = False) -> str:
    """Epoch milliseconds as ``YYYY-MM-DD HH:MM`` UTC ('-' for none)."""
    if ms is None:
        return "-"
    stamp = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    return stamp.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def short(value: Any, n: int = 8) -> str:
    return str(value)[:n]


def number(value: Any, digits: int = 4) -> str:
    """A metric for a table: floats to ``digits`` significant digits, the rest as they are."""
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return f"{value:,}"


@functools.cache
def environment() -> jinja2.Environment:
    loader = jinja2.ChoiceLoader([jinja2.PackageLoader("mlsteward.ui", "templates"),  # then the reports' partials
                                  jinja2.PackageLoader("mlsteward.report", "templates")])
    env = jinja2.Environment(loader=loader, autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(FILTERS)
    env.filters.update({"when": when, "short": short, "number": number})
    return env


def render_page(name: str, context: dict[str, Any]) -> str:
    """``templates/NAME`` with ``context`` and a fresh ``chart`` function (figure dict -> its <div>)."""
    return environment().get_template(name).render({"chart": ChartEmbedder(), **context})


def markdown_html(text: str) -> Markup:
    """Markdown (a model card) as HTML; raw HTML in the text is escaped, not rendered."""
    from markdown_it import MarkdownIt

    return Markup(MarkdownIt("commonmark", {"html": False}).enable("table").render(text))


__all__ = ["environment", "markdown_html", "number", "render_page", "when"]
