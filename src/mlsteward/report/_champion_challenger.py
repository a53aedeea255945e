"""The champion–challenger report of a retrain: why it ran, both versions' evaluations, the two on the same
logged traffic, and the promotion gate's decision. Renders results only; reads nothing else."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from mlsteward.report._format import package_version, timestamp_text
from mlsteward.report._html import render_template


def render_champion_challenger(*, model: str, triggers: list[str], champion: Any, challenger: Any, comparison: Any,
                               gate: Any, promoted: bool, notes: list[str],
                               generated_at: _dt.datetime | None = None) -> str:
    """HTML of the report; ``champion``/``challenger`` are ModelVersions (champion may be None)."""
    names = sorted(set(challenger.metrics) | set(champion.metrics if champion else {}))
    evaluation = [(n, champion.metrics.get(n) if champion else None, challenger.metrics.get(n)) for n in names]
    traffic = []
    if comparison is not None and comparison.champion_metrics and comparison.challenger_metrics:
        before, after = comparison.champion_metrics.values, comparison.challenger_metrics.values
        traffic = [(n, before[n], after[n], comparison.differences[n]) for n in comparison.differences]
    return render_template("champion_challenger.html.j2", {
        "model": model, "triggers": triggers, "champion": champion, "challenger": challenger,
        "comparison": comparison, "evaluation": evaluation, "traffic": traffic, "gate": gate, "promoted": promoted,
        "notes": notes, "version": package_version(),
        "generated_at": timestamp_text(generated_at or _dt.datetime.now(_dt.UTC))})


__all__ = ["render_champion_challenger"]
