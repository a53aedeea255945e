"""Side-by-side comparison of runs: params and metrics per run, and which keys differ."""

from __future__ import annotations

import math

from pydantic import BaseModel

from mlsteward.store.runs import RunRecord


class RunComparison(BaseModel):
    run_ids: list[str]
    params: dict[str, dict[str, str | None]]
    metrics: dict[str, dict[str, float | None]]
    differing: list[str]


def compare_runs(records: list[RunRecord]) -> RunComparison:
    """Every param and metric key of any run, its value per run (None if absent), and the keys whose
    values are not all equal (prefixed ``params.`` / ``metrics.``)."""
    ids = [r.id for r in records]
    params = {k: {r.id: r.params.get(k) for r in records}
              for k in sorted({k for r in records for k in r.params})}
    metrics = {k: {r.id: _finite(r.metrics.get(k)) for r in records}
               for k in sorted({k for r in records for k in r.metrics})}
    differing = [f"params.{k}" for k, v in params.items() if len(set(v.values())) > 1]
    differing += [f"metrics.{k}" for k, v in metrics.items() if len(set(v.values())) > 1]
    return RunComparison(run_ids=ids, params=params, metrics=metrics, differing=differing)


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value
