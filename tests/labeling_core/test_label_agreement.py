"""Cohen's and Fleiss' kappa against scikit-learn, statsmodels and hand-worked examples."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from mlsteward.errors import InvalidInput
from mlsteward.labeling import Annotation, agreement, cohen_kappa, fleiss_kappa, fleiss_kappa_per_category

LABELS = ["pos", "neg", "neu"]

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories.
FLEISS_1971 = np.array([
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
])


def _ann(rows: list[tuple[str, str, str]]) -> list[Annotation]:
    return [Annotation(item=item, annotator=who, label=label) for item, who, label in rows]


# Items 1-3 labeled by A, B, C; item 4 by A and B; item 5 by A alone.
ROWS = [
    ("i1", "A", "pos"), ("i1", "B", "pos"), ("i1", "C", "pos"),
    ("i2", "A", "pos"), ("i2", "B", "neg"), ("i2", "C", "pos"),
    ("i3", "A", "neg"), ("i3", "B", "neg"), ("i3", "C", "neg"),
    ("i4", "A", "neu"), ("i4", "B", "neg"),
    ("i5", "A", "pos"),
]


def test_cohen_kappa_wikipedia_worked_example() -> None:
    # Wikipedia "Cohen's kappa": 50 proposals; both yes 20, A yes/B no 5, A no/B yes 10, both no 15.
    # p_o = 35/50 = 0.7; A says yes 25/50 = 0.5, B 30/50 = 0.6; p_e = 0.5*0.6 + 0.5*0.4 = 0.5;
    # kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4.
    a = ["yes"] * 20 + ["yes"] * 5 + ["no"] * 10 + ["no"] * 15
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b, ["yes", "no"]) == pytest.approx(0.4)
    assert cohen_kappa(a, b, ["yes", "no"]) == pytest.approx(cohen_kappa_score(a, b, labels=["yes", "no"]))


def test_cohen_kappa_equals_sklearn_with_unused_label() -> None:
    a = ["pos", "neg", "neg", "pos", "neg", "pos"]
    b = ["pos", "neg", "pos", "pos", "neg", "neg"]
    assert cohen_kappa(a, b, LABELS) == pytest.approx(cohen_kappa_score(a, b, labels=LABELS))


def test_cohen_kappa_undefined_when_both_constant_on_same_label() -> None:
    assert np.isnan(cohen_kappa(["pos"] * 4, ["pos"] * 4, LABELS))


def test_cohen_kappa_zero_when_one_rater_constant() -> None:
    # p_o = p_B(pos) = 0.5, p_e = 1 * 0.5 = 0.5, kappa = 0.
    a, b = ["pos"] * 4, ["pos", "neg", "pos", "neg"]
    assert cohen_kappa(a, b, LABELS) == pytest.approx(0.0)
    assert cohen_kappa(a, b, LABELS) == pytest.approx(cohen_kappa_score(a, b, labels=LABELS))


def test_cohen_kappa_bad_input() -> None:
    with pytest.raises(InvalidInput, match=r"got 2 and 3 labels"):
        cohen_kappa(["pos", "neg"], ["pos", "neg", "neg"], LABELS)
    with pytest.raises(InvalidInput, match=r"'b' parameter of cohen_kappa holds 'maybe'.*\['pos', 'neg', 'neu'\]"):
        cohen_kappa(["pos", "neg"], ["pos", "maybe"], LABELS)
    with pytest.raises(InvalidInput, match=r"names \['pos'\] more than once"):
        cohen_kappa(["pos"], ["pos"], ["pos", "pos"])


def test_fleiss_kappa_wikipedia_worked_example() -> None:
    # p_j = 0.143, 0.200, 0.279, 0.171, 0.229; P-bar = 0.380, P_e = 0.213; kappa = (0.380 - 0.213) / 0.787 = 0.210.
    assert fleiss_kappa(FLEISS_1971) == pytest.approx(0.210, abs=5e-4)
    assert fleiss_kappa(FLEISS_1971) == pytest.approx(sm_fleiss_kappa(FLEISS_1971, method="fleiss"))


def test_fleiss_kappa_per_category_equals_collapsed_statsmodels() -> None:
    per = fleiss_kappa_per_category(FLEISS_1971)
    for j in range(FLEISS_1971.shape[1]):
        collapsed = np.column_stack([FLEISS_1971[:, j], 14 - FLEISS_1971[:, j]])
        assert per[j] == pytest.approx(sm_fleiss_kappa(collapsed, method="fleiss"))


def test_fleiss_kappa_per_category_small_hand_example() -> None:
    # Rows [2,0], [1,1], [0,2]: N = 3, m = 2, p = 0.5 each. sum n(m-n) over column 0 = 0 + 1 + 0 = 1;
    # kappa_0 = 1 - 1 / (3 * 2 * 1 * 0.25) = 1/3. Overall: P_i = 1, 0, 1 -> P-bar = 2/3, P_e = 0.5 -> 1/3.
    table = np.array([[2, 0], [1, 1], [0, 2]])
    assert fleiss_kappa_per_category(table) == pytest.approx([1 / 3, 1 / 3])
    assert fleiss_kappa(table) == pytest.approx(1 / 3)


def test_fleiss_kappa_undefined_cases_are_nan() -> None:
    table = np.array([[3, 0], [3, 0]])
    assert np.isnan(fleiss_kappa(table))
    assert np.isnan(fleiss_kappa_per_category(table)).all()
    assert np.isnan(fleiss_kappa_per_category(np.array([[2, 1, 0], [1, 2, 0]]))[2])


def test_fleiss_kappa_bad_tables() -> None:
    with pytest.raises(InvalidInput, match=r"most rows have 3 but row 1 has 2, row 3 has 4"):
        fleiss_kappa(np.array([[3, 0], [1, 1], [2, 1], [4, 0]]))
    with pytest.raises(InvalidInput, match=r"whole counts >= 0; row 1 is \[-1.0, 4.0\]"):
        fleiss_kappa(np.array([[3, 0], [-1, 4]]))
    with pytest.raises(InvalidInput, match=r"at least two ratings per item; every row of the table has 1"):
        fleiss_kappa(np.array([[1, 0], [0, 1]]))
    with pytest.raises(InvalidInput, match=r"got shape \(3,\)"):
        fleiss_kappa_per_category(np.array([1, 2, 3]))


def test_agreement_hand_worked() -> None:
    result = agreement(_ann(ROWS), LABELS)
    assert result.items == 5
    assert result.annotators == ["A", "B", "C"]
    assert result.labels == LABELS
    pairs = {(p.annotator_a, p.annotator_b): p for p in result.pairs}
    # A-B on i1..i4: A = pos pos neg neu, B = pos neg neg neg. p_o = 2/4. A: pos .5 neg .25 neu .25;
    # B: pos .25 neg .75. p_e = .125 + .1875 = .3125; kappa = .1875 / .6875 = 3/11.
    ab = pairs[("A", "B")]
    assert (ab.items, ab.observed_agreement) == (4, 0.5)
    assert ab.kappa == pytest.approx(3 / 11)
    # A-C on i1..i3 agree everywhere: kappa 1; 'neu' never chosen -> per-label kappa undefined.
    ac = pairs[("A", "C")]
    assert (ac.items, ac.observed_agreement, ac.kappa) == (3, 1.0, pytest.approx(1.0))
    assert ac.kappa_per_label == {"pos": pytest.approx(1.0), "neg": pytest.approx(1.0), "neu": None}
    # B-C on i1..i3: B = pos neg neg, C = pos pos neg. p_o = 2/3; p_e = 1/3*2/3 + 2/3*1/3 = 4/9;
    # kappa = (2/9) / (5/9) = 0.4. Binary problem, so pos-vs-rest has the same kappa.
    bc = pairs[("B", "C")]
    assert bc.kappa == pytest.approx(0.4)
    assert bc.kappa_per_label["pos"] == pytest.approx(0.4)
    given = {(item, who): label for item, who, label in ROWS}
    for pair in result.pairs:
        shared = sorted({i for i, w in given if w == pair.annotator_a} & {i for i, w in given if w == pair.annotator_b})
        a = [given[i, pair.annotator_a] for i in shared]
        b = [given[i, pair.annotator_b] for i in shared]
        assert pair.kappa == pytest.approx(cohen_kappa_score(a, b, labels=LABELS))
        for label in ("pos", "neg"):
            expected = cohen_kappa_score([x == label for x in a], [x == label for x in b])
            assert pair.kappa_per_label[label] == pytest.approx(expected)
    # Fleiss over i1..i3 (3 raters; i4 and i5 left out): rows [3,0,0], [2,1,0], [0,3,0].
    # P_i = 1, 1/3, 1 -> P-bar = 7/9; p = 5/9, 4/9, 0 -> P_e = 41/81; kappa = (63 - 41) / (81 - 41) = 0.55.
    fleiss = result.fleiss
    assert fleiss is not None
    assert (fleiss.raters, fleiss.items_used, fleiss.items_left_out) == (3, 3, 2)
    assert fleiss.kappa == pytest.approx(0.55)
    assert fleiss.kappa == pytest.approx(sm_fleiss_kappa(np.array([[3, 0, 0], [2, 1, 0], [0, 3, 0]]), method="fleiss"))
    assert fleiss.kappa_per_label == {"pos": pytest.approx(0.55), "neg": pytest.approx(0.55), "neu": None}
    assert any("'neu'" in note and "'A' and 'C'" in note for note in result.notes)
    dumped = json.loads(result.model_dump_json())
    assert dumped["fleiss"]["kappa_per_label"]["neu"] is None


def test_agreement_undefined_kappa_is_none_with_note() -> None:
    result = agreement(_ann([("i1", "A", "pos"), ("i1", "B", "pos"), ("i2", "A", "pos"), ("i2", "B", "pos")]),
                       LABELS)
    assert result.pairs[0].kappa is None
    assert result.fleiss is not None and result.fleiss.kappa is None
    assert any("both gave every item the label 'pos'" in note for note in result.notes)
    assert json.loads(result.model_dump_json())["pairs"][0]["kappa"] is None


def test_agreement_fleiss_none_with_fewer_than_two_items() -> None:
    result = agreement(_ann([("i1", "A", "pos"), ("i1", "B", "neg"), ("i2", "C", "pos")]), LABELS)
    assert result.fleiss is None
    assert [(p.annotator_a, p.annotator_b) for p in result.pairs] == [("A", "B")]
    assert any("share no item: 'A' and 'C', 'B' and 'C'" in note for note in result.notes)
    assert any("only 1 item is labeled by 2" in note for note in result.notes)


def test_agreement_fleiss_uses_most_common_rater_count() -> None:
    rows = [("i1", "A", "pos"), ("i1", "B", "pos"),
            ("i2", "A", "neg"), ("i2", "B", "pos"),
            ("i3", "A", "neg"), ("i3", "B", "neg"), ("i3", "C", "neg")]
    fleiss = agreement(_ann(rows), LABELS).fleiss
    assert fleiss is not None
    assert (fleiss.raters, fleiss.items_used, fleiss.items_left_out) == (2, 2, 1)
    assert fleiss.kappa == pytest.approx(sm_fleiss_kappa(np.array([[2, 0, 0], [1, 1, 0]]), method="fleiss"))


def test_agreement_bad_input() -> None:
    with pytest.raises(InvalidInput, match=r"kappa needs at least two annotators; got only 'ann1'"):
        agreement(_ann([("i1", "ann1", "pos"), ("i2", "ann1", "neg")]), LABELS)
    with pytest.raises(InvalidInput, match=r"kappa needs at least two annotators; got no annotations"):
        agreement([], LABELS)
    with pytest.raises(InvalidInput, match=r"Item 'i2': annotator 'B' gave label 'maybe', which is not one of the "
                       r"allowed labels \['pos', 'neg', 'neu'\]"):
        agreement(_ann([("i1", "A", "pos"), ("i2", "B", "maybe")]), LABELS)
    with pytest.raises(InvalidInput, match=r"Annotator 'A' labeled item 'i1' twice \('pos' and 'neg'\)"):
        agreement(_ann([("i1", "A", "pos"), ("i1", "B", "pos"), ("i1", "A", "neg")]), LABELS)
    with pytest.raises(InvalidInput, match=r"must name at least one label"):
        agreement(_ann(ROWS), [])
    with pytest.raises(InvalidInput, match=r"Annotation 1 given to agreement is not an Annotation"):
        agreement([Annotation(item="i1", annotator="A", label="pos"), {"item": "i1"}], LABELS)


def test_agreement_accepts_plain_dicts() -> None:
    rows = [{"item": i, "annotator": a, "label": lab} for i, a, lab in ROWS]
    assert agreement(rows, LABELS) == agreement(_ann(ROWS), LABELS)
