"""Consensus labels and conflicts, checked against hand-counted votes."""

from __future__ import annotations

import pytest

from mlsteward.errors import InvalidInput
from mlsteward.labeling import Annotation, conflicts, consensus

LABELS = ["pos", "neg", "neu"]


def _ann(rows: list[tuple[str, str, str]]) -> list[Annotation]:
    return [Annotation(item=item, annotator=who, label=label) for item, who, label in rows]


ROWS = [
    ("i1", "A", "pos"), ("i1", "B", "pos"), ("i1", "C", "pos"),   # unanimous
    ("i2", "A", "pos"), ("i2", "B", "neg"), ("i2", "C", "pos"),   # 2 of 3
    ("i4", "A", "neu"), ("i4", "B", "neg"),                       # 1 - 1 tie
    ("i5", "A", "pos"),                                           # single
]


def test_consensus_hand_counted() -> None:
    items = {entry.item: entry for entry in consensus(_ann(ROWS), LABELS)}
    assert list(items) == ["i1", "i2", "i4", "i5"]
    i1, i2, i4, i5 = items["i1"], items["i2"], items["i4"], items["i5"]
    assert (i1.label, i1.status, i1.agreement, i1.votes) == ("pos", "agreed", 1.0, {"pos": 3})
    assert (i2.label, i2.status, i2.votes) == ("pos", "majority", {"pos": 2, "neg": 1})
    assert i2.agreement == pytest.approx(2 / 3)
    assert i2.annotators == ["A", "B", "C"]
    assert (i4.label, i4.status, i4.agreement, i4.votes) == (None, "tie", 0.5, {"neg": 1, "neu": 1})
    assert (i5.label, i5.status, i5.agreement, i5.annotators) == ("pos", "single", 1.0, ["A"])


def test_adjudication_resolves_a_tie_and_overrides_a_vote() -> None:
    items = {e.item: e for e in consensus(_ann(ROWS), LABELS, adjudicated={"i4": "neu", "i2": "neg"})}
    assert (items["i4"].label, items["i4"].status, items["i4"].agreement) == ("neu", "adjudicated", 0.5)
    assert (items["i2"].label, items["i2"].status) == ("neg", "adjudicated")
    assert items["i2"].agreement == pytest.approx(1 / 3)


def test_adjudicated_item_without_annotations_is_listed() -> None:
    items = {e.item: e for e in consensus(_ann(ROWS), LABELS, adjudicated={"i0": "neg"})}
    assert list(items) == ["i0", "i1", "i2", "i4", "i5"]
    assert (items["i0"].label, items["i0"].status, items["i0"].votes, items["i0"].agreement) == (
        "neg", "adjudicated", {}, None)
    assert "i0" not in [e.item for e in conflicts(list(items.values()))]


def test_conflicts_ties_first_then_lowest_agreement() -> None:
    rows = ROWS + [
        ("i6", "A", "pos"), ("i6", "B", "pos"), ("i6", "C", "neg"), ("i6", "D", "neu"), ("i6", "E", "neu"),
        # i6: pos 2, neu 2, neg 1 of 5 -> tie with top share 0.4
        ("i7", "A", "pos"), ("i7", "B", "pos"), ("i7", "C", "neg"), ("i7", "D", "neu"), ("i7", "E", "neu"),
        ("i7", "F", "pos"),
        # i7: pos 3 of 6 -> majority 0.5
        ("i8", "A", "pos"), ("i8", "B", "neg"), ("i8", "C", "neu"), ("i8", "D", "pos"),
        # i8: pos 2 of 4 -> majority 0.5
        ("i9", "A", "pos"), ("i9", "B", "pos"), ("i9", "C", "neg"), ("i9", "D", "neu"), ("i9", "E", "neg"),
        ("i9", "F", "neu"), ("i9", "G", "pos"),
        # i9: pos 3 of 7 -> majority 0.43, below the tie i4's 0.5 but listed after every tie
    ]
    ordered = conflicts(consensus(_ann(rows), LABELS))
    assert [(e.item, e.status) for e in ordered] == [
        ("i6", "tie"), ("i4", "tie"), ("i9", "majority"), ("i7", "majority"), ("i8", "majority"), ("i2", "majority"),
    ]
    assert [e.agreement for e in ordered] == pytest.approx([0.4, 0.5, 3 / 7, 0.5, 0.5, 2 / 3])


def test_conflicts_keep_adjudicated_disagreements_and_drop_unanimous() -> None:
    items = consensus(_ann(ROWS), LABELS, adjudicated={"i4": "neg", "i1": "pos"})
    assert [(e.item, e.status) for e in conflicts(items)] == [("i4", "adjudicated"), ("i2", "majority")]


def test_consensus_bad_input() -> None:
    with pytest.raises(InvalidInput, match=r"Adjudicated label 'maybe' for item 'i4' is not one of the allowed labels"):
        consensus(_ann(ROWS), LABELS, adjudicated={"i4": "maybe"})
    with pytest.raises(InvalidInput, match=r"Item 'i1': annotator 'A' gave label 'POS'"):
        consensus(_ann([("i1", "A", "POS")]), LABELS)
    with pytest.raises(InvalidInput, match=r"Annotator 'A' labeled item 'i1' twice"):
        consensus(_ann([("i1", "A", "pos"), ("i1", "A", "pos")]), LABELS)
