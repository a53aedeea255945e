"""The month's cost forecast: what was spent so far this calendar month (UTC), plus the recent daily rate for
the days that remain.

``rate = cost of the last N days / the length of those days``, where the N days end now (today counts the
fraction of it elapsed) and start no earlier than the first day anything was spent (a project two days old
is not averaged over a week). ``forecast = spent + rate * days remaining`` (today's remaining fraction
included). With nothing spent at all, the forecast is 0.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping

from pydantic import BaseModel


class MonthForecast(BaseModel):
    month: str  # "2026-11"
    days_in_month: int
    days_elapsed: float  # including the fraction of today
    spent_usd: float
    daily_rate_usd: float
    rate_days: float  # the length of the period the rate was measured over
    forecast_usd: float


def month_forecast(daily_usd: Mapping[dt.date, float], now: dt.datetime, *, lookback_days: int = 7) -> MonthForecast:
    """The forecast (module docstring) from each UTC day's cost; days after today are ignored."""
    now = now.astimezone(dt.UTC)
    today = now.date()
    today_share = (now - dt.datetime.combine(today, dt.time(), dt.UTC)).total_seconds() / 86_400
    first_of_month = today.replace(day=1)
    days_in_month = calendar.monthrange(today.year, today.month)[1]
    spent = sum(v for d, v in daily_usd.items() if first_of_month <= d <= today)
    active = sorted(d for d, v in daily_usd.items() if v > 0 and d <= today)
    rate, span = 0.0, 0.0
    if active:
        start = max(active[0], today - dt.timedelta(days=lookback_days - 1))
        span = (today - start).days + today_share
        recent = sum(v for d, v in daily_usd.items() if start <= d <= today)
        rate = recent / span if span > 0 else 0.0
    elapsed = (today - first_of_month).days + today_share
    remaining = days_in_month - elapsed
    return MonthForecast(month=f"{today:%Y-%m}", days_in_month=days_in_month, days_elapsed=elapsed, spent_usd=spent,
                         daily_rate_usd=rate, rate_days=span, forecast_usd=spent + rate * remaining)


__all__ = ["MonthForecast", "month_forecast"]
