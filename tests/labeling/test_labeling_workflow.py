"""Labeling projects on the bundled fine-food reviews: create with gold items, import labels (CSV and Label
Studio's export), the audit's numbers against scikit-learn and statsmodels, adjudication, the label version
with its lineage and evidence, and bad input that records nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from mlsteward.errors import Conflict, InvalidInput, NotPermitted
from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.lifecycle.label_import import import_labels
from mlsteward.lifecycle.label_quality import label_quality, measured_cost_per_item
from mlsteward.lifecycle.label_versions import write_label_version
from mlsteward.lifecycle.labeling import (
    answer,
    check_adjudicator,
    create_label_project,
    item_content,
    parse_schema,
)
from mlsteward.store.labeling import NewAnnotation

LABELS = ["great", "other"]


def _project(label_workspace, **options):  # noqa: ANN001, ANN202
    workspace, spec, ref = label_workspace
    guideline = Path("guideline.md").read_text()
    return create_label_project(workspace, spec, name="sentiment", dataset=ref, schema=parse_schema(LABELS),
                                guideline=guideline, id_column="review_id", text_column="review", **options)


def _noisy_labels(truth: pd.Series, flip: float, seed: int) -> list[str]:
    """The true labels with a share flipped, as an annotator who makes mistakes would give them."""
    rng = np.random.default_rng(seed)
    return [("other" if t == "great" else "great") if rng.random() < flip else t for t in truth]


def _csv(folder: Path, frame: pd.DataFrame, annotators: dict[str, float], name: str = "labels.csv") -> Path:
    rows = []
    for n, (who, flip) in enumerate(annotators.items()):
        for item, label in zip(frame["review_id"], _noisy_labels(frame["score"], flip, seed=n), strict=True):
            rows.append({"item": item, "annotator": who, "label": label, "seconds": 12 + n})
    path = folder / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_a_text_project_shows_each_review_and_picks_gold_items(label_workspace) -> None:  # noqa: ANN001
    workspace, _, _ = label_workspace
    project = _project(label_workspace, gold_share=0.1, gold_column="score", seed=3)
    items = workspace.store.labeling.items("sentiment")
    reviews = load_dataset(workspace, project.dataset)
    assert [i.key for i in items] == reviews["review_id"].astype(str).tolist()
    gold = {i.key: i.gold_label for i in items if i.gold_label is not None}
    assert len(gold) == 30  # 10% of 300
    truth = dict(zip(reviews["review_id"].astype(str), reviews["score"], strict=True))
    assert all(truth[key] == label for key, label in gold.items())
    content = item_content(workspace, project, items[0].key)
    assert content.text == reviews["review"].iloc[0]
    assert content.fields == {"product": reviews["product"].iloc[0]}  # the gold answer is never shown
    assert workspace.store.labeling.next_item("sentiment", "ana").key == items[0].key


def test_quality_equals_sklearn_and_statsmodels_on_imported_labels(label_workspace, label_folder: Path) -> None:  # noqa: ANN001
    workspace, spec, _ = label_workspace
    _project(label_workspace, gold_share=0.1, gold_column="score")
    reviews = load_dataset(workspace, "reviews@1").head(120)
    path = _csv(label_folder, reviews, {"ana": 0.1, "ben": 0.25, "cy": 0.15})
    assert import_labels(workspace, "sentiment", path) == 360

    quality = label_quality(workspace, spec, "sentiment")
    given = pd.read_csv(path).astype({"item": str}).pivot(index="item", columns="annotator", values="label")
    for pair in quality.agreement.pairs:
        a, b = given[pair.annotator_a], given[pair.annotator_b]
        assert pair.items == 120
        assert pair.kappa == pytest.approx(cohen_kappa_score(a, b, labels=LABELS))
        assert pair.observed_agreement == pytest.approx((a == b).mean())
    counts, _ = aggregate_raters(given.to_numpy())
    assert quality.agreement.fleiss.kappa == pytest.approx(fleiss_kappa(counts, method="fleiss"))
    gold = {i.key: i.gold_label for i in workspace.store.labeling.items("sentiment") if i.gold_label}
    for row in quality.gold:
        seen = [k for k in given.index if k in gold]
        assert row.gold_items_seen == len(seen)
        assert row.accuracy == pytest.approx(accuracy_score([gold[k] for k in seen], given.loc[seen, row.annotator]))
    assert quality.progress.complete == 120 and quality.progress.untouched == 180
    assert quality.cost.hours_per_item == pytest.approx(np.mean([12, 13, 14]) * 2 / 3600)
    assert quality.cost.cost_per_item == pytest.approx(quality.cost.hours_per_item * 30)
    assert quality.cost.budget == 2000
    assert measured_cost_per_item(workspace, spec) == (quality.cost.cost_per_item, "sentiment")  # for feasibility
    confused = {s.section for s in quality.sections}
    assert {"great", "other", "Edge cases"} <= confused  # the edge-case section names both labels


def test_label_studio_export_imports_choices_annotators_and_cancellations(label_workspace,  # noqa: ANN001
                                                                          label_folder: Path) -> None:
    workspace, _, _ = label_workspace
    _project(label_workspace)
    tasks = [{"id": 1, "data": {"review_id": 1, "review": "..."}, "annotations": [
        {"completed_by": {"id": 7, "email": "ana"}, "lead_time": 9.5,
         "result": [{"type": "choices", "from_name": "sentiment", "to_name": "text", "value": {"choices": ["other"]}}]},
        {"completed_by": 3, "was_cancelled": True, "result": []}]},
        {"id": 2, "data": {"review_id": 2}, "annotations": [
            {"completed_by": {"id": 7, "email": "ana"}, "result": [{"value": {"choices": ["great"]}}]}]}]
    path = label_folder / "export.json"
    path.write_text(json.dumps(tasks))
    assert import_labels(workspace, "sentiment", path) == 3
    records = {(r.item, r.annotator): r for r in workspace.store.labeling.annotations("sentiment")}
    assert records[("1", "ana")].label == "other" and records[("1", "ana")].seconds == 9.5
    assert records[("1", "label-studio-user-3")].outcome == "skip"
    assert records[("2", "ana")].label == "great" and records[("2", "ana")].origin == "label-studio"


@pytest.mark.parametrize(("rows", "message"), [
    ([("1", "ana", "great"), ("2", "ana", "superb")], "'superb', which is not in the label schema"),
    ([("1", "ana", "great"), ("1", "ana", "other")], "ana labels item '1' twice"),
    ([("1", "ana", "great"), ("999999", "ana", "great")], "item id(s) are not in this labeling project: '999999'"),
])
def test_a_bad_import_names_the_problem_and_records_nothing(label_workspace, label_folder: Path, rows,  # noqa: ANN001
                                                            message: str) -> None:
    workspace, _, _ = label_workspace
    _project(label_workspace)
    path = label_folder / "bad.csv"
    pd.DataFrame(rows, columns=["item", "annotator", "label"]).to_csv(path, index=False)
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        import_labels(workspace, "sentiment", path)
    assert workspace.store.labeling.annotations("sentiment") == []


def test_labeling_an_item_twice_and_kappa_with_one_annotator_are_clear_errors(label_workspace) -> None:  # noqa: ANN001
    workspace, spec, _ = label_workspace
    _project(label_workspace)
    answer(workspace, spec, "sentiment", NewAnnotation(item="1", annotator="ana", label="great", seconds=4))
    with pytest.raises(InvalidInput, match="ana has already labeled item '1'"):
        answer(workspace, spec, "sentiment", NewAnnotation(item="1", annotator="ana", label="other"))
    quality = label_quality(workspace, spec, "sentiment")
    assert quality.agreement is None and "at least two annotators" in quality.agreement_note
    with pytest.raises(NotPermitted, match="does not hold the 'annotator' role"):
        answer(workspace, spec, "sentiment", NewAnnotation(item="2", annotator="dana", label="great"))
    with pytest.raises(NotPermitted, match="may not adjudicate"):
        check_adjudicator(spec, "ana")
    check_adjudicator(spec, "dana")


def test_finishing_writes_a_label_version_with_lineage_provenance_and_evidence(label_workspace,  # noqa: ANN001
                                                                              label_folder: Path) -> None:
    workspace, spec, ref = label_workspace
    _project(label_workspace)
    rows = [("1", "ana", "great"), ("1", "ben", "great"), ("2", "ana", "great"), ("2", "ben", "other"),
            ("3", "ana", "other"), ("3", "ben", "other")]
    path = label_folder / "few.csv"
    pd.DataFrame(rows, columns=["item", "annotator", "label"]).to_csv(path, index=False)
    import_labels(workspace, "sentiment", path)
    workspace.store.labeling.add_guideline("sentiment", Path("guideline.md").read_text() + "\n## Sarcasm\nother.\n")
    workspace.store.labeling.adjudicate("sentiment", "2", "other", "the review complains about the lid")

    result = write_label_version(workspace, spec, "sentiment")
    assert result.version.ref == "sentiment@1" and result.rows == 3 and result.left_out == {"unlabeled": 297,
                                                                                          "tie": 0}
    labelled = load_dataset(workspace, result.version.ref).set_index("review_id")
    source = load_dataset(workspace, ref).set_index("review_id")
    assert labelled.loc[[1, 2, 3], "label"].tolist() == ["great", "other", "other"]
    assert labelled.loc[2, "label_status"] == "adjudicated" and labelled.loc[2, "label_agreement"] == 0.5
    assert labelled.loc[1, "label_annotators"] == "ana;ben" and labelled.loc[1, "label_guideline"] == 2
    assert json.loads(labelled.loc[2, "label_votes"]) == {"great": 1, "other": 1}
    assert labelled.loc[[1, 2, 3], "review"].tolist() == source.loc[[1, 2, 3], "review"].tolist()
    lineage = workspace.store.datasets.lineage(result.version.ref)
    assert [e.parent for e in lineage.ancestors] == [ref]
    assert "guideline version 2" in lineage.ancestors[0].transformation
    evidence = workspace.store.evidence.of(result.version.ref)["label_quality"]
    assert evidence.summary["fleiss_kappa"] == pytest.approx(result.quality.agreement.fleiss.kappa)
    assert Path(result.report).is_file() and "Label quality audit" in Path(result.report).read_text()
    assert workspace.store.labeling.get("sentiment").status == "finished"
    with pytest.raises(Conflict, match="is finished"):
        answer(workspace, spec, "sentiment", NewAnnotation(item="9", annotator="ana", label="great"))


def test_a_rating_scale_and_a_folder_of_images(label_workspace, label_folder: Path) -> None:  # noqa: ANN001
    from mlsteward.lifecycle.datasets import add_dataset

    workspace, spec, _ = label_workspace
    assert parse_schema(rating="1-5").labels == ["1", "2", "3", "4", "5"]
    with pytest.raises(InvalidInput, match="--labels A,B"):
        parse_schema(["great", "other"], "1-5")
    images = label_folder / "photos"
    images.mkdir()
    png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
    for n in range(3):
        (images / f"p{n}.png").write_bytes(png + bytes([n]))
    version, _ = add_dataset(workspace, images, name="photos")
    project = create_label_project(workspace, spec, name="photo-quality", dataset=version.ref,
                                   schema=parse_schema(rating="1-5"), annotators_per_item=1)
    assert project.kind == "files" and [i.key for i in workspace.store.labeling.items("photo-quality")] == [
        "p0.png", "p1.png", "p2.png"]
    content = item_content(workspace, project, "p1.png")
    assert content.media_type == "image/png" and workspace.artifacts.get_bytes(content.digest) == png + b"\x01"


def test_the_label_audit_is_a_deliverable_of_the_data_stage(label_workspace, label_folder: Path) -> None:  # noqa: ANN001
    from mlsteward.lifecycle.deliverables import deliverables

    def label_audit():  # noqa: ANN202
        return next(d for d in deliverables(workspace, spec).deliverables if d.key == "label_audit")

    workspace, spec, _ = label_workspace
    assert label_audit().status == "missing"
    _project(label_workspace)
    audit = label_audit()
    assert audit.status == "missing" and "steward label finish sentiment" in audit.note
    pd.DataFrame([("1", "ana", "great"), ("1", "ben", "great")], columns=["item", "annotator", "label"]).to_csv(
        label_folder / "one.csv", index=False)
    import_labels(workspace, "sentiment", label_folder / "one.csv")
    result = write_label_version(workspace, spec, "sentiment", finish=False, dataset_name="reviews-labels")
    audit = label_audit()
    assert audit.status == "present" and audit.evidence[0].ref == f"{result.version.ref}:label_quality"
    assert audit.evidence[0].digest == workspace.store.evidence.of(result.version.ref)["label_quality"].digest
