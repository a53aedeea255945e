"""Each annotator's accuracy on gold items: items whose correct label is known in advance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, Field

from mlsteward.errors import InvalidInput
from mlsteward.labeling._checks import check_annotations
from mlsteward.labeling.models import Annotation


class GoldError(BaseModel):
    """A gold item an annotator labeled wrongly."""

    item: str
    expected: str
    given: str


class AnnotatorGold(BaseModel):
    """One annotator's record on the gold items they labeled."""

    annotator: str
    gold_items_seen: int
    correct: int
    accuracy: float | None = Field(description="correct / gold_items_seen; None when no gold item was seen")
    errors: list[GoldError]


def gold_accuracy(annotations: Sequence[Annotation], gold: Mapping[str, str]) -> list[AnnotatorGold]:
    """Accuracy of every annotator on the gold items (item -> correct label), in annotator order; an annotator
    who saw no gold item has accuracy None."""
    if not isinstance(gold, Mapping) or not gold:
        raise InvalidInput(f"The 'gold' parameter of gold_accuracy must be a non-empty mapping of item -> correct "
                           f"label; got {gold!r} instead.")
    records = check_annotations(annotations, None, "gold_accuracy")
    out: list[AnnotatorGold] = []
    for annotator in sorted({record.annotator for record in records}):
        seen = sorted((r for r in records if r.annotator == annotator and r.item in gold), key=lambda r: r.item)
        errors = [GoldError(item=r.item, expected=gold[r.item], given=r.label) for r in seen if r.label != gold[r.item]]
        correct = len(seen) - len(errors)
        out.append(AnnotatorGold(annotator=annotator, gold_items_seen=len(seen), correct=correct,
                                 accuracy=correct / len(seen) if seen else None, errors=errors))
    return out


__all__ = ["AnnotatorGold", "GoldError", "gold_accuracy"]
