"""What labeling has cost so far and what the rest of the pool will cost, from timed annotations.

hours per item = mean seconds per annotation x annotators per item / 3600; hours spent = sum of the timed
seconds / 3600; hours remaining = items remaining x hours per item; total = spent + remaining. Each cost is
hours x ``hourly_rate`` (None without a rate); budget shares are cost / ``budget``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real

import numpy as np
from pydantic import BaseModel, Field

from mlsteward.errors import InvalidInput


class LabelingCostEstimate(BaseModel):
    """Time and money spent on labeling so far and projected for the remaining items."""

    annotations_timed: int
    items_done: int
    items_remaining: int
    annotators_per_item: int
    median_seconds_per_annotation: float
    mean_seconds_per_annotation: float
    hours_per_item: float = Field(description="mean seconds x annotators_per_item / 3600")
    cost_per_item: float | None
    hours_spent: float = Field(description="sum of the timed seconds / 3600")
    cost_spent: float | None
    hours_remaining: float = Field(description="items_remaining x hours_per_item")
    cost_remaining: float | None
    hours_total: float = Field(description="hours_spent + hours_remaining")
    cost_total: float | None
    hourly_rate: float | None
    budget: float | None
    budget_share_spent: float | None = Field(description="cost_spent / budget")
    budget_share_projected: float | None = Field(description="cost_total / budget")
    within_budget: bool | None = Field(description="cost_total <= budget; None without a rate or a budget")
    notes: list[str]


def _count(name: str, value: object, low: int) -> int:
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < low:
        raise InvalidInput(f"The '{name}' parameter of labeling_cost must be an int >= {low}; got {value!r} instead.")
    return int(value)


def _amount(name: str, value: object, strictly_positive: bool) -> float | None:
    if value is None:
        return None
    bound = "> 0" if strictly_positive else ">= 0"
    if (not isinstance(value, Real) or isinstance(value, bool) or not math.isfinite(value)
            or value < 0 or (strictly_positive and value == 0)):
        raise InvalidInput(f"The '{name}' parameter of labeling_cost must be {bound}; got {value!r} instead.")
    return float(value)


def labeling_cost(seconds_per_annotation: Sequence[float], items_done: int, items_remaining: int,
                  annotators_per_item: int, hourly_rate: float | None = None,
                  budget: float | None = None) -> LabelingCostEstimate:
    """Labeling hours (and cost, given an hourly rate) spent and projected, against an optional budget."""
    if isinstance(seconds_per_annotation, str) or not isinstance(seconds_per_annotation, Sequence | np.ndarray):
        raise InvalidInput(f"The 'seconds_per_annotation' parameter of labeling_cost must be a list of seconds; got "
                           f"{seconds_per_annotation!r} instead.")
    seconds = list(seconds_per_annotation)
    if not seconds:
        raise InvalidInput("The 'seconds_per_annotation' parameter of labeling_cost must hold at least one timed "
                           "annotation; got an empty list. Time a few annotations first.")
    for position, value in enumerate(seconds):
        if (not isinstance(value, Real) or isinstance(value, bool) or not math.isfinite(value) or value < 0):
            raise InvalidInput(f"The 'seconds_per_annotation' parameter of labeling_cost must hold finite numbers "
                               f">= 0; got {value!r} at position {position} instead.")
    done = _count("items_done", items_done, 0)
    remaining = _count("items_remaining", items_remaining, 0)
    per_item = _count("annotators_per_item", annotators_per_item, 1)
    rate = _amount("hourly_rate", hourly_rate, strictly_positive=False)
    cap = _amount("budget", budget, strictly_positive=True)

    values = np.asarray(seconds, dtype=float)
    mean, median = float(values.mean()), float(np.median(values))
    hours_item = mean * per_item / 3600
    spent = float(values.sum()) / 3600
    left = remaining * hours_item
    total = spent + left

    def cost(hours: float) -> float | None:
        return None if rate is None else hours * rate

    notes: list[str] = []
    if rate is None:
        notes.append("No hourly_rate given: costs, budget shares and within_budget are None.")
    if len(seconds) != done * per_item:
        notes.append(f"{len(seconds)} annotations are timed but {done} items x {per_item} annotators make "
                     f"{done * per_item}; hours_spent counts the timed annotations only.")
    if median > 0 and mean > 1.5 * median:
        notes.append(f"The mean ({mean:.1f} s) is well above the median ({median:.1f} s): a few slow annotations "
                     "pull it up. The projection uses the mean.")
    share_spent = share_total = within = None
    if rate is not None and cap is not None:
        share_spent, share_total = spent * rate / cap, total * rate / cap
        within = total * rate <= cap
        if not within:
            notes.append(f"The projected cost {total * rate:.2f} exceeds the budget {cap:.2f}.")
    return LabelingCostEstimate(
        annotations_timed=len(seconds), items_done=done, items_remaining=remaining, annotators_per_item=per_item,
        median_seconds_per_annotation=median, mean_seconds_per_annotation=mean, hours_per_item=hours_item,
        cost_per_item=cost(hours_item), hours_spent=spent, cost_spent=cost(spent), hours_remaining=left,
        cost_remaining=cost(left), hours_total=total, cost_total=cost(total), hourly_rate=rate, budget=cap,
        budget_share_spent=share_spent, budget_share_projected=share_total, within_budget=within, notes=notes)


__all__ = ["LabelingCostEstimate", "labeling_cost"]
