"""What a model costs to train and to serve, measured, and checked against the charter's budgets.

**Measured.** ``profile_model`` fits once under ``tracemalloc``: ``peak_memory_mb`` is the peak of
what Python and numpy allocate during the fit (native allocations of C++ libraries such as LightGBM
are not seen), and ``train_seconds`` includes tracemalloc's overhead, so it is an upper bound (tens of
percent for allocation-heavy fits). It then times ``calls`` single-row predictions (after one untimed
warm-up call) on rows taken in turn from ``predict_rows``, and one prediction on all of them.
Predictions use ``predict_proba`` when the model has it (what a service scoring risk calls), else
``predict``.

**Budgets.** ``within_budget`` compares with the charter's ``constraints``. The p95 latency budget is
checked against the measured *p99* single-row latency: a conservative bound, since the measuring
machine is rarely the serving one. The cost per prediction is estimated as the CPU time of one
single-row prediction times the price of a CPU-second (default USD 0.0000139, about USD 0.05 per
vCPU-hour, a typical on-demand cloud price: pass yours).
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from mlsteward.errors import InvalidInput
from mlsteward.models_io import dump_model

DEFAULT_COST_PER_CPU_SECOND_USD = 0.0000139


class EfficiencyProfile(BaseModel):
    """Training and serving cost of one model, measured on this machine. Every field is a number."""

    train_seconds: float = Field(description="wall-clock time of the fit")
    train_rows: int
    peak_memory_mb: float = Field(description="peak Python/numpy memory allocated during the fit (tracemalloc)")
    latency_calls: int = Field(description="single-row predictions timed")
    latency_p50_ms: float
    latency_p99_ms: float
    cpu_ms_per_prediction: float = Field(description="mean CPU time of one single-row prediction")
    batch_rows: int
    batch_rows_per_second: float = Field(description="rows per second predicting all batch_rows at once")
    model_size_bytes: int = Field(description="size of the fitted model saved with skops")


class BudgetCheck(BaseModel):
    """One constraint of the charter against the measured (or estimated) value."""

    name: str
    required: str
    observed: float
    passed: bool
    note: str = ""


def profile_model(make_estimator: Callable[[], Any], X: Any, y: Any, *,  # noqa: N803
                  predict_rows: Any = None, calls: int = 200) -> tuple[Any, EfficiencyProfile]:
    """Fit ``make_estimator()`` on ``X, y`` and measure it; ``predict_rows`` defaults to ``X``."""
    if isinstance(calls, bool) or not isinstance(calls, int) or calls < 1:
        raise InvalidInput(f"calls must be a whole number of at least 1; got {calls!r}")
    rows = X if predict_rows is None else predict_rows
    if not len(rows):
        raise InvalidInput("there are no rows to time predictions on: give predict_rows with at least one row")
    estimator = make_estimator()

    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    start = time.perf_counter()
    try:
        fitted = estimator.fit(X, y)
        train_seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    fitted = estimator if fitted is None else fitted

    method = "predict_proba" if hasattr(fitted, "predict_proba") else "predict"
    predict = getattr(fitted, method)
    singles = [_row(rows, i % len(rows)) for i in range(calls)]
    predict(singles[0])  # warm-up: first-call caches and lazy imports are not serving latency
    latencies = np.empty(calls)
    cpu_start = time.process_time()
    for i, row in enumerate(singles):
        t0 = time.perf_counter()
        predict(row)
        latencies[i] = time.perf_counter() - t0
    cpu_seconds = time.process_time() - cpu_start

    t0 = time.perf_counter()
    predict(rows)
    batch_seconds = max(time.perf_counter() - t0, 1e-9)

    profile = EfficiencyProfile(
        train_seconds=train_seconds,
        train_rows=len(X),
        peak_memory_mb=max(peak - before, 0) / 2**20,
        latency_calls=calls,
        latency_p50_ms=float(np.percentile(latencies, 50)) * 1e3,
        latency_p99_ms=float(np.percentile(latencies, 99)) * 1e3,
        cpu_ms_per_prediction=cpu_seconds / calls * 1e3,
        batch_rows=len(rows),
        batch_rows_per_second=len(rows) / batch_seconds,
        model_size_bytes=len(dump_model(fitted)),
    )
    return fitted, profile


def within_budget(profile: EfficiencyProfile, p95_latency_ms: float | None,
                  cost_per_prediction_usd: float | None,
                  cost_per_cpu_second_usd: float = DEFAULT_COST_PER_CPU_SECOND_USD) -> list[BudgetCheck]:
    """One check per budget that is set (the charter's ``constraints``); none when neither is."""
    checks: list[BudgetCheck] = []
    if p95_latency_ms is not None:
        checks.append(BudgetCheck(
            name="p95_latency_ms", required=f"<= {p95_latency_ms:g} ms", observed=profile.latency_p99_ms,
            passed=profile.latency_p99_ms <= p95_latency_ms,
            note=f"the p99 of {profile.latency_calls} single-row predictions, a conservative bound for the p95"))
    if cost_per_prediction_usd is not None:
        if cost_per_cpu_second_usd < 0:
            raise InvalidInput(f"cost_per_cpu_second_usd must be >= 0; got {cost_per_cpu_second_usd}")
        cost = profile.cpu_ms_per_prediction / 1e3 * cost_per_cpu_second_usd
        checks.append(BudgetCheck(
            name="cost_per_prediction_usd", required=f"<= {cost_per_prediction_usd:g} USD", observed=cost,
            passed=cost <= cost_per_prediction_usd,
            note=f"estimated: {profile.cpu_ms_per_prediction:.4g} CPU-ms per single-row prediction x "
                 f"USD {cost_per_cpu_second_usd:g} per CPU-second"))
    return checks


def _row(rows: Any, i: int) -> Any:
    return rows.iloc[i:i + 1] if isinstance(rows, pd.DataFrame | pd.Series) else rows[i:i + 1]
