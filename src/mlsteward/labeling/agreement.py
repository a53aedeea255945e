"""Inter-annotator agreement: Cohen's kappa per pair of annotators, Fleiss' kappa over many.

**Cohen's kappa** (Cohen 1960) of two annotators on the items both labeled: kappa = (p_o - p_e) / (1 - p_e),
p_o the share of items with identical labels, p_e = sum_k p_a(k) p_b(k) the agreement expected by chance from
each annotator's label shares. Computed by scikit-learn's ``cohen_kappa_score``. It is undefined when
p_e = 1, that is when both annotators gave every item the same single label: ``cohen_kappa`` then returns
NaN, ``agreement`` reports None and says why in ``notes``. Per label, kappa is Cohen's on the label-vs-rest
binarised labels.

**Fleiss' kappa** (Fleiss 1971) of an items x categories table of counts, every item rated by the same number
m >= 2 of raters (N items): p_j = sum_i n_ij / (N m), P_i = (sum_j n_ij^2 - m) / (m (m - 1)),
kappa = (mean_i P_i - sum_j p_j^2) / (1 - sum_j p_j^2). Per category j:
kappa_j = 1 - sum_i n_ij (m - n_ij) / (N m (m - 1) p_j (1 - p_j)), which is Fleiss' kappa of the table
collapsed to the two columns [n_ij, m - n_ij]. Undefined (NaN / None) when every rating falls in one category,
and per category when p_j is 0 or 1.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np
from pydantic import BaseModel, Field
from sklearn.metrics import cohen_kappa_score

from mlsteward.errors import InvalidInput
from mlsteward.labeling._checks import by_item, check_annotations, check_labels
from mlsteward.labeling.models import Annotation


class PairAgreement(BaseModel):
    """Agreement of two annotators on the items both labeled."""

    annotator_a: str
    annotator_b: str
    items: int = Field(description="items both annotators labeled")
    observed_agreement: float = Field(description="share of those items given identical labels")
    kappa: float | None = Field(description="Cohen's kappa; None when undefined (see notes)")
    kappa_per_label: dict[str, float | None] = Field(description="Cohen's kappa of label-vs-rest, per label")


class FleissAgreement(BaseModel):
    """Fleiss' kappa over the items rated by exactly ``raters`` annotators."""

    raters: int = Field(description="the most common number (>= 2) of annotators per item")
    items_used: int
    items_left_out: int = Field(description="items not rated by exactly `raters` annotators (single ones too)")
    kappa: float | None = Field(description="None when undefined (see notes)")
    kappa_per_label: dict[str, float | None]


class AgreementResult(BaseModel):
    """Inter-annotator agreement of a set of annotations."""

    items: int = Field(description="items with at least one annotation")
    annotators: list[str]
    labels: list[str]
    pairs: list[PairAgreement] = Field(description="every pair of annotators with at least one item in common")
    fleiss: FleissAgreement | None = Field(description="None when fewer than two items share a rater count >= 2")
    notes: list[str]


def _undefined_cohen(a: Sequence[Any], b: Sequence[Any]) -> bool:
    """True when chance agreement is 1: both raters constant on the same label."""
    return len(set(a) | set(b)) == 1


def _cohen(a: Sequence[Any], b: Sequence[Any], labels: Sequence[Any]) -> float:
    if _undefined_cohen(a, b):
        return float("nan")
    return float(cohen_kappa_score(list(a), list(b), labels=list(labels)))


def cohen_kappa(a: Sequence[str], b: Sequence[str], labels: Sequence[str]) -> float:
    """Cohen's kappa of two annotators' labels for the same items, in the same order. NaN when both gave
    every item the same single label (chance agreement is 1, kappa is 0 / 0)."""
    labels = check_labels(labels, "cohen_kappa")
    a, b = list(a), list(b)
    if len(a) != len(b) or not a:
        raise InvalidInput(f"cohen_kappa needs two equally long, non-empty lists of labels for the same items; "
                           f"got {len(a)} and {len(b)} labels.")
    allowed = set(labels)
    for name, values in (("a", a), ("b", b)):
        bad = [value for value in values if value not in allowed]
        if bad:
            raise InvalidInput(f"The '{name}' parameter of cohen_kappa holds {bad[0]!r}, which is not one of the "
                               f"labels {labels}; fix the label or add it to 'labels'.")
    return _cohen(a, b, labels)


def _check_table(table: Any, func: str) -> tuple[np.ndarray, int]:
    """The table as a float array of non-negative whole counts with equal row sums m >= 2; returns (table, m)."""
    try:
        counts = np.asarray(table, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"The 'table' parameter of {func} must be an items x categories array of counts; "
                           f"got {type(table).__name__} instead.") from exc
    if counts.ndim != 2 or counts.shape[0] < 1 or counts.shape[1] < 1:
        raise InvalidInput(f"The 'table' parameter of {func} must be a 2-D items x categories array of counts "
                           f"with at least one row; got shape {counts.shape} instead.")
    if not np.all(np.isfinite(counts)) or np.any(counts < 0) or np.any(counts != np.round(counts)):
        row = int(np.argwhere(~np.isfinite(counts) | (counts < 0) | (counts != np.round(counts)))[0][0])
        raise InvalidInput(f"The 'table' parameter of {func} must hold whole counts >= 0; row {row} is "
                           f"{counts[row].tolist()}.")
    sums = counts.sum(axis=1).astype(int)
    m = Counter(sums.tolist()).most_common(1)[0][0]
    odd = [int(i) for i in np.flatnonzero(sums != m)]
    if odd:
        shown = ", ".join(f"row {i} has {sums[i]}" for i in odd[:10]) + (" ..." if len(odd) > 10 else "")
        raise InvalidInput(f"{func} needs the same number of ratings in every row; most rows have {m} but {shown}. "
                           "Keep only the items rated by the same number of annotators.")
    if m < 2:
        raise InvalidInput(f"{func} needs at least two ratings per item; every row of the table has {m}.")
    return counts, m


def fleiss_kappa(table: np.ndarray) -> float:
    """Fleiss' kappa of an items x categories table of rating counts, each row summing to the same number of
    raters. NaN when every rating is in one category."""
    counts, m = _check_table(table, "fleiss_kappa")
    n_items = counts.shape[0]
    totals = counts.sum(axis=0)
    if np.any(totals == n_items * m):
        return float("nan")
    p = totals / (n_items * m)
    p_item = ((counts**2).sum(axis=1) - m) / (m * (m - 1))
    p_expected = float((p**2).sum())
    return float((p_item.mean() - p_expected) / (1 - p_expected))


def fleiss_kappa_per_category(table: np.ndarray) -> np.ndarray:
    """Fleiss' kappa of each category (column) against the rest; NaN for a category no rating or every
    rating fell in."""
    counts, m = _check_table(table, "fleiss_kappa_per_category")
    n_items = counts.shape[0]
    p = counts.sum(axis=0) / (n_items * m)
    disagreement = (counts * (m - counts)).sum(axis=0)
    out = np.full(counts.shape[1], np.nan)
    defined = (p > 0) & (p < 1)
    out[defined] = 1 - disagreement[defined] / (n_items * m * (m - 1) * p[defined] * (1 - p[defined]))
    return out


def _none(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _pair(a: str, b: str, table: Mapping[str, Mapping[str, str]], labels: list[str],
          notes: list[str]) -> PairAgreement | None:
    shared = [item for item, given in table.items() if a in given and b in given]
    if not shared:
        return None
    la = [table[item][a] for item in shared]
    lb = [table[item][b] for item in shared]
    kappa = _none(_cohen(la, lb, labels))
    if kappa is None:
        notes.append(f"Cohen's kappa of {a!r} and {b!r} is undefined (None): on their {len(shared)} shared items "
                     f"both gave every item the label {la[0]!r}, so chance agreement is 1.")
    per_label: dict[str, float | None] = {}
    for label in labels:
        ba = [x == label for x in la]
        bb = [x == label for x in lb]
        per_label[label] = _none(_cohen(ba, bb, [True, False]))
    undefined = [label for label, value in per_label.items() if value is None]
    if undefined and kappa is not None:
        notes.append(f"Per-label kappa of {a!r} and {b!r} is undefined (None) for {undefined}: on their "
                     f"{len(shared)} shared items both annotators chose each of these labels on no item (or on "
                     "every item).")
    observed = sum(x == y for x, y in zip(la, lb, strict=True)) / len(shared)
    return PairAgreement(annotator_a=a, annotator_b=b, items=len(shared), observed_agreement=observed,
                         kappa=kappa, kappa_per_label=per_label)


def _fleiss(table: Mapping[str, Mapping[str, str]], labels: list[str], notes: list[str]) -> FleissAgreement | None:
    sizes = Counter(len(given) for given in table.values() if len(given) >= 2)
    if not sizes:
        notes.append("Fleiss' kappa needs items labeled by at least two annotators; there are none.")
        return None
    raters = max(sizes, key=lambda size: (sizes[size], size))  # most common count; a tie goes to more raters
    used = [item for item, given in table.items() if len(given) == raters]
    if len(used) < 2:
        notes.append(f"Fleiss' kappa needs at least two items labeled by the same number of annotators; only "
                     f"{len(used)} item is labeled by {raters}.")
        return None
    index = {label: j for j, label in enumerate(labels)}
    counts = np.zeros((len(used), len(labels)))
    for i, item in enumerate(used):
        for label in table[item].values():
            counts[i, index[label]] += 1
    left_out = len(table) - len(used)
    if left_out:
        notes.append(f"Fleiss' kappa uses the {len(used)} items labeled by {raters} annotators; {left_out} items "
                     "labeled by another number of annotators are left out.")
    kappa = _none(fleiss_kappa(counts))
    if kappa is None:
        notes.append(f"Fleiss' kappa is undefined (None): every label on the {len(used)} items used is the same.")
    per_label = {label: _none(value) for label, value in zip(labels, fleiss_kappa_per_category(counts),
                                                             strict=True)}
    undefined = [label for label, value in per_label.items() if value is None]
    if undefined and kappa is not None:
        notes.append(f"Fleiss' kappa per label is undefined (None) for {undefined}: on the items used no "
                     "annotator chose them (or every annotator did).")
    return FleissAgreement(raters=raters, items_used=len(used), items_left_out=left_out, kappa=kappa,
                           kappa_per_label=per_label)


def agreement(annotations: Sequence[Annotation], labels: Sequence[str]) -> AgreementResult:
    """Cohen's kappa for every pair of annotators sharing an item, and Fleiss' kappa over the items labeled by
    the most common number of annotators, overall and per label."""
    labels = check_labels(labels, "agreement")
    records = check_annotations(annotations, labels, "agreement")
    annotators = sorted({record.annotator for record in records})
    if len(annotators) < 2:
        got = f"only {annotators[0]!r}" if annotators else "no annotations"
        raise InvalidInput(f"kappa needs at least two annotators; got {got}. Have a second annotator label some "
                           "of the same items.")
    table = by_item(records)
    notes: list[str] = []
    pairs: list[PairAgreement] = []
    alone: list[str] = []
    for a, b in combinations(annotators, 2):
        pair = _pair(a, b, table, labels, notes)
        if pair is None:
            alone.append(f"{a!r} and {b!r}")
        else:
            pairs.append(pair)
    if alone:
        notes.append(f"No kappa for annotators who share no item: {', '.join(alone)}.")
    fleiss = _fleiss(table, labels, notes)
    return AgreementResult(items=len(table), annotators=annotators, labels=labels, pairs=pairs, fleiss=fleiss,
                           notes=notes)


__all__ = [
    "AgreementResult",
    "FleissAgreement",
    "PairAgreement",
    "agreement",
    "cohen_kappa",
    "fleiss_kappa",
    "fleiss_kappa_per_category",
]
