"""A monthly budget against what was spent and what the month is forecast to cost.

A budget has crossed a threshold when ``spent >= threshold * monthly_usd``; the alert names the highest one
crossed. The forecast is over the budget when ``forecast > monthly_usd`` (and nothing has crossed 100% yet,
else the spending alert says more).
"""

from __future__ import annotations

from pydantic import BaseModel


class BudgetStatus(BaseModel):
    name: str
    scope: str  # training, inference, total
    monthly_usd: float
    spent_usd: float
    forecast_usd: float
    alert_at: list[float]
    crossed: float | None  # the highest share of the budget reached, among alert_at
    forecast_over: bool  # the month is forecast to exceed the budget (alerted when alert_on_forecast)

    @property
    def share_spent(self) -> float:
        return self.spent_usd / self.monthly_usd

    @property
    def share_forecast(self) -> float:
        return self.forecast_usd / self.monthly_usd

    def messages(self) -> list[str]:
        """What an alert says about this budget, if anything."""
        out = []
        if self.crossed is not None:
            out.append(f"budget {self.name} ({self.scope}): {self.share_spent:.0%} spent, {usd(self.spent_usd)} of "
                       f"{usd(self.monthly_usd)} this month (alert at {self.crossed:.0%})")
        if self.forecast_over:
            out.append(f"budget {self.name} ({self.scope}): the month is forecast at {usd(self.forecast_usd)}, "
                       f"{self.share_forecast:.0%} of {usd(self.monthly_usd)}")
        return out


def usd(value: float) -> str:
    """Dollars for people: cents from a dollar up, four decimals below (a run can cost a fraction of a cent)."""
    return f"${value:,.2f}" if abs(value) >= 1 or value == 0 else f"${value:.4f}" if abs(value) >= 1e-4 else f"${value:.2g}"


def budget_status(*, name: str, scope: str, monthly_usd: float, alert_at: list[float], spent_usd: float,
                  forecast_usd: float, alert_on_forecast: bool = True) -> BudgetStatus:
    """Where one budget stands (module docstring)."""
    crossed = max((share for share in alert_at if spent_usd >= share * monthly_usd), default=None)
    over = alert_on_forecast and forecast_usd > monthly_usd and (crossed is None or crossed < 1.0)
    return BudgetStatus(name=name, scope=scope, monthly_usd=monthly_usd, spent_usd=spent_usd,
                        forecast_usd=forecast_usd, alert_at=list(alert_at), crossed=crossed, forecast_over=over)


__all__ = ["BudgetStatus", "budget_status", "usd"]
