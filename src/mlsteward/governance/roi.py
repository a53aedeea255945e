"""Return on investment and payback period of an ML project, from its yearly benefit and cost.

    ROI            = (B - C) / C                      B: annual benefit, C: annual cost
    payback months = I / ((B - C) / 12)               I: initial investment

The charter's churn example: B = 480,000, C = 300,000, I = 150,000 gives an ROI of 60% and a
payback of 10 months. When the benefit does not exceed the cost the investment is never paid back:
the result says so (``payback_months`` is None) rather than giving a negative number of months.
"""

from __future__ import annotations

import math

from pydantic import BaseModel

from mlsteward.errors import InvalidInput


class ROIResult(BaseModel):
    annual_benefit: float
    annual_cost: float
    initial_investment: float | None
    annual_net_benefit: float  # B - C
    monthly_net_benefit: float  # (B - C) / 12
    roi: float  # (B - C) / C, a fraction: 0.6 is 60%
    roi_percent: float
    payback_months: float | None  # None: no initial investment given, or never paid back
    payback: str  # the payback in words: "10.0 months", "never: ...", or "not computed: ..."


def _check(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise InvalidInput(f"the {name} must be a finite number of 0 or more (a yearly amount in your currency); "
                           f"got {value!r}")
    return value


def payback_months(initial_investment: float, annual_benefit: float, annual_cost: float) -> float:
    """Months until the monthly net benefit, (B - C) / 12, has repaid the initial investment.

    Raises ``InvalidInput`` when the net benefit is 0 or less: such an investment is never paid back."""
    invest = _check("initial investment", initial_investment)
    benefit, cost = _check("annual benefit", annual_benefit), _check("annual cost", annual_cost)
    if benefit <= cost:
        raise InvalidInput(f"the investment is never paid back: the annual benefit ({benefit:,.2f}) does not "
                           f"exceed the annual cost ({cost:,.2f}), so the net benefit is "
                           f"{benefit - cost:,.2f} a year; raise the benefit or lower the cost")
    return invest * 12 / (benefit - cost)


def roi(annual_benefit: float, annual_cost: float, initial_investment: float | None = None) -> ROIResult:
    """ROI = (B - C) / C and, when the initial investment is given, the payback period in months."""
    benefit, cost = _check("annual benefit", annual_benefit), _check("annual cost", annual_cost)
    invest = None if initial_investment is None else _check("initial investment", initial_investment)
    if cost == 0:
        raise InvalidInput("the annual cost must be more than 0: ROI = (benefit - cost) / cost is undefined for a "
                           "cost of 0; include running costs (compute, maintenance, people)")
    net = benefit - cost
    if invest is None:
        months, words = None, "not computed: give the initial investment"
    elif net <= 0:
        months, words = None, (f"never: the annual benefit ({benefit:,.2f}) does not exceed the annual cost "
                               f"({cost:,.2f})")
    else:
        months = payback_months(invest, benefit, cost)
        words = f"{months:.1f} months"
    return ROIResult(annual_benefit=benefit, annual_cost=cost, initial_investment=invest, annual_net_benefit=net,
                     monthly_net_benefit=net / 12, roi=net / cost, roi_percent=net * 100 / cost,
                     payback_months=months, payback=words)


__all__ = ["ROIResult", "payback_months", "roi"]
