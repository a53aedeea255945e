"""Label confusion between annotator pairs, hand-counted and against scikit-learn's confusion_matrix."""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix

from mlsteward.errors import InvalidInput
from mlsteward.labeling import Annotation, implicated_sections, label_confusion

LABELS = ["pos", "neg", "neu"]
ROWS = [
    ("i1", "A", "pos"), ("i1", "B", "pos"), ("i1", "C", "pos"),
    ("i2", "A", "pos"), ("i2", "B", "neg"), ("i2", "C", "pos"),
    ("i3", "A", "neg"), ("i3", "B", "neg"), ("i3", "C", "neg"),
    ("i4", "A", "neu"), ("i4", "B", "neg"),
    ("i5", "A", "pos"),
]
ANNS = [Annotation(item=i, annotator=a, label=x) for i, a, x in ROWS]


def test_label_confusion_hand_counted() -> None:
    # Annotator pairs: i1 3x pos-pos; i2 A-B pos-neg, A-C pos-pos, B-C neg-pos; i3 3x neg-neg; i4 neu-neg.
    # pos-pos 4, neg-neg 3, pos-neg 2, neg-neu 1; 4 items with >= 2 annotators, 10 pairs, 3 disagreements.
    result = label_confusion(ANNS, LABELS)
    assert result.matrix == [[4, 2, 0], [2, 3, 1], [0, 1, 0]]
    assert (result.items, result.pairs, result.disagreements) == (4, 10, 3)
    assert [(p.label_a, p.label_b, p.count) for p in result.top_pairs] == [("pos", "neg", 2), ("neg", "neu", 1)]
    assert [p.share for p in result.top_pairs] == pytest.approx([2 / 3, 1 / 3])


def test_off_diagonal_equals_sklearn_summed_over_ordered_pairs() -> None:
    given = {(i, a): x for i, a, x in ROWS}
    total = np.zeros((3, 3), dtype=int)
    for a, b in permutations("ABC", 2):
        shared = sorted({i for i, w in given if w == a} & {i for i, w in given if w == b})
        total += confusion_matrix([given[i, a] for i in shared], [given[i, b] for i in shared], labels=LABELS)
    ours = np.array(label_confusion(ANNS, LABELS).matrix)
    off = ~np.eye(3, dtype=bool)
    assert (ours[off] == total[off]).all()
    assert (2 * np.diag(ours) == np.diag(total)).all()


def test_implicated_sections() -> None:
    confusion = label_confusion(ANNS, LABELS)
    sections = {"Intro": [], "Neutral tone": ["neu"], "Sarcasm and irony": ["pos", "neg"]}
    result = implicated_sections(confusion, sections)
    # Sarcasm covers pos-neg (2, both labels) and neg-neu (1, one label): 3 disagreements, 2 covered fully.
    # Neutral tone covers neg-neu (1). Intro covers nothing and is left out.
    assert [(s.section, s.disagreements, s.covers_both) for s in result] == [
        ("Sarcasm and irony", 3, 2), ("Neutral tone", 1, 0)]
    assert [(p.label_a, p.label_b) for p in result[0].pairs] == [("pos", "neg"), ("neg", "neu")]


def test_confusion_bad_input() -> None:
    with pytest.raises(InvalidInput, match=r"Section 'Tone' covers \['neutral'\], which are not among the labels"):
        implicated_sections(label_confusion(ANNS, LABELS), {"Tone": ["neutral"]})
    with pytest.raises(InvalidInput, match=r"annotator 'A' gave label 'neu'.*allowed labels \['pos', 'neg'\]"):
        label_confusion(ANNS, ["pos", "neg"])
