"""What to label next: a registered model ranks the unlabeled reviews (entropy, recomputed with scipy), and a
served model's corrected and unsure predictions (a real server's prediction and feedback logs) go to review,
become labels in the next version and count as new labelled data for retraining."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import numpy as np
import pytest
from scipy.stats import entropy
from sklearn.compose import make_column_transformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import mlsteward
from mlsteward.datasets import load_fine_food_reviews
from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.lifecycle.label_queue import queue_for_labeling, review_production, reviewed_labels_since
from mlsteward.lifecycle.label_versions import write_label_version
from mlsteward.lifecycle.labeling import answer, create_label_project, parse_schema
from mlsteward.lifecycle.registry import load_model_version, register_model
from mlsteward.serving.app import create_app
from mlsteward.serving.prediction_log import FeedbackLog, PredictionLog
from mlsteward.store.labeling import NewAnnotation

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "serving"))
from test_serving_app import LiveServer


@pytest.fixture
def reviews_model(label_workspace):  # noqa: ANN001, ANN201
    """A TF-IDF model of the review text, trained on reviews the labeling project does not hold, registered."""
    workspace, spec, ref = label_workspace
    train = load_fine_food_reviews().iloc[1000:1400]
    model = make_pipeline(make_column_transformer((TfidfVectorizer(min_df=2), "review")),
                          LogisticRegression(max_iter=1000))
    mlsteward.set_store(workspace.settings.store_url, workspace.settings.artifacts_url)
    mlsteward.autolog()
    try:
        with mlsteward.start_run(experiment="reviews") as run:
            model.fit(train[["review"]], train["score"])
    finally:
        mlsteward.autolog(disable=True)
        mlsteward.set_store(None, None)
    create_label_project(workspace, spec, name="sentiment", dataset=ref, schema=parse_schema(["great", "other"]),
                         id_column="review_id", text_column="review", gold_column="score", gold_share=0.05)
    return register_model(workspace, spec, run.id, "review-model").version.ref


def test_the_model_ranks_the_unlabeled_items_by_entropy(label_workspace, reviews_model: str) -> None:  # noqa: ANN001
    workspace, spec, ref = label_workspace
    answer(workspace, spec, "sentiment", NewAnnotation(item="5", annotator="ana", label="great"))
    answer(workspace, spec, "sentiment", NewAnnotation(item="5", annotator="ben", label="great"))
    queue = queue_for_labeling(workspace, "sentiment", reviews_model, strategy="entropy", batch=15)

    reviews = load_dataset(workspace, ref)
    pool = reviews[reviews["review_id"] != 5]
    scores = entropy(load_model_version(workspace, reviews_model).predict_proba(pool), axis=1)
    expected = pool["review_id"].astype(str).to_numpy()[np.argsort(-scores, kind="stable")[:15]]
    assert [q.item for q in queue.items] == list(expected)
    assert [q.score for q in queue.items] == pytest.approx(np.sort(scores)[::-1][:15])
    assert workspace.store.labeling.next_item("sentiment", "ana").key == expected[0]
    with pytest.raises(InvalidInput, match="strateg"):
        queue_for_labeling(workspace, "sentiment", reviews_model, strategy="vibes")


def test_corrected_and_unsure_predictions_are_reviewed_into_the_next_version(label_workspace,  # noqa: ANN001
                                                                            reviews_model: str) -> None:
    workspace, spec, _ = label_workspace
    served = load_fine_food_reviews().iloc[2000:2040]
    app = create_app(workspace, require_token=False, sink=PredictionLog(workspace, max_seconds=3600),
                     feedback_sink=FeedbackLog(workspace, max_seconds=3600), dashboard=False)
    answers = []
    with LiveServer(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        for _, row in served.iterrows():
            reply = client.post("/v1/models/review-model@1/predict",
                                json={"records": [{"review": row["review"], "product": row["product"]}]})
            assert reply.status_code == 200, reply.text
            answers.append(reply.json())
        for body, (_, row) in zip(answers[:20], served.iterrows(), strict=False):  # users say what it really was
            assert client.post("/v1/feedback", json={"request_id": body["request_id"],
                                                     "label": row["score"]}).status_code == 202
    predicted = [a["predictions"][0] for a in answers]
    top = [max(a["probabilities"][0]) for a in answers]
    truth = served["score"].tolist()
    corrected = {a["request_id"] for a, p, t in zip(answers[:20], predicted, truth, strict=False) if p != t}
    unsure = {a["request_id"] for a, q in zip(answers, top, strict=True) if q < 0.75} - corrected
    assert corrected and unsure

    result = review_production(workspace, "sentiment", "review-model", low_confidence=0.75)
    assert (result.corrected, result.low_confidence, result.added) == (len(corrected), len(unsure),
                                                                      len(corrected) + len(unsure))
    items = {i.key: i for i in workspace.store.labeling.items("sentiment") if i.source != "dataset"}
    assert {k for k, i in items.items() if i.source == "feedback"} == corrected
    assert {k for k, i in items.items() if i.source == "monitoring"} == unsure
    first = sorted(corrected)[0]
    assert items[first].payload["inputs"]["review"] in served["review"].tolist()
    assert workspace.store.labeling.next_item("sentiment", "ana").key in corrected  # reviews come first
    assert review_production(workspace, "sentiment", "review-model", low_confidence=0.75).added == 0

    since = workspace.store.models.resolve(reviews_model).created_at_ms
    for key in sorted(unsure)[:2]:
        answer(workspace, spec, "sentiment", NewAnnotation(item=key, annotator="ana", label="other"))
        answer(workspace, spec, "sentiment", NewAnnotation(item=key, annotator="ben", label="other"))
    assert reviewed_labels_since(workspace, since) == 2
    version = write_label_version(workspace, spec, "sentiment", finish=False)
    rows = load_dataset(workspace, version.version.ref)
    reviewed = rows[rows["label_source"] == "monitoring"]
    assert len(reviewed) == 2 and set(reviewed["review"]) <= set(served["review"])
