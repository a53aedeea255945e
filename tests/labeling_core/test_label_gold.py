"""Gold accuracy per annotator against scikit-learn's accuracy_score."""

from __future__ import annotations

import pytest
from sklearn.metrics import accuracy_score

from mlsteward.errors import InvalidInput
from mlsteward.labeling import Annotation, gold_accuracy

ROWS = [
    ("i1", "A", "pos"), ("i2", "A", "pos"), ("i4", "A", "neu"), ("i5", "A", "neg"),
    ("i1", "B", "pos"), ("i2", "B", "neg"), ("i4", "B", "neg"),
    ("i1", "C", "pos"), ("i2", "C", "pos"),
    ("i5", "D", "pos"),
]
GOLD = {"i1": "pos", "i2": "neg", "i4": "neu"}


def test_gold_accuracy_hand_counted_and_equal_to_sklearn() -> None:
    result = {g.annotator: g for g in gold_accuracy([Annotation(item=i, annotator=a, label=x) for i, a, x in ROWS],
                                                    GOLD)}
    assert list(result) == ["A", "B", "C", "D"]
    # A: i1 right, i2 wrong (pos for neg), i4 right -> 2 of 3; i5 is not gold.
    a = result["A"]
    assert (a.gold_items_seen, a.correct, a.accuracy) == (3, 2, pytest.approx(2 / 3))
    assert [e.model_dump() for e in a.errors] == [{"item": "i2", "expected": "neg", "given": "pos"}]
    assert (result["B"].correct, result["C"].correct) == (2, 1)
    assert [e.item for e in result["B"].errors] == ["i4"]
    # D saw no gold item.
    assert (result["D"].gold_items_seen, result["D"].accuracy, result["D"].errors) == (0, None, [])
    for who in "ABC":
        seen = [(i, x) for i, w, x in ROWS if w == who and i in GOLD]
        expected = accuracy_score([GOLD[i] for i, _ in seen], [x for _, x in seen])
        assert result[who].accuracy == pytest.approx(expected)


def test_gold_accuracy_bad_input() -> None:
    anns = [Annotation(item="i1", annotator="A", label="pos")]
    with pytest.raises(InvalidInput, match=r"'gold' parameter of gold_accuracy must be a non-empty mapping.*got \{\}"):
        gold_accuracy(anns, {})
    with pytest.raises(InvalidInput, match=r"Annotator 'A' labeled item 'i1' twice"):
        gold_accuracy(anns * 2, GOLD)
