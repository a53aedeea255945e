"""The cost formulas worked by hand (a run's cost, a day of serving, the month's forecast, a budget's
thresholds, the review's findings, the tuning quota), and the daily serving cost against a pandas groupby."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from mlsteward.costs import budget_status, daily_inference_costs, month_forecast, run_cost_usd
from mlsteward.costs.budgets import usd
from mlsteward.costs.review import (
    CandidateSpend,
    best_trial,
    candidate_findings,
    serving_findings,
    tuning_findings,
)
from mlsteward.lifecycle.tuning_quota import TuningQuota
from mlsteward.spec import Spec, check_spec_text

H = 3_600_000  # an hour in ms
DAY = 24 * H
NOV_1 = int(dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp() * 1000)


def test_a_run_costs_its_cpu_hours_and_its_wall_hours() -> None:
    # half a CPU hour at 0.05 and one wall hour at 0.10
    assert run_cost_usd(3600, 1800, cpu_hour_usd=0.05, machine_hour_usd=0.10) == pytest.approx(0.125)
    # no CPU measurement: the wall time alone
    assert run_cost_usd(7200, None, cpu_hour_usd=0.05, machine_hour_usd=0.10) == pytest.approx(0.20)


def test_a_day_of_serving_worked_by_hand() -> None:
    now = NOV_1 + DAY + 6 * H  # 06:00 on 2 November: today has had 6 hours
    times = {"a": np.array([NOV_1 + H, NOV_1 + 2 * H, NOV_1 + 23 * H, NOV_1 + DAY + H, NOV_1 + DAY + 5 * H]),
             "b": np.array([NOV_1 + 12 * H]), "idle": np.array([], dtype="int64")}
    days = daily_inference_costs(times, per_prediction_usd=0.001, per_hour_usd=0.5, now_ms=now)
    assert [d.day for d in days] == [dt.date(2026, 11, 1), dt.date(2026, 11, 2)]
    first, today = days
    assert (first.predictions, first.by_model, first.infrastructure_hours) == (4, {"a": 3, "b": 1}, 24.0)
    assert first.cost_usd == pytest.approx(4 * 0.001 + 24 * 0.5)  # 12.004
    assert (today.predictions, today.infrastructure_hours) == (2, pytest.approx(6.0))
    assert today.cost_usd == pytest.approx(2 * 0.001 + 6 * 0.5)  # 3.002
    assert today.model_dump(mode="json")["cost_usd"] == pytest.approx(3.002)


def test_daily_counts_equal_a_pandas_groupby() -> None:
    rng = np.random.default_rng(7)
    now = NOV_1 + 20 * DAY
    times = {m: NOV_1 + rng.integers(0, 20 * DAY, size=n) for m, n in (("a", 5000), ("b", 700))}
    days = daily_inference_costs(times, per_prediction_usd=0.0002, per_hour_usd=0.35, now_ms=now)
    frame = pd.DataFrame({"model": np.repeat(["a", "b"], [5000, 700]), "t": np.concatenate([times["a"], times["b"]])})
    frame["day"] = pd.to_datetime(frame["t"], unit="ms", utc=True).dt.date
    expected = frame.groupby(["day", "model"]).size()
    assert {(d.day, m): n for d in days for m, n in d.by_model.items()} == expected.to_dict()
    assert sum(d.predictions_usd for d in days) == pytest.approx(5700 * 0.0002)
    assert sum(d.infrastructure_hours for d in days) == pytest.approx(24 * frame["day"].nunique())


def test_the_months_forecast_worked_by_hand() -> None:
    now = dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC)  # 9.5 of 30 days gone
    daily = {dt.date(2026, 10, 31): 10.0, dt.date(2026, 11, 1): 2.0, dt.date(2026, 11, 5): 3.0,
             dt.date(2026, 11, 10): 1.0, dt.date(2026, 11, 20): 99.0}  # a day in the future is ignored
    f = month_forecast(daily, now, lookback_days=7)
    # spent: 2 + 3 + 1; the rate over 4-10 November (6.5 days): (3 + 1) / 6.5; 20.5 days remain
    assert (f.month, f.days_in_month, f.days_elapsed) == ("2026-11", 30, pytest.approx(9.5))
    assert f.spent_usd == pytest.approx(6.0)
    assert (f.rate_days, f.daily_rate_usd) == (pytest.approx(6.5), pytest.approx(4 / 6.5))
    assert f.forecast_usd == pytest.approx(6.0 + 4 / 6.5 * 20.5)


def test_a_young_project_is_not_averaged_over_days_before_it_began() -> None:
    now = dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC)
    f = month_forecast({dt.date(2026, 11, 9): 4.0, dt.date(2026, 11, 10): 2.0}, now, lookback_days=7)
    assert (f.rate_days, f.daily_rate_usd) == (pytest.approx(1.5), pytest.approx(4.0))  # 6 over 1.5 days
    assert f.forecast_usd == pytest.approx(6.0 + 4.0 * 20.5)
    nothing = month_forecast({}, now)
    assert (nothing.spent_usd, nothing.forecast_usd) == (0.0, 0.0)


def test_budget_thresholds() -> None:
    def status(spent: float, forecast: float = 0.0, **kw: object):  # noqa: ANN202
        return budget_status(name="b", scope="training", monthly_usd=100, alert_at=[0.5, 0.8, 1.0], spent_usd=spent,
                             forecast_usd=forecast, **kw)

    assert status(49.99).crossed is None
    assert status(79.99).crossed == 0.5
    assert status(80).crossed == 0.8
    over = status(120, 150)
    assert (over.crossed, over.forecast_over, over.share_spent) == (1.0, False, pytest.approx(1.2))
    assert over.messages() == ["budget b (training): 120% spent, $120.00 of $100.00 this month (alert at 100%)"]
    heading = status(40, 130)
    assert (heading.crossed, heading.forecast_over) == (None, True)
    assert "forecast at $130.00, 130% of $100.00" in heading.messages()[0]
    assert status(40, 130, alert_on_forecast=False).forecast_over is False


def test_dollars_for_people() -> None:
    assert [usd(v) for v in (0, 1234.5, 0.5, 0.00123, 0.0000123)] == ["$0.00", "$1,234.50", "$0.5000", "$0.0012",
                                                                    "$1.2e-05"]


def test_the_best_trial_is_the_first_to_reach_the_best_value() -> None:
    assert best_trial([0.5, 0.7, None, 0.7, 0.6], greater_is_better=True) == 1
    assert best_trial([3.0, 2.0, 2.5, 2.0], greater_is_better=False) == 1
    assert best_trial([None, None], greater_is_better=True) is None


def _candidate(name: str, cost: float, value: float, trials: int = 10, best: int = 8) -> CandidateSpend:
    return CandidateSpend(training_run="t" * 32, candidate=name, cost_usd=cost, trials=trials, best_trial=best,
                          value=value, uplift=None, metric="roc_auc", greater_is_better=True)


def test_tuning_past_its_best_trial_is_a_finding_with_its_saving() -> None:
    early = _candidate("gbm", cost=2.0, value=0.8, trials=10, best=2)  # trials 4-10 improved nothing
    (finding,) = tuning_findings([early, _candidate("tree", 1.0, 0.7, trials=10, best=8)])
    assert finding.saving_usd == pytest.approx(2.0 * 7 / 10)
    assert "the best of 10 trials was trial 3; the 7 after it" in finding.finding
    assert "towards 6" in finding.action
    assert tuning_findings([_candidate("x", 1.0, 0.7, trials=3, best=0)]) == []  # too few trials to say


def test_a_costly_candidate_no_better_than_a_cheap_one() -> None:
    cheap, costly, best = _candidate("logreg", 0.1, 0.801), _candidate("gbm", 3.0, 0.804), _candidate("big", 5.0, 0.9)
    (finding,) = candidate_findings([cheap, costly, best], tolerance=0.005)
    assert finding.finding.startswith("gbm cost $3.0000") and finding.saving_usd == pytest.approx(2.9)
    assert candidate_findings([cheap, costly, best], tolerance=0.001) == []


def test_idle_serving_and_the_charters_ceiling() -> None:
    idle = serving_findings(predictions=100, infrastructure_hours=48, predictions_usd=0.02, infrastructure_usd=16.8,
                            per_prediction_ceiling=0.01)
    assert [f.area for f in idle] == ["serving", "serving"]
    assert "2.1 predictions an hour" in idle[0].finding and "$0.168200" in idle[1].finding
    busy = serving_findings(predictions=1_000_000, infrastructure_hours=24, predictions_usd=200,
                            infrastructure_usd=8.4, per_prediction_ceiling=0.001)
    assert busy == []


def test_the_tuning_quota_shares_the_time_left() -> None:
    clock = [0.0]
    spec = _spec_with(quota={"max_trials": 5, "max_runtime_minutes": 10}, tuning={"trials": 20, "timeout_s": 150})
    quota = TuningQuota(spec, clock=lambda: clock[0])
    assert quota.trials == 5
    clock[0] = 1000  # the time before tuning starts (baselines) is not the quota's
    assert quota.timeout_s(3) == 150  # a third of 600 s is 200, the candidate's own timeout is less
    clock[0] = 1500
    assert quota.timeout_s(2) == pytest.approx(50)  # 100 s left for 2 candidates
    clock[0] = 1601
    assert quota.timeout_s(1) == 0
    free = TuningQuota(_spec_with(quota={}, tuning={"trials": 20}))
    assert (free.trials, free.timeout_s(3), free.params()) == (20, None, {})


def test_costs_in_steward_yaml_are_checked() -> None:
    def problems(extra: dict) -> str:
        return "\n".join(str(p) for p in check_spec_text(_yaml(extra)))

    assert "expected a unique budget name" in problems({"costs": {"budgets": [
        {"name": "x", "scope": "training", "monthly_usd": 1}, {"name": "x", "scope": "inference", "monthly_usd": 1}]}})
    assert "costs.budgets[0].scope" in problems({"costs": {"budgets": [{"name": "x", "scope": "gpu", "monthly_usd": 1}]}})
    assert "budget checks" in problems({"monitoring": {"monitors": [{"name": "budgets", "model": "m"}]}})
    spec = _spec_with(budgets=[{"name": "x", "scope": "total", "monthly_usd": 5, "alert_at": [1.0, 0.25, 1.0]}])
    assert spec.costs.budgets[0].alert_at == [0.25, 1.0]


def _spec_with(*, quota: dict | None = None, tuning: dict | None = None, budgets: list | None = None) -> Spec:
    extra = {"costs": {"quota": quota or {}, "budgets": budgets or []}}
    if tuning is not None:
        extra["training"] = {"tuning": tuning}
    return Spec.model_validate(_document(extra))


def _document(extra: dict) -> dict:
    return {"project": "p", "charter": {"problem": "p", "decision": "d", "prediction_target": "t"}, **extra}


def _yaml(extra: dict) -> str:
    import yaml

    return yaml.safe_dump(_document(extra))
