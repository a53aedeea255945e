"""The record every labeling-quality function reads: one label given by one annotator to one item."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Annotation(BaseModel):
    """One annotator's label for one item. Only real labels: the caller drops skips and "unclear"."""

    model_config = ConfigDict(frozen=True)

    item: str
    annotator: str
    label: str


__all__ = ["Annotation"]
