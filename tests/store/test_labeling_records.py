"""Labeling records on SQLite and PostgreSQL: one transaction per write, the annotators' queue order, and the
audit trail."""

from __future__ import annotations

import pytest

from mlsteward.errors import Conflict, InvalidInput, NotFound
from mlsteward.store import Store
from mlsteward.store.labeling import LabelProject, LabelSchema, NewAnnotation, NewItem


def _create(store: Store, keys: list[str], per_item: int = 2) -> LabelProject:
    project = LabelProject(id=0, name="triage", project="demo", dataset="tickets@1", kind="text",
                           settings={"id_column": "id"}, label_schema=LabelSchema(labels=["bug", "question"]),
                           annotators_per_item=per_item, gold_share=0.0, guideline_version=1, status="open",
                           created_by="tester", created_at_ms=1)
    return store.labeling.create(project, "## bug\n## question\n", [NewItem(key=k) for k in keys])


def test_a_project_its_items_and_answers_round_trip(store: Store) -> None:
    _create(store, ["a", "b", "c"])
    with pytest.raises(Conflict, match="exists"):
        _create(store, ["x"])
    store.labeling.record("triage", [NewAnnotation(item="a", annotator="ana", label="bug", seconds=3.5),
                                     NewAnnotation(item="b", annotator="ana", outcome="unclear", note="two asks")],
                          origin="api")
    got = {(r.item, r.annotator): r for r in store.labeling.annotations("triage")}
    assert got[("a", "ana")].label == "bug" and got[("a", "ana")].seconds == 3.5
    assert got[("b", "ana")].outcome == "unclear" and got[("b", "ana")].label is None
    assert store.labeling.guideline("triage").version == 1
    assert store.labeling.add_guideline("triage", "## bug\nA crash.\n").version == 2
    assert store.labeling.get("triage").guideline_version == 2
    actions = [e.action for e in store.audit.list(entity_type="label_project")]
    assert {"labeling.created", "labeling.annotated", "labeling.guideline"} <= set(actions)


def test_the_queue_overlaps_annotators_and_puts_priorities_first(store: Store) -> None:
    _create(store, ["a", "b", "c", "d"])
    assert store.labeling.next_item("triage", "ana").key == "a"
    store.labeling.record("triage", [NewAnnotation(item="a", annotator="ana", label="bug")], origin="api")
    assert store.labeling.next_item("triage", "ana").key == "b"
    assert store.labeling.next_item("triage", "ben").key == "a"  # the second label of the same item
    store.labeling.record("triage", [NewAnnotation(item="a", annotator="ben", label="bug")], origin="api")
    assert store.labeling.next_item("triage", "cy").key == "b"  # "a" has its two labels
    store.labeling.prioritise("triage", {"d": 5.0, "c": 9.0}, strategy="entropy")
    assert store.labeling.next_item("triage", "cy").key == "c"
    assert store.labeling.add_items("triage", [NewItem(key="d"), NewItem(key="r1", source="feedback",
                                                                         payload={"inputs": {"text": "x"}})]) == 1


def test_one_bad_answer_records_none_of_the_batch(store: Store) -> None:
    _create(store, ["a", "b"])
    store.labeling.record("triage", [NewAnnotation(item="a", annotator="ana", label="bug")], origin="api")
    for batch, message in [
        ([NewAnnotation(item="b", annotator="ana", label="bug"), NewAnnotation(item="a", annotator="ana",
                                                                                label="question")],
         "ana has already labeled item 'a'"),
        ([NewAnnotation(item="b", annotator="ben", label="feature")], "'feature', which is not in the label schema"),
        ([NewAnnotation(item="zz", annotator="ben", label="bug")], "not in this labeling project: 'zz'"),
        ([NewAnnotation(item="b", annotator="ben", outcome="skip", label="bug")], "give one or the other"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            store.labeling.record("triage", batch, origin="csv")
    assert len(store.labeling.annotations("triage")) == 1


def test_adjudication_replaces_an_earlier_decision_and_unknowns_are_not_found(store: Store) -> None:
    _create(store, ["a"])
    store.labeling.adjudicate("triage", "a", "bug", "first look")
    store.labeling.adjudicate("triage", "a", "question", "asks how to")
    assert [(d.item, d.label) for d in store.labeling.adjudications("triage")] == [("a", "question")]
    with pytest.raises(InvalidInput, match="not in the label schema"):
        store.labeling.adjudicate("triage", "a", "feature")
    with pytest.raises(NotFound, match="steward label list"):
        store.labeling.get("nope")
