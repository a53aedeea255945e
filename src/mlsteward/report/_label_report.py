"""The label quality audit as an HTML page: progress, agreement, gold accuracy, conflicts, confused labels and
the guideline sections they implicate, and cost. Renders the result only; reads nothing else."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from mlsteward.report._format import package_version, timestamp_text
from mlsteward.report._html import render_template


def render_label_report(quality: Any, *, generated_at: _dt.datetime | None = None) -> str:
    """HTML of a ``LabelQualityReport``."""
    return render_template("label_audit.html.j2", {
        "q": quality, "version": package_version(),
        "generated_at": timestamp_text(generated_at or _dt.datetime.now(_dt.UTC))})


__all__ = ["render_label_report"]
