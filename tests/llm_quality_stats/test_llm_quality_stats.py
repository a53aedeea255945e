"""LLM answer-quality statistics: the rate-drift z-test against statsmodels, the decay trend against
scipy.stats.linregress, the per-bucket quality against a pandas groupby, and small cases worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import linregress
from statsmodels.stats.proportion import proportions_ztest

from mlsteward.errors import InvalidInput
from mlsteward.monitor.llm_quality import (
    BucketQuality,
    answer_quality,
    decay_trend,
    rate_drift,
    window_quality,
)

H = 3_600_000  # an hour in ms
T0 = 1_717_200_000_000

# --- rate drift ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("baseline_events", "baseline_n", "current_events", "current_n"), [
    (10, 1000, 30, 1000),  # tripled: drifted
    (20, 1000, 22, 1000),  # noise: not drifted
    (30, 1000, 10, 1000),  # fell: far from drifted
    (45, 1500, 19, 400),  # unequal sizes
    (0, 200, 4, 50),  # a zero baseline
    (7, 9, 3, 3),  # tiny samples, a rate of 1
])
def test_rate_drift_matches_statsmodels(baseline_events: int, baseline_n: int, current_events: int,
                                        current_n: int) -> None:
    z, p = proportions_ztest([current_events, baseline_events], [current_n, baseline_n], alternative="larger")
    got = rate_drift(baseline_events, baseline_n, current_events, current_n)
    assert got.z == pytest.approx(z, rel=1e-9)
    assert got.p_value == pytest.approx(p, rel=1e-9, abs=1e-15)
    assert got.drifted == (p < 0.05)
    assert got.baseline_rate == pytest.approx(baseline_events / baseline_n)
    assert got.current_rate == pytest.approx(current_events / current_n)
    assert got.change == pytest.approx(current_events / current_n - baseline_events / baseline_n)
    assert (got.baseline_n, got.current_n) == (baseline_n, current_n)


def test_rate_drift_flags_a_rise_and_not_noise() -> None:
    assert rate_drift(10, 1000, 30, 1000).drifted
    assert not rate_drift(20, 1000, 22, 1000).drifted
    assert not rate_drift(30, 1000, 10, 1000).drifted  # one-sided: a fall is not drift
    # alpha is honoured: p is about 0.0007 here
    assert not rate_drift(10, 1000, 30, 1000, alpha=0.0001).drifted


@pytest.mark.parametrize(("baseline_events", "baseline_n", "current_events", "current_n"), [
    (0, 100, 0, 50), (100, 100, 50, 50)])
def test_rate_drift_without_variance_is_not_drift(baseline_events: int, baseline_n: int, current_events: int,
                                                  current_n: int) -> None:
    got = rate_drift(baseline_events, baseline_n, current_events, current_n)
    assert (got.z, got.p_value, got.drifted, got.change) == (0.0, 1.0, False, 0.0)


@pytest.mark.parametrize(("args", "message"), [
    ((0, 0, 3, 10), "baseline_n must be at least 1"),
    ((1, 10, 0, 0), "current_n must be at least 1"),
    ((11, 10, 3, 10), "baseline_events must lie between 0 and baseline_n"),
    ((1, 10, -1, 10), "current_events must lie between 0 and current_n"),
    ((1.5, 10, 3, 10), "baseline_events must be a whole number"),
])
def test_rate_drift_refuses_bad_counts(args: tuple, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        rate_drift(*args)


# --- decay trend ----------------------------------------------------------------------------------------------------


def _usable(values: list, answers: list, min_answers: int) -> tuple[list[float], list[float]]:
    x = [float(i) for i, (v, n) in enumerate(zip(values, answers, strict=True))
         if v is not None and not math.isnan(v) and n >= min_answers]
    return x, [float(values[int(i)]) for i in x]


@pytest.mark.parametrize("seed", range(6))
def test_decay_trend_matches_linregress(seed: int) -> None:
    rng = np.random.default_rng(seed)
    size = int(rng.integers(8, 40))
    slope = [-0.01, -0.002, 0.0, 0.005, -0.02, 0.001][seed]
    values: list[float | None] = list(0.8 + slope * np.arange(size) + rng.normal(0, 0.02, size))
    answers = [int(a) for a in rng.integers(5, 200, size)]
    for i in rng.choice(size, size // 4, replace=False):  # gaps: no value, or a NaN
        values[i] = None if i % 2 else float("nan")
    x, y = _usable(values, answers, 20)
    assert len(x) >= 3
    assert len(x) < size  # some buckets really are left out
    expected = linregress(x, y, alternative="less")
    got = decay_trend(values, answers, min_answers=20)
    assert got.buckets == len(x)
    assert got.slope_per_bucket == pytest.approx(expected.slope, rel=1e-9, abs=1e-12)
    assert got.p_value == pytest.approx(expected.pvalue, rel=1e-7, abs=1e-12)
    assert got.decaying == (expected.pvalue < 0.05 and expected.slope < 0)
    assert (got.first, got.last) == (y[0], y[-1])
    assert got.relative_change == pytest.approx((y[-1] - y[0]) / y[0])


def test_decay_trend_finds_a_real_decay_and_not_a_flat_series() -> None:
    rng = np.random.default_rng(7)
    falling = list(0.9 - 0.01 * np.arange(30) + rng.normal(0, 0.01, 30))
    flat = list(0.9 + rng.normal(0, 0.01, 30))
    assert decay_trend(falling, [100] * 30).decaying
    assert not decay_trend(flat, [100] * 30).decaying
    assert not decay_trend(falling[::-1], [100] * 30).decaying  # rising


def test_decay_trend_worked_by_hand() -> None:
    got = decay_trend([0.9, 0.8, 0.7], [50, 50, 50])
    assert got.buckets == 3
    assert got.slope_per_bucket == pytest.approx(-0.1)
    assert got.relative_change == pytest.approx(-0.2 / 0.9)  # -0.2222
    assert (got.first, got.last) == (0.9, 0.7)
    assert got.p_value == 0.0  # a perfect falling line
    assert got.decaying

    # a gap keeps its place: x = 0, 2, 3 and y = 1.0, 0.8, 0.9. Mean x 5/3, mean y 0.9;
    # Sxy = (-5/3)(0.1) + (1/3)(-0.1) + (4/3)(0) = -0.2, Sxx = (25 + 1 + 16) / 9 = 14/3, slope = -0.2 / (14/3) = -3/70
    # (ignoring the gap, x = 0, 1, 2, the slope would be -0.05)
    got = decay_trend([1.0, None, 0.8, 0.9], [40, 0, 40, 40])
    assert got.slope_per_bucket == pytest.approx(-3 / 70)
    # residuals: fitted = 0.9 + slope * dx = 0.9 + 1/14, 0.9 - 1/70, 0.9 - 2/35; residuals 0.1 - 1/14 = 1/35,
    # -0.1 + 1/70 = -3/35, 2/35: SSR = 14/1225 = 2/175, se = sqrt(SSR / 1 / Sxx) = sqrt(3/1225) = sqrt(3)/35
    t = (-3 / 70) / (math.sqrt(3) / 35)  # = -sqrt(3)/2
    assert t == pytest.approx(-math.sqrt(3) / 2)
    # one degree of freedom, a Cauchy: P(T <= t) = 1/2 + atan(t)/pi
    assert got.p_value == pytest.approx(0.5 + math.atan(t) / math.pi)
    assert not got.decaying


def test_decay_trend_constant_values_never_decay() -> None:
    got = decay_trend([0.7, 0.7, None, 0.7, 0.7], [30] * 5)
    assert (got.slope_per_bucket, got.p_value, got.decaying, got.relative_change) == (0.0, 1.0, False, 0.0)


def test_decay_trend_with_fewer_than_three_usable_buckets() -> None:
    # bucket 1 has no value, bucket 2 too few answers: two usable buckets
    got = decay_trend([0.9, None, 0.1, 0.7], [50, 50, 5, 50], min_answers=20)
    assert got.buckets == 2
    assert (got.slope_per_bucket, got.p_value, got.decaying) == (None, None, False)
    assert (got.first, got.last) == (0.9, 0.7)
    assert got.relative_change == pytest.approx(-0.2 / 0.9)
    empty = decay_trend([None, None], [0, 0])
    assert (empty.buckets, empty.first, empty.last, empty.relative_change) == (0, None, None, None)


def test_decay_trend_relative_change_from_zero_is_none() -> None:
    got = decay_trend([0.0, 0.1, 0.2, 0.3], [50] * 4)
    assert got.relative_change is None
    assert got.slope_per_bucket == pytest.approx(0.1)
    assert got.p_value == 1.0 and not got.decaying  # a perfect rising line


def test_decay_trend_refuses_mismatched_lists() -> None:
    with pytest.raises(InvalidInput, match="one entry per bucket"):
        decay_trend([0.9, 0.8, 0.7], [50, 50])
    with pytest.raises(InvalidInput, match=r"values\[1\] must be a finite number or None"):
        decay_trend([0.9, float("inf"), 0.7], [50, 50, 50])


# --- answer quality -------------------------------------------------------------------------------------------------


def _frame(rows: list[tuple]) -> pd.DataFrame:
    columns = ["time_ms", "hallucinated", "grounded", "relevance", "refused", "tokens_in", "tokens_out", "cost_usd",
               "cache"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["cache"] = frame["cache"].astype(object).where(frame["cache"].notna(), None)
    return frame


def test_answer_quality_worked_by_hand() -> None:
    nan = float("nan")
    frame = _frame([
        # time,        halluc, grounded, relevance, refused, in,  out, cost, cache
        (T0 - 1,       True,   0.0,      0.0,       False,   999, 999, 9.0,  "x"),  # before the window
        (T0,           False,  1.0,      0.9,       False,   100, 50,  0.01, None),  # effective
        (T0 + 10,      True,   0.2,      0.8,       False,   200, 20,  0.02, "k1"),  # hallucinated
        (T0 + H - 1,   False,  nan,      0.3,       False,   300, 30,  0.03, ""),  # relevance under 0.5
        (T0 + H - 2,   False,  0.6,      nan,       True,    400, 0,   0.04, "k2"),  # refused
        (T0 + 2 * H,   False,  nan,      nan,       False,   10,  5,   0.5,  "k3"),  # effective (NaN relevance)
        (T0 + 2 * H + 30, False, nan,    nan,       False,   0,   0,   0.0,  None),  # the end: outside
    ])
    buckets = answer_quality(frame, start_ms=T0, end_ms=T0 + 2 * H + 30, bucket_ms=H)
    assert [(b.start_ms, b.end_ms) for b in buckets] == [(T0, T0 + H), (T0 + H, T0 + 2 * H),
                                                         (T0 + 2 * H, T0 + 2 * H + 30)]
    first, empty, last = buckets
    assert first.answers == 4
    assert first.hallucination_rate == pytest.approx(1 / 3)  # of the 3 answers not refused
    assert first.groundedness == pytest.approx((1.0 + 0.2 + 0.6) / 3)
    assert first.answer_relevance == pytest.approx((0.9 + 0.8 + 0.3) / 3)
    assert first.refusal_rate == pytest.approx(1 / 4)
    assert first.effectiveness == pytest.approx(1 / 4)
    assert (first.tokens_in, first.tokens_out) == (1000, 100)
    assert first.cost_usd == pytest.approx(0.10)
    assert first.cache_hit_rate == pytest.approx(2 / 4)  # "" and None are misses

    assert empty == BucketQuality(start_ms=T0 + H, end_ms=T0 + 2 * H, answers=0, hallucination_rate=None,
                                  groundedness=None, answer_relevance=None, refusal_rate=None, effectiveness=None,
                                  tokens_in=0, tokens_out=0, cost_usd=0.0, cache_hit_rate=None)

    assert last.answers == 1
    assert (last.groundedness, last.answer_relevance) == (None, None)  # every score NaN
    assert (last.hallucination_rate, last.refusal_rate, last.effectiveness, last.cache_hit_rate) == (0, 0, 1, 1)

    # a floor of 0.95 disqualifies the one effective answer of the first bucket (relevance 0.9)
    assert answer_quality(frame, start_ms=T0, end_ms=T0 + H, bucket_ms=H,
                          relevance_floor=0.95)[0].effectiveness == 0.0

    whole = window_quality(frame, start_ms=T0, end_ms=T0 + 2 * H + 30)
    assert (whole.start_ms, whole.end_ms, whole.answers) == (T0, T0 + 2 * H + 30, 5)
    assert whole.effectiveness == pytest.approx(2 / 5)
    assert whole.hallucination_rate == pytest.approx(1 / 4)
    assert whole.cache_hit_rate == pytest.approx(3 / 5)
    assert (whole.tokens_in, whole.tokens_out) == (1010, 105)


def _random_frame(seed: int, start: int, end: int, bucket: int, *, rows: int = 4000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    # times from a bucket before the window to one after it, none in the 4th bucket (an empty one), and the
    # edges themselves
    times = rng.integers(start - bucket, end + bucket, rows)
    times = times[(times < start + 3 * bucket) | (times >= start + 4 * bucket)]
    times = np.concatenate([times, [start, start - 1, end - 1, end, start + bucket, start + bucket - 1]])
    n = len(times)
    grounded = rng.random(n)
    grounded[rng.random(n) < 0.3] = np.nan
    relevance = rng.random(n)
    relevance[rng.random(n) < 0.2] = np.nan
    cache = rng.choice(np.array(["", "prompt-a", "prompt-b", None], dtype=object), n, p=[0.1, 0.2, 0.1, 0.6])
    frame = pd.DataFrame({
        "time_ms": times.astype("int64"),
        "hallucinated": rng.random(n) < 0.12,
        "grounded": grounded,
        "relevance": relevance,
        "refused": rng.random(n) < 0.07,
        "tokens_in": rng.integers(1, 4000, n),
        "tokens_out": rng.integers(0, 800, n),
        "cost_usd": rng.random(n) * 0.01,
        "cache": pd.Series(cache, dtype=object),
        "user": rng.integers(0, 50, n),  # other columns are ignored
    })
    # shuffled, with an index that is not 0..n-1
    frame = frame.sample(frac=1.0, random_state=seed)
    frame.index = [f"a{i}" for i in range(n)]
    return frame


def _expected(frame: pd.DataFrame, start: int, end: int, bucket: int, floor: float) -> pd.DataFrame:
    rows = frame[(frame["time_ms"] >= start) & (frame["time_ms"] < end)].copy()
    rows["bucket"] = (rows["time_ms"] - start) // bucket
    rows["effective"] = ~rows["refused"] & ~rows["hallucinated"] & (rows["relevance"].fillna(np.inf) >= floor)
    rows["cache_hit"] = rows["cache"].fillna("").astype(str).str.len() > 0
    # a refusal is not counted in the hallucination rate: NaN
    rows["answered_hallucination"] = rows["hallucinated"].astype(float).where(~rows["refused"])
    grouped = rows.groupby("bucket").agg(
        answers=("time_ms", "size"), hallucination_rate=("answered_hallucination", "mean"),
        groundedness=("grounded", "mean"),
        answer_relevance=("relevance", "mean"), refusal_rate=("refused", "mean"),
        effectiveness=("effective", "mean"), tokens_in=("tokens_in", "sum"), tokens_out=("tokens_out", "sum"),
        cost_usd=("cost_usd", "sum"), cache_hit_rate=("cache_hit", "mean"))
    count = math.ceil((end - start) / bucket)
    grouped = grouped.reindex(range(count))
    grouped[["answers", "tokens_in", "tokens_out", "cost_usd"]] = \
        grouped[["answers", "tokens_in", "tokens_out", "cost_usd"]].fillna(0)
    return grouped


@pytest.mark.parametrize(("seed", "floor"), [(0, 0.5), (1, 0.3), (2, 0.8)])
def test_answer_quality_matches_a_pandas_groupby(seed: int, floor: float) -> None:
    bucket = H
    start, end = T0, T0 + 9 * H + 1_234  # 10 buckets, the last 1.234 seconds long
    frame = _random_frame(seed, start, end, bucket)
    expected = _expected(frame, start, end, bucket, floor)
    got = answer_quality(frame, start_ms=start, end_ms=end, bucket_ms=bucket, relevance_floor=floor)

    assert len(got) == len(expected) == 10
    assert [b.start_ms for b in got] == [start + i * bucket for i in range(10)]
    assert [b.end_ms for b in got] == [start + (i + 1) * bucket for i in range(9)] + [end]
    assert got[3].answers == 0 and got[3].effectiveness is None  # the empty bucket is kept
    assert got[-1].answers > 0  # the short last bucket holds the answer at end - 1
    assert sum(b.answers for b in got) < len(frame)  # rows outside the window were dropped
    for b, (_, row) in zip(got, expected.iterrows(), strict=True):
        assert b.answers == int(row["answers"])
        assert (b.tokens_in, b.tokens_out) == (int(row["tokens_in"]), int(row["tokens_out"]))
        assert b.cost_usd == pytest.approx(row["cost_usd"], rel=1e-12, abs=1e-15)
        for name in ("hallucination_rate", "groundedness", "answer_relevance", "refusal_rate", "effectiveness",
                     "cache_hit_rate"):
            value = getattr(b, name)
            if pd.isna(row[name]):
                assert value is None, name
            else:
                assert value == pytest.approx(row[name], rel=1e-12), name

    whole = window_quality(frame, start_ms=start, end_ms=end, relevance_floor=floor)
    inside = expected["answers"].sum()
    assert whole.answers == inside
    assert whole.effectiveness == pytest.approx((expected["effectiveness"] * expected["answers"]).sum() / inside)
    assert whole.tokens_in == expected["tokens_in"].sum()


def test_answer_quality_names_missing_columns() -> None:
    frame = _random_frame(0, T0, T0 + H, H // 4).drop(columns=["cache", "refused"])
    with pytest.raises(InvalidInput, match=r"\['refused', 'cache'\]") as caught:
        answer_quality(frame, start_ms=T0, end_ms=T0 + H, bucket_ms=H // 4)
    assert "Log them with every answer" in caught.value.message


def test_answer_quality_refuses_bad_arguments_and_values() -> None:
    frame = _random_frame(0, T0, T0 + H, H // 4, rows=200)
    with pytest.raises(InvalidInput, match="end_ms .* must be after start_ms"):
        answer_quality(frame, start_ms=T0, end_ms=T0, bucket_ms=H)
    with pytest.raises(InvalidInput, match="bucket_ms must be at least 1"):
        answer_quality(frame, start_ms=T0, end_ms=T0 + H, bucket_ms=0)
    frame.loc[frame.index[frame["time_ms"].between(T0, T0 + H - 1)][0], "grounded"] = 1.5
    with pytest.raises(InvalidInput, match=r"grounded must lie in \[0, 1\]"):
        answer_quality(frame, start_ms=T0, end_ms=T0 + H, bucket_ms=H // 4)
    frame["grounded"] = 0.5
    frame["hallucinated"] = frame["hallucinated"].astype(object)
    frame.loc[frame.index[frame["time_ms"].between(T0, T0 + H - 1)][0], "hallucinated"] = None
    with pytest.raises(InvalidInput, match="hallucinated must hold True/False"):
        answer_quality(frame, start_ms=T0, end_ms=T0 + H, bucket_ms=H // 4)
