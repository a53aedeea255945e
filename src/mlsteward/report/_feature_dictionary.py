"""The data dictionary of a feature set as Markdown and as a self-contained HTML page."""

from __future__ import annotations

import datetime as _dt

from mlsteward.features.dictionary import DataDictionary
from mlsteward.report._format import package_version, timestamp_text
from mlsteward.report._html import render_template

COLUMNS = ("Feature", "Meaning", "Units", "Allowed range", "Made by", "Source columns", "Owner", "Serving",
           "Leakage")


def render_dictionary_markdown(dictionary: DataDictionary) -> str:
    """A Markdown table, one row per output feature."""
    lines = [f"# Data dictionary: {dictionary.feature_set}", "",
             f"Fitted on `{dictionary.dataset}`" + (f"; target `{dictionary.target}`." if dictionary.target else "."),
             "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for e in dictionary.entries:
        cells = [f"`{e.feature}`" + (f" ({', '.join(e.tags)})" if e.tags else ""), e.description, e.units or "",
                 e.allowed_range, f"`{e.transform}`", ", ".join(f"`{c}`" for c in e.source_columns), e.owner,
                 e.serving + (f", refreshed {e.refresh}" if e.refresh else ""), e.leakage]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def render_dictionary_html(dictionary: DataDictionary, generated_at: _dt.datetime | None = None) -> str:
    """A self-contained page (no scripts) with the same table."""
    return render_template("feature_dictionary.html.j2", {
        "dictionary": dictionary, "columns": COLUMNS, "version": package_version(),
        "generated_at": timestamp_text(generated_at or _dt.datetime.now(_dt.UTC))})


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
