"""Champion against challenger on the same rows: agreement and each one's metrics, against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.tree import DecisionTreeClassifier

from mlsteward.errors import InvalidInput
from mlsteward.monitor.champion_challenger import compare_models


@pytest.fixture(scope="module")
def scored() -> dict:
    X, y = load_breast_cancer(return_X_y=True)  # noqa: N806
    champion = LogisticRegression(max_iter=5000).fit(X[:300], y[:300])
    challenger = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X[:300], y[:300])
    rows, truth = X[300:], y[300:]
    labels = truth.astype(object)
    labels[:60] = None  # labels not arrived yet
    return {"truth": truth, "labels": labels, "a": champion.predict(rows), "b": challenger.predict(rows),
            "pa": champion.predict_proba(rows), "pb": challenger.predict_proba(rows), "classes": champion.classes_}


def test_agreement_and_metrics_on_the_labelled_rows_equal_sklearn(scored: dict) -> None:
    s = scored
    result = compare_models("m@1", "m@2", s["a"], s["b"], s["labels"], champion_prob=s["pa"], challenger_prob=s["pb"],
                            classes=s["classes"], bootstrap=0)
    assert result.rows == len(s["a"]) and result.labelled_rows == len(s["a"]) - 60
    assert result.agreement == pytest.approx(np.mean(s["a"] == s["b"]))
    truth, a, b = s["truth"][60:], s["a"][60:], s["b"][60:]
    assert result.champion_metrics.values["accuracy"].value == pytest.approx(accuracy_score(truth, a))
    assert result.challenger_metrics.values["accuracy"].value == pytest.approx(accuracy_score(truth, b))
    assert result.challenger_metrics.values["roc_auc"].value == pytest.approx(roc_auc_score(truth, s["pb"][60:, 1]))
    expected = roc_auc_score(truth, s["pb"][60:, 1]) - roc_auc_score(truth, s["pa"][60:, 1])
    assert result.differences["roc_auc"] == pytest.approx(expected)


def test_logged_values_as_text_or_objects_are_read_as_their_type(scored: dict) -> None:
    s = scored
    as_objects = compare_models("a", "b", s["a"].astype(object), s["b"].astype(object), list(s["labels"]),
                                bootstrap=0)
    assert as_objects.champion_metrics.values["accuracy"].value == pytest.approx(
        accuracy_score(s["truth"][60:], s["a"][60:]))


def test_too_few_labels_give_agreement_only(scored: dict) -> None:
    s = scored
    labels = np.array([None] * len(s["a"]), dtype=object)
    labels[:5] = s["truth"][:5]
    result = compare_models("a", "b", s["a"], s["b"], labels, min_labelled=30)
    assert result.champion_metrics is None and result.differences == {} and "fewer than 30" in result.notes[0]


def test_mismatched_rows_are_refused() -> None:
    with pytest.raises(InvalidInput, match="same rows"):
        compare_models("a", "b", [1, 0], [1], [1, 0])
    with pytest.raises(InvalidInput, match="no logged rows"):
        compare_models("a", "b", [], [], [])
