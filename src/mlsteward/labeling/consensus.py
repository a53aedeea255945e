"""One label per item from several annotators' labels: the majority, ties flagged for adjudication.

Per item, ``votes`` counts each label chosen. The consensus label is the label with the most votes; when two or
more labels share the most votes the item is a tie and has no label until an adjudicator decides it
(``adjudicated`` maps item -> label and overrides the vote on any item). ``agreement`` is the share of the
item's annotators who chose the consensus label (on a tie, the top label's share). An adjudicated item no
annotator gave a real label to (all skipped it) is listed too, with no votes and agreement None.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from mlsteward.errors import InvalidInput
from mlsteward.labeling._checks import by_item, check_annotations, check_labels
from mlsteward.labeling.models import Annotation

Status = Literal["agreed", "majority", "tie", "adjudicated", "single"]


class ItemConsensus(BaseModel):
    """The consensus label of one item and how it was reached."""

    item: str
    label: str | None = Field(description="majority or adjudicated label; None on an unresolved tie")
    votes: dict[str, int] = Field(description="label -> annotators who chose it, most votes first")
    agreement: float | None = Field(description="share of annotators who chose the label (on a tie, the top "
                                    "share); None for an adjudicated item without annotations")
    annotators: list[str]
    status: Status = Field(description="agreed (unanimous), majority, tie (needs adjudication), adjudicated, "
                           "single (one annotation)")


def consensus(annotations: Sequence[Annotation], labels: Sequence[str],
              adjudicated: Mapping[str, str] | None = None) -> list[ItemConsensus]:
    """The consensus of every annotated or adjudicated item, in item order."""
    labels = check_labels(labels, "consensus")
    table = by_item(check_annotations(annotations, labels, "consensus"))
    adjudicated = dict(adjudicated or {})
    for item, label in adjudicated.items():
        if label not in labels:
            raise InvalidInput(f"Adjudicated label {label!r} for item {item!r} is not one of the allowed labels "
                               f"{labels}; fix the label or add it to 'labels'.")
    order = {label: j for j, label in enumerate(labels)}
    out: list[ItemConsensus] = []
    for item in sorted(set(table) | set(adjudicated)):
        given = table.get(item, {})
        if not given:
            out.append(ItemConsensus(item=item, label=adjudicated[item], votes={}, agreement=None, annotators=[],
                                     status="adjudicated"))
            continue
        counts = Counter(given.values())
        votes = dict(sorted(counts.items(), key=lambda kv: (-kv[1], order[kv[0]])))
        top = max(votes.values())
        leaders = [label for label, count in votes.items() if count == top]
        n = len(given)
        status: Status
        if item in adjudicated:
            label: str | None = adjudicated[item]
            status = "adjudicated"
            share = votes.get(label, 0) / n
        else:
            label = leaders[0] if len(leaders) == 1 else None
            share = top / n
            if n == 1:
                status = "single"
            elif len(votes) == 1:
                status = "agreed"
            else:
                status = "majority" if label is not None else "tie"
        out.append(ItemConsensus(item=item, label=label, votes=votes, agreement=share, annotators=list(given),
                                 status=status))
    return out


def conflicts(consensus_items: Sequence[ItemConsensus]) -> list[ItemConsensus]:
    """The items whose annotators did not all agree: unresolved ties first, then lowest agreement first."""
    disputed = [entry for entry in consensus_items if len(entry.votes) > 1]
    return sorted(disputed, key=lambda entry: (entry.status != "tie", entry.agreement or 0.0, entry.item))


__all__ = ["ItemConsensus", "conflicts", "consensus"]
