"""Performance of a deployed model over time, while its ground truth arrives late.

**Input.** One row per logged prediction, already joined with its feedback: ``time_ms`` (epoch ms;
datetimes are accepted too), ``prediction``, optionally ``probabilities`` (per row a list of floats in
the order of ``classes``; missing on rows that logged none) and ``label`` (missing where no feedback
has arrived yet), plus any cohort or sensitive columns, e.g. ``input.gender``. Predictions and labels
are matched to ``classes`` by value, else by their text, a whole float without its ".0" (the
prediction log keeps class names as text, so a label ``1``, or ``1.0`` from a column with missing values,
matches the class ``"1"``).

**Task.** ``task`` when given; else a classifier when ``classes`` or probabilities are given; else
a regression when the predictions are numbers and one is fractional; else
``mlsteward.train.metrics.task_of`` of the predictions and labels (numbers with more than 20 distinct
values: regression). Pass ``task`` when a window may be too small to tell. Binary classifiers: the positive class is ``positive_label``, by default the
larger class (1 of 0/1), the evaluation's rule.

**Windows.** A row at time t falls in the window ``[s, s + window_ms)`` with
``s = floor(t / window_ms) * window_ms``: windows are aligned to whole multiples of ``window_ms``
since the Unix epoch, so ``window_ms=86_400_000`` gives UTC calendar days. Only windows holding a
row are listed, oldest first; ``overall`` covers every row.

**Realised metrics** are computed on a slice's labelled rows by the evaluation's own code, so the
names and numbers are the evaluation's: ``mlsteward.evaluate.metrics`` (``bootstrap=0``; accuracy,
balanced_accuracy, precision, recall, f1 and, on the labelled rows that have probabilities, roc_auc,
average_precision, log_loss, brier_score; regression: rmse, mae, r2, mape) and, for a binary
classifier, ``expected_calibration_error`` from ``mlsteward.evaluate.calibration`` with
``calibration_bins`` equal-width bins (the promotion gate's ECE, default 10 bins; None for a
multiclass classifier, as in the evaluation). Multiclass precision, recall and f1 are macro averages
and roc_auc one-vs-rest macro, as in the evaluation. A slice with fewer
than ``min_labelled`` labelled rows gets None for every metric, with the reason in ``unavailable``;
a metric undefined on the rows (roc_auc when the labels hold one class) is None with its reason.

**Estimated metrics, before labels arrive** (confidence-based performance estimation, as NannyML's
CBPE), on every row of the slice that has probabilities, labelled or not, each marked
``estimated: true``: if the probabilities are calibrated, a row's prediction is right with the
probability its model gave the predicted class, so the expected accuracy is the mean over rows of
``p(predicted class)``. Binary classifiers also get the expected ROC AUC: each row counted as a
positive with weight p and as a negative with weight 1 - p (p: the positive class's probability), and
scikit-learn's ``roc_auc_score`` of those weighted rows scored by p (NannyML's expected ROC curve).
An estimate is only as good as the calibration: compare it with ``realised`` once labels arrive.

**Cohorts**: per window, each value of each cohort column gets the same statistics (a missing value
is the cohort ``"(missing)"``; values are text). Only the ``max_cohort_values`` values with the most
rows overall are kept per column; the others are pooled as ``"(other)"``.

**Fairness over time** (binary classifiers), per window and sensitive column, by Fairlearn's
functions with their defaults: ``demographic_parity_difference`` on all the window's rows (it needs
predictions only) and ``equalized_odds_difference`` on its labelled rows, each None (with the reason)
below ``min_labelled`` rows or with fewer than two groups. Groups are named as in the evaluation's
fairness audit (text; a missing value is ``"(missing)"``). The rows are compressed to one weighted row
per (group, label, prediction) first: the same numbers at a cost independent of the rows.

**Against the reference** (``reference``: the evaluation's metrics, e.g. ``{"roc_auc": 0.86,
"expected_calibration_error": 0.03}``): ``changes`` = window value - reference value for each metric in
both; ``calibration_drift`` = window ECE - reference ECE; each estimate's ``change`` = estimate -
reference value of that metric. Positive changes are improvements for ``_score``-like metrics
(accuracy, roc_auc, ...) and deteriorations for errors and losses (``_error``, ``_loss``, rmse, ...).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference
from pydantic import BaseModel, Field
from sklearn.metrics import roc_auc_score

from mlsteward.errors import InvalidInput
from mlsteward.evaluate import calibration, metrics
from mlsteward.evaluate._fairness import MISSING
from mlsteward.evaluate._metrics import CLASSIFICATION_METRICS, PROBABILITY_METRICS, REGRESSION_METRICS
from mlsteward.monitor.performance_rows import (
    _columns,
    _prepare,
    _reference,
    _Rows,
    _whole,
    _window,
)
from mlsteward.train.feasibility_models import Label
from mlsteward.train.metrics import Task

ECE = "expected_calibration_error"
OTHER = "(other)"
_MAX_WINDOWS = 100_000


# --- results ----------------------------------------------------------------------------------------------


class MetricEstimate(BaseModel):
    """A metric estimated from the model's own probabilities, without labels (see the module docstring)."""

    metric: str
    estimated: Literal[True] = Field(True, description="always true: an estimate, not a measured value")
    value: float | None = Field(description="the estimate; None when no row has probabilities")
    rows: int = Field(description="rows it is estimated on: every row of the slice with probabilities")
    realised: float | None = Field(None, description="the metric measured on the labelled rows, once enough exist")
    reference: float | None = Field(None, description="the reference's value of the metric")
    change: float | None = Field(None, description="value - reference")
    reason: str | None = Field(None, description="why value is None")


class SlicePerformance(BaseModel):
    """Rows, label coverage, realised metrics and estimates of a set of rows (a window or a cohort)."""

    rows: int
    labelled_rows: int
    label_coverage: float = Field(description="labelled_rows / rows")
    labelled_rows_with_probabilities: int = Field(description="the rows behind the probability metrics")
    metrics: dict[str, float | None] = Field(description="realised metrics on the labelled rows; None: see "
                                                         "unavailable")
    unavailable: dict[str, str] = Field(default_factory=dict, description="metric -> why it is None")
    estimates: dict[str, MetricEstimate] = Field(default_factory=dict, description="estimated: true")


class CohortPerformance(SlicePerformance):
    """The statistics of one cohort: the rows whose ``column`` holds ``value``."""

    column: str
    value: str


class FairnessOverTime(BaseModel):
    """Fairlearn's disparities of one sensitive column in one window."""

    attribute: str
    rows: int
    labelled_rows: int
    group_rows: dict[str, int] = Field(description="rows per group")
    selection_rate: dict[str, float] = Field(description="per group, the share predicted positive (all rows)")
    demographic_parity_difference: float | None = Field(description="on all rows; Fairlearn's")
    equalized_odds_difference: float | None = Field(description="on the labelled rows; Fairlearn's")
    unavailable: dict[str, str] = Field(default_factory=dict, description="metric -> why it is None")


class WindowPerformance(SlicePerformance):
    """One time window: its statistics, its cohorts, its fairness and its change against the reference."""

    start_ms: int = Field(description="the window is [start_ms, end_ms)")
    end_ms: int
    changes: dict[str, float] = Field(default_factory=dict, description="metric - reference, for each metric in "
                                                                        "both")
    calibration_drift: float | None = Field(None, description="expected_calibration_error - the reference's")
    cohorts: list[CohortPerformance] = Field(default_factory=list)
    fairness: list[FairnessOverTime] = Field(default_factory=list)


class PerformanceOverTime(BaseModel):
    """A deployed model's performance, window by window (module docstring: every definition)."""

    task: Task
    classes: list[Label] | None = None
    positive_label: Label | None = Field(None, description="binary: the class the metrics call positive")
    window_ms: int
    min_labelled: int
    calibration_bins: int
    reference: dict[str, float] = Field(default_factory=dict)
    rows: int
    labelled_rows: int
    windows: list[WindowPerformance] = Field(description="windows holding rows, oldest first")
    overall: WindowPerformance = Field(description="every row, from the first window's start to the last's end")
    notes: list[str] = Field(default_factory=list)


# --- one slice -----------------------------------------------------------------------------------------------


def _expected_names(rows: _Rows) -> list[str]:
    if rows.task == "regression":
        return list(REGRESSION_METRICS)
    names = list(CLASSIFICATION_METRICS)
    if rows.proba is not None:
        names += [*PROBABILITY_METRICS, ECE]
    return names


def _realised(rows: _Rows, idx: np.ndarray, min_labelled: int,
              bins: int) -> tuple[dict[str, float | None], dict[str, str], int]:
    names = _expected_names(rows)
    values: dict[str, float | None] = dict.fromkeys(names)
    why: dict[str, str] = {}
    lab = idx[rows.labelled[idx]]
    with_proba = lab[rows.has_proba[lab]]
    if len(lab) < min_labelled:
        reason = (f"{len(lab)} labelled rows, fewer than min_labelled={min_labelled}: wait for more feedback, or "
                  "use a longer window")
        return values, dict.fromkeys(names, reason), len(with_proba)
    if rows.task == "regression":
        found = metrics(rows.truth[lab], rows.pred[lab], task="regression", bootstrap=0)
        _take(found.values, found.notes, REGRESSION_METRICS, values, why)
        return values, why, 0
    labels = np.arange(len(rows.classes))
    every_row_scored = rows.proba is not None and len(with_proba) == len(lab)
    if not every_row_scored:  # the label metrics on every labelled row; the probability metrics below
        found = metrics(rows.truth[lab], rows.pred[lab], task="classification", labels=labels, bootstrap=0)
        _take(found.values, found.notes, CLASSIFICATION_METRICS, values, why)
    if rows.proba is None:
        return values, why, 0
    probability_names = [n for n in names if n not in CLASSIFICATION_METRICS]
    if len(with_proba) < min_labelled:
        reason = (f"{len(with_proba)} labelled rows have probabilities, fewer than min_labelled={min_labelled}")
        why |= dict.fromkeys(probability_names, reason)
        return values, why, len(with_proba)
    proba = rows.proba[with_proba, 1] if rows.binary else rows.proba[with_proba]
    found = metrics(rows.truth[with_proba], rows.pred[with_proba], proba, task="classification", labels=labels,
                    bootstrap=0)
    _take(found.values, found.notes, (CLASSIFICATION_METRICS if every_row_scored else ()) + PROBABILITY_METRICS,
          values, why)
    if rows.binary:
        values[ECE] = calibration(rows.truth[with_proba], proba, bins=bins).expected_calibration_error
    else:
        why[ECE] = ("the calibration error is measured for binary classifiers (as in the evaluation): check a "
                    "multiclass model one class at a time")
    return values, why, len(with_proba)


def _take(found: Mapping[str, Any], notes: list[str], names: Sequence[str], values: dict[str, float | None],
          why: dict[str, str]) -> None:
    for name in names:
        value = found.get(name)
        if value is not None and math.isfinite(value.value):
            values[name] = value.value
        else:
            note = next((n for n in notes if n.startswith(name + " ")), None)
            why[name] = note or f"{name} is undefined on these rows"


def _expected_roc_auc(p: np.ndarray) -> float | None:
    """Each row a positive of weight p and a negative of weight 1 - p, scored by p: scikit-learn's ROC AUC."""
    if p.sum() <= 0 or (1 - p).sum() <= 0:
        return None
    truth = np.r_[np.ones(len(p)), np.zeros(len(p))]
    return float(roc_auc_score(truth, np.r_[p, p], sample_weight=np.r_[p, 1 - p]))


def _estimates(rows: _Rows, idx: np.ndarray, realised: dict[str, float | None],
               reference: dict[str, float]) -> dict[str, MetricEstimate]:
    if rows.task == "regression":
        return {}
    scored = idx[rows.has_proba[idx]]
    out = {}
    for name in ("accuracy", "roc_auc") if rows.binary else ("accuracy",):
        value, reason = None, None
        if rows.proba is None:
            reason = "no probabilities were logged: the estimate needs the model's predict_proba"
        elif not len(scored):
            reason = "no row of this slice has probabilities"
        elif name == "accuracy":
            value = float(rows.proba[scored, rows.pred[scored]].mean())
        else:
            value = _expected_roc_auc(rows.proba[scored, 1])
            if value is None:
                reason = "every row's positive probability is 0 (or every one is 1): the ROC AUC is undefined"
        ref = reference.get(name)
        out[name] = MetricEstimate(metric=name, value=value, rows=len(scored), realised=realised.get(name),
                                   reference=ref, change=None if value is None or ref is None else value - ref,
                                   reason=reason)
    return out


def _slice(rows: _Rows, idx: np.ndarray, min_labelled: int, bins: int, reference: dict[str, float]) -> dict:
    values, why, with_proba = _realised(rows, idx, min_labelled, bins)
    labelled = int(rows.labelled[idx].sum())
    return {"rows": len(idx), "labelled_rows": labelled, "label_coverage": labelled / len(idx),
            "labelled_rows_with_probabilities": with_proba, "metrics": values, "unavailable": why,
            "estimates": _estimates(rows, idx, values, reference)}


# --- fairness ------------------------------------------------------------------------------------------------------


def _groups(values: pd.Series) -> pd.Series:
    s = pd.Series(values.to_numpy(dtype=object), dtype=object)
    return s.where(s.notna(), MISSING).map(str)


def _disparity(function: Any, groups: np.ndarray, truth: np.ndarray, pred: np.ndarray) -> float:
    cells = pd.DataFrame({"g": groups, "t": truth, "p": pred}).groupby(["g", "t", "p"]).size().reset_index()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(function(cells["t"].to_numpy(), cells["p"].to_numpy(), sensitive_features=cells["g"].to_numpy(),
                              sample_weight=cells[0].to_numpy()))


def _fairness(rows: _Rows, idx: np.ndarray, column: str, groups: pd.Series, min_labelled: int) -> FairnessOverTime:
    g = groups.to_numpy()[idx]
    pred, lab = rows.pred[idx], rows.labelled[idx]
    counts = pd.Series(g).value_counts().sort_index()
    rates = pd.Series(pred == 1).groupby(g).mean() if rows.binary else pd.Series(dtype=float)
    values: dict[str, float | None] = {"demographic_parity_difference": None, "equalized_odds_difference": None}
    why: dict[str, str] = {}
    if not rows.binary:
        why = dict.fromkeys(values, "fairness over time is measured for binary classifiers: audit a multiclass "
                                    "model one class at a time")
    else:
        for name, function, keep in (("demographic_parity_difference", demographic_parity_difference, None),
                                     ("equalized_odds_difference", equalized_odds_difference, lab)):
            subset = slice(None) if keep is None else keep
            n, n_groups = len(g[subset]), len(set(g[subset]))
            kind = "rows" if keep is None else "labelled rows"
            if n < min_labelled:
                why[name] = f"{n} {kind}, fewer than min_labelled={min_labelled}"
            elif n_groups < 2:
                why[name] = f"the {kind} hold one group of {column} only: there is nothing to compare"
            else:
                truth = pred[subset] if keep is None else rows.truth[idx][subset]
                values[name] = _disparity(function, g[subset], truth, pred[subset])
    return FairnessOverTime(attribute=column, rows=len(idx), labelled_rows=int(lab.sum()),
                            group_rows={str(k): int(v) for k, v in counts.items()},
                            selection_rate={str(k): float(v) for k, v in rates.items()}, **values, unavailable=why)


# --- the public function ---------------------------------------------------------------------------------------


def performance_over_time(frame: pd.DataFrame, *, window_ms: int, classes: Sequence[Any] | None = None,
                          positive_label: Any = None, task: Task | None = None, cohorts: Sequence[str] = (),
                          sensitive: Sequence[str] = (), reference: Mapping[str, float] | None = None,
                          min_labelled: int = 30, calibration_bins: int = 10,
                          max_cohort_values: int = 20) -> PerformanceOverTime:
    """Realised metrics (on the rows labelled so far), label coverage, confidence-based estimates (on every
    row), cohort metrics and fairness of logged predictions, per epoch-aligned window of ``window_ms``.

    ``frame``: ``time_ms``, ``prediction``, optional ``probabilities`` (in the order of ``classes``) and
    ``label``, and the ``cohorts`` and ``sensitive`` columns. ``reference``: the evaluation's metrics, for
    the changes and the calibration drift. The module docstring defines every number."""
    window_ms = _window(window_ms)
    min_labelled = _whole(min_labelled, "min_labelled", "30")
    calibration_bins = _whole(calibration_bins, "calibration_bins", "10 (the evaluation's default)")
    max_cohort_values = _whole(max_cohort_values, "max_cohort_values", "20")
    ref = _reference(reference)
    rows, notes = _prepare(frame, classes, positive_label, task)
    cohorts, sensitive = _columns(cohorts, rows.frame, "cohorts"), _columns(sensitive, rows.frame, "sensitive")
    starts = (rows.time_ms // window_ms) * window_ms
    unique_starts = np.unique(starts)
    if len(unique_starts) > _MAX_WINDOWS:
        raise InvalidInput(f"window_ms={window_ms} cuts the rows into {len(unique_starts):,} windows (more than "
                           f"{_MAX_WINDOWS:,}): use a longer window, e.g. 3600000 for an hour")
    cohort_groups = {}
    for column in cohorts:
        groups = _groups(rows.frame[column])
        top = groups.value_counts().index[:max_cohort_values]
        if groups.nunique() > max_cohort_values:
            notes.append(f"cohort column {column!r} has {groups.nunique()} values: the {max_cohort_values} with the "
                         f"most rows are kept, the others pooled as {OTHER!r}")
            groups = groups.where(groups.isin(top), OTHER)
        cohort_groups[column] = groups
    sensitive_groups = {column: _groups(rows.frame[column]) for column in sensitive}

    def window(idx: np.ndarray, start: int, end: int) -> WindowPerformance:
        stats = _slice(rows, idx, min_labelled, calibration_bins, ref)
        changes = {name: value - ref[name] for name, value in stats["metrics"].items()
                   if value is not None and name in ref}
        cohort_results = []
        for column, groups in cohort_groups.items():
            for value, members in pd.Series(idx).groupby(groups.to_numpy()[idx], sort=True):
                cohort_results.append(CohortPerformance(column=column, value=str(value),
                                                        **_slice(rows, members.to_numpy(), min_labelled,
                                                                 calibration_bins, ref)))
        return WindowPerformance(start_ms=start, end_ms=end, **stats, changes=changes,
                                 calibration_drift=changes.get(ECE), cohorts=cohort_results,
                                 fairness=[_fairness(rows, idx, column, groups, min_labelled)
                                           for column, groups in sensitive_groups.items()])

    order = np.argsort(starts, kind="stable")
    bounds = np.searchsorted(starts[order], unique_starts)
    windows = [window(np.sort(chunk), int(s), int(s) + window_ms)
               for s, chunk in zip(unique_starts, np.split(order, bounds[1:]), strict=True)]
    overall = window(np.arange(len(starts)), int(unique_starts[0]), int(unique_starts[-1]) + window_ms)
    return PerformanceOverTime(
        task=rows.task, classes=rows.given_classes, window_ms=window_ms, min_labelled=min_labelled,
        positive_label=rows.classes[1] if rows.binary else None, calibration_bins=calibration_bins,
        reference=ref, rows=len(starts), labelled_rows=int(rows.labelled.sum()), windows=windows, overall=overall,
        notes=notes)


__all__ = [
    "CohortPerformance",
    "FairnessOverTime",
    "MetricEstimate",
    "PerformanceOverTime",
    "SlicePerformance",
    "WindowPerformance",
    "performance_over_time",
]
