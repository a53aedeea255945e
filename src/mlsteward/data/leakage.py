"""Leakage review: columns that would let a model see the answer.

``review_leakage(df, target)`` scores every column on its own against the target and raises a flag,
with its evidence, for each of four kinds of leak (``LEAKAGE_KINDS``). Quarantining flagged columns
and clearing them with a reason is the workflow layer's job; this module only computes.

**Single-feature score** (every column, flagged or not, so the report shows the evidence):
a ``DecisionTreeClassifier`` / ``DecisionTreeRegressor`` with ``max_depth`` (default 4) and
``random_state=seed`` is cross-validated on that one column with
``sklearn.model_selection.cross_val_score``: ``StratifiedKFold(cv_folds, shuffle=True,
random_state=seed)`` for classification, ``KFold`` likewise for regression; the score is the mean
over folds of ROC AUC (binary), macro one-vs-rest ROC AUC (``roc_auc_ovr``, multiclass) or R²
(regression); ``encode_column`` (``mlsteward.data.leakage_encoding``) says how the one column is
encoded.

The target's missing rows are dropped for the scores and the copy check. Classification classes
with a single row are left out of the scores (noted in the report); the number of folds is lowered
to the smallest class's row count when that is below ``cv_folds``. For speed the scores use at
most ``max_rows`` rows (default 50,000), drawn without replacement with ``seed`` (stratified by
class for classification); the other checks read every row.

**Task**: classification or regression (``task="auto"`` infers it; rule in
``mlsteward.data.leakage_encoding``).

Flags and their default thresholds (``LeakageConfig``, in ``mlsteward.data.leakage_models``); the
``row_identifier`` and ``future_timestamp`` rules are in ``mlsteward.data.leakage_checks``:

``target_proxy``
    single-feature score >= ``proxy_auc_threshold`` 0.98 (ROC AUC) or ``proxy_r2_threshold`` 0.95
    (R²). For comparison, the strongest genuine feature of scikit-learn's breast-cancer data,
    ``worst area``, scores about 0.95 AUC with the defaults.
``target_copy``
    classification: the column (missing values a level of their own) maps one-to-one onto the
    target classes on >= ``copy_share_threshold`` 0.99 of the rows; the best one-to-one mapping is
    an assignment problem solved exactly by ``scipy.optimize.linear_sum_assignment`` (greedily,
    largest pairs first, when both sides have so many levels that the table exceeds 4 million
    cells). Equal values are the identity mapping. Regression: the numeric column equals the
    target (``numpy.isclose``, rtol 1e-9) on >= 0.99 of the rows; any other transform of a
    continuous target is left to ``target_proxy``, because every all-distinct column is a
    "relabelling" of an all-distinct target.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils import resample

from mlsteward.data.leakage_checks import (
    _as_datetimes,
    _as_timestamp,
    _future_flag,
    _identifier_flag,
    _missing_column_error,
    _percent,
    _show,
)
from mlsteward.data.leakage_encoding import _infer_task, encode_column
from mlsteward.data.leakage_models import (
    LEAKAGE_KINDS,
    ColumnLeakage,
    LeakageConfig,
    LeakageFlag,
    LeakageKind,
    LeakageReport,
    Task,
)
from mlsteward.data.pii_detectors import (  # noqa: F401 - importable from here, as before the split
    normalise_column_name,
)
from mlsteward.errors import InvalidInput

# --- the target_copy check ------------------------------------------------------------------------

_DENSE_ASSIGNMENT_CELLS = 4_000_000  # read here at call time: tests lower it to force the greedy path


def _best_one_to_one(col_codes: np.ndarray, target_codes: np.ndarray) -> tuple[int, list[tuple[int, int]]]:
    """Rows explained by the best one-to-one mapping of column levels onto target levels."""
    n_col, n_target = int(col_codes.max()) + 1, int(target_codes.max()) + 1
    pairs, counts = np.unique(col_codes * n_target + target_codes, return_counts=True)
    # Upper bound first: each level on either side contributes at most its largest pair.
    by_col = pd.Series(counts).groupby(pairs // n_target).max().sum()
    by_target = pd.Series(counts).groupby(pairs % n_target).max().sum()
    bound = int(min(by_col, by_target))
    if n_col * n_target <= _DENSE_ASSIGNMENT_CELLS:
        table = np.zeros((n_col, n_target), dtype=np.int64)
        table[pairs // n_target, pairs % n_target] = counts
        rows, cols = linear_sum_assignment(table, maximize=True)
        keep = table[rows, cols] > 0
        matched = [(int(r), int(c)) for r, c in zip(rows[keep], cols[keep], strict=True)]
        return int(table[rows, cols].sum()), sorted(matched, key=lambda rc: -table[rc])
    order = np.argsort(-counts, kind="stable")  # greedy, largest pairs first
    used_col: set[int] = set()
    used_target: set[int] = set()
    total = 0
    matched = []
    for index in order:
        c, t = int(pairs[index] // n_target), int(pairs[index] % n_target)
        if c in used_col or t in used_target:
            continue
        used_col.add(c)
        used_target.add(t)
        total += int(counts[index])
        matched.append((c, t))
    return min(total, bound), matched


def _copy_flag(name: str, column: pd.Series, y: pd.Series, task: Task, threshold: float) -> LeakageFlag | None:
    n = len(y)
    if task == "regression":
        if not pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
            return None
        values = column.astype("float64").to_numpy(dtype=float, na_value=np.nan)
        share = float(np.isclose(values, y.to_numpy(dtype=float), rtol=1e-9, atol=0.0).mean())
        if share < threshold:
            return None
        evidence = f"equals the target on {_percent(share)} of {n:,} rows (threshold {_percent(threshold)})"
        return LeakageFlag(column=name, kind="target_copy", observed=share, threshold=threshold, evidence=evidence,
                           details={"rows_matching": round(share * n), "rows": n, "identity": True})
    col_codes, col_levels = pd.factorize(column, use_na_sentinel=False)
    target_codes, target_levels = pd.factorize(y)
    matched_rows, pairs = _best_one_to_one(np.asarray(col_codes), np.asarray(target_codes))
    share = matched_rows / n
    if share < threshold:
        return None
    mapping = [(col_levels[c], target_levels[t]) for c, t in pairs]
    identity = all(_same(a, b) for a, b in mapping)
    shown = ", ".join(f"{_show(a)} → {_show(b)}" for a, b in mapping[:5]) + (", …" if len(mapping) > 5 else "")
    how = "equals the target" if identity else f"is a one-to-one relabelling of the target ({shown})"
    return LeakageFlag(
        column=name, kind="target_copy", observed=share, threshold=threshold,
        evidence=f"{how} on {_percent(share)} of {n:,} rows (threshold {_percent(threshold)})",
        details={"rows_matching": matched_rows, "rows": n, "identity": identity,
                 "mapping": {_show(a): _show(b) for a, b in mapping[:20]}},
    )



def _same(a: object, b: object) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


# --- the review -----------------------------------------------------------------------------------


def review_leakage(
    df: pd.DataFrame,
    target: str,
    *,
    prediction_time: str | datetime | date | pd.Timestamp | np.datetime64 | None = None,
    prediction_time_column: str | None = None,
    time_columns: Iterable[str] | None = None,
    task: Literal["auto", "classification", "regression"] = "auto",
    config: LeakageConfig | None = None,
) -> LeakageReport:
    """Flag the columns of ``df`` that leak ``target``: proxies, copies, row identifiers, future times.

    Every column but the target is scored on its own (``ColumnLeakage.single_feature_score``) and
    checked for each kind in ``LEAKAGE_KINDS``; see the module documentation for the rules and
    ``LeakageConfig`` for the thresholds. ``prediction_time`` (one timestamp) or
    ``prediction_time_column`` (a column of per-row prediction times) enables the
    ``future_timestamp`` check; ``time_columns`` names the columns it checks (default: every
    datetime column).
    """
    config = config or LeakageConfig()
    if not isinstance(config, LeakageConfig):
        raise InvalidInput(
            f"The 'config' parameter of review_leakage must be a LeakageConfig. Got {config!r} instead."
        )
    if not isinstance(df, pd.DataFrame):
        raise InvalidInput(f"review_leakage needs a pandas DataFrame; got {type(df).__name__}.")
    duplicated = df.columns[df.columns.duplicated()].unique().tolist()
    if duplicated:
        names = ", ".join(map(str, duplicated))
        raise InvalidInput(f"column names must be unique for a leakage review; duplicated: {names}. "
                           "Rename them first.")
    if target not in df.columns:
        raise _missing_column_error("target column", target, df.columns)
    if task not in ("auto", "classification", "regression"):
        raise InvalidInput("The 'task' parameter of review_leakage must be 'auto', 'classification' or "
                           f"'regression'. Got {task!r} instead.")
    if prediction_time is not None and prediction_time_column is not None:
        raise InvalidInput("give prediction_time (one timestamp) or prediction_time_column (one per row), not both.")
    if prediction_time_column is not None and prediction_time_column not in df.columns:
        raise _missing_column_error("prediction_time_column", prediction_time_column, df.columns)
    if prediction_time_column == target:
        raise InvalidInput(f"the prediction_time_column '{prediction_time_column}' is the target; name the column "
                           "that holds the time each prediction is made.")

    # The prediction time and the time columns, validated before any computation.
    reference: pd.Timestamp | pd.Series | None = None
    if prediction_time is not None:
        reference = _as_timestamp(prediction_time)
    elif prediction_time_column is not None:
        reference = _as_datetimes(df[prediction_time_column], "prediction_time_column")
    if time_columns is not None:
        time_list = [time_columns] if isinstance(time_columns, str) else list(time_columns)
        for name in time_list:
            if name not in df.columns:
                raise _missing_column_error("time column", name, df.columns)
        if reference is None:
            raise InvalidInput("time_columns are checked against a prediction time; give prediction_time or "
                               "prediction_time_column too.")
    elif reference is not None:
        time_list = [c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c].dtype)
                     and c not in (target, prediction_time_column)]
    else:
        time_list = []
    time_series = {name: _as_datetimes(df[name], "time column") for name in time_list}

    # The target.
    has_target = df[target].notna()
    scored = df.loc[has_target]
    y = scored[target]
    if y.nunique() < 2:
        seen = f"only the value {_show(y.iloc[0])}" if len(y) else "no values at all"
        raise InvalidInput(
            f"leakage scoring needs at least two classes (distinct values) in the target '{target}', but it has "
            f"{seen} in {len(y):,} rows with a target; check that the right column and rows were given."
        )
    resolved = _infer_task(y, task, config.max_classes, target)
    notes: list[str] = []
    if (missing := int((~has_target).sum())):
        notes.append(f"{missing:,} rows with a missing target were left out of the scores and the copy check.")

    # Rows for the single-feature scores.
    sample = scored
    if resolved != "regression":
        counts = y.value_counts()
        rare = counts[counts < 2]
        if len(rare):
            shown = ", ".join(_show(value) for value in rare.index)
            notes.append(f"classes with a single row were left out of the scores: {shown}.")
            sample = sample[~y.isin(rare.index)]
            if sample[target].nunique() < 2:
                raise InvalidInput(f"leakage scoring needs at least two classes with two rows or more in target "
                                   f"'{target}'; class counts: {counts.to_dict()}.")
    if len(sample) > config.max_rows:
        stratify = sample[target] if resolved != "regression" else None
        sample = resample(sample, replace=False, n_samples=config.max_rows, random_state=config.seed,
                          stratify=stratify)
        notes.append(f"single-feature scores use a seeded sample of {config.max_rows:,} of {len(scored):,} rows.")
    y_sample = sample[target].to_numpy()
    if resolved == "regression":
        folds = min(config.cv_folds, len(sample))
        cv: KFold | StratifiedKFold = KFold(n_splits=folds, shuffle=True, random_state=config.seed)
        estimator: Any = DecisionTreeRegressor(max_depth=config.max_depth, random_state=config.seed)
        metric, proxy_threshold = "r2", config.proxy_r2_threshold
        y_sample = y_sample.astype(float)
    else:
        folds = min(config.cv_folds, int(sample[target].value_counts().min()))
        cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=config.seed)
        estimator = DecisionTreeClassifier(max_depth=config.max_depth, random_state=config.seed)
        metric = "roc_auc" if resolved == "binary" else "roc_auc_ovr"
        proxy_threshold = config.proxy_auc_threshold
    if folds < config.cv_folds:
        why = "the smallest class has" if resolved != "regression" else "there are only"
        notes.append(f"{folds} folds were used instead of {config.cv_folds}: {why} {folds} rows.")

    columns: list[ColumnLeakage] = []
    flags: list[LeakageFlag] = []
    for label in df.columns:
        if label == target:
            continue
        name = str(label)
        X, encoding = encode_column(sample[label])
        scores = cross_val_score(estimator, X, y_sample, cv=cv, scoring=metric)
        score = float(np.mean(scores))
        column_flags: list[LeakageFlag] = []
        copy = _copy_flag(name, scored[label], y, resolved, config.copy_share_threshold)
        if copy is not None:
            column_flags.append(copy)
        if score >= proxy_threshold:
            metric_name = {"roc_auc": "ROC AUC", "roc_auc_ovr": "macro one-vs-rest ROC AUC", "r2": "R²"}[metric]
            column_flags.append(LeakageFlag(
                column=name, kind="target_proxy", observed=score, threshold=proxy_threshold,
                evidence=(f"on its own predicts the target with cross-validated {metric_name} {score:.3f} "
                          f"(± {float(np.std(scores)):.3f}, {folds}-fold, depth-{config.max_depth} tree) "
                          f">= {proxy_threshold:g}"),
                details={"fold_scores": [float(s) for s in scores], "metric": metric},
            ))
        identifier = _identifier_flag(label, df[label])
        if identifier is not None:
            column_flags.append(identifier)
        later_share = None
        if label in time_series:
            later_share, future = _future_flag(label, time_series[label], reference, config.future_share_threshold)
            if future is not None:
                column_flags.append(future)
        non_null = df[label].dropna()
        distinct = float(non_null.nunique() / len(non_null)) if len(non_null) else None
        columns.append(ColumnLeakage(
            column=name, dtype=str(df[label].dtype), encoding=encoding, single_feature_score=score,
            score_std=float(np.std(scores)), distinct_share=distinct, later_share=later_share,
            flags=[flag.kind for flag in column_flags],
        ))
        flags.extend(column_flags)

    stamp = reference.to_pydatetime() if isinstance(reference, pd.Timestamp) else None
    return LeakageReport(
        target=str(target), task=resolved, metric=metric, proxy_threshold=proxy_threshold, rows=len(df),
        rows_scored=len(sample), cv_folds=folds, prediction_time=stamp,
        prediction_time_column=None if prediction_time_column is None else str(prediction_time_column),
        time_columns=[str(c) for c in time_list], config=config, columns=columns, flags=flags, notes=notes,
    )


__all__ = [
    "LEAKAGE_KINDS",
    "ColumnLeakage",
    "LeakageConfig",
    "LeakageFlag",
    "LeakageKind",
    "LeakageReport",
    "encode_column",
    "review_leakage",
]
