"""Which labels annotators confuse with each other, and which guideline sections those confusions point to.

For every item and every unordered pair of distinct annotators on it who chose labels x and y, the symmetric
``matrix`` gains 1 in [x][y] and 1 in [y][x] when x != y (a disagreement), and 1 in [x][x] when they agree.
So an off-diagonal cell counts the annotator pairs that split between its two labels; it equals scikit-learn's
``confusion_matrix`` summed over every ordered pair of annotators (both ways), whose diagonal is twice ours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

from pydantic import BaseModel, Field

from mlsteward.errors import InvalidInput
from mlsteward.labeling._checks import by_item, check_annotations, check_labels
from mlsteward.labeling.models import Annotation


class ConfusedPair(BaseModel):
    """Two labels annotators split between, with how often."""

    label_a: str
    label_b: str
    count: int = Field(description="annotator pairs on an item who chose these two labels")
    share: float = Field(description="count / all disagreements")


class LabelConfusion(BaseModel):
    """Agreements and disagreements between annotator pairs, by label."""

    labels: list[str]
    matrix: list[list[int]] = Field(description="symmetric labels x labels counts of annotator pairs; "
                                    "off-diagonal = disagreements, diagonal = agreements")
    items: int = Field(description="items labeled by at least two annotators")
    pairs: int = Field(description="annotator pairs compared, over all items")
    disagreements: int
    top_pairs: list[ConfusedPair] = Field(description="confused label pairs, most frequent first")


class ImplicatedSection(BaseModel):
    """A guideline section that covers labels annotators confuse."""

    section: str
    labels: list[str] = Field(description="labels the section covers")
    pairs: list[ConfusedPair] = Field(description="confused pairs with at least one label the section covers")
    disagreements: int = Field(description="sum of the pairs' counts")
    covers_both: int = Field(description="disagreements whose two labels the section both covers")


def label_confusion(annotations: Sequence[Annotation], labels: Sequence[str]) -> LabelConfusion:
    """Count, over items and pairs of annotators on them, the label pairs they chose."""
    labels = check_labels(labels, "label_confusion")
    table = by_item(check_annotations(annotations, labels, "label_confusion"))
    index = {label: j for j, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    items = pairs = 0
    for given in table.values():
        if len(given) < 2:
            continue
        items += 1
        for x, y in combinations(given.values(), 2):
            pairs += 1
            i, j = index[x], index[y]
            matrix[i][j] += 1
            if i != j:
                matrix[j][i] += 1
    disagreements = sum(matrix[i][j] for i in range(len(labels)) for j in range(i + 1, len(labels)))
    confused = [ConfusedPair(label_a=labels[i], label_b=labels[j], count=matrix[i][j],
                             share=matrix[i][j] / disagreements)
                for i in range(len(labels)) for j in range(i + 1, len(labels)) if matrix[i][j]]
    confused.sort(key=lambda pair: -pair.count)  # stable: equal counts keep label order
    return LabelConfusion(labels=labels, matrix=matrix, items=items, pairs=pairs, disagreements=disagreements,
                          top_pairs=confused)


def implicated_sections(confusion: LabelConfusion, sections: Mapping[str, Sequence[str]]) -> list[ImplicatedSection]:
    """The guideline sections (title -> labels it covers) implicated by each confused label pair with a label
    they cover, most disagreements first; sections no confusion touches are left out."""
    if not isinstance(sections, Mapping):
        raise InvalidInput(f"The 'sections' parameter of implicated_sections must map a section title to the "
                           f"labels it covers; got {type(sections).__name__} instead.")
    known = set(confusion.labels)
    out: list[ImplicatedSection] = []
    for title, covered in sections.items():
        covered = [covered] if isinstance(covered, str) else list(covered)
        unknown = [label for label in covered if label not in known]
        if unknown:
            raise InvalidInput(f"Section {title!r} covers {unknown}, which are not among the labels "
                               f"{confusion.labels}; fix the section's labels.")
        hit = [pair for pair in confusion.top_pairs if pair.label_a in covered or pair.label_b in covered]
        if not hit:
            continue
        both = sum(pair.count for pair in hit if pair.label_a in covered and pair.label_b in covered)
        out.append(ImplicatedSection(section=title, labels=covered, pairs=hit,
                                     disagreements=sum(pair.count for pair in hit), covers_both=both))
    out.sort(key=lambda section: (-section.disagreements, -section.covers_both))
    return out


__all__ = ["ConfusedPair", "ImplicatedSection", "LabelConfusion", "implicated_sections", "label_confusion"]
