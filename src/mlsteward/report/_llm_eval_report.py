"""The LLM evaluation report of `steward llm eval`: the checks against their bounds, the metrics, and every case
with its answer, the documents it was given and the sentences that were not supported. Renders the result it is
given; reads nothing else."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from mlsteward.report._format import package_version, timestamp_text
from mlsteward.report._html import render_template


def render_llm_eval_report(result: Any, *, generated_at: _dt.datetime | None = None) -> str:
    """HTML of a ``mlsteward.lifecycle.llm_eval.LLMEvaluation``."""
    return render_template("llm_eval.html.j2", {
        "r": result, "version": package_version(),
        "generated_at": timestamp_text(generated_at or _dt.datetime.now(_dt.UTC))})


__all__ = ["render_llm_eval_report"]
