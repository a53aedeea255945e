"""Validation shared by the labeling functions: the label set and the annotations, checked once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from mlsteward.errors import InvalidInput
from mlsteward.labeling.models import Annotation


def check_labels(labels: Sequence[str], func: str) -> list[str]:
    """``labels`` as a list: non-empty, strings, no repeats."""
    if isinstance(labels, str) or not isinstance(labels, Iterable):
        raise InvalidInput(f"The 'labels' parameter of {func} must be a list of label names; got {labels!r} "
                           "instead.")
    out = list(labels)
    if not out:
        raise InvalidInput(f"The 'labels' parameter of {func} must name at least one label; got an empty list.")
    for label in out:
        if not isinstance(label, str):
            raise InvalidInput(f"The 'labels' parameter of {func} must hold strings; got {label!r} instead.")
    repeated = sorted({label for label in out if out.count(label) > 1})
    if repeated:
        raise InvalidInput(f"The 'labels' parameter of {func} names {repeated} more than once; list each label "
                           "once.")
    return out


def check_annotations(annotations: Sequence[Annotation | Mapping[str, Any]], labels: Sequence[str] | None,
                      func: str) -> list[Annotation]:
    """The annotations as ``Annotation`` records: each label in ``labels`` (when given) and no annotator
    labeling the same item twice."""
    if isinstance(annotations, str | Mapping) or not isinstance(annotations, Iterable):
        raise InvalidInput(f"The 'annotations' parameter of {func} must be a list of Annotation(item, annotator, "
                           f"label); got {type(annotations).__name__} instead.")
    allowed = set(labels) if labels is not None else None
    seen: dict[tuple[str, str], str] = {}
    out: list[Annotation] = []
    for position, raw in enumerate(annotations):
        try:
            record = raw if isinstance(raw, Annotation) else Annotation.model_validate(raw)
        except ValidationError as exc:
            raise InvalidInput(f"Annotation {position} given to {func} is not an Annotation(item, annotator, "
                               f"label) of strings: {raw!r}.") from exc
        if allowed is not None and record.label not in allowed:
            raise InvalidInput(f"Item {record.item!r}: annotator {record.annotator!r} gave label {record.label!r}, "
                               f"which is not one of the allowed labels {list(labels)}. Fix the label or add it to "
                               "'labels'.")
        key = (record.item, record.annotator)
        if key in seen:
            raise InvalidInput(f"Annotator {record.annotator!r} labeled item {record.item!r} twice "
                               f"({seen[key]!r} and {record.label!r}); keep one annotation per annotator and item.")
        seen[key] = record.label
        out.append(record)
    return out


def by_item(annotations: Iterable[Annotation]) -> dict[str, dict[str, str]]:
    """item -> annotator -> label, items and annotators in sorted order."""
    table: dict[str, dict[str, str]] = {}
    for record in annotations:
        table.setdefault(record.item, {})[record.annotator] = record.label
    return {item: dict(sorted(table[item].items())) for item in sorted(table)}
