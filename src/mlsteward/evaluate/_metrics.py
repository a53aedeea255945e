"""A model's metrics on a test set, with bootstrap confidence intervals.

**Values.** Each value is scikit-learn's, through ``mlsteward.train.metrics``: binary precision,
recall, f1 and average precision score the positive class (the larger label, 1 of 0/1); multiclass
precision, recall and f1 are macro averages (``zero_division=0``), roc_auc is one-vs-rest macro and
average_precision the macro average over one-vs-rest columns. A metric undefined on the test set
(roc_auc when ``y_true`` holds one class) is left out, with a note saying why.

**Confidence intervals: percentile bootstrap.** From ``np.random.default_rng(seed)``, resample b
(b = 0 .. ``bootstrap`` - 1, in that order) takes the rows ``rng.integers(0, n, size=n)``: n rows drawn
with replacement. The metric is computed on every resample and the interval is the
``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` percentiles of those values (numpy's linear
interpolation). Resamples on which a metric is undefined (roc_auc of a resample with one class) are
skipped and counted in ``skipped_resamples``. ``bootstrap=0`` gives values without intervals.

A resample is computed as row weights (how often each row was drawn), never as copied rows: label
metrics from weighted per-class counts, roc_auc and average precision from weighted cumulative counts
over one sort of the scores, log loss, Brier score and the regression metrics as weighted means. The
weighted formulas are scikit-learn's with ``sample_weight``, so each resample's value is the value
scikit-learn gives on the copied rows (to rounding), at a fraction of the cost: 1,000 resamples of
50,000 rows take about a second.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from mlsteward.errors import InvalidInput
from mlsteward.evaluate._common import as_array, positive_class, same_length
from mlsteward.train.feasibility_models import Label
from mlsteward.train.metrics import METRICS, Task, plain_value, task_of

CLASSIFICATION_METRICS = ("accuracy", "balanced_accuracy", "precision", "recall", "f1")
PROBABILITY_METRICS = ("roc_auc", "average_precision", "log_loss", "brier_score")
REGRESSION_METRICS = ("rmse", "mae", "r2", "mape")

_BLOCK_CELLS = 500_000  # resamples are computed in blocks of about this many (resample, row) weights


# --- results ----------------------------------------------------------------------------------------


class MetricValue(BaseModel):
    """One metric's value on the test set and its bootstrap confidence interval (None: no bootstrap)."""

    value: float
    ci_low: float | None = None
    ci_high: float | None = None
    skipped_resamples: int = Field(0, description="resamples on which the metric was undefined, left out")


class ClassMetrics(BaseModel):
    """Precision, recall and f1 of one class against the rest, and its number of true rows."""

    label: Label
    precision: float
    recall: float
    f1: float
    support: int


class MetricsResult(BaseModel):
    """A model's metrics on a test set, each with its bootstrap interval, and for classification the
    confusion matrix (rows: true class, columns: predicted class, in ``classes`` order) and per-class
    metrics."""

    task: Task
    n_rows: int
    classes: list[Label] | None = None
    positive_class: Label | None = Field(None, description="binary: the class the metrics call positive")
    values: dict[str, MetricValue]
    confusion_matrix: list[list[int]] | None = None
    per_class: list[ClassMetrics] | None = None
    bootstrap: int = Field(description="resamples behind each interval; 0: no intervals")
    confidence: float
    seed: int
    notes: list[str] = Field(default_factory=list)


# --- metrics with confidence intervals ----------------------------------------------------------------


def metrics(y_true: Any, y_pred: Any, y_prob: Any = None, *, task: Task | None = None, labels: Any = None,
            bootstrap: int = 1000, confidence: float = 0.95, seed: int = 0) -> MetricsResult:
    """Classification or regression metrics of predictions, each with a percentile bootstrap interval.

    ``y_prob`` (``predict_proba`` output, or the positive class's column for a binary target) adds the
    probability metrics; ``labels`` (the model's ``classes_``) fixes the classes and their order when the
    test rows may lack one. See the module docstring for the bootstrap."""
    if not isinstance(bootstrap, int | np.integer) or isinstance(bootstrap, bool) or bootstrap < 0:
        raise InvalidInput(f"bootstrap must be a whole number of resamples >= 0 (0: no intervals); got {bootstrap!r}")
    if not 0 < confidence < 1:
        raise InvalidInput(f"confidence must lie strictly between 0 and 1 (e.g. 0.95); got {confidence!r}")
    scored = _Scored.of(y_true, y_pred, y_prob, task, labels)
    values, notes = scored.values()
    intervals = _intervals(scored.formulas(), scored.n, bootstrap=bootstrap, confidence=confidence, seed=seed)
    result = {name: MetricValue(value=value, **intervals.get(name, {})) for name, value in values.items()}
    common = {"n_rows": scored.n, "values": result, "bootstrap": bootstrap, "confidence": confidence, "seed": seed,
              "notes": notes}
    if scored.task == "regression":
        return MetricsResult(task="regression", **common)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a class without rows: its zero precision/recall is the value
        cm = confusion_matrix(scored.y, scored.pred, labels=scored.classes)
        precision, recall, f1, support = precision_recall_fscore_support(
            scored.y, scored.pred, labels=scored.classes, zero_division=0)
    per_class = [ClassMetrics(label=plain_value(c), precision=float(p), recall=float(r), f1=float(f), support=int(s))
                 for c, p, r, f, s in zip(scored.classes, precision, recall, f1, support, strict=True)]
    return MetricsResult(task="classification", classes=[plain_value(c) for c in scored.classes],
                         positive_class=None if scored.positive is None else plain_value(scored.positive),
                         confusion_matrix=cm.tolist(), per_class=per_class, **common)


def weighted_metrics(y_true: Any, y_pred: Any, y_prob: Any = None, *, weights: Any, task: Task | None = None,
                     labels: Any = None) -> dict[str, np.ndarray]:
    """Every metric of ``metrics`` under each row of ``weights`` (weightings x rows) at once: the value
    scikit-learn gives with that row as ``sample_weight``. The bootstrap's engine, exposed for checking."""
    scored = _Scored.of(y_true, y_pred, y_prob, task, labels)
    w = np.atleast_2d(np.asarray(weights))
    if w.shape[1] != scored.n or (w < 0).any():
        raise InvalidInput(f"weights must be non-negative, one column per row ({scored.n}); got shape {w.shape}")
    return scored.formulas()(w)


@dataclass
class _Scored:
    """The validated test set: true values, predictions, and for classification the classes, each row's
    class index and the probabilities (binary: the positive class's column)."""

    task: Task
    y: np.ndarray
    pred: np.ndarray
    classes: np.ndarray | None = None
    proba: np.ndarray | None = None
    true_idx: np.ndarray | None = None  # each row's class as its position in classes
    pred_idx: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def positive(self) -> Any:
        return positive_class(self.classes) if self.classes is not None and len(self.classes) <= 2 else None

    @classmethod
    def of(cls, y_true: Any, y_pred: Any, y_prob: Any, task: Task | None, labels: Any) -> _Scored:
        y, pred = as_array(y_true, "y_true"), as_array(y_pred, "y_pred")
        prob = None if y_prob is None else np.asarray(y_prob)
        if not same_length(y_true=y, y_pred=pred, y_prob=prob):
            raise InvalidInput("y_true is empty: metrics need at least one scored row")
        for name, values in (("y_true", y), ("y_pred", pred)):
            if pd.isna(values).any():
                raise InvalidInput(f"{name} is missing on {int(pd.isna(values).sum())} rows: drop those rows, or "
                                   "predict every row, before scoring")
        task = task or task_of(y)
        if task == "regression":
            if prob is not None:
                raise InvalidInput("y_prob was given but the target is a regression target: drop y_prob, or pass "
                                   "task='classification' if the target holds class labels")
            try:
                return cls("regression", y.astype(float), pred.astype(float))
            except (TypeError, ValueError) as exc:
                raise InvalidInput(f"regression metrics need numeric y_true and y_pred: {exc}") from exc
        if task != "classification":
            raise InvalidInput(f"task must be 'classification' or 'regression'; got {task!r}")
        classes = _classes(y, pred, prob, labels)
        return cls("classification", y, pred, classes, None if prob is None else _probabilities(prob, classes),
                   _class_index(y, classes, "y_true"), _class_index(pred, classes, "y_pred"))

    def values(self) -> tuple[dict[str, float], list[str]]:
        """Each metric's value (scikit-learn's, via ``train.metrics``); notes on those left out."""
        if self.task == "regression":
            return {name: METRICS[name].score(self.y, self.pred) for name in REGRESSION_METRICS}, []
        names = CLASSIFICATION_METRICS + (PROBABILITY_METRICS if self.proba is not None else ())
        values, notes = {}, []
        with warnings.catch_warnings():  # undefined values are reported in notes, not as warnings
            warnings.simplefilter("ignore")
            for name in names:
                scored = self.pred if METRICS[name].needs == "label" else self.proba
                value = METRICS[name].score(self.y, scored, labels=self.classes)
                if math.isnan(value):
                    notes.append(f"{name} is undefined on these rows (a class has no rows in y_true) and is left out")
                else:
                    values[name] = value
        return values, notes

    def formulas(self) -> _Formulas:
        if self.task == "regression":
            return _regression_formulas(self.y, self.pred)
        return _classification_formulas(self.true_idx, self.pred_idx, self.proba, self.classes)


def _classes(y: np.ndarray, pred: np.ndarray, prob: np.ndarray | None, labels: Any) -> np.ndarray:
    if labels is not None:
        classes = as_array(labels, "labels")
        if len(set(classes.tolist())) != len(classes):
            raise InvalidInput(f"labels must not repeat a class; got {classes.tolist()}")
    else:
        try:
            classes = np.unique(np.concatenate([y, pred]))
        except TypeError as exc:
            raise InvalidInput(f"y_true and y_pred mix label types ({exc}): give both as the same type, "
                               "e.g. both numbers or both text") from exc
        if len(classes) == 1 and set(classes.tolist()) <= {0, 1}:
            classes = np.array([0, 1])  # a 0/1 target whose test rows hold one class
        if prob is not None and prob.ndim == 2 and prob.shape[1] != len(classes):
            raise InvalidInput(f"y_prob has {prob.shape[1]} columns but y_true and y_pred hold {len(classes)} "
                               f"classes {[plain_value(c) for c in classes]}: pass labels= the model's classes_")
    return classes


def _class_index(values: np.ndarray, classes: np.ndarray, name: str) -> np.ndarray:
    """Each value's position in ``classes``; an error naming values that are not one of them."""
    index = pd.Index(classes).get_indexer(values)
    if (index < 0).any():
        unknown = sorted({str(v) for v in values[index < 0]})[:5]
        raise InvalidInput(f"{name} holds values {unknown} that are not among the classes "
                           f"{[plain_value(c) for c in classes]}: pass labels= every class the model knows")
    return index


def _probabilities(prob: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Validated probabilities: the positive class's column (binary) or one column per class."""
    try:
        prob = prob.astype(float)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"y_prob must be numbers (predict_proba's output): {exc}") from exc
    if np.isnan(prob).any():
        raise InvalidInput("y_prob holds missing values (NaN): pass predict_proba's output for every row")
    if prob.min() < 0 or prob.max() > 1:
        raise InvalidInput("y_prob must lie in [0, 1]; pass predict_proba's output, not scores or logits")
    if len(classes) <= 2:
        if prob.ndim == 2 and prob.shape[1] == 2:
            return prob[:, 1]
        if prob.ndim == 1:
            return prob
    elif prob.ndim == 2 and prob.shape[1] == len(classes):
        return prob
    raise InvalidInput(f"y_prob has shape {prob.shape} but there are {len(classes)} classes "
                       f"{[plain_value(c) for c in classes]}: pass predict_proba(X) of the model scored "
                       "(one column per class; for a binary target the positive class's column is enough)")


# --- the weighted formulas ---------------------------------------------------------------------------------


@dataclass
class _Formulas:
    """Metric values under many row weightings: ``compute`` takes a (weightings x rows) matrix whose
    columns are the rows in ``order`` (None: as given) and returns one value per weighting and metric."""

    compute: Callable[[np.ndarray], dict[str, np.ndarray]]
    order: np.ndarray | None = None

    def __call__(self, weights: np.ndarray) -> dict[str, np.ndarray]:
        """The values under ``weights`` given in the rows' own order."""
        return self.compute(weights if self.order is None else weights[:, self.order])


def _weighted_means(w: np.ndarray, per_row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sum of weights, weighted sums of each ``per_row`` column) for every weighting."""
    wf = w.astype(np.float64, copy=False)
    return wf.sum(axis=1), wf @ per_row


def _regression_formulas(y: np.ndarray, pred: np.ndarray) -> _Formulas:
    err = y - pred
    centred = y - y.mean()  # the weighted variance of y from centred values, to limit cancellation
    per_row = np.column_stack([err**2, np.abs(err), np.abs(err) / np.maximum(np.abs(y), np.finfo(np.float64).eps),
                               centred, centred**2])

    def compute(w: np.ndarray) -> dict[str, np.ndarray]:
        total, sums = _weighted_means(w, per_row)
        sse, sae, sape, sc, scc = sums.T
        sst = scc - sc**2 / total
        with np.errstate(divide="ignore", invalid="ignore"):  # sklearn's r2 of a constant target: 1 or 0
            r2 = np.where(sst > 0, 1 - sse / sst, np.where(sse == 0, 1.0, 0.0))
        return {"rmse": np.sqrt(sse / total), "mae": sae / total, "r2": r2, "mape": sape / total}

    return _Formulas(compute)


def _classification_formulas(true_idx: np.ndarray, pred_idx: np.ndarray, proba: np.ndarray | None,
                             classes: np.ndarray) -> _Formulas:
    """Label metrics from weighted per-class counts; probability metrics from ``_Ranking`` and weighted
    per-row losses. Binary: the weight matrices come with the rows sorted for the positive class's ranking."""
    k = len(classes)
    binary = k <= 2
    eye = np.eye(k)
    # per row: one-hot true class | one-hot predicted class | one-hot true class if predicted correctly
    per_row = np.hstack([eye[true_idx], eye[pred_idx], eye[true_idx] * (true_idx == pred_idx)[:, None]])
    pos = int(np.flatnonzero(classes == positive_class(classes))[0]) if binary else None
    rankings: list[_Ranking] = []
    order = None
    if proba is not None:
        if binary:  # scikit-learn's per-row losses: the true class's clipped probability; squared error
            p_true = np.where(true_idx == pos, proba, 1 - proba)
            brier = ((true_idx == pos) - proba) ** 2
            rankings = [_Ranking(proba, true_idx == pos)]
            order, rankings[0].order = rankings[0].order, None
        else:
            p_true = proba[np.arange(len(true_idx)), true_idx]
            brier = ((eye[true_idx] - proba) ** 2).sum(axis=1)
            rankings = [_Ranking(proba[:, c], true_idx == c) for c in range(k)]
        eps = np.finfo(np.float64).eps
        per_row = np.column_stack([per_row, -np.log(np.clip(p_true, eps, 1 - eps)), brier])
        if order is not None:
            per_row = per_row[order]

    def compute(w: np.ndarray) -> dict[str, np.ndarray]:
        total, sums = _weighted_means(w, per_row)
        true, predicted, hit = sums[:, :k], sums[:, k:2 * k], sums[:, 2 * k:3 * k]
        recall, precision, f1 = _ratio(hit, true), _ratio(hit, predicted), _ratio(2 * hit, true + predicted)
        out = {"accuracy": hit.sum(axis=1) / total,
               "balanced_accuracy": recall.sum(axis=1) / (true > 0).sum(axis=1)}
        if binary:
            out.update(precision=precision[:, pos], recall=recall[:, pos], f1=f1[:, pos])
        else:
            out.update(precision=precision.mean(axis=1), recall=recall.mean(axis=1), f1=f1.mean(axis=1))
        if proba is not None:
            areas = [ranking.areas(w) for ranking in rankings]
            out["roc_auc"] = np.mean([auc for auc, _ in areas], axis=0)
            out["average_precision"] = np.mean([ap for _, ap in areas], axis=0)
            out["log_loss"], out["brier_score"] = sums[:, 3 * k] / total, sums[:, 3 * k + 1] / total
        return out

    return _Formulas(compute, order)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, 0 where den is 0 (scikit-learn's ``zero_division=0``)."""
    return np.divide(num, den, out=np.zeros(np.broadcast_shapes(num.shape, den.shape)), where=den > 0)


class _Ranking:
    """roc_auc and average precision of one score column under row weights, from one sort of the scores.

    The rows are taken positives first, then negatives, each by descending score (``order``). For each
    positive row, the weighted positives and negatives scoring at least as high (tp, fp) and the
    negatives scoring strictly higher (fp_above) are cumulative sums read at precomputed positions.
    Then, with P and N the positive and negative weight totals:
    roc_auc = 1 - sum(w_i * (fp_i + fp_above_i)) / (2 P N) (ties count one half), and average precision
    = sum(w_i * tp_i / (tp_i + fp_i)) / P: scikit-learn's trapezoidal area and step sum, regrouped."""

    def __init__(self, score: np.ndarray, positive: np.ndarray) -> None:
        positive = np.asarray(positive, dtype=bool)
        self.order = np.lexsort((-score, ~positive))
        pos_desc, neg_asc = np.sort(score[positive])[::-1], np.sort(score[~positive])
        self.n_pos = len(pos_desc)
        n_neg = len(neg_asc)
        self.fp_at = n_neg - np.searchsorted(neg_asc, pos_desc, side="left")  # negatives scoring >= each positive
        above = n_neg - np.searchsorted(neg_asc, pos_desc, side="right")  # negatives scoring > it
        self.fp_above = None if np.array_equal(above, self.fp_at) else above
        tp_at = self.n_pos - np.searchsorted(pos_desc[::-1], pos_desc, side="left")  # positives scoring >= it
        self.tp_at = None if np.array_equal(tp_at, np.arange(1, self.n_pos + 1)) else tp_at

    def areas(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.order is not None:
            w = w[:, self.order]
        w_pos = w[:, :self.n_pos]
        cum_pos, cum_neg = _cumulative(w_pos), _cumulative(w[:, self.n_pos:])
        positives, negatives = cum_pos[:, -1].astype(float), cum_neg[:, -1].astype(float)
        fp = cum_neg[:, self.fp_at]
        tp = cum_pos[:, 1:] if self.tp_at is None else cum_pos[:, self.tp_at]
        ties = fp if self.fp_above is None else cum_neg[:, self.fp_above]
        below = (w_pos * fp).sum(axis=1, dtype=np.float64) + (w_pos * ties).sum(axis=1, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            auc = 1 - below / (2 * positives * negatives)
            auc[(positives == 0) | (negatives == 0)] = np.nan  # undefined with one class
            ap = (w_pos * _ratio(tp, tp + fp)).sum(axis=1) / positives
            ap[positives == 0] = 0.0  # scikit-learn's value without positives
        return auc, ap


def _cumulative(w: np.ndarray) -> np.ndarray:
    """Running sums along each row, with a leading 0 column (position j: the first j columns' sum)."""
    out = np.zeros((w.shape[0], w.shape[1] + 1), dtype=w.dtype)
    np.cumsum(w, axis=1, out=out[:, 1:])
    return out


# --- the bootstrap -------------------------------------------------------------------------------------------


def resample_weights(n: int, bootstrap: int, seed: int, order: np.ndarray | None = None) -> Iterator[np.ndarray]:
    """Blocks of bootstrap resamples as row weights: an int32 (resamples x n) matrix whose entry (b, j)
    is how often resample b drew row ``order[j]`` (row j without ``order``). Resample b's rows are
    ``rng.integers(0, n, size=n)`` with ``rng = np.random.default_rng(seed)``, drawn in resample order."""
    rng = np.random.default_rng(seed)
    column = None if order is None else np.argsort(order)  # row -> its column in the matrix
    block = max(1, min(bootstrap, _BLOCK_CELLS // max(n, 1)))
    for start in range(0, bootstrap, block):
        w = np.empty((min(block, bootstrap - start), n), dtype=np.int32)
        for b in range(len(w)):
            rows = rng.integers(0, n, size=n)
            w[b] = np.bincount(rows if column is None else column[rows], minlength=n)
        yield w


def _intervals(formulas: _Formulas, n: int, *, bootstrap: int, confidence: float,
               seed: int) -> dict[str, dict[str, Any]]:
    """Each metric's percentile interval over the resamples and the number of resamples skipped."""
    if not bootstrap:
        return {}
    blocks = [formulas.compute(w) for w in resample_weights(n, bootstrap, seed, formulas.order)]
    tails = [50 * (1 - confidence), 50 * (1 + confidence)]
    result = {}
    for name in blocks[0]:
        draws = np.concatenate([block[name] for block in blocks])
        skipped = int(np.isnan(draws).sum())
        low, high = (None, None) if skipped == len(draws) else (float(v) for v in np.nanpercentile(draws, tails))
        result[name] = {"ci_low": low, "ci_high": high, "skipped_resamples": skipped}
    return result


__all__ = [
    "ClassMetrics",
    "MetricValue",
    "MetricsResult",
    "metrics",
    "resample_weights",
    "weighted_metrics",
]
