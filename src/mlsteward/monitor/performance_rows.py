"""The rows ``performance_over_time`` reads, validated: times, predictions, labels and probabilities as
arrays (classes matched by value, else by text), with the task; and its arguments checked.
``mlsteward.monitor.performance`` documents the rules."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlsteward.errors import InvalidInput
from mlsteward.train.metrics import Task, plain_value, task_of

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
