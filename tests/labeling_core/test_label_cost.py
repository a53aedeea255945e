"""Labeling cost estimate against a hand-worked example, and its input checks."""

from __future__ import annotations

import re

import pytest

from mlsteward.errors import InvalidInput
from mlsteward.labeling import labeling_cost

SECONDS = [20.0, 40.0, 60.0, 240.0]


def test_labeling_cost_hand_worked() -> None:
    # mean = 360 / 4 = 90 s, median = (40 + 60) / 2 = 50 s. Two annotators per item:
    # hours per item = 90 * 2 / 3600 = 0.05 h -> 0.05 * 40 = 2.00 per item.
    # spent = 360 s = 0.1 h -> 4.00; remaining 100 items -> 5 h -> 200.00; total 5.1 h -> 204.00.
    # Budget 300: 4 / 300 spent, 204 / 300 = 0.68 projected, within budget.
    est = labeling_cost(SECONDS, items_done=2, items_remaining=100, annotators_per_item=2, hourly_rate=40,
                        budget=300)
    assert (est.mean_seconds_per_annotation, est.median_seconds_per_annotation) == (90.0, 50.0)
    assert est.hours_per_item == pytest.approx(0.05)
    assert est.cost_per_item == pytest.approx(2.0)
    assert (est.hours_spent, est.cost_spent) == (pytest.approx(0.1), pytest.approx(4.0))
    assert (est.hours_remaining, est.cost_remaining) == (pytest.approx(5.0), pytest.approx(200.0))
    assert (est.hours_total, est.cost_total) == (pytest.approx(5.1), pytest.approx(204.0))
    assert est.budget_share_spent == pytest.approx(4 / 300)
    assert est.budget_share_projected == pytest.approx(0.68)
    assert est.within_budget is True
    assert any("mean (90.0 s) is well above the median (50.0 s)" in note for note in est.notes)


def test_labeling_cost_over_budget_and_without_rate() -> None:
    over = labeling_cost(SECONDS, 2, 100, 2, hourly_rate=40, budget=200)
    assert over.within_budget is False
    assert over.budget_share_projected == pytest.approx(1.02)
    assert any("exceeds the budget" in note for note in over.notes)
    free = labeling_cost(SECONDS, 2, 100, 2, hourly_rate=None, budget=200)
    assert (free.cost_per_item, free.cost_total, free.within_budget, free.budget_share_projected) == (
        None, None, None, None)
    assert free.hours_total == pytest.approx(5.1)
    assert any("No hourly_rate" in note for note in free.notes)


def test_labeling_cost_notes_untimed_annotations() -> None:
    est = labeling_cost([30.0, 30.0], items_done=3, items_remaining=0, annotators_per_item=1, hourly_rate=10)
    assert est.hours_remaining == 0
    assert any("2 annotations are timed but 3 items x 1 annotators make 3" in note for note in est.notes)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"hourly_rate": -3}, "The 'hourly_rate' parameter of labeling_cost must be >= 0; got -3 instead."),
    ({"budget": 0}, "The 'budget' parameter of labeling_cost must be > 0; got 0 instead."),
    ({"items_remaining": -1}, "The 'items_remaining' parameter of labeling_cost must be an int >= 0; got -1 instead."),
    ({"items_done": 2.5}, "The 'items_done' parameter of labeling_cost must be an int >= 0; got 2.5 instead."),
    ({"annotators_per_item": 0},
     "The 'annotators_per_item' parameter of labeling_cost must be an int >= 1; got 0 instead."),
    ({"seconds_per_annotation": [10.0, -5.0]},
     ("The 'seconds_per_annotation' parameter of labeling_cost must hold finite numbers >= 0; got -5.0 at "
      "position 1 instead.")),
    ({"seconds_per_annotation": []}, "must hold at least one timed annotation; got an empty list"),
    ({"hourly_rate": float("nan")}, "The 'hourly_rate' parameter of labeling_cost must be >= 0; got nan instead."),
])
def test_labeling_cost_bad_input(kwargs: dict, message: str) -> None:
    args = {"seconds_per_annotation": SECONDS, "items_done": 2, "items_remaining": 10, "annotators_per_item": 2,
            "hourly_rate": 30.0, "budget": 1000.0} | kwargs
    with pytest.raises(InvalidInput, match=re.escape(message)):
        labeling_cost(**args)
