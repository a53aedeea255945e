"""Uncertainty strategies against independent references, and the ranking rule (``mlsteward.labeling.active``)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from mlsteward.errors import InvalidInput
from mlsteward.labeling.active import (
    STRATEGIES,
    ActiveQueue,
    Strategy,
    queue_from_model,
    rank,
    register_strategy,
    uncertainty,
)

# rows: a clear winner, a tie at the top, a certain row, a close call
PROBA = np.array([
    [0.7, 0.2, 0.1],
    [0.4, 0.4, 0.2],
    [1.0, 0.0, 0.0],
    [0.5, 0.3, 0.2],
])


def test_registry_names_the_strategies() -> None:
    assert {"least_confidence", "margin", "entropy", "committee", "committee_kl"} <= set(STRATEGIES)
    assert STRATEGIES["committee"].committee and STRATEGIES["committee_kl"].committee
    assert not STRATEGIES["entropy"].committee


def test_least_confidence_by_hand() -> None:
    # 1 - max: 1 - 0.7 = 0.3; 1 - 0.4 = 0.6; 1 - 1.0 = 0.0; 1 - 0.5 = 0.5
    np.testing.assert_allclose(uncertainty(PROBA, "least_confidence"), [0.3, 0.6, 0.0, 0.5])


def test_margin_by_hand() -> None:
    # 1 - (top - second): 1 - (0.7 - 0.2) = 0.5; 1 - (0.4 - 0.4) = 1.0; 1 - (1 - 0) = 0.0; 1 - (0.5 - 0.3) = 0.8
    np.testing.assert_allclose(uncertainty(PROBA, "margin"), [0.5, 1.0, 0.0, 0.8])


def test_entropy_equals_scipy() -> None:
    rng = np.random.default_rng(3)
    random_rows = rng.dirichlet([0.5, 1.0, 2.0, 0.3], size=50)
    for proba in (PROBA, random_rows):
        expected = [stats.entropy(row) for row in proba]
        np.testing.assert_allclose(uncertainty(proba, "entropy"), expected, rtol=1e-12, atol=1e-15)
    # a uniform row over 3 classes has entropy ln 3, a certain row 0
    np.testing.assert_allclose(uncertainty(np.array([[1 / 3] * 3, [0.0, 1.0, 0.0]]), "entropy"), [math.log(3), 0.0])


COMMITTEE = [
    np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.1, 0.8]]),
    np.array([[0.5, 0.4, 0.1], [0.1, 0.2, 0.7], [0.2, 0.1, 0.7]]),
    np.array([[0.2, 0.7, 0.1], [0.6, 0.2, 0.2], [0.0, 0.3, 0.7]]),
]


def test_vote_entropy_by_hand() -> None:
    # votes (argmax per member): item 0 -> classes 0, 0, 1; item 1 -> 1, 2, 0; item 2 -> 2, 2, 2
    # item 0: shares 2/3, 1/3 -> -(2/3 ln 2/3 + 1/3 ln 1/3) = ln 3 - (2/3) ln 2
    # item 1: shares 1/3 each -> ln 3; item 2: unanimous -> 0
    expected = [math.log(3) - 2 / 3 * math.log(2), math.log(3), 0.0]
    np.testing.assert_allclose(uncertainty(COMMITTEE, "committee"), expected, rtol=1e-12, atol=1e-15)


def test_vote_entropy_breaks_argmax_ties_to_the_first_class() -> None:
    # both members' rows tie between classes 0 and 1: both vote class 0 -> unanimous -> 0
    tied = [np.array([[0.4, 0.4, 0.2]]), np.array([[0.45, 0.45, 0.1]])]
    np.testing.assert_allclose(uncertainty(tied, "committee"), [0.0], atol=1e-15)


def test_committee_kl_equals_scipy_mean_kl_from_consensus() -> None:
    consensus = np.mean(COMMITTEE, axis=0)
    expected = [np.mean([stats.entropy(member[i], consensus[i]) for member in COMMITTEE]) for i in range(3)]
    np.testing.assert_allclose(uncertainty(COMMITTEE, "committee_kl"), expected, rtol=1e-12, atol=1e-15)
    # members that agree exactly diverge by 0
    np.testing.assert_allclose(uncertainty([PROBA, PROBA], "committee_kl"), np.zeros(4), atol=1e-15)


def test_committee_accepts_a_3d_array() -> None:
    np.testing.assert_allclose(uncertainty(np.stack(COMMITTEE), "committee_kl"), uncertainty(COMMITTEE, "committee_kl"))


def test_a_registered_strategy_is_usable_by_name() -> None:
    strategy = Strategy("second_choice", lambda p: np.sort(p, axis=1)[:, -2], description="second probability")
    try:
        register_strategy(strategy)
        np.testing.assert_allclose(uncertainty(PROBA, "second_choice"), [0.2, 0.4, 0.0, 0.3])
        with pytest.raises(InvalidInput, match="already registered"):
            register_strategy(strategy)
    finally:
        STRATEGIES.pop("second_choice", None)


@pytest.mark.parametrize(("proba", "strategy", "match"), [
    (PROBA, "entropyy", r"'strategy' parameter of uncertainty must be one of .*; got 'entropyy' instead"),
    (np.array([0.3, 0.7]), "entropy", r"2-D.*shape \(2,\)"),
    (np.array([[1.0], [1.0]]), "margin", r"at least 2.*shape \(2, 1\)"),
    (np.array([[0.5, 0.6]]), "entropy", r"sum to 1.*row 0 sums to 1\.1"),
    (np.array([[1.5, -0.5]]), "entropy", r"non-negative.*\[1\.5, -0\.5\]"),
    (np.array([[np.nan, 1.0]]), "entropy", r"finite.*row 0"),
    (np.array([["a", "b"]]), "entropy", "numeric"),
    (PROBA, "committee", "list of predict_proba matrices"),
    ([PROBA], "committee", "at least 2 committee members"),
    ([PROBA, PROBA[:2]], "committee_kl", r"one shape.*\(2, 3\).*\(4, 3\)"),
])
def test_uncertainty_refuses_bad_input(proba, strategy, match) -> None:
    with pytest.raises(InvalidInput, match=match):
        uncertainty(proba, strategy)


def test_unknown_strategy_lists_the_known_ones() -> None:
    with pytest.raises(InvalidInput) as info:
        uncertainty(PROBA, "entropyy")
    for name in ("'least_confidence'", "'margin'", "'entropy'", "'committee'", "'committee_kl'", "'entropyy'"):
        assert name in info.value.message


# ---------------------------------------------------------------- ranking


def test_rank_takes_top_scores_ties_in_item_order() -> None:
    queue = rank(["a", "b", "c", "d", "e"], np.array([0.5, 0.9, 0.5, 0.9, 0.1]), batch=3)
    assert isinstance(queue, ActiveQueue)
    assert [q.item for q in queue.items] == ["b", "d", "a"]
    assert [q.rank for q in queue.items] == [1, 2, 3]
    assert [q.score for q in queue.items] == [0.9, 0.9, 0.5]
    assert (queue.batch, queue.diversity, queue.pool_size, queue.strategy) == (3, 0.0, 3, None)


def test_rank_is_deterministic() -> None:
    rng = np.random.default_rng(0)
    ids = [f"item-{i}" for i in range(300)]
    scores = rng.integers(0, 5, size=300) / 4  # many ties
    features = rng.normal(size=(300, 4))
    for diversity in (0.0, 0.4, 1.0):
        first = rank(ids, scores, batch=25, features=features, diversity=diversity)
        again = rank(list(ids), scores.copy(), batch=25, features=features.copy(), diversity=diversity)
        assert first.model_dump() == again.model_dump()
        assert len({q.item for q in first.items}) == 25


def test_rank_queues_everything_when_fewer_items_than_batch() -> None:
    queue = rank([1, 2], [0.1, 0.2], batch=5)
    assert [q.item for q in queue.items] == ["2", "1"] and queue.batch == 5 and queue.pool_size == 2


def _two_clusters() -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(1)
    first = rng.normal(0.0, 0.01, size=(5, 2))
    second = rng.normal(10.0, 0.01, size=(5, 2))
    return [f"a{i}" for i in range(5)] + [f"b{i}" for i in range(5)], np.vstack([first, second])


def test_diversity_spreads_picks_over_clusters() -> None:
    ids, features = _two_clusters()
    scores = np.full(10, 0.5)  # equally uncertain
    plain = rank(ids, scores, batch=2, features=features, diversity=0.0)
    assert [q.item for q in plain.items] == ["a0", "a1"]  # first cluster, in item order
    spread = rank(ids, scores, batch=2, features=features, diversity=1.0)
    assert spread.items[0].item == "a0" and spread.items[1].item.startswith("b")
    assert spread.pool_size == 10  # min(10 items, ceil(2 / (1 - 0.9)) = 20)
    four = rank(ids, scores, batch=4, features=pd.DataFrame(features), diversity=0.5)
    assert {q.item[0] for q in four.items} == {"a", "b"}


def test_diversity_trades_score_against_distance() -> None:
    # cluster a is a little more uncertain than cluster b
    ids, features = _two_clusters()
    scores = np.array([0.9] * 5 + [0.8] * 5)
    # diversity 0.8: pool = ceil(2 / (1 - 0.72)) = 8 -> a0..a4, b0..b2. After a0, a1 is worth about
    # 0.2 * 1 + 0.8 * 0.001 and b0 0.2 * 0 + 0.8 * 1: b wins
    queue = rank(ids, scores, batch=2, features=features, diversity=0.8)
    assert queue.pool_size == 8
    assert [q.item for q in queue.items] == ["a0", "b0"]
    # diversity 0.1: pool = ceil(2 / 0.91) = 3 -> a0, a1, a2 only: the pool keeps the top scores
    near = rank(ids, scores, batch=2, features=features, diversity=0.1)
    assert near.pool_size == 3 and all(q.item.startswith("a") for q in near.items)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"batch": 0}, r"'batch' parameter of rank must be an int >= 1; got 0"),
    ({"batch": 2.5}, r"'batch'.*got 2\.5"),
    ({"batch": 2, "diversity": 0.5}, r"'features' parameter of rank must be given when diversity > 0"),
    ({"batch": 2, "diversity": 1.5}, r"'diversity'.*between 0 and 1.*got 1\.5 instead"),
    ({"batch": 2, "diversity": 0.5, "features": np.zeros((2, 2))}, r"one row per item \(3\); got shape \(2, 2\)"),
    ({"batch": 2, "diversity": 0.5, "features": np.array([[np.nan], [1], [2]])}, "NaN"),
])
def test_rank_refuses_bad_input(kwargs, match) -> None:
    with pytest.raises(InvalidInput, match=match):
        rank(["a", "b", "c"], np.array([0.1, 0.2, 0.3]), **kwargs)


def test_rank_refuses_mismatched_lengths_and_duplicates() -> None:
    with pytest.raises(InvalidInput, match=r"one score per item \(3 item ids\); got shape \(2,\)"):
        rank(["a", "b", "c"], [0.1, 0.2], batch=1)
    with pytest.raises(InvalidInput, match=r"unique ids; got 'a' more than once"):
        rank(["a", "b", "a"], [0.1, 0.2, 0.3], batch=1)
    with pytest.raises(InvalidInput, match=r"finite; got nan for item 'b'"):
        rank(["a", "b"], [0.1, np.nan], batch=1)


# ---------------------------------------------------------------- from a fitted model


@pytest.fixture(scope="module")
def iris() -> tuple[pd.DataFrame, np.ndarray]:
    data = load_iris(as_frame=True)
    return data.data, data.target.to_numpy()


def test_queue_from_model_equals_uncertainty_then_rank(iris) -> None:
    X, y = iris
    model = LogisticRegression(max_iter=1000).fit(X.iloc[::5], y[::5])
    ids = [f"flower-{i}" for i in range(len(X))]
    queue = queue_from_model(model, X, ids, strategy="margin", batch=7)
    expected = rank(ids, uncertainty(model.predict_proba(X), "margin"), batch=7, strategy="margin")
    assert queue.model_dump() == expected.model_dump() and queue.strategy == "margin"
    spread = queue_from_model(model, X, ids, strategy="entropy", batch=7, diversity=0.5)
    assert spread.model_dump() == rank(ids, uncertainty(model.predict_proba(X), "entropy"), batch=7,
                                       features=X.to_numpy(), diversity=0.5, strategy="entropy").model_dump()


def test_queue_from_model_committee_aligns_classes(iris) -> None:
    X, y = iris
    full = LogisticRegression(max_iter=1000).fit(X, y)
    partial = LogisticRegression(max_iter=1000).fit(X[y != 2], y[y != 2])  # never saw class 2
    ids = list(range(len(X)))
    queue = queue_from_model(full, X, ids, strategy="committee_kl", batch=5, committee=[partial])
    aligned = np.column_stack([partial.predict_proba(X), np.zeros(len(X))])
    expected = uncertainty([full.predict_proba(X), aligned], "committee_kl")
    assert [q.item for q in queue.items] == [str(i) for i in np.argsort(-expected, kind="stable")[:5]]
    # two members: vote entropy is ln 2 where they predict different classes, 0 where they agree
    votes = queue_from_model(full, X, ids, strategy="committee", batch=5, committee=[partial])
    disagree = full.predict(X) != partial.predict(X)
    assert disagree.sum() >= 5
    assert [q.item for q in votes.items] == [str(i) for i in np.flatnonzero(disagree)[:5]]
    np.testing.assert_allclose([q.score for q in votes.items], math.log(2))


def test_queue_from_model_refuses_bad_input(iris) -> None:
    X, y = iris
    model = LogisticRegression(max_iter=1000).fit(X, y)
    ids = list(range(len(X)))
    with pytest.raises(InvalidInput, match="at least one more fitted classifier"):
        queue_from_model(model, X, ids, strategy="committee", batch=3)
    with pytest.raises(InvalidInput, match="only used by the committee strategies"):
        queue_from_model(model, X, ids, strategy="entropy", batch=3, committee=[model])
    with pytest.raises(InvalidInput, match=r"one id per row of X \(150 rows\); got 3 ids"):
        queue_from_model(model, X, ids[:3], strategy="entropy", batch=3)
    with pytest.raises(InvalidInput, match="fit it first"):
        queue_from_model(LogisticRegression(), X, ids, strategy="entropy", batch=3)
    with pytest.raises(InvalidInput, match="needs numeric columns in X"):
        queue_from_model(_TextModel(), pd.DataFrame({"text": ["x"] * 150}), ids, strategy="entropy", batch=3,
                         diversity=0.5)


class _TextModel:
    """A fitted stand-in that ignores its (text) input: every row is a coin flip."""

    classes_ = np.array([0, 1])

    def predict_proba(self, X):
        return np.full((len(X), 2), 0.5)
