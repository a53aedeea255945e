"""How the model holds up when its input is damaged: degradation curves under noise, category swaps,
missing values and out-of-range values, and probes proving that invalid rows do not crash scoring.

Every perturbation is applied to the same rows, at most ``max_rows`` of them (a seeded sample, counted in
the result), and compared with the clean metric on those rows. The draws are seeded and shared between
the levels of one kind (``numpy.random.default_rng([seed, k])``), so a larger level damages a superset
of what a smaller one damaged and the curve shows the level's effect, not a new draw:

* ``gaussian_noise``: every numeric column plus ``scale x`` its standard deviation times one standard
  normal draw per cell (missing cells stay missing).
* ``category_swap``: in every categorical column (with two or more values), each row with probability
  ``rate`` gets another of the column's values, drawn from the column's observed distribution without
  the row's own value.
* ``missing_values``: each cell of every column, with probability ``rate``, set missing (NaN / None).
* ``out_of_range``: each cell, with probability ``rate``, set out of range: a numeric cell to
  ``max + 10 x range`` or ``min - 10 x range`` (even odds; for a constant column the range is taken as
  ``max(|value|, 1)``), a categorical cell to ``UNSEEN_CATEGORY``.

For each level: the metric, its change from the clean metric, its degradation (positive = worse), and for
a classifier the share of predicted labels that changed. A model that refuses a perturbed frame gets the
error message at that level instead of a metric.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from sklearn.base import is_classifier

from mlsteward.errors import InvalidInput, StewardError
from mlsteward.evaluate._common import column_kind, frame_and_target, model_metric, positive_int, sample_rows
from mlsteward.train.metrics import Metric, score_estimator

PerturbationKind = Literal["gaussian_noise", "category_swap", "missing_values", "out_of_range"]
Outcome = Literal["scored", "rejected", "crashed", "invalid_output"]

UNSEEN_CATEGORY = "__steward_unseen__"
"""The value given to categorical cells by the out-of-range perturbation and the unseen-category probe."""

OUT_OF_RANGE = 10.0
"""Out-of-range numbers lie this many observed ranges beyond the observed minimum or maximum."""

VALIDATION_ERRORS: tuple[type[BaseException], ...] = (ValueError, TypeError, StewardError)
"""Exceptions that count as a clear rejection of invalid rows (scikit-learn raises ValueError / TypeError;
Steward's feature pipeline raises InvalidInput). Pass ``validation_errors=`` to add others (pandera's
SchemaError, ...)."""

PROBE_ROWS = 5
"""Rows per invalid-row probe (the first rows of the sample, damaged)."""


class PerturbationPoint(BaseModel):
    """The metric at one level of a perturbation."""

    level: float = Field(description="the noise scale (x column std) or the share of rows / cells damaged")
    score: float | None = Field(None, description="the metric on the perturbed rows; None when scoring failed")
    change: float | None = Field(None, description="score - clean score")
    degradation: float | None = Field(None, description="how much worse than clean (positive = worse)")
    changed_share: float | None = Field(None, description="share of predicted labels that changed (classifiers)")
    error: str | None = Field(None, description="the model's error, when it refused the perturbed rows")


class PerturbationCurve(BaseModel):
    """The degradation curve of one kind of perturbation."""

    kind: PerturbationKind
    level_name: str
    columns: list[str] = Field(description="the columns perturbed")
    points: list[PerturbationPoint]


class InvalidRowProbe(BaseModel):
    """Scoring a frame of invalid rows: ``scored`` (valid predictions) or ``rejected`` (a validation error)
    pass; ``crashed`` (any other exception) and ``invalid_output`` (predictions silently wrong) fail."""

    probe: str
    description: str
    outcome: Outcome
    message: str | None = Field(None, description="the error raised, or what was wrong with the predictions")
    passed: bool


class RobustnessResult(BaseModel):
    """Degradation curves per perturbation kind, and the invalid-row probes; passes when every probe does."""

    metric: str
    greater_is_better: bool
    clean_score: float = Field(description="the metric on the sampled rows, unperturbed")
    n_rows: int = Field(description="rows used (a seeded sample when the input had more than max_rows)")
    n_rows_total: int
    seed: int
    curves: list[PerturbationCurve]
    probes: list[InvalidRowProbe]
    passed: bool = Field(description="every invalid-row probe was scored or cleanly rejected")


def robustness(model: Any, X: pd.DataFrame, y: Any, *, metric: str | Metric | None = None,  # noqa: N803
               noise_scales: Sequence[float] = (0.05, 0.1, 0.25, 0.5), missing_rates: Sequence[float] = (0.05, 0.2),
               swap_rates: Sequence[float] | None = None, out_of_range_rates: Sequence[float] | None = None,
               max_rows: int = 10000, seed: int = 0,
               validation_errors: tuple[type[BaseException], ...] = VALIDATION_ERRORS) -> RobustnessResult:
    """Degradation of ``model``'s metric under perturbed input, and whether invalid rows crash scoring.

    ``swap_rates`` and ``out_of_range_rates`` default to ``missing_rates``. ``metric`` defaults as in
    ``explain`` (roc_auc / accuracy for classifiers, r2 for regressors).

    **Invalid-row probes** (``PROBE_ROWS`` rows each, a probe is left out when X has no column it damages):
    ``text_in_numeric`` (text in every numeric column), ``all_missing`` (every cell missing),
    ``unseen_categories`` (a never-seen value in every categorical column), ``numbers_in_categorical``,
    ``infinities`` (+inf / -inf in every numeric column). Each is scored with ``predict`` (and
    ``predict_proba`` when the model has it). Outcome:

    - ``rejected`` (passes): scoring raised one of ``validation_errors`` (ValueError, TypeError,
      Steward's errors by default) -- a clear refusal, message recorded;
    - ``crashed`` (fails): scoring raised anything else (KeyError, AttributeError, IndexError, ...);
    - ``invalid_output`` (fails): scoring returned, but not one prediction per row, or a classifier's
      label outside ``classes_``, or a regressor's prediction not a finite number, or probabilities not
      finite, outside [0, 1] or not summing to 1 (within 1e-6) per row;
    - ``scored`` (passes): valid predictions for every row.
    """
    X, y = frame_and_target(X, y)  # noqa: N806
    scored_metric = model_metric(model, metric, y)
    positive_int(max_rows, "max_rows")
    noise_scales = _levels(noise_scales, "noise_scales", upper=None)
    missing_rates = _levels(missing_rates, "missing_rates", upper=1.0)
    swap_rates = missing_rates if swap_rates is None else _levels(swap_rates, "swap_rates", upper=1.0)
    out_of_range_rates = (missing_rates if out_of_range_rates is None
                          else _levels(out_of_range_rates, "out_of_range_rates", upper=1.0))
    validation_errors = tuple(validation_errors)
    rows, y_rows = sample_rows(X, y, max_rows, seed)
    rows = rows.reset_index(drop=True)

    clean_score = score_estimator(scored_metric, model, rows, y_rows)
    clean_labels = model.predict(rows) if is_classifier(model) else None
    kinds = {c: column_kind(rows[c]) for c in rows.columns}
    numeric = [c for c in rows.columns if kinds[c] == "numeric"]
    categorical = [c for c in rows.columns if kinds[c] == "categorical"]
    swappable = [c for c in categorical if rows[c].nunique(dropna=True) >= 2]

    def curve(kind: PerturbationKind, level_name: str, columns: list[str], levels: list[float],
              damage: Any) -> PerturbationCurve:
        points = [_point(model, scored_metric, damage(level), y_rows, clean_score, clean_labels, level)
                  for level in levels]
        return PerturbationCurve(kind=kind, level_name=level_name, columns=columns, points=points)

    curves = []
    if numeric and noise_scales:
        curves.append(curve("gaussian_noise", "noise standard deviation (x the column's)", numeric, noise_scales,
                            _noise(rows, numeric, np.random.default_rng([seed, 1]))))
    if swappable and swap_rates:
        curves.append(curve("category_swap", "share of rows swapped per column", swappable, swap_rates,
                            _swaps(rows, swappable, np.random.default_rng([seed, 2]))))
    if missing_rates:
        curves.append(curve("missing_values", "share of cells missing", list(rows.columns), missing_rates,
                            _missing(rows, np.random.default_rng([seed, 3]))))
    if out_of_range_rates and (numeric or categorical):
        curves.append(curve("out_of_range", "share of cells out of range", [*numeric, *categorical],
                            out_of_range_rates,
                            _out_of_range(rows, numeric, categorical, np.random.default_rng([seed, 4]))))

    probes = [_probe(model, name, described, frame, validation_errors)
              for name, described, frame in invalid_rows(rows.head(PROBE_ROWS), numeric, categorical)]
    return RobustnessResult(metric=scored_metric.name, greater_is_better=scored_metric.greater_is_better,
                            clean_score=clean_score, n_rows=len(rows), n_rows_total=len(X), seed=seed, curves=curves,
                            probes=probes, passed=all(p.passed for p in probes))


# -- perturbations: each returns ``level -> perturbed copy of rows`` with its draws made once ------------

def _noise(rows: pd.DataFrame, columns: list[str], rng: np.random.Generator) -> Any:
    values = rows[columns].to_numpy(dtype=float, na_value=np.nan)
    std = np.nanstd(values, axis=0)
    std = np.where(np.isnan(std), 0.0, std)
    draws = rng.standard_normal(values.shape) * std

    def damage(scale: float) -> pd.DataFrame:
        noisy = values + scale * draws
        return rows.assign(**{c: noisy[:, i] for i, c in enumerate(columns)})
    return damage


def _swaps(rows: pd.DataFrame, columns: list[str], rng: np.random.Generator) -> Any:
    chance = rng.random((len(rows), len(columns)))
    replacements = {c: _other_values(rows[c], rng) for c in columns}

    def damage(rate: float) -> pd.DataFrame:
        return rows.assign(**{c: rows[c].mask(chance[:, i] < rate, replacements[c])
                              for i, c in enumerate(columns)})
    return damage


def _other_values(values: pd.Series, rng: np.random.Generator) -> pd.Series:
    """Per row, another observed value of the column, drawn with the observed frequencies given that it is
    not the row's own (missing rows: any value); by inverse CDF with the row's own value's interval skipped."""
    counts = values.value_counts(dropna=True)
    counts = counts[counts > 0]
    share = (counts / counts.sum()).to_numpy(dtype=float)
    cdf = np.cumsum(share)
    own = counts.index.get_indexer(values)  # -1 for a missing value
    own_share = np.where(own >= 0, share[np.maximum(own, 0)], 0.0)
    below_own = np.where(own >= 0, cdf[np.maximum(own, 0)] - own_share, np.inf)
    u = rng.random(len(values)) * (1.0 - own_share)
    u = np.where(u < below_own, u, u + own_share)
    drawn = np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1)
    return pd.Series(counts.index.take(drawn), index=values.index).astype(values.dtype)


def _missing(rows: pd.DataFrame, rng: np.random.Generator) -> Any:
    chance = rng.random(rows.shape)

    def damage(rate: float) -> pd.DataFrame:
        return rows.assign(**{c: rows[c].mask(chance[:, i] < rate) for i, c in enumerate(rows.columns)})
    return damage


def _out_of_range(rows: pd.DataFrame, numeric: list[str], categorical: list[str], rng: np.random.Generator) -> Any:
    columns = [*numeric, *categorical]
    chance = rng.random((len(rows), len(columns)))
    high = rng.random((len(rows), len(numeric))) < 0.5
    far = {}
    for i, c in enumerate(numeric):
        values = rows[c].to_numpy(dtype=float, na_value=np.nan)
        low_end, high_end = (np.nanmin(values), np.nanmax(values)) if np.isfinite(values).any() else (0.0, 0.0)
        span = OUT_OF_RANGE * ((high_end - low_end) or max(abs(high_end), 1.0))  # a constant column: its size
        far[c] = np.where(high[:, i], high_end + span, low_end - span)

    def damage(rate: float) -> pd.DataFrame:
        damaged = {}
        for i, c in enumerate(columns):
            hit = chance[:, i] < rate
            if c in far:
                damaged[c] = np.where(hit, far[c], rows[c].to_numpy(dtype=float, na_value=np.nan))
            else:
                damaged[c] = _with_unseen(rows[c]).mask(hit, UNSEEN_CATEGORY)
        return rows.assign(**damaged)
    return damage


def _with_unseen(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.add_categories([UNSEEN_CATEGORY])
    if pd.api.types.is_bool_dtype(values):
        return values.astype(object)
    return values


def _point(model: Any, metric: Metric, rows: pd.DataFrame, y: np.ndarray, clean: float, clean_labels: Any,
           level: float) -> PerturbationPoint:
    try:
        score = score_estimator(metric, model, rows, y)
        labels = None if clean_labels is None else model.predict(rows)
    except Exception as exc:  # noqa: BLE001 -- a model that refuses damaged rows gets its error on the curve
        return PerturbationPoint(level=level, error=_message(exc))
    change = score - clean
    changed = None if labels is None else float(np.mean(np.asarray(labels) != np.asarray(clean_labels)))
    return PerturbationPoint(level=level, score=score, change=change,
                             degradation=-change if metric.greater_is_better else change, changed_share=changed)


# -- invalid rows ------------------------------------------------------------------------------------------

def invalid_rows(rows: pd.DataFrame, numeric: list[str], categorical: list[str]) -> list[tuple[str, str, pd.DataFrame]]:
    """The probes: ``(name, description, frame)`` for each damage that applies to these columns."""
    n = len(rows)
    probes = []
    if numeric:
        probes.append(("text_in_numeric", "text in every numeric column",
                       rows.assign(**{c: pd.Series(["not a number"] * n, index=rows.index, dtype=object)
                                      for c in numeric})))
    probes.append(("all_missing", "every cell missing",
                   rows.assign(**{c: rows[c].mask(np.ones(n, dtype=bool)) for c in rows.columns})))
    if categorical:
        probes.append(("unseen_categories", f"the never-seen value {UNSEEN_CATEGORY!r} in every categorical column",
                       rows.assign(**{c: _with_unseen(rows[c]).mask(np.ones(n, dtype=bool), UNSEEN_CATEGORY)
                                      for c in categorical})))
        probes.append(("numbers_in_categorical", "a number in every categorical column",
                       rows.assign(**{c: pd.Series([12345] * n, index=rows.index, dtype=object)
                                      for c in categorical})))
    if numeric:
        signs = np.where(np.arange(n) % 2 == 0, np.inf, -np.inf)
        probes.append(("infinities", "+inf and -inf in every numeric column",
                       rows.assign(**{c: signs for c in numeric})))
    return probes


def _probe(model: Any, name: str, described: str, rows: pd.DataFrame,
           validation_errors: tuple[type[BaseException], ...]) -> InvalidRowProbe:
    def result(outcome: Outcome, message: str | None = None) -> InvalidRowProbe:
        return InvalidRowProbe(probe=name, description=described, outcome=outcome, message=message,
                               passed=outcome in ("scored", "rejected"))
    try:
        with np.errstate(all="ignore"):  # infinities and text make numpy warn before the model refuses them
            predictions = model.predict(rows)
            proba = model.predict_proba(rows) if is_classifier(model) and hasattr(model, "predict_proba") else None
    except validation_errors as exc:
        return result("rejected", _message(exc))
    except Exception as exc:  # noqa: BLE001 -- the point of the probe: record what the model raised
        return result("crashed", _message(exc))
    problem = _invalid_predictions(model, predictions, proba, len(rows))
    return result("invalid_output", problem) if problem else result("scored")


def _invalid_predictions(model: Any, predictions: Any, proba: Any, n: int) -> str | None:
    """What is wrong with the predictions of ``n`` rows, or None."""
    predictions = np.asarray(predictions)
    if predictions.ndim != 1 or len(predictions) != n:
        return f"expected {n} predictions, got an array of shape {predictions.shape}"
    if is_classifier(model):
        classes = np.asarray(model.classes_)
        unknown = ~np.isin(predictions, classes)
        if unknown.any():
            return (f"{int(unknown.sum())} of {n} predicted labels are not classes of the model, e.g. "
                    f"{predictions[unknown][0]!r}")
        if proba is not None:
            proba = np.asarray(proba)
            if proba.shape != (n, len(classes)):
                return f"predict_proba gave shape {proba.shape} for {n} rows and {len(classes)} classes"
            if not np.all(np.isfinite(proba.astype(float))):
                return "predict_proba returned NaN or infinite probabilities"
            if proba.min() < 0 or proba.max() > 1 or np.abs(proba.sum(axis=1) - 1).max() > 1e-6:
                return "predict_proba returned probabilities outside [0, 1] or not summing to 1"
        return None
    try:
        values = predictions.astype(float)
    except (TypeError, ValueError):
        return f"the predictions are not numbers ({predictions.dtype})"
    if not np.all(np.isfinite(values)):
        return f"{int((~np.isfinite(values)).sum())} of {n} predictions are NaN or infinite"
    return None


def _levels(values: Sequence[float], name: str, *, upper: float | None) -> list[float]:
    try:
        levels = [float(v) for v in values]
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{name} must be a list of numbers; got {values!r}") from exc
    bad = [v for v in levels if not np.isfinite(v) or v < 0 or (upper is not None and v > upper)]
    if bad:
        allowed = "between 0 and 1" if upper is not None else "0 or more"
        raise InvalidInput(f"{name} must each be {allowed}; got {bad}")
    return levels


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


__all__ = ["InvalidRowProbe", "PerturbationCurve", "PerturbationPoint", "RobustnessResult", "robustness"]
