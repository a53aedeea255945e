"""The decision threshold of a binary classifier that costs least, given what each outcome costs.

The model flags a row (predicts positive) when its probability p >= threshold. With the costs per
prediction of a true positive, false positive, false negative and true negative (a benefit is a
negative cost), the expected cost per prediction at a threshold is
(c_tp TP + c_fp FP + c_fn FN + c_tn TN) / n over the scored rows.

**Exact search.** Every distinct decision is reached by one of the candidate thresholds: each distinct
probability, plus "flag nothing" (a threshold above every probability, reported as None). The counts at
all candidates come at once from the sorted probabilities (``np.searchsorted``), so the search is exact
and costs one sort. A ``grid`` (a number of evenly spaced thresholds on [0, 1], or the thresholds
themselves) searches only those instead, e.g. to choose a round number. Ties in cost go to the highest
threshold (fewest rows flagged).

**Theory.** For calibrated probabilities the cost-minimising rule is p >= (c_fp - c_tn) / ((c_fp - c_tn) +
(c_fn - c_tp)), the Bayes threshold; it is reported for comparison, with its cost on these rows. A best
threshold far from it suggests miscalibrated probabilities.

**Curves.** ROC (``sklearn.metrics.roc_curve``), precision-recall (``precision_recall_curve``) and the
cost curve are reduced to at most ``max_points`` evenly spaced points of each (the first and last kept,
and on the cost curve the optimum); the areas are those of the full curves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, ValidationError
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_curve

from mlsteward.errors import InvalidInput
from mlsteward.evaluate._common import as_array, binary_labels, positive_probabilities, same_length
from mlsteward.spec_evaluation import Costs
from mlsteward.train.feasibility_models import Label

CostMatrix = Costs
"""What each outcome of a yes/no decision costs per prediction (a benefit is a negative cost): the
``evaluation.costs`` model of steward.yaml. An error must not cost less than the right decision."""


class Decision(BaseModel):
    """What happens at one threshold: rows flagged, the confusion counts and the expected cost."""

    threshold: float | None = Field(description="flag when p >= threshold; None: flag nothing")
    flagged: int
    flagged_share: float
    true_positive: int
    false_positive: int
    true_negative: int
    false_negative: int
    recall: float = Field(description="share of the positive rows flagged")
    precision: float | None = Field(description="share of the flagged rows that are positive; None: none flagged")
    expected_cost: float = Field(description="cost per prediction, in the cost matrix's unit")


class RocCurve(BaseModel):
    """False and true positive rate at decreasing thresholds (None: flag nothing)."""

    false_positive_rate: list[float]
    true_positive_rate: list[float]
    thresholds: list[float | None]


class PrecisionRecallCurve(BaseModel):
    """Precision and recall at increasing thresholds; the last point (recall 0) has threshold None."""

    precision: list[float]
    recall: list[float]
    thresholds: list[float | None]


class CostCurve(BaseModel):
    """Expected cost per prediction at increasing thresholds (the last, None: flag nothing)."""

    thresholds: list[float | None]
    expected_cost: list[float]
    flagged_share: list[float]


class OperatingPointResult(BaseModel):
    """The threshold that minimises the expected cost per prediction, how it compares with the default
    threshold and the theoretical one, the curves, and the reasoning in plain words."""

    n_rows: int
    positive_class: Label
    prevalence: float = Field(description="share of positive rows")
    costs: CostMatrix
    search: Literal["exact", "grid"]
    candidates: int = Field(description="thresholds whose cost was evaluated")
    optimum: Decision
    default: Decision = Field(description="at the default threshold (0.5 unless given)")
    bayes_threshold: float = Field(description="(c_fp - c_tn) / ((c_fp - c_tn) + (c_fn - c_tp)): best for "
                                   "calibrated probabilities")
    bayes: Decision = Field(description="at the Bayes threshold, on these rows")
    flag_nothing_cost: float
    flag_everything_cost: float
    roc_auc: float = Field(description="area under the full ROC curve")
    average_precision: float = Field(description="scikit-learn's average precision (step-wise PR area)")
    pr_auc: float = Field(description="trapezoidal area under the full precision-recall curve")
    roc: RocCurve
    precision_recall: PrecisionRecallCurve
    cost_curve: CostCurve
    rationale: str


def operating_point(y_true: Any, y_prob: Any, *, costs: CostMatrix | dict, grid: int | Sequence[float] | None = None,
                    default_threshold: float = 0.5, max_points: int = 200) -> OperatingPointResult:
    """The threshold on the positive class's probability that minimises the expected cost per prediction.

    ``y_prob`` is the positive class's probability (or ``predict_proba``'s two columns); ``costs`` a
    ``CostMatrix`` or its fields as a dict. See the module docstring for the search and the curves."""
    costs = _cost_matrix(costs)
    y, positive = _binary_target(y_true)
    prob = positive_probabilities(y_prob)
    same_length(y_true=y, y_prob=prob)
    if not 0 <= default_threshold <= 1:
        raise InvalidInput(f"default_threshold must lie in [0, 1]; got {default_threshold!r}")
    if not isinstance(max_points, int) or max_points < 2:
        raise InvalidInput(f"max_points must be a whole number >= 2; got {max_points!r}")
    counts = _Counts(y, prob, costs)
    thresholds = np.append(np.unique(prob) if grid is None else _grid(grid), np.inf)  # increasing
    cost = counts.cost(thresholds)
    best = len(cost) - 1 - int(np.argmin(cost[::-1]))  # the lowest cost; on ties the highest threshold
    c_fp, c_fn = costs.false_positive - costs.true_negative, costs.false_negative - costs.true_positive
    bayes_threshold = c_fp / (c_fp + c_fn)
    fpr, tpr, roc_thresholds = roc_curve(y, prob)
    precision, recall, pr_thresholds = precision_recall_curve(y, prob)
    keep = _spread(len(thresholds), max_points, must=best)
    result = OperatingPointResult(
        n_rows=len(y), positive_class=positive.item() if isinstance(positive, np.generic) else positive,
        prevalence=float(y.mean()), costs=costs, search="exact" if grid is None else "grid",
        candidates=len(thresholds), optimum=counts.decision(thresholds[best]),
        default=counts.decision(default_threshold), bayes_threshold=float(bayes_threshold),
        bayes=counts.decision(bayes_threshold), flag_nothing_cost=float(counts.cost(np.array([np.inf]))[0]),
        flag_everything_cost=float(counts.cost(np.array([0.0]))[0]),
        roc_auc=float(auc(fpr, tpr)), average_precision=float(average_precision_score(y, prob)),
        pr_auc=float(auc(recall, precision)),
        roc=RocCurve(**_reduced({"false_positive_rate": fpr, "true_positive_rate": tpr, "thresholds": roc_thresholds},
                                max_points)),
        precision_recall=PrecisionRecallCurve(**_reduced(
            {"precision": precision, "recall": recall, "thresholds": np.append(pr_thresholds, np.inf)}, max_points)),
        cost_curve=CostCurve(thresholds=_thresholds(thresholds[keep]), expected_cost=cost[keep].tolist(),
                             flagged_share=(counts.flagged(thresholds[keep]) / len(y)).tolist()),
        rationale="")
    result.rationale = _rationale(result)
    return result


class _Counts:
    """Confusion counts and expected cost at any thresholds, from the sorted probabilities."""

    def __init__(self, y: np.ndarray, prob: np.ndarray, costs: CostMatrix) -> None:
        self.n, self.positives = len(y), int(y.sum())
        self.all, self.pos = np.sort(prob), np.sort(prob[y == 1])
        self.costs = costs

    def flagged(self, t: np.ndarray) -> np.ndarray:
        return self.n - np.searchsorted(self.all, t, side="left")  # rows with p >= t

    def confusion(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        flagged = self.flagged(t)
        tp = self.positives - np.searchsorted(self.pos, t, side="left")
        fp = flagged - tp
        return tp, fp, (self.n - self.positives) - fp, self.positives - tp

    def cost(self, t: np.ndarray) -> np.ndarray:
        tp, fp, tn, fn = self.confusion(t)
        c = self.costs
        return (c.true_positive * tp + c.false_positive * fp + c.true_negative * tn + c.false_negative * fn) / self.n

    def decision(self, threshold: float) -> Decision:
        t = np.array([threshold])
        tp, fp, tn, fn = (int(v[0]) for v in self.confusion(t))
        flagged = tp + fp
        return Decision(threshold=None if math.isinf(threshold) else float(threshold), flagged=flagged,
                        flagged_share=flagged / self.n, true_positive=tp, false_positive=fp, true_negative=tn,
                        false_negative=fn, recall=tp / self.positives, precision=tp / flagged if flagged else None,
                        expected_cost=float(self.cost(t)[0]))


def _cost_matrix(costs: Any) -> CostMatrix:
    if isinstance(costs, dict):
        try:
            costs = CostMatrix.model_validate(costs)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'costs'}: {e['msg']}" for e in exc.errors())
            raise InvalidInput(f"the cost matrix is not valid: {problems}. Give false_positive and false_negative "
                               "(and optionally true_positive, true_negative, unit) as numbers") from exc
    if not isinstance(costs, CostMatrix):
        raise InvalidInput(f"costs must be a CostMatrix or a dict of its fields; got {type(costs).__name__}")
    values = (costs.false_positive, costs.false_negative, costs.true_positive, costs.true_negative)
    if not all(math.isfinite(v) for v in values):
        raise InvalidInput(f"every cost must be a finite number; got {values}")
    return costs


def _binary_target(y_true: Any) -> tuple[np.ndarray, Any]:
    y = as_array(y_true, "y_true")
    if pd.isna(y).any():
        raise InvalidInput(f"y_true is missing on {int(pd.isna(y).sum())} rows: drop those rows first")
    classes = pd.unique(y)
    if len(classes) != 2:
        raise InvalidInput(f"a decision threshold is chosen for a binary target with both classes present; y_true "
                           f"has {len(classes)} class(es): for a multiclass model choose one class's threshold "
                           "(y_true == c against its probability column), and score rows of both classes")
    return binary_labels(y)


def _grid(grid: int | Sequence[float]) -> np.ndarray:
    if isinstance(grid, int | np.integer) and not isinstance(grid, bool):
        if grid < 2:
            raise InvalidInput(f"grid must be a number of thresholds >= 2 or a list of thresholds; got {grid}")
        return np.linspace(0.0, 1.0, int(grid))
    values = np.unique(np.asarray(grid, dtype=float))
    if values.size == 0 or np.isnan(values).any() or values.min() < 0 or values.max() > 1:
        raise InvalidInput("grid must hold thresholds in [0, 1] (e.g. [0.1, 0.2, 0.3]) or be a number of evenly "
                           f"spaced thresholds; got {list(grid)}")
    return values


def _spread(n: int, max_points: int, must: int | None = None) -> np.ndarray:
    """At most ``max_points`` evenly spaced indices of n, the first and last (and ``must``) included."""
    if n <= max_points:
        return np.arange(n)
    extra = np.array([] if must is None else [must], dtype=int)
    return np.unique(np.r_[np.linspace(0, n - 1, max_points - len(extra)).round().astype(int), extra])


def _reduced(columns: dict[str, np.ndarray], max_points: int) -> dict[str, list]:
    keep = _spread(len(next(iter(columns.values()))), max_points)
    return {name: _thresholds(v[keep]) if name == "thresholds" else v[keep].tolist() for name, v in columns.items()}


def _thresholds(values: np.ndarray) -> list[float | None]:
    return [None if math.isinf(v) else float(v) for v in values]


# --- the rationale ---------------------------------------------------------------------------------------


def _rationale(r: OperatingPointResult) -> str:
    """The choice in a product owner's words: what the threshold does, what it saves, and the theory."""
    c, best, default = r.costs, r.optimum, r.default

    def money(value: float) -> str:
        return f"{value:,.2f} {c.unit}"

    if best.threshold is None:
        where = "Flagging no case at all costs least"
    else:
        where = (f"At threshold {best.threshold:.3g} the model flags {best.flagged_share:.1%} of cases "
                 f"({best.flagged:,} of {r.n_rows:,}) and catches {best.recall:.0%} of the positive ones")
        if best.precision is not None:
            where += f"; {1 - best.precision:.0%} of its flags are false alarms"
    prices = f"Each false alarm costs {money(c.false_positive)} and each missed case {money(c.false_negative)}"
    for outcome, value in (("caught case", c.true_positive), ("correct all-clear", c.true_negative)):
        if value:
            prices += f", each {outcome} {'costs' if value > 0 else 'brings a benefit of'} {money(abs(value))}"
    at_default = f"the default threshold {default.threshold:.3g}"
    if best.expected_cost < default.expected_cost:
        saving = default.expected_cost - best.expected_cost
        share = f" ({saving / default.expected_cost:.0%})" if default.expected_cost > 0 else ""
        change = (f"so the expected cost per prediction falls from {money(default.expected_cost)} at {at_default} "
                  f"to {money(best.expected_cost)}, a saving of {money(saving)} per prediction{share}")
    elif best.expected_cost == default.expected_cost:
        change = f"and {at_default} does as well: {money(best.expected_cost)} per prediction"
    else:
        change = (f"so the best threshold of the grid costs {money(best.expected_cost)} per prediction, more than "
                  f"{at_default} at {money(default.expected_cost)}: search all thresholds (no grid)")
    extremes = (f"Flagging nothing would cost {money(r.flag_nothing_cost)} per prediction, flagging everything "
                f"{money(r.flag_everything_cost)}.")
    fp, fn = c.false_positive - c.true_negative, c.false_negative - c.true_positive
    theory = (f"For calibrated probabilities theory puts the best threshold at {r.bayes_threshold:.3g} "
              f"(= {fp:g} / ({fp:g} + {fn:g})), which costs {money(r.bayes.expected_cost)} per prediction here")
    if best.threshold is not None and abs(best.threshold - r.bayes_threshold) > 0.1:
        theory += "; the gap to the threshold found suggests the probabilities are miscalibrated (see calibration)"
    reported = (best.expected_cost, default.expected_cost, r.bayes.expected_cost, r.flag_nothing_cost,
                r.flag_everything_cost)
    signs = " A negative cost is a net benefit." if min(reported) < 0 else ""
    return f"{where}. {prices}, {change}. {extremes}{signs} {theory}."


__all__ = [
    "CostCurve",
    "CostMatrix",
    "Decision",
    "OperatingPointResult",
    "PrecisionRecallCurve",
    "RocCurve",
    "operating_point",
]
