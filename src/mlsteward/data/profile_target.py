"""The target and association part of the data profile (see ``mlsteward.data.profile``).

Pure numpy over arrays the profile already built while it read each column once: integer codes
(``-1`` for missing) for categorical data, float arrays (``NaN`` for missing or infinite) for
numeric data. Nothing here reads a data frame.

Associations, each computed over the rows where both sides have a value:

* **correlation ratio (eta)**, numeric values ``x`` grouped by a categorical variable ``g``:
  ``eta = sqrt(SS_between / SS_total)`` with ``SS_total = sum((x - mean(x))**2)`` and
  ``SS_between = sum_g n_g * (mean_g(x) - mean(x))**2``; 0 (no relation) to 1 (``g`` determines
  ``x``). Used for a numeric feature against a categorical target and for a categorical feature
  against a numeric target.
* **Cramér's V**, two categorical variables: ``V = sqrt(chi2 / (n * (min(r, c) - 1)))`` with the
  Pearson chi-squared statistic of their r x c contingency table, *without* Yates' continuity
  correction and without the Bergsma bias correction (categories with no rows are left out of r and
  c). 0 to 1.
* **Pearson's r**, two numeric variables, -1 to 1.

Each is ``None`` when undefined: fewer than two rows, no variation, a single category.

Correlation matrices (Pearson and Spearman) use pairwise-complete rows, like ``DataFrame.corr`` and
``scipy.stats.spearmanr(..., nan_policy="omit")`` for one pair: Spearman's rho is Pearson's r of the
average ranks (ties share their mean rank) of the rows both columns have.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

TargetKind = Literal["binary", "multiclass", "regression"]
Imbalance = Literal["balanced", "moderate", "severe"]
Recommendation = Literal["none", "class_weights", "resampling_or_threshold_tuning"]
AssociationMethod = Literal["eta", "cramers_v", "pearson"]


# --- results --------------------------------------------------------------------------------------


class ClassCount(BaseModel):
    """One class of a classification target."""

    label: str = Field(description="the class value, as text")
    count: int
    share: float = Field(description="count / rows with a target value")
    balanced_weight: float = Field(
        description="n / (n_classes * count), scikit-learn's class_weight='balanced' for this class"
    )


class TargetProfile(BaseModel):
    """The target column: its kind, its distribution and what its balance means for training."""

    name: str
    kind: TargetKind
    count: int = Field(description="rows with a target value")
    missing_count: int
    classes: list[ClassCount] | None = Field(
        None, description="classification: every class, most frequent first"
    )
    imbalance_ratio: float | None = Field(
        None, description="classification: rows of the majority class / rows of the minority class"
    )
    imbalance: Imbalance | None = None
    recommendation: Recommendation | None = None
    recommendation_text: str = Field(description="what the distribution means for training, in words")
    mean: float | None = Field(None, description="regression: mean of the finite target values")
    std: float | None = Field(None, description="regression: sample standard deviation (ddof=1)")
    min: float | None = None
    max: float | None = None
    quantiles: dict[str, float] | None = None
    skewness: float | None = Field(
        None, description="regression: Fisher-Pearson skewness, biased (scipy.stats.skew default)"
    )
    warnings: list[str] = Field(default_factory=list)


class TargetAssociation(BaseModel):
    """How strongly one feature is associated with the target."""

    feature: str
    method: AssociationMethod = Field(
        description="eta (numeric vs categorical), cramers_v (categorical vs categorical), pearson"
    )
    value: float | None = Field(description="None when undefined (no variation, a single category)")
    rows: int = Field(description="rows where both the feature and the target have a value")


class Correlations(BaseModel):
    """Pearson and Spearman correlation matrices over the numeric columns."""

    columns: list[str] = Field(description="numeric columns with at least two distinct values")
    pearson: dict[str, dict[str, float | None]]
    spearman: dict[str, dict[str, float | None]]
    rows: int = Field(description="rows the matrices were computed on")
    sampled: bool = Field(description="True when rows were drawn at random (config: seed) from more")


# --- small helpers --------------------------------------------------------------------------------


def finite_or_none(value: float | np.floating | None) -> float | None:
    """A Python float, or None for None / NaN / infinity (JSON has no NaN)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Inner product without BLAS: level-1 BLAS calls are slow under some thread settings."""
    return float(np.einsum("i,i->", a, b))


# --- association measures -------------------------------------------------------------------------


def pearson(x: np.ndarray, y: np.ndarray) -> tuple[float | None, int]:
    """Pearson's r of two float arrays over the rows where both are finite, and that row count."""
    both = np.isfinite(x) & np.isfinite(y)
    n = int(both.sum())
    if n < 2:
        return None, n
    if n < len(x):
        x, y = x[both], y[both]
    dx = x - x.mean()
    dy = y - y.mean()
    sxx, syy = _dot(dx, dx), _dot(dy, dy)
    if sxx <= 0.0 or syy <= 0.0:
        return None, n
    return finite_or_none(_clip(_dot(dx, dy) / math.sqrt(sxx * syy), -1.0, 1.0)), n


def correlation_ratio(groups: np.ndarray, n_groups: int, x: np.ndarray) -> tuple[float | None, int]:
    """Eta of float values ``x`` grouped by integer codes ``groups`` (-1 = missing), and row count."""
    keep = (groups >= 0) & np.isfinite(x)
    n = int(keep.sum())
    if n < 2:
        return None, n
    g = groups[keep] if n < len(groups) else groups
    d = x[keep] if n < len(x) else x
    d = d - d.mean()
    ss_total = _dot(d, d)
    if ss_total <= 0.0:
        return None, n
    sums = np.bincount(g, weights=d, minlength=n_groups)
    sizes = np.bincount(g, minlength=n_groups)
    present = sizes > 0
    if int(present.sum()) < 2:
        return None, n
    ss_between = float(np.sum(sums[present] ** 2 / sizes[present]))
    return math.sqrt(_clip(ss_between / ss_total, 0.0, 1.0)), n


def cramers_v(a: np.ndarray, n_a: int, b: np.ndarray, n_b: int) -> tuple[float | None, int]:
    """Cramér's V (no continuity or bias correction) of two code arrays (-1 = missing), row count."""
    keep = (a >= 0) & (b >= 0)
    n = int(keep.sum())
    if n < 2:
        return None, n
    if n < len(a):
        a, b = a[keep], b[keep]
    rows = np.bincount(a, minlength=n_a)
    cols = np.bincount(b, minlength=n_b)
    r, c = int(np.count_nonzero(rows)), int(np.count_nonzero(cols))
    if min(r, c) < 2:
        return None, n
    cell = a.astype(np.int64) * n_b + b
    if n_a * n_b <= max(n, 1 << 20):
        counts = np.bincount(cell, minlength=n_a * n_b)
        cell = np.flatnonzero(counts)
        observed = counts[cell]
    else:  # a sparse table: count the occupied cells only
        cell, observed = np.unique(cell, return_counts=True)
    observed = observed.astype(np.float64)
    # chi2 = sum (O - E)^2 / E = n * (sum O^2 / (row * col) - 1), summed over occupied cells
    ratio = float(np.sum(observed * observed / (rows[cell // n_b] * cols[cell % n_b].astype(np.float64))))
    chi2 = max(n * (ratio - 1.0), 0.0)
    return math.sqrt(_clip(chi2 / (n * (min(r, c) - 1)), 0.0, 1.0)), n


# --- correlation matrices -------------------------------------------------------------------------


def _ranks(x: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Average ranks (1-based, ties share their mean rank) of ``x[order]``, in ``order``'s order."""
    v = x[order]
    m = len(v)
    if m == 0:
        return np.empty(0)
    starts = np.flatnonzero(np.concatenate(([True], v[1:] != v[:-1])))
    ends = np.append(starts[1:], m)
    return np.repeat((starts + ends + 1) / 2.0, ends - starts)


def _full_ranks(x: np.ndarray, order: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """Ranks of the rows of ``x`` selected by ``keep`` (all if None), placed at their positions."""
    if keep is not None:
        order = order[keep[order]]
    out = np.full(len(x), np.nan)
    out[order] = _ranks(x, order)
    return out


def correlation_matrices(columns: dict[str, np.ndarray], *, sampled: bool) -> Correlations:
    """Pearson and Spearman matrices of equal-length float arrays (NaN = missing)."""
    names = list(columns)
    k = len(names)
    rows = len(next(iter(columns.values()))) if k else 0
    pear = np.full((k, k), np.nan)
    spear = np.full((k, k), np.nan)
    arrays = [columns[name] for name in names]
    valid = [np.isfinite(x) for x in arrays]
    complete = [i for i in range(k) if bool(valid[i].all())]
    # an argsort of each column's present values, reused by every pair
    orders = [np.flatnonzero(v)[np.argsort(x[v], kind="stable")] for x, v in zip(arrays, valid)]
    if len(complete) >= 1 and rows >= 2:
        block = np.column_stack([arrays[i] for i in complete])
        ranked = np.column_stack([_full_ranks(arrays[i], orders[i]) for i in complete])
        with np.errstate(divide="ignore", invalid="ignore"):
            pb = np.corrcoef(block, rowvar=False).reshape(len(complete), len(complete))
            sb = np.corrcoef(ranked, rowvar=False).reshape(len(complete), len(complete))
        idx = np.array(complete)
        pear[np.ix_(idx, idx)] = pb
        spear[np.ix_(idx, idx)] = sb
    done = set(complete)
    for i in range(k):
        for j in range(i, k):
            if i in done and j in done:
                continue
            keep = valid[i] & valid[j]
            p, _ = pearson(arrays[i], arrays[j])
            ri = _full_ranks(arrays[i], orders[i], keep)
            rj = _full_ranks(arrays[j], orders[j], keep)
            s, _ = pearson(ri, rj)
            pear[i, j] = pear[j, i] = np.nan if p is None else p
            spear[i, j] = spear[j, i] = np.nan if s is None else s

    def as_dict(matrix: np.ndarray) -> dict[str, dict[str, float | None]]:
        return {
            a: {b: finite_or_none(_clip(matrix[i, j], -1.0, 1.0)) for j, b in enumerate(names)}
            for i, a in enumerate(names)
        }

    return Correlations(columns=names, pearson=as_dict(pear), spearman=as_dict(spear), rows=rows,
                        sampled=sampled)


# --- the target -----------------------------------------------------------------------------------


def class_balance(
    labels: list[str],
    counts: np.ndarray,
    *,
    moderate_ratio: float,
    severe_ratio: float,
) -> tuple[list[ClassCount], float | None, Imbalance | None, Recommendation | None, str]:
    """Classes (most frequent first, ties by label), imbalance ratio, its level and the advice.

    Levels: ``ratio < moderate_ratio`` balanced (no action); ``moderate_ratio <= ratio <
    severe_ratio`` moderate (class weights); ``ratio >= severe_ratio`` severe (resampling, or class
    weights with a tuned decision threshold, judged on precision-recall rather than accuracy).
    """
    order = sorted(range(len(labels)), key=lambda i: (-int(counts[i]), labels[i]))
    total = int(np.sum(counts))
    k = len(labels)
    classes = [
        ClassCount(label=labels[i], count=int(counts[i]), share=int(counts[i]) / total,
                   balanced_weight=total / (k * int(counts[i])))
        for i in order
    ]
    if k < 2:
        return classes, None, None, None, (
            "The target has a single class; a classifier cannot be trained on it. "
            "Check the extraction or choose another target."
        )
    major, minor = classes[0], classes[-1]
    ratio = major.count / minor.count
    if ratio < moderate_ratio:
        return classes, ratio, "balanced", "none", (
            f"The classes are balanced (majority/minority ratio {ratio:.2f} < {moderate_ratio:g}); "
            "no reweighting or resampling is needed."
        )
    if ratio < severe_ratio:
        return classes, ratio, "moderate", "class_weights", (
            f"Moderate imbalance: '{major.label}' has {ratio:.1f}x the rows of '{minor.label}' "
            f"({moderate_ratio:g} <= ratio < {severe_ratio:g}). Train with class weights "
            "(class_weight='balanced', weights listed per class) and report per-class recall and "
            "F1, not only accuracy."
        )
    return classes, ratio, "severe", "resampling_or_threshold_tuning", (
        f"Severe imbalance: '{major.label}' has {ratio:.1f}x the rows of '{minor.label}' "
        f"(ratio >= {severe_ratio:g}). Resample the training folds only (oversample the minority "
        "class, e.g. SMOTE, or undersample the majority), or train with class weights and tune the "
        "decision threshold on validation data; judge models by precision-recall AUC, not accuracy."
    )


def regression_advice(skewness: float | None, minimum: float | None, threshold: float) -> str:
    """Advice for a numeric target from its skewness (``|skew| >= threshold`` is strong)."""
    if skewness is None:
        return "The target has no spread; a regression model has nothing to learn."
    if abs(skewness) < threshold:
        return (f"The target is roughly symmetric (skewness {skewness:.2f}, |skew| < {threshold:g}); "
                "no transform is needed.")
    side = "right" if skewness > 0 else "left"
    advice = (f"The target is strongly {side}-skewed (skewness {skewness:.2f}, |skew| >= "
              f"{threshold:g}); errors on the long tail will dominate squared-error losses.")
    if skewness > 0 and minimum is not None and minimum >= 0:
        advice += " Consider modelling log1p(target) and transforming predictions back."
    else:
        advice += " Consider a robust loss (Huber, absolute error) or a power transform (Yeo-Johnson)."
    return advice
