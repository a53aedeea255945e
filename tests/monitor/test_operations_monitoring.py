"""Operations and cost: latency percentiles against numpy, throughput, error rate and cost hand-worked."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mlsteward.errors import InvalidInput
from mlsteward.monitor.operations import Budgets, CostModel, OperationsSummary, operations_summary
from mlsteward.serving.loadtest import summarise_latencies

HOUR = 3_600_000
T0 = 1_717_200_000_000 - 1_717_200_000_000 % HOUR  # a whole hour


def traffic(n: int = 5000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return T0 + np.sort(rng.integers(0, 6 * HOUR, n)), rng.lognormal(3, 0.6, n)


def test_latency_percentiles_are_numpys_linear_percentiles() -> None:
    times, latency = traffic()
    result = operations_summary(times, latency)
    expected = np.percentile(latency, [50, 95, 99], method="linear")
    assert [result.latency_ms.p50, result.latency_ms.p95, result.latency_ms.p99] == expected.tolist()
    assert result.latency_ms.mean == latency.mean() and result.latency_ms.max == latency.max()
    load_test = summarise_latencies(latency / 1000)  # the load test reports the same percentiles (rounded)
    assert result.latency_ms.p95 == pytest.approx(load_test.p95, abs=1e-3)


def test_hand_worked_percentiles_throughput_and_error_rate() -> None:
    # 5 answered requests over 10 s: 0.5 requests per second; 2 errors of 7 requests
    result = operations_summary([T0, T0 + 2500, T0 + 5000, T0 + 7500, T0 + 10_000], [10, 20, 30, 40, 100], errors=2)
    assert (result.requests, result.answered, result.errors) == (7, 5, 2)
    assert result.error_rate == 2 / 7
    assert result.observed_seconds == 10.0 and result.throughput_rps == 0.5
    # linear interpolation: rank (n - 1) q = 3.8 for q = 0.95 -> 40 + 0.8 * (100 - 40) = 88
    assert result.latency_ms.p50 == 30 and result.latency_ms.p95 == pytest.approx(88.0)
    assert result.latency_ms.p99 == pytest.approx(40 + 0.96 * 60)
    assert (result.start_ms, result.end_ms) == (T0, T0 + 10_000)


def test_hand_worked_cost_per_prediction() -> None:
    # 100 predictions in a 2-hour period; 1 cent each and 3 USD an hour: (100 * 0.01 + 3 * 2) / 100 = 0.07 USD
    times = T0 + np.linspace(0, 2 * HOUR, 100).astype(int)
    result = operations_summary(times, np.ones(100), cost_model=CostModel(per_prediction_usd=0.01, per_hour_usd=3.0),
                                period_ms=(T0, T0 + 2 * HOUR))
    assert result.hours_observed == 2.0
    assert result.total_cost_usd == pytest.approx(7.0)
    assert result.cost_per_prediction_usd == pytest.approx(0.07)
    assert result.cost_model == CostModel(per_prediction_usd=0.01, per_hour_usd=3.0)
    infrastructure_only = operations_summary(times, np.ones(100), cost_model={"per_hour_usd": 3.0},
                                             period_ms=(T0, T0 + 2 * HOUR))
    assert infrastructure_only.cost_per_prediction_usd == pytest.approx(0.06)
    assert operations_summary(times, np.ones(100)).cost_per_prediction_usd is None


def test_windows_are_epoch_aligned_and_count_their_own_requests_and_errors() -> None:
    times, latency = traffic()
    errors = T0 + np.array([10, 20, 2 * HOUR + 5, 5 * HOUR])
    result = operations_summary(times, latency, errors=errors, window_ms=HOUR, period_ms=(T0, T0 + 6 * HOUR))
    assert result.errors == 4 and result.requests == len(times) + 4
    assert [w.start_ms for w in result.windows] == [T0 + i * HOUR for i in range(7)]  # the end lies in a 7th window
    for window in result.windows:
        inside = (times >= window.start_ms) & (times < window.end_ms)
        assert window.answered == inside.sum()
        assert window.errors == ((errors >= window.start_ms) & (errors < window.end_ms)).sum()
        assert window.requests == window.answered + window.errors
        if inside.any():
            assert window.latency_ms.p95 == np.percentile(latency[inside], 95)
            assert window.throughput_rps == pytest.approx(inside.sum() / 3600)
    assert result.windows[0].error_rate == 2 / (result.windows[0].answered + 2)
    assert result.windows[-1].answered == 0 and result.windows[-1].throughput_rps is None  # 0 s of it observed
    assert result.throughput_rps == pytest.approx(len(times) / (6 * 3600))


def test_partly_observed_and_empty_windows() -> None:
    # requests at 0:30 and 0:45, none in the second hour, two at 2:15: the period runs 0:30 -> 2:15
    times = T0 + np.array([30, 45, 135, 135]) * 60_000
    result = operations_summary(times, [5, 6, 7, 8], window_ms=HOUR, errors=1)
    first, second, third = result.windows
    assert (first.answered, second.answered, third.answered) == (2, 0, 2)
    assert first.throughput_rps == pytest.approx(2 / (30 * 60))  # 30 minutes of the first hour observed
    assert second.throughput_rps == 0.0 and second.latency_ms is None
    assert third.throughput_rps == pytest.approx(2 / (15 * 60))
    assert first.errors is None and first.error_rate is None  # errors given as a count
    assert any("count" in n for n in result.notes)


def test_budgets_give_observed_limit_and_passed() -> None:
    times, latency = traffic()
    p95, p99 = np.percentile(latency, [95, 99])
    cost = CostModel(per_prediction_usd=0.001)
    result = operations_summary(times, latency, errors=50, cost_model=cost, budgets=Budgets(
        p95_latency_ms=p95 + 1, p99_latency_ms=p99 - 1, error_rate=0.01, cost_per_prediction_usd=0.001,
        min_throughput_rps=1.0))
    checks = {c.budget: c for c in result.budgets}
    assert list(checks) == ["p95_latency_ms", "p99_latency_ms", "error_rate", "cost_per_prediction_usd",
                            "min_throughput_rps"]
    assert (checks["p95_latency_ms"].observed, checks["p95_latency_ms"].passed) == (p95, True)
    assert (checks["p99_latency_ms"].limit, checks["p99_latency_ms"].passed) == (p99 - 1, False)
    assert checks["error_rate"].observed == 50 / 5050 and checks["error_rate"].passed is True
    assert checks["cost_per_prediction_usd"].passed is True  # at the limit passes
    assert checks["min_throughput_rps"].kind == "min" and checks["min_throughput_rps"].passed is False
    assert result.within_budget is False
    passing = operations_summary(times, latency, budgets={"p95_latency_ms": p95 + 1})
    assert passing.within_budget is True
    unknown = operations_summary(times, latency, budgets={"cost_per_prediction_usd": 0.01})
    assert unknown.budgets[0].observed is None and unknown.budgets[0].passed is None
    assert unknown.within_budget is None and any("cost_model" in n for n in unknown.notes)
    assert operations_summary(times, latency).within_budget is None


def test_no_traffic_and_json_without_nan() -> None:
    result = operations_summary([], [], errors=3, window_ms=HOUR, budgets={"error_rate": 0.1, "p95_latency_ms": 100})
    assert (result.requests, result.answered, result.error_rate) == (3, 0, 1.0)
    assert result.latency_ms is None and result.throughput_rps is None and result.windows is None
    assert [c.passed for c in result.budgets] == [None, False]

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in the JSON")
    single = operations_summary([T0], [3.0], window_ms=HOUR, cost_model={"per_hour_usd": 1})
    for value in (result, single):
        json.loads(value.model_dump_json(), parse_constant=refuse)
        OperationsSummary.model_validate_json(value.model_dump_json())
    assert single.throughput_rps is None and single.cost_per_prediction_usd == 0.0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"window_ms": -5}, ("window_ms must be a positive whole number of milliseconds, e.g. 86400000 for a day. "
                         "Got -5 instead.")),
    ({"latency_ms": [1.0]}, "latency_ms has 1 values but time_ms has 2"),
    ({"latency_ms": [1.0, -2.0]}, "must not be negative"),
    ({"latency_ms": [1.0, float("nan")]}, "missing or infinite"),
    ({"time_ms": [T0, T0 + 0.5]}, "whole epoch milliseconds"),
    ({"errors": -1}, "errors must be the number of failed requests"),
    ({"errors": 2.5}, "errors must be the number of failed requests"),
    ({"cost_model": {"per_hour": 1}}, "cost_model is not valid"),
    ({"cost_model": {"per_hour_usd": -1}}, "cost_model is not valid"),
    ({"budgets": {"p95_latency": 100}}, "budgets is not valid"),
    ({"budgets": {"error_rate": 2}}, "budgets is not valid"),
    ({"budgets": 100}, "budgets must be a Budgets or a mapping"),
    ({"period_ms": (T0 + 5, T0 + 10)}, "requests lie outside period_ms"),
    ({"period_ms": (T0 + 10, T0)}, "start <= end"),
    ({"period_ms": T0}, "period_ms must be (start, end)"),
    ({"window_ms": 1}, "more than 100,000"),
])
def test_invalid_input_names_the_problem_and_the_fix(kwargs: dict, message: str) -> None:
    arguments = {"time_ms": [T0, T0 + 1000 * HOUR], "latency_ms": [1.0, 2.0]} | kwargs
    with pytest.raises(InvalidInput) as caught:
        operations_summary(arguments.pop("time_ms"), arguments.pop("latency_ms"), **arguments)
    assert message in str(caught.value)
