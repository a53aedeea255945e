"""The cost-minimising threshold against brute force (a plain loop over every threshold, a fine grid) and a
hand-worked example; the curves and their areas against scikit-learn, on the GSS data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput
from mlsteward.evaluate._operating_point import CostMatrix, operating_point

NUMERIC = ["year", "age", "childs", "prestg10"]
CATEGORICAL = ["gender", "wrkstat", "maritalcat", "educcat"]


@pytest.fixture(scope="module")
def scored():  # noqa: ANN201
    """True classes and the positive class's probability of 3,000 test rows of a logistic regression."""
    data = gss_wages_with_target().sample(6000, random_state=2).reset_index(drop=True)
    prep = make_column_transformer((make_pipeline(SimpleImputer(), StandardScaler()), NUMERIC),
                                   (OneHotEncoder(handle_unknown="ignore"), CATEGORICAL))
    model = make_pipeline(prep, LogisticRegression(max_iter=500))
    model.fit(data[NUMERIC + CATEGORICAL].iloc[:3000], data["high_income"].iloc[:3000])
    test = data.iloc[3000:]
    return test["high_income"].to_numpy(), model.predict_proba(test[NUMERIC + CATEGORICAL])[:, 1]


def _loop_cost(y, p, t, c) -> float:  # noqa: ANN001
    """Expected cost per prediction at threshold t, counting row by row."""
    total = 0.0
    for yi, pi in zip(y.tolist(), p.tolist(), strict=True):
        flag = pi >= t
        total += (c["true_positive"] if flag else c["false_negative"]) if yi == 1 else \
            (c["false_positive"] if flag else c["true_negative"])
    return total / len(y)


COSTS = [
    {"false_positive": 5, "false_negative": 50, "true_positive": 0, "true_negative": 0},
    {"false_positive": 1, "false_negative": 1, "true_positive": 0, "true_negative": 0},
    {"false_positive": 12.5, "false_negative": 3, "true_positive": -4, "true_negative": 0.5},
]


@pytest.mark.parametrize("costs", COSTS)
def test_optimum_equals_brute_force_over_every_threshold(scored, costs) -> None:  # noqa: ANN001
    y, p = scored
    result = operating_point(y, p, costs=costs)
    thresholds = [*sorted(set(p.tolist())), float("inf")]  # every distinct decision, and flag nothing
    loop = [_loop_cost(y, p, t, costs) for t in thresholds]
    assert result.optimum.expected_cost == pytest.approx(min(loop), abs=1e-12)
    assert result.candidates == len(thresholds)
    best = float("inf") if result.optimum.threshold is None else result.optimum.threshold
    assert _loop_cost(y, p, best, costs) == pytest.approx(min(loop), abs=1e-12)
    # no threshold of a fine grid does better
    grid = np.linspace(0, 1, 2001)
    assert min(_vector_cost(y, p, t, costs) for t in grid) >= result.optimum.expected_cost - 1e-12
    assert result.default.expected_cost == pytest.approx(_loop_cost(y, p, 0.5, costs), abs=1e-12)
    assert result.flag_nothing_cost == pytest.approx(loop[-1], abs=1e-12)
    assert result.flag_everything_cost == pytest.approx(loop[0], abs=1e-12)


def _vector_cost(y, p, t, c) -> float:  # noqa: ANN001
    flag = p >= t
    counts = {"true_positive": (flag & (y == 1)).sum(), "false_positive": (flag & (y == 0)).sum(),
              "true_negative": (~flag & (y == 0)).sum(), "false_negative": (~flag & (y == 1)).sum()}
    return sum(c[k] * v for k, v in counts.items()) / len(y)


def test_confusion_counts_at_the_optimum_equal_sklearn(scored) -> None:  # noqa: ANN001
    y, p = scored
    result = operating_point(y, p, costs=CostMatrix(false_positive=5, false_negative=50))
    best = result.optimum
    tn, fp, fn, tp = skm.confusion_matrix(y, (p >= best.threshold).astype(int)).ravel()
    assert (best.true_negative, best.false_positive, best.false_negative, best.true_positive) == (tn, fp, fn, tp)
    assert best.recall == pytest.approx(skm.recall_score(y, p >= best.threshold))
    assert best.precision == pytest.approx(skm.precision_score(y, p >= best.threshold))
    assert result.bayes_threshold == pytest.approx(5 / 55)
    assert result.bayes.expected_cost == pytest.approx(_loop_cost(y, p, 5 / 55, COSTS[0]), abs=1e-12)
    assert "USD" in result.rationale and f"{best.flagged_share:.1%}" in result.rationale
    assert "5.00 USD" in result.rationale and "50.00 USD" in result.rationale


def test_hand_worked_example() -> None:
    # p:  0.1  0.3  0.4  0.6  0.8   y: 0 0 1 0 1;  false alarm 1, miss 4 (per prediction, / 5 rows)
    #   t = 0.1: flag all  -> FP 3            cost 3 / 5 = 0.6
    #   t = 0.3: flag 4    -> FP 2            cost 2 / 5 = 0.4
    #   t = 0.4: flag 3    -> FP 1, FN 0      cost 1 / 5 = 0.2   <- the optimum
    #   t = 0.6: flag 2    -> FP 1, FN 1      cost 5 / 5 = 1.0
    #   t = 0.8: flag 1    -> FN 1            cost 4 / 5 = 0.8
    #   never:             -> FN 2            cost 8 / 5 = 1.6
    #   default 0.5 flags 0.6 and 0.8: cost 1.0; Bayes threshold 1 / (1 + 4) = 0.2 flags 4: cost 0.4
    result = operating_point([0, 0, 1, 0, 1], [0.1, 0.3, 0.4, 0.6, 0.8],
                             costs={"false_positive": 1, "false_negative": 4})
    assert result.optimum.threshold == 0.4 and result.optimum.expected_cost == pytest.approx(0.2)
    assert result.default.expected_cost == pytest.approx(1.0)
    assert result.bayes_threshold == pytest.approx(0.2) and result.bayes.expected_cost == pytest.approx(0.4)
    assert result.flag_nothing_cost == pytest.approx(1.6) and result.flag_everything_cost == pytest.approx(0.6)
    assert result.cost_curve.expected_cost == pytest.approx([0.6, 0.4, 0.2, 1.0, 0.8, 1.6])
    assert result.cost_curve.thresholds == [0.1, 0.3, 0.4, 0.6, 0.8, None]
    assert "falls from 1.00 USD" in result.rationale and "to 0.20 USD" in result.rationale


def test_ties_go_to_the_highest_threshold_and_flag_nothing_can_win() -> None:
    # equal costs for every decision of these rows: keep the threshold that flags fewest
    result = operating_point([0, 1], [0.3, 0.3], costs={"false_positive": 1, "false_negative": 1})
    assert result.optimum.threshold is None and result.optimum.flagged == 0
    assert result.rationale.startswith("Flagging no case")


def test_curves_equal_sklearn_and_areas_use_the_full_curves(scored) -> None:  # noqa: ANN001
    y, p = scored
    full = operating_point(y, p, costs=COSTS[0], max_points=100_000)
    fpr, tpr, thresholds = skm.roc_curve(y, p)
    assert full.roc.false_positive_rate == fpr.tolist() and full.roc.true_positive_rate == tpr.tolist()
    assert full.roc.thresholds == [None, *thresholds[1:].tolist()]
    precision, recall, pr_thresholds = skm.precision_recall_curve(y, p)
    assert full.precision_recall.precision == precision.tolist() and full.precision_recall.recall == recall.tolist()
    assert full.precision_recall.thresholds == [*pr_thresholds.tolist(), None]
    reduced = operating_point(y, p, costs=COSTS[0])
    assert len(reduced.precision_recall.precision) <= 200 < len(precision)
    assert len(reduced.cost_curve.thresholds) <= 200
    assert reduced.precision_recall.precision[0] == precision[0] and reduced.precision_recall.recall[-1] == 0
    assert set(reduced.precision_recall.recall) <= set(recall.tolist())
    assert reduced.optimum.threshold in reduced.cost_curve.thresholds
    for result in (full, reduced):
        assert result.roc_auc == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)
        assert result.average_precision == pytest.approx(skm.average_precision_score(y, p), abs=1e-12)
        assert result.pr_auc == pytest.approx(skm.auc(recall, precision), abs=1e-12)
    assert type(reduced).model_validate_json(reduced.model_dump_json()) == reduced


def test_a_grid_searches_only_its_thresholds(scored) -> None:  # noqa: ANN001
    y, p = scored
    result = operating_point(y, p, costs=COSTS[0], grid=21)
    grid = np.linspace(0, 1, 21)
    costs = [_vector_cost(y, p, t, COSTS[0]) for t in grid] + [_vector_cost(y, p, np.inf, COSTS[0])]
    assert result.search == "grid" and result.candidates == 22
    assert result.optimum.expected_cost == pytest.approx(min(costs), abs=1e-12)
    assert result.optimum.threshold == pytest.approx(grid[int(np.argmin(costs))])
    assert operating_point(y, p, costs=COSTS[0], grid=[0.2, 0.1]).candidates == 3


def test_two_column_probabilities_and_text_labels() -> None:
    p = np.array([0.2, 0.7, 0.9, 0.4])
    result = operating_point(["no", "yes", "yes", "no"], np.column_stack([1 - p, p]),
                             costs={"false_positive": 1, "false_negative": 2, "unit": "EUR"})
    assert result.positive_class == "yes" and result.optimum.threshold == 0.7 and "EUR" in result.rationale


@pytest.mark.parametrize(("y", "p", "costs", "message"), [
    ([0, 1, 2], [0.1, 0.2, 0.3], COSTS[0], "binary"),
    ([1, 1, 1], [0.1, 0.2, 0.3], COSTS[0], "both classes"),
    ([0, 1, 1], [0.1, 1.2, 0.3], COSTS[0], r"\[0, 1\]"),
    ([0, 1, 1], [0.1, np.nan, 0.3], COSTS[0], "missing"),
    ([0, 1, 1], [0.1, 0.3], COSTS[0], "one value per row"),
    ([0, 1, 1], [0.1, 0.2, 0.3], {"false_positive": -1, "false_negative": 5}, "must not cost less"),
    ([0, 1, 1], [0.1, 0.2, 0.3], {"false_positive": 0, "false_negative": 0}, "cost nothing more"),
    ([0, 1, 1], [0.1, 0.2, 0.3], {"false_positive": 1}, "false_negative"),
    ([0, 1, 1], [0.1, 0.2, 0.3], {"false_positive": 1, "false_negative": 2, "fee": 3}, "fee"),
    ([0, 1, 1], [0.1, 0.2, 0.3], {"false_positive": 1, "false_negative": float("inf")}, "finite"),
])
def test_bad_input_is_refused(y, p, costs, message) -> None:  # noqa: ANN001
    with pytest.raises(InvalidInput, match=message):
        operating_point(y, p, costs=costs)


def test_benefits_are_allowed_as_negative_costs() -> None:
    result = operating_point([0, 1, 1, 0], [0.2, 0.7, 0.9, 0.4],
                             costs={"false_positive": 1, "false_negative": 3, "true_positive": -10})
    assert result.optimum.expected_cost == pytest.approx((-10 * 2) / 4)  # flags both positives, no false alarm
    assert "benefit" in result.rationale


def test_bad_grid_is_refused(scored) -> None:  # noqa: ANN001
    y, p = scored
    with pytest.raises(InvalidInput, match="grid"):
        operating_point(y, p, costs=COSTS[0], grid=[0.5, 1.5])
    with pytest.raises(InvalidInput, match="grid"):
        operating_point(y, p, costs=COSTS[0], grid=1)
