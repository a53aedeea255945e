"""How well a binary classifier's probabilities match observed frequencies, and recalibration.

**Bins.** ``strategy="uniform"``: ``bins`` equal-width bins on [0, 1], edges ``np.linspace(0, 1, bins + 1)``.
``strategy="quantile"``: edges at the quantiles of ``y_prob`` (``np.percentile``, linear interpolation),
so each bin holds about n / bins rows; repeated probabilities can make edges coincide and bins empty.
Bins are right-closed: a probability p falls in bin b when ``edges[b] < p <= edges[b + 1]``, the first
bin also holding ``edges[0]``. So p = 0 is in the first bin, p = 1.0 in the last, and a p equal to an
inner edge in the bin below it (with 10 uniform bins, p = 0.5 is in bin 5 of 10, (0.4, 0.5]). This is
scikit-learn's ``calibration_curve`` rule (``np.searchsorted(edges[1:-1], p)``), and the reliability
curve equals its output. Empty bins are skipped everywhere.

**Errors.** For the non-empty bins, with n_b rows, mean predicted probability predicted_b and share of
positive rows observed_b: expected calibration error ECE = sum_b (n_b / n) |observed_b - predicted_b|,
maximum calibration error MCE = max_b |observed_b - predicted_b|. The Brier score is scikit-learn's
``brier_score_loss`` (mean squared difference between probability and outcome).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import brier_score_loss

from mlsteward.errors import InvalidInput
from mlsteward.evaluate._common import as_array, binary_labels, positive_probabilities, same_length
from mlsteward.train.feasibility_models import Label

Strategy = Literal["uniform", "quantile"]
Method = Literal["isotonic", "sigmoid"]


class ReliabilityCurve(BaseModel):
    """Per non-empty bin, in bin order: the bin's edges, mean predicted probability, observed share of
    positives and number of rows. A calibrated model's points lie on the diagonal."""

    bin_low: list[float]
    bin_high: list[float]
    mean_predicted: list[float]
    observed_frequency: list[float]
    count: list[int]


class CalibrationResult(BaseModel):
    """Calibration of a binary classifier's probabilities on a set of rows."""

    n_rows: int
    positive_class: Label
    bins: int
    strategy: Strategy
    edges: list[float] = Field(description="bins + 1 edges; bin b is (edges[b], edges[b+1]], the first also "
                               "holding edges[0]")
    empty_bins: int
    brier_score: float
    expected_calibration_error: float = Field(description="sum over bins of (rows in bin / rows) * "
                                              "|observed - predicted|")
    maximum_calibration_error: float = Field(description="largest |observed - predicted| of a bin")
    curve: ReliabilityCurve


class RecalibrationResult(BaseModel):
    """A model's calibration on test rows before and after recalibrating it on separate calibration rows."""

    method: Method
    n_calibration_rows: int
    n_test_rows: int
    before: CalibrationResult
    after: CalibrationResult
    brier_score_change: float = Field(description="after - before; negative is better")
    expected_calibration_error_change: float = Field(description="after - before; negative is better")


def calibration(y_true: Any, y_prob: Any, *, bins: int = 10, strategy: Strategy = "uniform") -> CalibrationResult:
    """Brier score, expected and maximum calibration error and the reliability curve of binary
    probabilities ``y_prob`` (the positive class's column, or ``predict_proba``'s two columns)."""
    if not isinstance(bins, int | np.integer) or isinstance(bins, bool) or bins < 1:
        raise InvalidInput(f"bins must be a whole number >= 1 (10 is usual); got {bins!r}")
    if strategy not in ("uniform", "quantile"):
        raise InvalidInput(f"strategy must be 'uniform' (equal-width bins) or 'quantile' (equal-count bins); "
                           f"got {strategy!r}")
    y, positive = _binary_target(y_true, "y_true")
    prob = positive_probabilities(y_prob)
    if not same_length(y_true=y, y_prob=prob):
        raise InvalidInput("y_true is empty: calibration needs scored rows")
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, bins + 1)
    else:
        edges = np.percentile(prob, np.linspace(0, 1, bins + 1) * 100)
    index = np.searchsorted(edges[1:-1], prob)
    count = np.bincount(index, minlength=bins)
    full = count > 0
    predicted = np.bincount(index, weights=prob, minlength=bins)[full] / count[full]
    observed = np.bincount(index, weights=y, minlength=bins)[full] / count[full]
    gaps = np.abs(observed - predicted)
    return CalibrationResult(
        n_rows=len(y), positive_class=positive.item() if isinstance(positive, np.generic) else positive,
        bins=bins, strategy=strategy, edges=edges.tolist(), empty_bins=int((~full).sum()),
        brier_score=float(brier_score_loss(y, prob)),
        expected_calibration_error=float(np.sum(count[full] / len(y) * gaps)),
        maximum_calibration_error=float(gaps.max()),
        curve=ReliabilityCurve(bin_low=edges[:-1][full].tolist(), bin_high=edges[1:][full].tolist(),
                               mean_predicted=predicted.tolist(), observed_frequency=observed.tolist(),
                               count=count[full].tolist()))


def fit_recalibrator(estimator: Any, X_calib: Any, y_calib: Any, *,  # noqa: N803
                     method: Method = "isotonic") -> CalibratedClassifierCV:
    """``estimator`` (fitted, binary) recalibrated on the rows ``X_calib``, ``y_calib``: scikit-learn's
    ``CalibratedClassifierCV(FrozenEstimator(estimator), method=method)``; the model itself is not refitted."""
    if method not in ("isotonic", "sigmoid"):
        raise InvalidInput(f"method must be 'isotonic' (monotone steps, needs about 1,000+ rows) or 'sigmoid' "
                           f"(Platt scaling, for few rows); got {method!r}")
    _check_binary_model(estimator)
    _binary_target(y_calib, "y_calib")
    same_length(X_calib=X_calib, y_calib=as_array(y_calib, "y_calib"))
    try:
        return CalibratedClassifierCV(FrozenEstimator(estimator), method=method).fit(X_calib, y_calib)
    except ValueError as exc:
        raise InvalidInput(f"recalibration failed: {exc}; give more calibration rows (at least 5 of each class), "
                           "with the same columns the model was trained on") from exc


def recalibrate(estimator: Any, X_calib: Any, y_calib: Any, X_test: Any, y_test: Any, *,  # noqa: N803
                method: Method = "isotonic", bins: int = 10, strategy: Strategy = "uniform") -> RecalibrationResult:
    """Recalibrate a fitted binary classifier on calibration rows and compare its calibration on test rows
    before and after (Brier score, ECE, reliability curves). ``fit_recalibrator`` gives the model itself."""
    calibrated = fit_recalibrator(estimator, X_calib, y_calib, method=method)
    same_length(X_test=X_test, y_test=as_array(y_test, "y_test"))
    before = calibration(y_test, estimator.predict_proba(X_test)[:, 1], bins=bins, strategy=strategy)
    after = calibration(y_test, calibrated.predict_proba(X_test)[:, 1], bins=bins, strategy=strategy)
    return RecalibrationResult(
        method=method, n_calibration_rows=len(as_array(y_calib, "y_calib")), n_test_rows=before.n_rows,
        before=before, after=after, brier_score_change=after.brier_score - before.brier_score,
        expected_calibration_error_change=after.expected_calibration_error - before.expected_calibration_error)


def _binary_target(y_true: Any, name: str) -> tuple[np.ndarray, Any]:
    """(1 for the positive class else 0, the positive class); a clear error for missing values or more
    than two classes."""
    y = as_array(y_true, name)
    if pd.isna(y).any():
        raise InvalidInput(f"{name} is missing on {int(pd.isna(y).sum())} rows: drop those rows first")
    classes = pd.unique(y)
    if len(classes) > 2:
        raise InvalidInput(f"calibration is measured for binary targets; {name} has {len(classes)} classes. For a "
                           "multiclass model check one class at a time: y_true == c against predict_proba(X)[:, i] "
                           "of class c (one-vs-rest)")
    return binary_labels(y, name)


def _check_binary_model(estimator: Any) -> None:
    classes = getattr(estimator, "classes_", None)
    if classes is None or not hasattr(estimator, "predict_proba"):
        raise InvalidInput(f"{type(estimator).__name__} is not a fitted classifier with predict_proba: fit it "
                           "first (recalibration does not refit the model)")
    if len(classes) != 2:
        raise InvalidInput(f"recalibration here is for binary classifiers; this model has {len(classes)} classes")


__all__ = [
    "CalibrationResult",
    "RecalibrationResult",
    "ReliabilityCurve",
    "calibration",
    "fit_recalibrator",
    "recalibrate",
]
