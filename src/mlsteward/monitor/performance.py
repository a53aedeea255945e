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
from dataclasses import dataclass
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
from mlsteward.train.feasibility_models import Label
from mlsteward.train.metrics import Task, plain_value, task_of

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


# --- the validated rows -----------------------------------------------------------------------------------------


@dataclass
class _Rows:
    """The frame as arrays. Classification: ``pred``/``truth`` are class codes (binary: 1 the positive class,
    0 the other; multiclass: the position in ``classes``), ``truth`` -1 where unlabelled, ``proba`` one
    column per code (NaN rows where none was logged). Regression: floats, ``truth`` NaN where unlabelled."""

    task: Task
    time_ms: np.ndarray
    pred: np.ndarray
    truth: np.ndarray
    labelled: np.ndarray
    proba: np.ndarray | None
    has_proba: np.ndarray
    classes: list[Any] | None  # in code order
    frame: pd.DataFrame
    given_classes: list[Any] | None = None  # as the caller gave them

    @property
    def binary(self) -> bool:
        return self.classes is not None and len(self.classes) == 2


def _times(frame: pd.DataFrame) -> np.ndarray:
    if "time_ms" not in frame.columns:
        raise InvalidInput(f"frame has no 'time_ms' column (epoch milliseconds of each prediction); its columns "
                           f"are {[str(c) for c in frame.columns][:20]}")
    t = frame["time_ms"]
    if t.isna().any():
        raise InvalidInput(f"time_ms is missing on {int(t.isna().sum())} rows: every logged prediction has a time")
    if pd.api.types.is_datetime64_any_dtype(t):
        if getattr(t.dt, "tz", None) is not None:
            t = t.dt.tz_convert("UTC").dt.tz_localize(None)
        return t.astype("datetime64[ms]").astype("int64").to_numpy()
    if pd.api.types.is_bool_dtype(t) or not pd.api.types.is_numeric_dtype(t):
        raise InvalidInput(f"time_ms must hold epoch milliseconds (whole numbers, e.g. 1717200000000); it holds "
                           f"{t.dtype} values such as {t.iloc[0]!r}")
    values = t.to_numpy(dtype="float64")
    if not np.isfinite(values).all() or (values != np.floor(values)).any():
        raise InvalidInput("time_ms must hold whole epoch milliseconds: round the times, e.g. "
                           "frame['time_ms'] = frame['time_ms'].round().astype('int64')")
    return values.astype("int64")


def _window(window_ms: Any) -> int:
    if (isinstance(window_ms, bool) or not isinstance(window_ms, int | float | np.integer | np.floating)
            or not math.isfinite(window_ms) or window_ms <= 0 or window_ms != int(window_ms)):
        raise InvalidInput("window_ms must be a positive whole number of milliseconds, e.g. 86400000 for a day. "
                           f"Got {window_ms!r} instead.")
    return int(window_ms)


def _whole(value: Any, name: str, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InvalidInput(f"{name} must be a whole number of at least 1, e.g. {example}. Got {value!r} instead.")
    return int(value)


def _columns(names: Any, frame: pd.DataFrame, argument: str) -> list[str]:
    if isinstance(names, str):
        names = [names]
    names = list(dict.fromkeys(names or ()))
    unknown = [n for n in names if n not in frame.columns]
    if unknown:
        raise InvalidInput(f"{argument} names columns not in the frame: {unknown}; its columns are "
                           f"{[str(c) for c in frame.columns][:30]} (model inputs are logged as 'input.<name>')")
    return names


def _reference(reference: Any) -> dict[str, float]:
    if reference is None:
        return {}
    if not isinstance(reference, Mapping):
        raise InvalidInput("reference must be a mapping of metric name to value, e.g. the evaluation's metrics "
                           f"{{'roc_auc': 0.86, 'expected_calibration_error': 0.03}}. Got {type(reference).__name__}")
    out = {}
    for name, value in reference.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise InvalidInput(f"reference[{name!r}] must be a number; got {value!r}")
        if math.isfinite(value):
            out[str(name)] = float(value)
    return out


def _text(value: Any) -> str:
    """A class's text for matching: whole floats without their ".0" (labels read with missing values are floats)."""
    value = plain_value(value)
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _codes(values: pd.Series, classes: list[Any], name: str) -> np.ndarray:
    """Each value's position in ``classes`` (-1 where missing), by value, else by text."""
    out = np.full(len(values), -1, dtype=np.int64)
    present = values.notna().to_numpy()
    if not present.any():
        return out
    given = values[present].to_numpy(dtype=object)
    index = pd.Index(pd.Series(classes, dtype=object)).get_indexer(given)
    texts = {_text(c): i for i, c in enumerate(classes)}
    if len(texts) == len(classes):
        for j in np.flatnonzero(index < 0):
            index[j] = texts.get(_text(given[j]), -1)
    if (index < 0).any():
        unknown = sorted({repr(plain_value(v)) for v in given[index < 0]})[:5]
        raise InvalidInput(f"{name} holds values {', '.join(unknown)} that are not among the classes "
                           f"{[plain_value(c) for c in classes]}: pass classes= every class the model predicts, in "
                           "the order of its probabilities")
    out[present] = index
    return out


def _probabilities(column: pd.Series, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows x k probabilities with NaN rows where missing, which rows have them)."""
    values = column.to_numpy(dtype=object)
    present = np.array([not (v is None or (isinstance(v, float) and math.isnan(v))) for v in values], dtype=bool)
    try:  # the fast path: every present row a sequence of k numbers in [0, 1]
        stacked = np.array([np.asarray(v, dtype=float) for v in values[present]]).reshape(-1, k)
        if stacked.shape[0] == present.sum() and np.isfinite(stacked).all() and (stacked >= 0).all() \
                and (stacked <= 1).all():
            proba = np.full((len(column), k), np.nan)
            proba[present] = stacked
            return proba, present
    except (TypeError, ValueError):
        pass
    proba = np.full((len(column), k), np.nan)
    has = np.zeros(len(column), dtype=bool)
    for i, value in enumerate(values):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if isinstance(value, Mapping | str):
            raise InvalidInput(f"probabilities must hold a list of numbers per row (one per class, in the order of "
                               f"classes); row {i} holds {type(value).__name__} {value!r}")
        try:
            row = np.asarray(value, dtype=float)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"probabilities of row {i} are not numbers ({exc}): log predict_proba's output") from exc
        if row.shape != (k,):
            raise InvalidInput(f"probabilities of row {i} hold {row.size} values but there are {k} classes: pass "
                               "classes= the model's classes, in the order of its probabilities")
        if np.isnan(row).all():
            continue
        if not np.isfinite(row).all() or row.min() < 0 or row.max() > 1:
            raise InvalidInput(f"probabilities of row {i} must lie in [0, 1]; got {row.tolist()}: log "
                               "predict_proba's output, not scores or logits")
        proba[i], has[i] = row, True
    return proba, has


def _task(pred: pd.Series, labels: pd.Series) -> Task:
    """Regression when the predictions are numbers and one is fractional; else ``task_of`` of the predictions
    and labels."""
    if pd.api.types.is_bool_dtype(pred) or not pd.api.types.is_numeric_dtype(pred):
        return "classification"
    values = pred.to_numpy(dtype="float64")
    if (values != np.round(values)).any():
        return "regression"
    numeric = pd.to_numeric(labels, errors="coerce")
    return task_of(pd.concat([pred, numeric], ignore_index=True)) if numeric.notna().all() else "classification"


def _prepare(frame: Any, classes: Any, positive_label: Any, task: Any) -> tuple[_Rows, list[str]]:
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInput(f"frame must be a pandas DataFrame of logged predictions joined with their feedback; got "
                           f"{type(frame).__name__}")
    if not len(frame):
        raise InvalidInput("frame has no rows: there is no logged traffic to monitor in this period")
    if "prediction" not in frame.columns:
        raise InvalidInput(f"frame has no 'prediction' column; its columns are {[str(c) for c in frame.columns][:20]}")
    if task not in (None, "classification", "regression"):
        raise InvalidInput(f"task must be 'classification', 'regression' or None (inferred); got {task!r}")
    frame = frame.reset_index(drop=True)
    notes: list[str] = []
    times = _times(frame)
    pred = frame["prediction"]
    if pred.isna().any():
        raise InvalidInput(f"prediction is missing on {int(pred.isna().sum())} rows: drop rows that were not "
                           "answered (count them as errors in operations_summary)")
    label = frame["label"] if "label" in frame.columns else pd.Series([None] * len(frame), dtype=object)
    labelled = label.notna().to_numpy()
    has_probabilities = "probabilities" in frame.columns and frame["probabilities"].notna().any()
    if task is None:
        if classes is not None or has_probabilities:
            task = "classification"
        else:
            task = _task(pred, label[labelled])
    if task == "regression":
        if classes is not None or positive_label is not None:
            raise InvalidInput("classes and positive_label are for classifiers, but task is 'regression': drop them")
        try:
            p = pred.to_numpy(dtype="float64")
            y = pd.to_numeric(label, errors="raise").to_numpy(dtype="float64")
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"a regression model's predictions and labels must be numbers: {exc}") from exc
        return _Rows("regression", times, p, y, labelled, None, np.zeros(len(frame), dtype=bool), None, frame), notes
    if classes is None:
        if has_probabilities:
            raise InvalidInput("the frame has probabilities but classes is not given: pass classes= the model's "
                               "classes, in the order of each row's probabilities (the prediction log's 'classes')")
        seen = pd.concat([pred, label[labelled]], ignore_index=True)
        try:
            classes = sorted(pd.unique(seen).tolist())
        except TypeError as exc:
            raise InvalidInput("predictions and labels mix types (e.g. numbers and text): pass classes=") from exc
        if all(isinstance(c, float) and c.is_integer() for c in classes):
            classes = [int(c) for c in classes]  # labels read with missing values are floats
        if len(classes) == 1 and set(classes) <= {0, 1}:
            classes = [0, 1]
    classes = [plain_value(c) for c in (classes.tolist() if isinstance(classes, np.ndarray) else list(classes))]
    if len(classes) < 2 or len({str(c) for c in classes}) != len(classes):
        raise InvalidInput(f"classes must list at least two distinct classes, in the order of the probabilities; "
                           f"got {classes}")
    pred_codes, truth_codes = _codes(pred, classes, "prediction"), _codes(label, classes, "label")
    proba, has = (_probabilities(frame["probabilities"], len(classes)) if has_probabilities
                  else (None, np.zeros(len(frame), dtype=bool)))
    if proba is not None and not has.all():
        notes.append(f"{int((~has).sum())} of {len(frame)} rows have no probabilities: the probability metrics "
                     "and the estimates leave them out")
    if len(classes) == 2:
        if positive_label is None:
            try:
                positive = classes.index(max(classes))
            except TypeError:
                positive = 1
        else:
            positive = int(_codes(pd.Series([positive_label], dtype=object), classes, "positive_label")[0])
        order = [1 - positive, positive]  # code 0: the other class, code 1: the positive class
        pred_codes = np.where(pred_codes < 0, -1, (pred_codes == positive).astype(np.int64))
        truth_codes = np.where(truth_codes < 0, -1, (truth_codes == positive).astype(np.int64))
        proba = None if proba is None else proba[:, order]
        given, classes = classes, [classes[i] for i in order]
        return _Rows("classification", times, pred_codes, truth_codes, labelled, proba, has, classes, frame,
                     given), notes
    if positive_label is not None:
        raise InvalidInput(f"positive_label is for binary classifiers; this one has {len(classes)} classes: drop it")
    return _Rows("classification", times, pred_codes, truth_codes, labelled, proba, has, classes, frame,
                 classes), notes


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
