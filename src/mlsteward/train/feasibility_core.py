"""The computations of the feasibility study: is there enough signal to justify the investment?

Pure functions, numbers in and a typed result (``mlsteward.train.feasibility_models``) out; the
workflow that samples the data, trains the baselines and prototypes, stores the evidence and takes
the go / no-go decision calls them. The error taxonomy is in ``mlsteward.train.feasibility_errors``.

* ``learning_curve_study``: scikit-learn's ``learning_curve`` (stratified, shuffled, seeded folds for
  a classifier), an inverse power law ``score(n) = a - b * n**-c`` fitted to the validation means
  (``fit_power_law``), the training rows needed to reach a target, and a verdict in words.
* ``labeling_cost``: the rows still to label for that, and what they cost.
* ``compute_viability``: measured training time, latency, throughput and memory against the
  charter's budgets.
* ``sample_summary``: the rows studied and their target.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import OptimizeWarning, curve_fit
from sklearn.base import is_classifier
from sklearn.model_selection import KFold, StratifiedKFold, learning_curve
from sklearn.utils.multiclass import type_of_target

from mlsteward.errors import InvalidInput
from mlsteward.train.efficiency import DEFAULT_COST_PER_CPU_SECOND_USD
from mlsteward.train.feasibility_models import (
    ClassShare,
    ComputeViability,
    Efficiency,
    FeasibilityCheck,
    LabelingCost,
    LearningCurve,
    LearningCurvePoint,
    PowerLawFit,
    SampleSummary,
)

__all__ = [
    "compute_viability",
    "fit_power_law",
    "labeling_cost",
    "learning_curve_study",
    "sample_summary",
]

DEFAULT_SIZES = (0.1, 0.2, 0.35, 0.5, 0.75, 1.0)
MAX_CLASSES = 20  # a numeric target with more distinct whole values is a quantity, not classes

# The range each scikit-learn scorer string can take, so the fitted asymptote stays inside it.
_UNIT_SCORES = ("accuracy", "balanced_accuracy", "roc_auc", "average_precision", "f1", "precision",
                "recall", "jaccard", "top_k_accuracy")
_AT_MOST_ONE = ("r2", "explained_variance", "d2_", "matthews_corrcoef", "adjusted_rand_score")


def _score_range(scoring: Any) -> tuple[float, float]:
    if not isinstance(scoring, str):
        return -math.inf, math.inf
    if scoring.startswith("neg_"):
        return -math.inf, 0.0
    if scoring.startswith(_UNIT_SCORES):
        return 0.0, 1.0
    if scoring.startswith(_AT_MOST_ONE):
        return -math.inf, 1.0
    return -math.inf, math.inf


def _metric_name(scoring: Any) -> str:
    if isinstance(scoring, str):
        return scoring
    func = getattr(scoring, "_score_func", scoring)  # a make_scorer object keeps its metric here
    name = getattr(func, "__name__", "")
    return name if name and name != "<lambda>" else "score"


# --- the power law --------------------------------------------------------------------------------


def _law(x: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    return a - b * np.power(x, -c)


def fit_power_law(
    rows: Sequence[float],
    scores: Sequence[float],
    *,
    greater_is_better: bool = True,
    score_range: tuple[float, float] | None = None,
) -> PowerLawFit:
    """Fit ``score(n) = a - b * n**-c`` (``a + b * n**-c`` when lower is better) to scores at sizes.

    Least squares (``scipy.optimize.curve_fit``, trust-region reflective) with ``b >= 0`` and
    ``0.01 <= c <= 5``; the asymptote ``a`` is kept inside ``score_range`` (the values the metric can
    take, e.g. ``(0, 1)`` for ROC AUC) and, on its improving side, within ten times the spread of the
    scores beyond the best one, which keeps a nearly flat curve from running off to a meaningless
    asymptote. Rows are scaled by the largest size inside the fit (the reported ``b`` is in rows).

    Raises ``InvalidInput`` when there are fewer than three distinct sizes with finite scores, or
    when no fit converges.
    """
    n = np.asarray(rows, dtype=float)
    y = np.asarray(scores, dtype=float)
    if n.shape != y.shape or n.ndim != 1:
        raise InvalidInput(f"fit_power_law needs one score per size; got {n.shape} sizes and {y.shape} scores.")
    keep = np.isfinite(n) & np.isfinite(y) & (n > 0)
    n, y = n[keep], y[keep]
    if len(np.unique(n)) < 3:
        raise InvalidInput(f"A power law has three parameters: it needs scores at 3 or more distinct "
                           f"training sizes with finite values; got {len(np.unique(n))}. Study more sizes.")
    sign = 1.0 if greater_is_better else -1.0
    low, high = score_range if score_range is not None else (-math.inf, math.inf)
    # In the mirrored space the score improves upwards and the asymptote a is bounded by (a_lo, a_hi).
    a_lo, a_hi = (low, high) if greater_is_better else (-high, -low)
    m = sign * y
    spread = max(float(np.ptp(m)), 1e-3 * max(abs(float(m.max())), 1.0), 1e-12)
    a_hi = min(a_hi, float(m.max()) + 10 * spread)
    a_lo = max(a_lo, float(m.min()) - 10 * spread)
    if not a_lo < a_hi:
        raise InvalidInput(f"The scores {y.tolist()} lie outside the metric's range {score_range}.")
    scale = float(n.max())
    x = n / scale
    order = np.argsort(x)
    best: tuple[float, np.ndarray] | None = None
    a0 = min(float(m.max()) + 0.1 * spread, a_hi)  # both bounds of a are finite by now
    for c0 in (0.5, 0.1, 1.0, 2.0):
        b0 = max((a0 - float(m[order[0]])) * float(x[order[0]]) ** c0, 1e-9)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", OptimizeWarning)
                params, _ = curve_fit(_law, x, m, p0=[a0, b0, c0], bounds=([a_lo, 0.0, 0.01], [a_hi, np.inf, 5.0]),
                                      method="trf", max_nfev=20_000, ftol=1e-14, xtol=1e-14, gtol=1e-14)
        except (RuntimeError, ValueError, FloatingPointError):
            continue
        sse = float(np.sum((_law(x, *params) - m) ** 2))
        if math.isfinite(sse) and (best is None or sse < best[0]):
            best = (sse, params)
    if best is None:
        raise InvalidInput("No power law could be fitted to these scores (the optimiser did not converge).")
    sse, (a, b_scaled, c) = best
    at_bound = bool(abs(a - a_hi) <= 1e-6 * max(1.0, abs(a_hi)))
    return PowerLawFit(a=float(sign * a), b=float(b_scaled * scale**c), c=float(c),
                       greater_is_better=greater_is_better, rmse=math.sqrt(sse / len(m)),
                       rows_min=int(n.min()), rows_max=int(n.max()), asymptote_at_bound=at_bound)


# --- the learning curve ---------------------------------------------------------------------------


def _is_classification(estimator: Any, y: np.ndarray) -> bool:
    return bool(is_classifier(estimator)) and type_of_target(y) in ("binary", "multiclass")


def _check_study_inputs(estimator: Any, X: Any, y: Any, sizes: Any, cv: Any, target: Any) -> tuple[float, ...]:
    if not hasattr(estimator, "fit"):
        raise InvalidInput(f"The 'estimator' parameter of learning_curve_study must be a scikit-learn estimator "
                           f"(with fit); got {type(estimator).__name__} instead.")
    if len(X) != len(y):
        raise InvalidInput(f"X and y must have the same rows; got {len(X)} rows in X and {len(y)} in y.")
    try:
        shares = tuple(sorted({float(s) for s in sizes}))
    except (TypeError, ValueError):
        raise InvalidInput(f"The 'sizes' parameter of learning_curve_study must be shares of the training "
                           f"rows in (0, 1], e.g. (0.1, 0.5, 1.0); got {sizes!r} instead.") from None
    if not shares or not all(0 < s <= 1 for s in shares):
        raise InvalidInput(f"The 'sizes' parameter of learning_curve_study must be shares of the training "
                           f"rows in (0, 1], e.g. (0.1, 0.5, 1.0); got {sizes!r} instead.")
    if isinstance(cv, bool) or not (isinstance(cv, numbers.Integral) and cv >= 2 or hasattr(cv, "split")):
        raise InvalidInput(f"The 'cv' parameter of learning_curve_study must be an int >= 2 (folds) or a "
                           f"scikit-learn splitter; got {cv!r} instead.")
    if target is not None and (isinstance(target, bool) or not isinstance(target, numbers.Real)
                               or not math.isfinite(target)):
        raise InvalidInput(f"The 'target' parameter of learning_curve_study must be a finite number in the "
                           f"metric's units, or None; got {target!r} instead.")
    return shares


def _fold_values(row: np.ndarray) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in row]


def learning_curve_study(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    scoring: Callable[[Any, Any, Any], float] | str,
    sizes: Sequence[float] = DEFAULT_SIZES,
    cv: int | Any = 5,
    seed: int = 0,
    target: float | None = None,
    greater_is_better: bool = True,
    score_range: tuple[float, float] | None = None,
    flat_tolerance: float | None = None,
    n_jobs: int | None = None,
) -> LearningCurve:
    """How the validation score grows with the training rows, and whether more data would help.

    Runs ``sklearn.model_selection.learning_curve`` at ``sizes`` (shares of a fold's training rows)
    with ``cv`` folds: ``StratifiedKFold`` for a classifier on class labels, else ``KFold``, both
    shuffled with ``seed`` (a splitter object is used as given); the training subsets are also
    shuffled with ``seed``. ``scoring`` is a scikit-learn scorer string (always higher-is-better,
    so ``greater_is_better`` must stay True) or a callable ``scoring(estimator, X, y) -> float``.

    The power law of ``fit_power_law`` is fitted to the validation means; with a ``target`` (in the
    metric's units) the study estimates the training rows the curve needs to reach it
    (``rows_needed``, None when the asymptote does not reach it). ``score_range`` bounds the
    asymptote (inferred for scorer strings: e.g. (0, 1) for ``roc_auc``). The curve is called flat
    when the score gains at most ``flat_tolerance`` per doubling of the rows at the largest size
    (default: the standard error of the largest size's validation score over the folds, at least
    0.001 × max(|score|, 1)). A failed fit gives a note in ``fit_note``, not an error.
    """
    shares = _check_study_inputs(estimator, X, y, sizes, cv, target)
    if isinstance(scoring, str) and not greater_is_better:
        raise InvalidInput(f"scikit-learn scorer strings are all higher-is-better (losses are negated, e.g. "
                           f"'neg_log_loss'); got scoring={scoring!r} with greater_is_better=False. Leave "
                           f"greater_is_better=True, or pass a callable that returns the loss itself.")
    y_array = np.asarray(y)
    classification = _is_classification(estimator, y_array)
    if hasattr(cv, "split"):
        splitter = cv
    elif classification:
        splitter = StratifiedKFold(n_splits=int(cv), shuffle=True, random_state=seed)
    else:
        splitter = KFold(n_splits=int(cv), shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*fits failed.*")
        sizes_abs, train, valid, fit_times, _ = learning_curve(
            estimator, X, y, train_sizes=np.array(shares), cv=splitter, scoring=scoring, shuffle=True,
            random_state=seed, n_jobs=n_jobs, return_times=True)
    notes: list[str] = []
    largest = int(sizes_abs.max())
    points = []
    for n_rows, tr, va, ft in zip(sizes_abs, train, valid, fit_times, strict=True):
        if not np.isfinite(va).any() or not np.isfinite(tr).any():
            notes.append(f"Every fit at {int(n_rows):,} training rows failed; that size is left out.")
            continue
        failed = int((~np.isfinite(va)).sum())
        if failed:
            notes.append(f"{failed} of {len(va)} fits at {int(n_rows):,} training rows failed; "
                         f"the mean is over the rest.")
        points.append(LearningCurvePoint(
            share=float(n_rows) / largest, train_rows=int(n_rows),
            train_mean=float(np.nanmean(tr)), train_std=float(np.nanstd(tr)),
            validation_mean=float(np.nanmean(va)), validation_std=float(np.nanstd(va)),
            train_scores=_fold_values(tr), validation_scores=_fold_values(va),
            fit_seconds=float(np.mean(ft))))
    if not points:
        raise InvalidInput("Every fit of the learning curve failed; check that the estimator trains on this "
                           "data (e.g. call estimator.fit(X, y) once) and that the smallest size holds every class.")
    folds = len(points[-1].validation_scores)
    bounds = score_range if score_range is not None else _score_range(scoring)
    fit, fit_note = None, None
    try:
        fit = fit_power_law([p.train_rows for p in points], [p.validation_mean for p in points],
                            greater_is_better=greater_is_better, score_range=bounds)
    except InvalidInput as exc:
        fit_note = f"No power law was fitted: {exc.message}"
    return _assess(points=points, fit=fit, fit_note=fit_note, target=target,
                   greater_is_better=greater_is_better, flat_tolerance=flat_tolerance, notes=notes,
                   metric=_metric_name(scoring), task="classification" if classification else "regression",
                   cv=repr(splitter), folds=folds, seed=seed, rows=len(y_array))


def _assess(*, points: list[LearningCurvePoint], fit: PowerLawFit | None, fit_note: str | None,
            target: float | None, greater_is_better: bool, flat_tolerance: float | None,
            notes: list[str], **fields: Any) -> LearningCurve:
    """The trend, the rows needed for the target and the verdict, from the points and the fit."""
    sign = 1.0 if greater_is_better else -1.0
    last = points[-1]
    metric = fields["metric"]
    finite_folds = sum(v is not None for v in last.validation_scores)
    if flat_tolerance is None:
        tolerance = max(last.validation_std / math.sqrt(max(finite_folds, 1)),
                        1e-3 * max(abs(last.validation_mean), 1.0))
    else:
        tolerance = float(flat_tolerance)
    if fit is not None:
        gain = sign * (fit.predict(2 * last.train_rows) - fit.predict(last.train_rows))
    elif len(points) >= 2:
        prev = points[-2]
        gain = sign * (last.validation_mean - prev.validation_mean) / math.log2(last.train_rows / prev.train_rows)
    else:
        gain = None
    trend: Literal["rising", "flat"] = "rising" if gain is not None and gain > tolerance else "flat"

    flat_since = None
    if trend == "flat":
        for p in points:
            later = [q for q in points if q.train_rows >= p.train_rows]
            if all(abs(q.validation_mean - last.validation_mean) <= 2 * tolerance for q in later):
                flat_since = p
                break
    parts = []
    if gain is None:
        parts.append("One training size only: the trend is unknown; study more sizes.")
    elif trend == "rising":
        parts.append(f"Still rising at the largest size ({last.train_rows:,} training rows): more data would "
                     f"help (about {gain:+.3g} {metric} per doubling of the rows).")
    elif flat_since is not None and flat_since is not last:
        parts.append(f"Flat since {flat_since.share:.0%} of the rows ({flat_since.train_rows:,} training rows): "
                     f"more data is unlikely to help; better features or models are the lever.")
    else:
        parts.append(f"Little gain at the largest size ({gain:+.3g} {metric} per doubling of the rows): "
                     f"more data is unlikely to help much.")

    rows_needed, target_met = None, None
    if target is not None:
        target_met = bool(sign * (last.validation_mean - target) >= 0)
        if target_met:
            parts.append(f"The target {target:g} is already met at the largest size "
                         f"({last.validation_mean:.4g} at {last.train_rows:,} training rows).")
        if fit is not None:
            rows_needed = fit.rows_to_reach(target)
            if rows_needed is None and sign * (fit.asymptote - target) <= 0:
                if not target_met:
                    parts.append(f"The target {target:g} lies beyond the fitted ceiling {fit.asymptote:.4g}: "
                                 f"more data alone is unlikely to reach it.")
            elif rows_needed is None:
                parts.append(f"The target {target:g} is within the fitted ceiling {fit.asymptote:.4g}, but only "
                             f"beyond 10^15 training rows: not reachable with more data in practice.")
            elif not target_met:
                parts.append(f"The fitted curve reaches the target {target:g} at about {rows_needed:,} training "
                             f"rows ({rows_needed / last.train_rows:.1f}× the largest size studied).")
        elif not target_met:
            parts.append(f"The rows needed for the target {target:g} could not be estimated (no power law fit).")
    if fit is not None and fit.asymptote_at_bound:
        notes.append("The fitted ceiling sits on the limit of the fit (the metric's best possible value, or ten "
                     "times the spread of the scores beyond the best one): extrapolations are rough.")
    gap = sign * (last.train_mean - last.validation_mean)
    if gap > 0.05 * max(abs(last.train_mean), abs(last.validation_mean), 1e-12) and gap > 2 * tolerance:
        notes.append(f"Training score {last.train_mean:.4g} vs validation {last.validation_mean:.4g} at the largest "
                     f"size: the model overfits (high variance); more data or regularisation narrows the gap.")
    elif trend == "flat":
        notes.append(f"Training and validation scores are close ({last.train_mean:.4g} vs "
                     f"{last.validation_mean:.4g}): the model is limited by its capacity or the features, not "
                     f"by the amount of data.")
    return LearningCurve(points=points, fit=fit, fit_note=fit_note, target=target, rows_needed=rows_needed,
                         target_met=target_met, trend=trend, gain_per_doubling=gain,
                         flat_since_share=flat_since.share if flat_since is not None else None,
                         tolerance=tolerance, verdict=" ".join(parts), notes=notes,
                         greater_is_better=greater_is_better, **fields)


# --- labeling cost --------------------------------------------------------------------------------


def labeling_cost(rows_needed: int | None, rows_labelled: int, cost_per_row: float | None) -> LabelingCost:
    """The rows still to label to reach ``rows_needed`` and what labelling them costs.

    ``rows_needed`` is usually ``LearningCurve.rows_needed`` (None when it could not be estimated);
    ``cost_per_row`` is in USD (``feasibility.label_cost_per_row`` in steward.yaml; None: unknown).
    """
    for name, value, ok in (("rows_needed", rows_needed, rows_needed is None or rows_needed >= 0),
                            ("rows_labelled", rows_labelled, rows_labelled is not None),
                            ("cost_per_row", cost_per_row, True)):
        if name != "cost_per_row" and value is not None and (isinstance(value, bool)
                                                             or not isinstance(value, numbers.Integral)):
            raise InvalidInput(f"The '{name}' parameter of labeling_cost must be an int; got {value!r} instead.")
        if not ok or (isinstance(value, numbers.Integral) and value < 0):
            raise InvalidInput(f"The '{name}' parameter of labeling_cost must be >= 0; got {value!r} instead.")
    if cost_per_row is not None and (isinstance(cost_per_row, bool) or not isinstance(cost_per_row, numbers.Real)
                                     or not math.isfinite(cost_per_row) or cost_per_row < 0):
        raise InvalidInput(f"The 'cost_per_row' parameter of labeling_cost must be a number >= 0 (USD per row) "
                           f"or None; got {cost_per_row!r} instead.")
    notes: list[str] = []
    to_label = None if rows_needed is None else max(0, int(rows_needed) - int(rows_labelled))
    cost = None
    if to_label is None:
        summary = ("Rows needed unknown: no target was set, or the learning curve found it out of reach of more "
                   "data or could not estimate it; the labeling cost is not estimated.")
    elif to_label == 0:
        cost = 0.0
        summary = f"Enough rows are labelled: {rows_labelled:,} labelled, {rows_needed:,} needed."
    else:
        summary = f"{to_label:,} more rows to label ({rows_labelled:,} labelled, {rows_needed:,} needed)"
        if cost_per_row is None:
            summary += "; the cost is unknown."
        else:
            cost = to_label * float(cost_per_row)
            summary += f", about {cost:,.2f} USD at {cost_per_row:g} USD per row."
    if cost_per_row is None and to_label != 0:
        notes.append("No cost per labelled row was given (steward.yaml feasibility.label_cost_per_row).")
    return LabelingCost(rows_needed=rows_needed, rows_labelled=rows_labelled, rows_to_label=to_label,
                        cost_per_row_usd=None if cost_per_row is None else float(cost_per_row),
                        estimated_cost_usd=cost, summary=summary, notes=notes)


# --- compute viability ----------------------------------------------------------------------------


def compute_viability(
    *,
    train_seconds: float | None = None,
    latency_p50_ms: float | None = None,
    latency_p99_ms: float | None = None,
    batch_rows_per_second: float | None = None,
    peak_memory_mb: float | None = None,
    model_size_bytes: int | None = None,
    cpu_ms_per_prediction: float | None = None,
    p95_latency_ms: float | None = None,
    cost_per_prediction_usd: float | None = None,
    cost_per_cpu_second_usd: float = DEFAULT_COST_PER_CPU_SECOND_USD,
) -> ComputeViability:
    """Measured efficiency against the charter's budgets (``charter.constraints``).

    The measurements are those of ``mlsteward.train.efficiency.profile_model`` (same names), so
    ``compute_viability(**profile.model_dump(include=...), p95_latency_ms=...)`` works.

    The p95 latency budget is checked against the measured **p99** single-row latency: p99 >= p95,
    so a p99 within budget bounds the p95 (a conservative check). The cost per prediction is the CPU
    time of one single-row prediction times the price of a CPU-second (default USD 0.0000139, about
    USD 0.05 per vCPU-hour: pass yours); without ``cpu_ms_per_prediction`` the median latency stands
    in for it (wall-clock, so an upper bound for one thread), and without that one row's share of the
    batch time. A budget not set, or a number not measured, gives a check with ``passed=None`` and a
    note.
    """
    try:
        measured = Efficiency(train_seconds=train_seconds, latency_p50_ms=latency_p50_ms,
                              latency_p99_ms=latency_p99_ms, batch_rows_per_second=batch_rows_per_second,
                              peak_memory_mb=peak_memory_mb, model_size_bytes=model_size_bytes,
                              cpu_ms_per_prediction=cpu_ms_per_prediction)
    except ValueError as exc:
        raise InvalidInput(f"compute_viability got an impossible measurement: {exc}") from exc
    for name, value in (("p95_latency_ms", p95_latency_ms), ("cost_per_prediction_usd", cost_per_prediction_usd),
                        ("cost_per_cpu_second_usd", cost_per_cpu_second_usd)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)
                                  or not math.isfinite(value) or value < 0):
            raise InvalidInput(f"The '{name}' parameter of compute_viability must be a number >= 0"
                               f"{'' if name == 'cost_per_cpu_second_usd' else ' or None'}; got {value!r} instead.")
    notes: list[str] = []
    checks: list[FeasibilityCheck] = []
    if p95_latency_ms is None:
        checks.append(FeasibilityCheck(check="p95_latency_ms", required="no budget", observed=latency_p99_ms,
                                       passed=None,
                                       note="no latency budget in the charter (constraints.p95_latency_ms)"))
    elif latency_p99_ms is None:
        checks.append(FeasibilityCheck(check="p95_latency_ms", required=f"<= {p95_latency_ms:g} ms", observed=None,
                                       passed=None, note="p99 latency not measured: the p95 budget cannot be checked"))
    else:
        checks.append(FeasibilityCheck(
            check="p95_latency_ms", required=f"<= {p95_latency_ms:g} ms", observed=latency_p99_ms,
            passed=latency_p99_ms <= p95_latency_ms,
            note="observed: the p99 single-row latency, a conservative bound for the p95"))
    if cpu_ms_per_prediction is not None:
        cpu_ms, basis = cpu_ms_per_prediction, "CPU time of one single-row prediction"
    elif latency_p50_ms is not None:
        cpu_ms, basis = latency_p50_ms, "median single-row latency (wall clock; CPU time not measured)"
    elif batch_rows_per_second is not None:
        cpu_ms, basis = 1e3 / batch_rows_per_second, "one row's share of the batch time (no single-row timing)"
    else:
        cpu_ms, basis = None, ""
    per_prediction = None if cpu_ms is None else cpu_ms / 1e3 * cost_per_cpu_second_usd
    if per_prediction is not None:
        notes.append(f"Cost per prediction estimated from the {basis}: {cpu_ms:.4g} ms × USD "
                     f"{cost_per_cpu_second_usd:g} per CPU-second.")
    if cost_per_prediction_usd is None:
        checks.append(FeasibilityCheck(check="cost_per_prediction_usd", required="no budget", observed=per_prediction,
                                       passed=None,
                                       note="no cost budget in the charter (constraints.cost_per_prediction_usd)"))
    elif per_prediction is None:
        checks.append(FeasibilityCheck(check="cost_per_prediction_usd", required=f"<= {cost_per_prediction_usd:g} USD",
                                       observed=None, passed=None,
                                       note="not evaluated: no prediction time was measured"))
    else:
        checks.append(FeasibilityCheck(check="cost_per_prediction_usd", required=f"<= {cost_per_prediction_usd:g} USD",
                                       observed=per_prediction, passed=per_prediction <= cost_per_prediction_usd,
                                       note=f"estimated from the {basis}"))
    if latency_p50_ms is not None and latency_p99_ms is not None and latency_p99_ms < latency_p50_ms:
        notes.append("The measured p99 latency is below the p50: check the measurement.")
    return ComputeViability(measured=measured, cost_per_cpu_second_usd=cost_per_cpu_second_usd,
                            estimated_cost_per_prediction_usd=per_prediction, checks=checks, notes=notes)


# --- the sample -----------------------------------------------------------------------------------


def _is_labels(values: np.ndarray) -> bool:
    """Class labels: text, booleans, or numbers with at most ``MAX_CLASSES`` distinct whole values
    (a numeric target with more, such as an age, is a quantity)."""
    if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return True
    return type_of_target(values) in ("binary", "multiclass") and len(np.unique(values)) <= MAX_CLASSES


def _label(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def sample_summary(y: Any, *, columns: int | None = None, target: str | None = None,
                   positive_label: Any = None) -> SampleSummary:
    """The rows of the sample and their target: class shares (and the positive rate when binary),
    or mean, std, min, median and max for a numeric target with more than 20 distinct values.

    The positive class of a binary target is ``positive_label``; by default 1 (or True) when the
    classes are 0/1 (False/True), else the rarer class.
    """
    series = pd.Series(np.asarray(y)) if not isinstance(y, pd.Series) else y.reset_index(drop=True)
    notes = []
    missing = int(series.isna().sum())
    if missing:
        notes.append(f"{missing:,} rows have no target value.")
    values = series.dropna()
    if len(values) and _is_labels(values.to_numpy()):
        counts = values.value_counts()
        classes = [ClassShare(label=_label(k), count=int(v), share=float(v) / len(values)) for k, v in counts.items()]
        task: Literal["binary", "multiclass", "regression"] = "binary" if len(classes) == 2 else "multiclass"
        pos, rate = None, None
        if task == "binary":
            labels = {c.label for c in classes}
            if positive_label is not None:
                pos = positive_label
            elif labels in ({0, 1}, {False, True}):
                pos = 1 if 1 in labels else True
            else:
                pos = classes[-1].label
                notes.append(f"The rarer class {pos!r} is counted as positive.")
            rate = float((values == pos).mean())
        return SampleSummary(rows=len(series), columns=columns, target=target, task=task, positive_label=pos,
                             positive_rate=rate, classes=classes, notes=notes)
    numeric = values.astype(float)
    summary = {"mean": float(numeric.mean()), "std": float(numeric.std()), "min": float(numeric.min()),
               "median": float(numeric.median()), "max": float(numeric.max())} if len(numeric) else {}
    return SampleSummary(rows=len(series), columns=columns, target=target, task="regression",
                         target_summary=summary, notes=notes)
