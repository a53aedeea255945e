"""Answer quality of an LLM application over time: hallucination-rate drift and prompt-effectiveness decay.

**Buckets.** ``answer_quality`` cuts ``[start_ms, end_ms)`` into ``[start_ms + k * bucket_ms, start_ms + (k + 1) *
bucket_ms)``, the last one ending at ``end_ms`` (so it may be shorter), oldest first. Rows outside the window are
ignored; empty buckets are kept (``answers = 0``, every rate None). Per bucket:
``hallucination_rate = mean(hallucinated)`` over the answers not refused (as ``steward llm eval`` counts it: a
refusal states nothing), ``refusal_rate = mean(refused)``, ``groundedness = mean(grounded)`` and
``answer_relevance = mean(relevance)`` over the answers where the score is not NaN (None when there is none),
``cache_hit_rate`` = share of answers whose ``cache`` is not null/None/"", and
``effectiveness`` = share of *effective* answers: not refused, not hallucinated, and ``relevance >= relevance_floor``
(a NaN relevance does not disqualify). Tokens and cost are summed.

**Rate drift** (``rate_drift``): two-proportion z-test with pooled variance, one-sided (H1: the current rate is
higher). ``p = (x_b + x_c) / (n_b + n_c)``, ``se = sqrt(p (1 - p) (1/n_b + 1/n_c))``,
``z = (x_c/n_c - x_b/n_b) / se``, ``p_value = 1 - Phi(z)``; ``drifted = p_value < alpha``. When ``se == 0`` (both
rates 0 or both 1) ``z = 0`` and ``p_value = 1``.

**Decay trend** (``decay_trend``): ordinary least squares of a per-bucket value against the bucket's index in the
list (gaps keep their place), over the buckets with a value and at least ``min_answers`` answers.
``slope = Sxy / Sxx``, ``se = sqrt(SSR / (n - 2) / Sxx)``, ``t = slope / se``, one-sided
``p_value = T_{n-2}(t)`` (H1: slope < 0); ``decaying = p_value < alpha and slope < 0``. Fewer than 3 buckets: no
slope, no p-value. All values equal: slope 0, ``p_value = 1``. A perfect line (residuals within rounding of the
values): ``p_value = 0`` when falling, 1 when rising. ``relative_change = (last - first) / first``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel
from scipy import stats

from mlsteward.errors import InvalidInput

COLUMNS = ("time_ms", "hallucinated", "grounded", "relevance", "refused", "tokens_in", "tokens_out", "cost_usd",
           "cache")
_MAX_BUCKETS = 100_000
_EPS = float(np.finfo(np.float64).eps)


# --- results ----------------------------------------------------------------------------------------------------


class BucketQuality(BaseModel):
    """The answers of one bucket ``[start_ms, end_ms)``; rates are None when it holds no answer."""

    start_ms: int
    end_ms: int
    answers: int
    hallucination_rate: float | None
    groundedness: float | None  # NaN ignored
    answer_relevance: float | None  # NaN ignored
    refusal_rate: float | None
    effectiveness: float | None
    tokens_in: int
    tokens_out: int
    cost_usd: float
    cache_hit_rate: float | None


class RateDrift(BaseModel):
    """A one-sided two-proportion z-test: has the rate gone up since the baseline?"""

    baseline_rate: float
    current_rate: float
    change: float  # current - baseline
    baseline_n: int
    current_n: int
    z: float
    p_value: float
    drifted: bool  # p_value < alpha


class Trend(BaseModel):
    """An OLS line through the usable buckets; ``decaying`` when its slope is significantly negative."""

    buckets: int  # buckets used
    first: float | None
    last: float | None
    slope_per_bucket: float | None
    relative_change: float | None  # (last - first) / first
    p_value: float | None  # one-sided, H1: slope < 0
    decaying: bool


# --- argument checks --------------------------------------------------------------------------------------------


def _whole(value: Any, name: str, example: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidInput(f"{name} must be a whole number, e.g. {example}. Got {value!r} instead.")
    if minimum is not None and value < minimum:
        raise InvalidInput(f"{name} must be at least {minimum}, e.g. {example}. Got {value!r} instead.")
    return int(value)


def _number(value: Any, name: str, example: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating) \
            or not math.isfinite(value):
        raise InvalidInput(f"{name} must be a finite number, e.g. {example}. Got {value!r} instead.")
    return float(value)


def _alpha(alpha: Any) -> float:
    value = _number(alpha, "alpha", "0.05")
    if not 0 < value < 1:
        raise InvalidInput(f"alpha must lie strictly between 0 and 1, e.g. 0.05. Got {alpha!r} instead.")
    return value


def _flags(rows: pd.DataFrame, name: str) -> np.ndarray:
    col = rows[name]
    ok = ~col.isna() & col.isin([0, 1])  # True == 1 and False == 0
    if not ok.all():
        bad = col[~ok]
        raise InvalidInput(f"{name} must hold True/False on every answer; {len(bad)} rows in the window hold "
                           f"something else, e.g. {bad.iloc[0]!r}. Fill them, e.g. "
                           f"frame[{name!r}] = frame[{name!r}].fillna(False).astype(bool)")
    return col.to_numpy(dtype=bool)


def _floats(rows: pd.DataFrame, name: str, what: str) -> np.ndarray:
    col = rows[name]
    if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
        raise InvalidInput(f"{name} must hold numbers ({what}); it holds {col.dtype} values such as "
                           f"{col.iloc[0] if len(col) else None!r}. Convert it, e.g. pd.to_numeric(frame[{name!r}])")
    values = col.to_numpy(dtype="float64", na_value=np.nan)
    if np.isinf(values).any():
        raise InvalidInput(f"{name} holds infinite values on {int(np.isinf(values).sum())} rows in the window; "
                           f"it must hold finite numbers ({what})")
    return values


def _score(rows: pd.DataFrame, name: str, *, unit: bool) -> np.ndarray:
    values = _floats(rows, name, "NaN where the answer was not scored")
    outside = (values < 0) | (values > 1)
    if unit and outside.any():
        raise InvalidInput(f"{name} must lie in [0, 1] (NaN where the answer was not scored); {int(outside.sum())} "
                           f"rows in the window lie outside, e.g. {values[outside][0]!r}")
    return values


def _cost(rows: pd.DataFrame) -> np.ndarray:
    values = _floats(rows, "cost_usd", "US dollars per answer")
    if np.isnan(values).any():
        raise InvalidInput(f"cost_usd is missing on {int(np.isnan(values).sum())} answers in the window: log 0 where "
                           "an answer cost nothing, e.g. frame['cost_usd'] = frame['cost_usd'].fillna(0.0)")
    return values


def _counts(rows: pd.DataFrame, name: str) -> np.ndarray:
    col = rows[name]
    if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
        raise InvalidInput(f"{name} must hold whole numbers of tokens; it holds {col.dtype} values")
    if col.isna().any():
        raise InvalidInput(f"{name} is missing on {int(col.isna().sum())} answers in the window: log 0 where no "
                           f"token was counted, e.g. frame[{name!r}] = frame[{name!r}].fillna(0).astype('int64')")
    if pd.api.types.is_integer_dtype(col):
        values = col.to_numpy(dtype="int64")
    else:
        floats = col.to_numpy(dtype="float64")
        if not np.isfinite(floats).all() or (floats != np.floor(floats)).any():
            raise InvalidInput(f"{name} must hold whole numbers of tokens: round them, e.g. "
                               f"frame[{name!r}] = frame[{name!r}].round().astype('int64')")
        values = floats.astype("int64")
    if (values < 0).any():
        raise InvalidInput(f"{name} must not be negative; {int((values < 0).sum())} answers in the window are")
    return values


def _cache_hits(rows: pd.DataFrame) -> np.ndarray:
    cache = rows["cache"].to_numpy(dtype=object)
    hit = np.asarray(pd.notna(cache), dtype=bool)
    hit[hit] = cache[hit] != ""
    return hit


def _times(frame: pd.DataFrame) -> np.ndarray:
    col = frame["time_ms"]
    if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
        raise InvalidInput(f"time_ms must hold epoch milliseconds (whole numbers, e.g. 1717200000000); it holds "
                           f"{col.dtype} values")
    if col.isna().any():
        raise InvalidInput(f"time_ms is missing on {int(col.isna().sum())} rows: every logged answer has a time")
    if pd.api.types.is_integer_dtype(col):
        return col.to_numpy(dtype="int64")
    values = col.to_numpy(dtype="float64")
    if not np.isfinite(values).all() or (values != np.floor(values)).any():
        raise InvalidInput("time_ms must hold whole epoch milliseconds: round the times, e.g. "
                           "frame['time_ms'] = frame['time_ms'].round().astype('int64')")
    return values.astype("int64")


# --- answer quality per bucket ----------------------------------------------------------------------------------


def _mean(total: np.ndarray, count: np.ndarray, k: int) -> float | None:
    return float(total[k] / count[k]) if count[k] > 0 else None


def answer_quality(frame: pd.DataFrame, *, start_ms: int, end_ms: int, bucket_ms: int,
                   relevance_floor: float = 0.5) -> list[BucketQuality]:
    """The quality of the answers in each bucket of ``[start_ms, end_ms)`` (module docstring), oldest first."""
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInput(f"frame must be a pandas DataFrame of logged answers; got {type(frame).__name__}")
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidInput(f"frame lacks the column(s) {missing}: answer quality reads {list(COLUMNS)}; its columns "
                           f"are {[str(c) for c in frame.columns][:30]}. Log them with every answer")
    start = _whole(start_ms, "start_ms", "1717200000000")
    end = _whole(end_ms, "end_ms", "1717286400000")
    if end <= start:
        raise InvalidInput(f"end_ms ({end}) must be after start_ms ({start}): the window is [start_ms, end_ms)")
    width = _whole(bucket_ms, "bucket_ms", "3600000 for an hour", minimum=1)
    floor = _number(relevance_floor, "relevance_floor", "0.5")
    buckets = -(-(end - start) // width)
    if buckets > _MAX_BUCKETS:
        raise InvalidInput(f"the window holds {buckets} buckets of {width} ms; at most {_MAX_BUCKETS} are allowed: "
                           "widen bucket_ms or shorten the window")

    time = _times(frame)
    inside = (time >= start) & (time < end)
    rows = frame.loc[inside, list(COLUMNS)]  # only the window's answers are read (and checked)
    k = (time[inside] - start) // width

    def count(mask: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(k, weights=None if mask is None else mask.astype("float64"), minlength=buckets)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(k, weights=values, minlength=buckets)

    def int_total(values: np.ndarray) -> np.ndarray:
        out = np.zeros(buckets, dtype="int64")
        np.add.at(out, k, values)
        return out

    hallucinated, refused = _flags(rows, "hallucinated"), _flags(rows, "refused")
    grounded, relevance = _score(rows, "grounded", unit=True), _score(rows, "relevance", unit=False)
    effective = ~refused & ~hallucinated & ~(relevance < floor)  # NaN < floor is False: NaN does not disqualify

    answers, answered = count(), count(~refused)
    n_hallucinated, n_refused, n_effective = count(hallucinated & ~refused), count(refused), count(effective)
    n_grounded, sum_grounded = count(~np.isnan(grounded)), total(np.nan_to_num(grounded))
    n_relevance, sum_relevance = count(~np.isnan(relevance)), total(np.nan_to_num(relevance))
    n_cache = count(_cache_hits(rows))
    tokens_in, tokens_out = int_total(_counts(rows, "tokens_in")), int_total(_counts(rows, "tokens_out"))
    cost = total(_cost(rows))

    return [BucketQuality(start_ms=start + i * width, end_ms=min(start + (i + 1) * width, end),
                          answers=int(answers[i]),
                          hallucination_rate=_mean(n_hallucinated, answered, i),
                          groundedness=_mean(sum_grounded, n_grounded, i),
                          answer_relevance=_mean(sum_relevance, n_relevance, i),
                          refusal_rate=_mean(n_refused, answers, i),
                          effectiveness=_mean(n_effective, answers, i),
                          tokens_in=int(tokens_in[i]), tokens_out=int(tokens_out[i]), cost_usd=float(cost[i]),
                          cache_hit_rate=_mean(n_cache, answers, i))
            for i in range(buckets)]


def window_quality(frame: pd.DataFrame, *, start_ms: int, end_ms: int, relevance_floor: float = 0.5) -> BucketQuality:
    """The whole window ``[start_ms, end_ms)`` as one bucket."""
    start = _whole(start_ms, "start_ms", "1717200000000")
    end = _whole(end_ms, "end_ms", "1717286400000")
    if end <= start:
        raise InvalidInput(f"end_ms ({end}) must be after start_ms ({start}): the window is [start_ms, end_ms)")
    return answer_quality(frame, start_ms=start, end_ms=end, bucket_ms=end - start, relevance_floor=relevance_floor)[0]


# --- hallucination-rate drift -----------------------------------------------------------------------------------


def rate_drift(baseline_events: int, baseline_n: int, current_events: int, current_n: int, *,
               alpha: float = 0.05) -> RateDrift:
    """Has the event rate (e.g. hallucinations) gone up from the baseline? One-sided pooled z-test (module
    docstring)."""
    level = _alpha(alpha)
    x_b = _whole(baseline_events, "baseline_events", "12")
    x_c = _whole(current_events, "current_events", "30")
    n_b = _whole(baseline_n, "baseline_n", "1000")
    n_c = _whole(current_n, "current_n", "1000")
    for side, x, n in (("baseline", x_b, n_b), ("current", x_c, n_c)):
        if n < 1:
            raise InvalidInput(f"{side}_n must be at least 1 answer (got {n}): a rate needs answers; widen the window")
        if not 0 <= x <= n:
            raise InvalidInput(f"{side}_events must lie between 0 and {side}_n = {n}; got {x}: count each answer once")
    p_b, p_c = x_b / n_b, x_c / n_c
    pooled = (x_b + x_c) / (n_b + n_c)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_b + 1 / n_c))
    if se == 0:  # both rates 0 or both 1: nothing to test
        z, p_value = 0.0, 1.0
    else:
        z = (p_c - p_b) / se
        p_value = float(stats.norm.sf(z))
    return RateDrift(baseline_rate=p_b, current_rate=p_c, change=p_c - p_b, baseline_n=n_b, current_n=n_c, z=z,
                     p_value=p_value, drifted=p_value < level)


# --- effectiveness decay ----------------------------------------------------------------------------------------


def decay_trend(values: Sequence[float | None], answers: Sequence[int], *, min_answers: int = 20,
                alpha: float = 0.05) -> Trend:
    """Is a per-bucket value (e.g. effectiveness) falling? One-sided OLS slope test (module docstring)."""
    level = _alpha(alpha)
    least = _whole(min_answers, "min_answers", "20", minimum=0)
    values, answers = list(values), list(answers)
    if len(values) != len(answers):
        raise InvalidInput(f"values ({len(values)}) and answers ({len(answers)}) must have one entry per bucket each")
    x, y = [], []
    for i, (value, n) in enumerate(zip(values, answers, strict=True)):
        n = _whole(n, f"answers[{i}]", "120", minimum=0)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating) \
                or math.isinf(value):
            raise InvalidInput(f"values[{i}] must be a finite number or None; got {value!r}")
        if math.isnan(value) or n < least:
            continue
        x.append(float(i))
        y.append(float(value))
    first, last = (y[0], y[-1]) if y else (None, None)
    change = (last - first) / first if first else None
    if len(y) < 3:
        return Trend(buckets=len(y), first=first, last=last, slope_per_bucket=None, relative_change=change,
                     p_value=None, decaying=False)

    xs, ys = np.array(x), np.array(y)
    if (ys == ys[0]).all():
        slope, p_value = 0.0, 1.0
    else:
        dx = xs - xs.mean()
        y_mean = ys.mean()
        sxx = float(dx @ dx)
        slope = float(dx @ (ys - y_mean)) / sxx
        residuals = ys - (y_mean + slope * dx)
        df = len(ys) - 2
        se = math.sqrt(float(residuals @ residuals) / df / sxx)
        if np.abs(residuals).max() <= 16 * _EPS * np.abs(ys).max():  # a perfect line, up to rounding
            se = 0.0
        if se == 0:
            p_value = 0.0 if slope < 0 else 1.0
        else:
            p_value = float(stats.t.cdf(slope / se, df))
    return Trend(buckets=len(y), first=first, last=last, slope_per_bucket=slope, relative_change=change,
                 p_value=p_value, decaying=p_value < level and slope < 0)


__all__ = ["COLUMNS", "BucketQuality", "RateDrift", "Trend", "answer_quality", "decay_trend", "rate_drift",
           "window_quality"]
