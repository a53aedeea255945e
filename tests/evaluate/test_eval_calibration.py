"""Calibration: a hand-worked ECE, an independent loop implementation, scikit-learn's calibration_curve and
brier_score_loss, and recalibration against CalibratedClassifierCV on the GSS data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV, calibration_curve
from sklearn.compose import make_column_transformer
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.metrics import brier_score_loss
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput
from mlsteward.evaluate._calibration import calibration, fit_recalibrator, recalibrate

NUMERIC = ["year", "age", "childs", "prestg10"]
CATEGORICAL = ["gender", "wrkstat", "maritalcat", "educcat"]


@pytest.fixture(scope="module")
def split():  # noqa: ANN201
    """A naive Bayes model (over-confident: its probabilities crowd near 0 and 1) and two held-out parts."""
    data = gss_wages_with_target().sample(9000, random_state=1).reset_index(drop=True)
    X, y = data[NUMERIC + CATEGORICAL], data["high_income"]  # noqa: N806
    prep = make_column_transformer((SimpleImputer(), NUMERIC),
                                   (OneHotEncoder(handle_unknown="ignore", sparse_output=False), CATEGORICAL))
    model = make_pipeline(prep, GaussianNB()).fit(X.iloc[:3000], y.iloc[:3000])
    return model, (X.iloc[3000:6000], y.iloc[3000:6000]), (X.iloc[6000:], y.iloc[6000:])


def test_hand_worked_example() -> None:
    # 4 uniform bins, edges 0, 0.25, 0.5, 0.75, 1 (exact in binary); an edge value falls in the bin below it:
    #   bin 1 [0, .25]:   p 0.0, 0.25, 0.25  y 0, 0, 1  n=3  predicted 0.5/3 = 0.1667  observed 1/3   gap 0.1667
    #   bin 2 (.25, .5]:  p 0.5              y 0        n=1  predicted 0.5             observed 0     gap 0.5
    #   bin 3 (.5, .75]:  p 0.6, 0.75        y 0, 1     n=2  predicted 0.675           observed 0.5   gap 0.175
    #   bin 4 (.75, 1]:   p 0.9, 1.0         y 0, 1     n=2  predicted 0.95            observed 0.5   gap 0.45
    # ECE = (3 * 1/6 + 1 * 0.5 + 2 * 0.175 + 2 * 0.45) / 8 = (0.5 + 0.5 + 0.35 + 0.9) / 8 = 2.25 / 8 = 0.28125
    # MCE = 0.5
    # Brier = (0 + .0625 + .5625 + .25 + .36 + .0625 + .81 + 0) / 8 = 2.1075 / 8 = 0.2634375
    y = [0, 0, 1, 0, 0, 1, 0, 1]
    p = [0.0, 0.25, 0.25, 0.5, 0.6, 0.75, 0.9, 1.0]
    result = calibration(y, p, bins=4)
    assert result.expected_calibration_error == pytest.approx(0.28125, abs=1e-15)
    assert result.maximum_calibration_error == pytest.approx(0.5, abs=1e-15)
    assert result.brier_score == pytest.approx(0.2634375, abs=1e-15)
    assert result.curve.count == [3, 1, 2, 2]
    assert result.curve.mean_predicted == pytest.approx([1 / 6, 0.5, 0.675, 0.95], abs=1e-15)
    assert result.curve.observed_frequency == pytest.approx([1 / 3, 0, 0.5, 0.5], abs=1e-15)
    assert result.curve.bin_low == [0, 0.25, 0.5, 0.75] and result.curve.bin_high == [0.25, 0.5, 0.75, 1.0]
    assert result.edges == [0, 0.25, 0.5, 0.75, 1.0] and result.empty_bins == 0 and result.positive_class == 1


def _loop_errors(y, p, edges):  # noqa: ANN001, ANN202
    """ECE and MCE by a plain loop over rows and bins, bin b = (edges[b], edges[b+1]], the first closed."""
    sums = {}
    for yi, pi in zip(y, p, strict=True):
        b = next(b for b in range(len(edges) - 1) if pi <= edges[b + 1] or b == len(edges) - 2)
        n, pred, obs = sums.get(b, (0, 0.0, 0.0))
        sums[b] = (n + 1, pred + pi, obs + yi)
    gaps = {b: abs(obs / n - pred / n) for b, (n, pred, obs) in sums.items()}
    return sum(sums[b][0] / len(y) * gap for b, gap in gaps.items()), max(gaps.values())


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("bins", [5, 10, 15])
def test_errors_equal_a_loop_and_curve_equals_sklearn(split, strategy, bins) -> None:  # noqa: ANN001
    model, _, (X, y) = split  # noqa: N806
    p = model.predict_proba(X)[:, 1]
    result = calibration(y, p, bins=bins, strategy=strategy)
    ece, mce = _loop_errors(y.to_numpy(), p, result.edges)
    assert result.expected_calibration_error == pytest.approx(ece, abs=1e-12)
    assert result.maximum_calibration_error == pytest.approx(mce, abs=1e-12)
    observed, predicted = calibration_curve(y, p, n_bins=bins, strategy=strategy)
    assert result.curve.observed_frequency == pytest.approx(observed.tolist(), abs=1e-12)
    assert result.curve.mean_predicted == pytest.approx(predicted.tolist(), abs=1e-12)
    assert sum(result.curve.count) == len(y) == result.n_rows
    assert result.brier_score == pytest.approx(brier_score_loss(y, p), abs=1e-15)
    if strategy == "uniform":
        assert result.edges == pytest.approx(np.linspace(0, 1, bins + 1).tolist())


def test_two_column_probabilities_and_text_labels() -> None:
    y = np.array(["no", "yes", "yes", "no", "yes"])
    p = np.array([0.2, 0.7, 0.9, 0.4, 0.45])
    result = calibration(y, np.column_stack([1 - p, p]), bins=2)
    assert result.positive_class == "yes"
    assert result.brier_score == pytest.approx(brier_score_loss(y, p, pos_label="yes"))
    observed, _ = calibration_curve(y, p, n_bins=2, pos_label="yes")
    assert result.curve.observed_frequency == pytest.approx(observed.tolist())


def test_empty_bins_are_skipped() -> None:
    result = calibration([0, 1, 1, 0], [0.05, 0.95, 0.91, 0.02], bins=10)
    assert result.curve.count == [2, 2] and result.empty_bins == 8
    assert result.curve.bin_low == pytest.approx([0.0, 0.9])


def test_recalibration_equals_calibrated_classifier_cv_and_helps(split) -> None:  # noqa: ANN001
    model, (X_cal, y_cal), (X_test, y_test) = split  # noqa: N806
    for method in ("isotonic", "sigmoid"):
        result = recalibrate(model, X_cal, y_cal, X_test, y_test, method=method)
        reference = CalibratedClassifierCV(FrozenEstimator(model), method=method).fit(X_cal, y_cal)
        p_after = reference.predict_proba(X_test)[:, 1]
        assert result.after.brier_score == pytest.approx(brier_score_loss(y_test, p_after), abs=1e-15)
        assert result.before.brier_score == pytest.approx(
            brier_score_loss(y_test, model.predict_proba(X_test)[:, 1]), abs=1e-15)
        _, predicted = calibration_curve(y_test, p_after, n_bins=10)
        assert result.after.curve.mean_predicted == pytest.approx(predicted.tolist(), abs=1e-12)
        # naive Bayes is badly calibrated; recalibrating on separate rows fixes most of it
        assert result.after.expected_calibration_error < 0.5 * result.before.expected_calibration_error
        assert result.brier_score_change < 0
        assert result.n_calibration_rows == 3000 and result.n_test_rows == 3000
    calibrated = fit_recalibrator(model, X_cal, y_cal, method="sigmoid")
    assert calibrated.predict_proba(X_test)[:, 1] == pytest.approx(
        CalibratedClassifierCV(FrozenEstimator(model), method="sigmoid").fit(X_cal, y_cal).predict_proba(X_test)[:, 1])


@pytest.mark.parametrize(("y", "p", "kwargs", "message"), [
    ([0, 1, 2], [0.1, 0.2, 0.3], {}, "one-vs-rest"),
    ([0, 1, 1], [0.1, 1.2, 0.3], {}, r"\[0, 1\]"),
    ([0, 1, 1], [0.1, np.nan, 0.3], {}, "missing"),
    ([0, 1, 1], [0.1, 0.2], {}, "one value per row"),
    ([0, 1, 1], [[0.1, 0.2, 0.7]] * 3, {}, "columns"),
    ([0, 1, 1], [0.1, 0.2, 0.3], {"bins": 0}, "bins"),
    ([0, 1, 1], [0.1, 0.2, 0.3], {"strategy": "kmeans"}, "strategy"),
    ([0, None, 1], [0.1, 0.2, 0.3], {}, "missing on 1 rows"),
])
def test_bad_input_is_refused(y, p, kwargs, message) -> None:  # noqa: ANN001
    with pytest.raises(InvalidInput, match=message):
        calibration(np.array(y, dtype=object) if None in y else y, p, **kwargs)


def test_recalibration_refuses_bad_models_and_methods(split) -> None:  # noqa: ANN001
    model, (X_cal, y_cal), _ = split  # noqa: N806
    with pytest.raises(InvalidInput, match="method"):
        fit_recalibrator(model, X_cal, y_cal, method="beta")
    with pytest.raises(InvalidInput, match="fitted classifier"):
        fit_recalibrator(GaussianNB(), X_cal, y_cal)
    with pytest.raises(InvalidInput, match="binary"):
        fit_recalibrator(model, X_cal, pd.Series(np.arange(len(y_cal)) % 3))
