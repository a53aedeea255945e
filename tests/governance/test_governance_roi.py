"""ROI = (B - C) / C and payback months = I / ((B - C) / 12), against hand-worked examples."""

from __future__ import annotations

import pytest

from mlsteward.errors import InvalidInput
from mlsteward.governance import payback_months, roi


def test_seed_churn_example_gives_60_percent_and_10_months() -> None:
    result = roi(480_000, 300_000, 150_000)
    assert result.roi == pytest.approx(0.60)
    assert result.roi_percent == 60.0
    assert result.annual_net_benefit == 180_000 and result.monthly_net_benefit == 15_000
    assert result.payback_months == 10.0 and result.payback == "10.0 months"


def test_second_hand_worked_example() -> None:
    # B = 250,000, C = 200,000: net 50,000 a year = 4,166.67 a month; ROI 50,000 / 200,000 = 25%;
    # payback 90,000 / 4,166.67 = 21.6 months.
    result = roi(250_000, 200_000, 90_000)
    assert result.roi_percent == pytest.approx(25.0)
    assert result.monthly_net_benefit == pytest.approx(4_166.6667, abs=1e-3)
    assert result.payback_months == pytest.approx(21.6)
    assert payback_months(90_000, 250_000, 200_000) == pytest.approx(21.6)


def test_without_investment_payback_is_not_computed() -> None:
    result = roi(480_000, 300_000)
    assert result.roi_percent == 60.0 and result.payback_months is None
    assert result.payback.startswith("not computed")


def test_net_benefit_of_zero_or_less_is_never_paid_back() -> None:
    result = roi(240_000, 300_000, 150_000)
    assert result.roi_percent == pytest.approx(-20.0)
    assert result.payback_months is None and result.payback.startswith("never")
    assert roi(300_000, 300_000, 1).payback.startswith("never")
    with pytest.raises(InvalidInput, match="never paid back"):
        payback_months(150_000, 240_000, 300_000)


@pytest.mark.parametrize(("args", "message"), [
    ((-1, 300_000, 0), "annual benefit must be a finite number of 0 or more"),
    ((480_000, -5, 0), "annual cost must be"),
    ((480_000, 300_000, -150_000), "initial investment must be"),
    ((480_000, float("nan"), 0), "annual cost must be"),
    ((480_000, 0, 150_000), "annual cost must be more than 0"),
])
def test_bad_input_is_refused_with_the_reason(args: tuple, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        roi(*args)
