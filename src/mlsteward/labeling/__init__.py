"""Labeling: agreement between annotators, consensus labels, gold accuracy, label confusion and cost; active
learning (which items to label next) and its simulation against random selection.

Pure computation: ``Annotation(item, annotator, label)`` records in, typed results out.

    from mlsteward import labeling
    labeling.agreement(annotations, labels=["spam", "ham"])      # Cohen per pair, Fleiss overall and per label
    labeling.consensus(annotations, labels=["spam", "ham"])      # majority label per item, ties flagged
    labeling.gold_accuracy(annotations, gold={"item-7": "spam"})
    labeling.label_confusion(annotations, labels=["spam", "ham"])
    labeling.labeling_cost([31.0, 45.5], items_done=1, items_remaining=500, annotators_per_item=2, hourly_rate=30)
    labeling.rank(ids, labeling.uncertainty(model.predict_proba(X), "entropy"), batch=50)
    labeling.simulate(texts, labels, make_model=make_text_model, strategy="margin", budget=200)
"""

from mlsteward.labeling.active import STRATEGIES, ActiveQueue, QueuedItem, queue_from_model, rank, uncertainty
from mlsteward.labeling.agreement import (
    AgreementResult,
    FleissAgreement,
    PairAgreement,
    agreement,
    cohen_kappa,
    fleiss_kappa,
    fleiss_kappa_per_category,
)
from mlsteward.labeling.confusion import (
    ConfusedPair,
    ImplicatedSection,
    LabelConfusion,
    implicated_sections,
    label_confusion,
)
from mlsteward.labeling.consensus import ItemConsensus, conflicts, consensus
from mlsteward.labeling.cost import LabelingCostEstimate, labeling_cost
from mlsteward.labeling.gold import AnnotatorGold, GoldError, gold_accuracy
from mlsteward.labeling.models import Annotation
from mlsteward.labeling.simulation import CurvePoint, SimulationResult, simulate

__all__ = [
    "STRATEGIES",
    "ActiveQueue",
    "AgreementResult",
    "Annotation",
    "AnnotatorGold",
    "ConfusedPair",
    "CurvePoint",
    "FleissAgreement",
    "GoldError",
    "ImplicatedSection",
    "ItemConsensus",
    "LabelConfusion",
    "LabelingCostEstimate",
    "PairAgreement",
    "QueuedItem",
    "SimulationResult",
    "agreement",
    "cohen_kappa",
    "conflicts",
    "consensus",
    "fleiss_kappa",
    "fleiss_kappa_per_category",
    "gold_accuracy",
    "implicated_sections",
    "label_confusion",
    "labeling_cost",
    "queue_from_model",
    "rank",
    "simulate",
    "uncertainty",
]
