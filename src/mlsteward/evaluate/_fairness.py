"""Fairness of a binary classifier across groups, computed through Fairlearn so the numbers are Fairlearn's.

Per group of each sensitive attribute, a ``fairlearn.metrics.MetricFrame`` gives the count, selection
rate (share predicted positive), true and false positive rates, precision (scikit-learn's, with
``zero_division=0``), accuracy, the base rate (share truly positive) and, with ``y_prob``, the ROC AUC
(None for a group with one class only). The disparities are Fairlearn's functions with their defaults:
``demographic_parity_difference`` (max - min selection rate), ``demographic_parity_ratio`` (min / max),
``equalized_odds_difference`` / ``_ratio`` (the worse of the TPR and FPR disparities). Disparate impact
is the demographic parity ratio; the four-fifths rule passes when it is at least ``four_fifths`` (0.8).

Conventions: binary targets only; the positive class is the larger label (1 of 0/1) and labels are
mapped to 1 (positive) / 0 before Fairlearn sees them. A missing value of an attribute is its own
group, ``"(missing)"``, rather than an error. Group names are text (``str`` of the value). Fairlearn
reports a false positive rate of 0 for a group with no negatives (and a true positive rate of 0 for
one with no positives); the result's ``warnings`` say so, and flag groups of fewer than
``SMALL_GROUP`` rows, whose rates are noisy. With ``intersectional=True`` and several attributes,
their intersection (every combination present in the data) is audited as one more attribute.

Speed: Fairlearn's MetricFrame costs about 0.3 s per metric per 50,000 rows, so the rows are first
compressed to one row per (groups, true label, predicted label), weighted by its number of rows, and
Fairlearn's metrics are called with that ``sample_weight``: the same numbers (the tests compare them
with Fairlearn on the raw rows), at a cost independent of the number of rows. ``count`` is the sum of
the weights. The per-group ROC AUC is scikit-learn's ``roc_auc_score`` on each group's rows.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from pydantic import BaseModel, ConfigDict, Field
from sklearn.metrics import accuracy_score, precision_score, roc_auc_score

from mlsteward.errors import InvalidInput
from mlsteward.evaluate._common import (
    as_array,
    positive_class,
    positive_proba,
    same_length,
)

SMALL_GROUP = 30
"""A group with fewer rows than this gets a warning: its rates are too noisy to compare."""
MISSING = "(missing)"

Label = bool | int | float | str


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GroupMetrics(_Result):
    """The metrics of one group (or of all rows, for ``overall``)."""

    group: str
    count: int
    share: float = Field(description="the group's share of all rows")
    selection_rate: float = Field(description="share of the group predicted positive")
    base_rate: float = Field(description="share of the group truly positive")
    true_positive_rate: float
    false_positive_rate: float
    precision: float
    accuracy: float
    roc_auc: float | None = Field(None, description="with y_prob; None when the group has one class only")


class AttributeAudit(_Result):
    """One sensitive attribute (or an intersection of several): its groups and Fairlearn's disparities."""

    attribute: str
    groups: list[GroupMetrics]
    demographic_parity_difference: float
    demographic_parity_ratio: float | None
    equalized_odds_difference: float
    equalized_odds_ratio: float | None
    disparate_impact: float | None = Field(description="lowest / highest selection rate (= demographic_parity_ratio)")
    four_fifths_passes: bool | None = Field(description="disparate impact >= the four-fifths threshold (None: "
                                                        "no group is ever selected)")
    lowest_selection_group: str
    highest_selection_group: str
    differences: dict[str, float | None] = Field(description="metric -> max - min over the groups (MetricFrame)")
    ratios: dict[str, float | None] = Field(description="metric -> min / max over the groups (MetricFrame)")


class FairnessResult(_Result):
    """Fairness audit of a binary classifier: per attribute, per group, with Fairlearn's disparities."""

    rows: int
    positive_label: Label
    four_fifths: float = Field(description="the disparate impact a group must reach to pass the four-fifths rule")
    overall: GroupMetrics
    attributes: list[AttributeAudit]
    intersection: AttributeAudit | None = None
    warnings: list[str] = Field(default_factory=list)

    def audit(self, attribute: str) -> AttributeAudit:
        """The audit of ``attribute`` (or of the intersection, by its name)."""
        for a in [*self.attributes, *([self.intersection] if self.intersection else [])]:
            if a.attribute == attribute:
                return a
        raise InvalidInput(f"no attribute {attribute!r} was audited; the attributes are "
                           f"{', '.join(a.attribute for a in self.attributes)}")


def _weighted_count(y_true: Any, y_pred: Any, *, sample_weight: Any) -> float:
    return float(np.sum(sample_weight))


def _base_rate(y_true: Any, y_pred: Any, *, sample_weight: Any) -> float:
    return float(np.average(y_true, weights=sample_weight))


_GROUP_METRICS = {
    "count": _weighted_count,
    "selection_rate": selection_rate,
    "base_rate": _base_rate,
    "true_positive_rate": true_positive_rate,
    "false_positive_rate": false_positive_rate,
    "precision": partial(precision_score, zero_division=0),
    "accuracy": accuracy_score,
}


def _float(value: Any) -> float | None:
    value = float(value)
    return None if np.isnan(value) else value


def _attributes(sensitive_features: Any, rows: int) -> dict[str, pd.Series]:
    """Each attribute as a Series of text group names, missing values as ``"(missing)"``."""
    if isinstance(sensitive_features, pd.DataFrame):
        columns = {str(c): sensitive_features[c] for c in sensitive_features.columns}
    elif isinstance(sensitive_features, Mapping):
        columns = {str(k): v for k, v in sensitive_features.items()}
    elif isinstance(sensitive_features, pd.Series):
        columns = {str(sensitive_features.name) if sensitive_features.name is not None else "sensitive_feature":
                   sensitive_features}
    else:
        columns = {"sensitive_feature": sensitive_features}
    if not columns:
        raise InvalidInput("sensitive_features has no columns: pass the attribute(s) to audit, e.g. df[['sex']]")
    out = {}
    for name, values in columns.items():
        array = as_array(values, f"sensitive feature {name!r}")
        if len(array) != rows:
            raise InvalidInput(f"sensitive feature {name!r} has {len(array)} values but there are {rows} "
                               "predictions: pass the attribute of the same rows as y_true and y_pred")
        s = pd.Series(array, dtype=object)
        groups = s.where(s.notna(), MISSING).map(str)
        if groups.nunique() < 2:
            raise InvalidInput(f"sensitive feature {name!r} has one group only ({groups.iloc[0]!r} on all {rows} "
                               "rows): there is nothing to compare; pass an attribute with at least two groups")
        out[name] = groups
    return out


def _labels(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray, Any]:
    truth, pred = as_array(y_true, "y_true"), as_array(y_pred, "y_pred")
    same_length(y_true=truth, y_pred=pred)
    if pd.isna(truth).any() or pd.isna(pred).any():
        raise InvalidInput("y_true and y_pred must not hold missing values: drop the unlabelled rows first")
    try:
        classes = np.array(sorted(pd.unique(np.concatenate([truth.astype(object), pred.astype(object)]))))
    except TypeError as exc:
        raise InvalidInput("y_true and y_pred hold labels of different types (e.g. numbers and text): pass the "
                           "model's predict(X), whose labels are those of the target") from exc
    if len(classes) > 2:
        raise InvalidInput(f"the fairness audit is for binary classifiers; the labels are {classes.tolist()}: "
                           "audit a multiclass model one class at a time (that class vs the rest)")
    positive = positive_class(classes)
    return (truth == positive).astype(int), (pred == positive).astype(int), positive


class _Cells:
    """The rows compressed to one weighted row per (groups, truth, prediction): Fairlearn's metrics with
    ``sample_weight`` = the number of rows give the same numbers as on the rows themselves."""

    def __init__(self, attributes: dict[str, pd.Series], truth: np.ndarray, pred: np.ndarray) -> None:
        frame = pd.DataFrame({**attributes, "_truth": truth, "_pred": pred})
        cells = frame.groupby(list(frame.columns), sort=True).size().reset_index(name="_rows")
        self.groups = cells[list(attributes)]
        self.truth, self.pred = cells["_truth"].to_numpy(), cells["_pred"].to_numpy()
        self.weight = cells["_rows"].to_numpy()

    def metric_frame(self, features: pd.Series | pd.DataFrame) -> MetricFrame:
        return MetricFrame(metrics=_GROUP_METRICS, y_true=self.truth, y_pred=self.pred, sensitive_features=features,
                           sample_params={m: {"sample_weight": self.weight} for m in _GROUP_METRICS})

    def disparity(self, function: Any, features: pd.Series | pd.DataFrame) -> float:
        return float(function(self.truth, self.pred, sensitive_features=features, sample_weight=self.weight))


def _group_auc(features: pd.Series | pd.DataFrame, truth: np.ndarray, proba: np.ndarray) -> dict[Any, float | None]:
    """ROC AUC per group (scikit-learn's); None for a group with one class only."""
    keys = features if isinstance(features, pd.Series) else [features[c] for c in features.columns]
    out = {}
    for key, index in pd.Series(truth).groupby(keys, sort=False).indices.items():
        t = truth[index]
        out[key] = float(roc_auc_score(t, proba[index])) if 0 < t.sum() < len(t) else None
    return out


def _audit(name: str, cells: _Cells, features: list[str], all_features: pd.Series | pd.DataFrame,
           truth: np.ndarray, proba: np.ndarray | None, four_fifths: float,
           notes: list[str]) -> tuple[AttributeAudit, pd.Series]:
    """The audit of one attribute (or intersection), and the metrics over all rows."""
    compressed = cells.groups[features[0]] if len(features) == 1 else cells.groups[features]
    frame = cells.metric_frame(compressed)
    by_group = frame.by_group.dropna(subset=["count"])  # an intersection lists absent combinations as NaN
    auc = None if proba is None else _group_auc(all_features, truth, proba)
    rows = len(truth)
    results = []
    for key, metrics in by_group.iterrows():
        label = ", ".join(map(str, key)) if isinstance(key, tuple) else str(key)
        n = int(metrics["count"])
        results.append(GroupMetrics(
            group=label, count=n, share=n / rows,
            **{m: float(metrics[m]) for m in _GROUP_METRICS if m != "count"},
            roc_auc=None if auc is None else auc.get(key)))
        if n < SMALL_GROUP:
            notes.append(f"{name} = {label} has {n} rows (fewer than {SMALL_GROUP}): its rates are noisy")
        positives = round(metrics["base_rate"] * n)
        if positives == n:
            notes.append(f"{name} = {label} has no negative rows: its false positive rate is reported as 0 "
                         "(Fairlearn's convention)")
        if positives == 0:
            notes.append(f"{name} = {label} has no positive rows: its true positive rate is reported as 0 "
                         "(Fairlearn's convention)")
    with warnings.catch_warnings():  # 0 / 0 ratios (nobody selected) are reported as None below
        warnings.simplefilter("ignore", RuntimeWarning)
        dp_ratio = _float(cells.disparity(demographic_parity_ratio, compressed))
        eo_ratio = _float(cells.disparity(equalized_odds_ratio, compressed))
        ratios = {m: _float(v) for m, v in frame.ratio().items() if m != "count"}
    rates = by_group["selection_rate"].to_numpy()
    lowest, highest = results[int(np.argmin(rates))].group, results[int(np.argmax(rates))].group
    if dp_ratio is None:
        notes.append(f"{name}: no group is ever predicted positive, so the disparate impact is undefined")
    return AttributeAudit(
        attribute=name, groups=results,
        demographic_parity_difference=cells.disparity(demographic_parity_difference, compressed),
        demographic_parity_ratio=dp_ratio,
        equalized_odds_difference=cells.disparity(equalized_odds_difference, compressed),
        equalized_odds_ratio=eo_ratio, disparate_impact=dp_ratio,
        four_fifths_passes=None if dp_ratio is None else dp_ratio >= four_fifths,
        lowest_selection_group=lowest, highest_selection_group=highest,
        differences={m: _float(v) for m, v in frame.difference().items() if m != "count"},
        ratios=ratios), frame.overall


def fairness(y_true: Any, y_pred: Any, *, sensitive_features: Any, y_prob: Any = None, four_fifths: float = 0.8,
             intersectional: bool = False) -> FairnessResult:
    """Audit a binary classifier's predictions across the groups of each sensitive attribute.

    ``sensitive_features``: a Series, a DataFrame or a dict of columns (one value per row of
    ``y_true``), e.g. ``df[["sex", "race"]]``; each column is audited separately, and with
    ``intersectional=True`` their combinations too. ``y_prob`` (optional): the positive class's
    probability (or ``predict_proba``'s two columns), for the per-group ROC AUC.
    """
    if not 0 < four_fifths <= 1:
        raise InvalidInput(f"four_fifths must be in (0, 1]; got {four_fifths!r}: the usual threshold is 0.8")
    truth, pred, positive = _labels(y_true, y_pred)
    rows = len(truth)
    if rows == 0:
        raise InvalidInput("there are no rows to audit: pass the predictions of a non-empty test set")
    proba = None
    if y_prob is not None:
        proba = positive_proba(y_prob, [0, 1])
        if len(proba) != rows:
            raise InvalidInput(f"y_prob has {len(proba)} rows but there are {rows} predictions: pass "
                               "predict_proba of the same rows")
    attributes = _attributes(sensitive_features, rows)
    cells = _Cells(attributes, truth, pred)
    notes: list[str] = []
    audited = [_audit(name, cells, [name], groups.rename(name), truth, proba, four_fifths, notes)
               for name, groups in attributes.items()]
    audits, everyone = [a for a, _ in audited], audited[0][1]
    intersection = None
    if intersectional and len(attributes) > 1:
        intersection = _audit(" & ".join(attributes), cells, list(attributes), pd.DataFrame(attributes), truth,
                              proba, four_fifths, notes)[0]
    overall = GroupMetrics(group="(all)", count=rows, share=1.0,
                           **{m: float(everyone[m]) for m in _GROUP_METRICS if m != "count"},
                           roc_auc=None if proba is None or truth.min() == truth.max()
                           else float(roc_auc_score(truth, proba)))
    return FairnessResult(rows=rows, positive_label=positive.item() if isinstance(positive, np.generic) else positive,
                          four_fifths=four_fifths, overall=overall, attributes=audits, intersection=intersection,
                          warnings=notes)


__all__ = ["SMALL_GROUP", "AttributeAudit", "FairnessResult", "GroupMetrics", "fairness"]
