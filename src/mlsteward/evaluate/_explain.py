"""Why a model predicts what it does, on the raw columns it takes: permutation importance, partial
dependence and, with the ``[explain]`` extra, mean absolute SHAP values.

``model`` is a fitted scikit-learn-API estimator that takes the raw frame (Steward's scoring model wraps
the feature pipeline and the estimator into one). Every statistic is computed on at most ``max_rows`` rows
drawn without replacement with ``numpy.random.default_rng(seed)`` (kept in their original order); the
rows used are counted in the result.

* **Permutation importance** (``sklearn.inspection.permutation_importance``, ``random_state=seed``,
  ``n_jobs=1``): how much the metric worsens when one column is shuffled, ``repeats`` times. Positive means
  the column helps; for a loss (``log_loss``, ``rmse``, ...) it is the rise of the loss.
* **Partial dependence** (``sklearn.inspection.partial_dependence``, ``kind="average"``): the model's
  average output (the positive class's probability, each class's for multiclass, the prediction for
  regression) with a column set to each grid value on every sampled row. Grid: a categorical column's
  observed values (category order for a pandas category), a numeric column's distinct values when it has
  fewer than ``pdp_grid`` of them, else ``pdp_grid`` evenly spaced points between its 5th and 95th
  percentiles (scikit-learn's rule), missing values left out. Integer columns are passed as floats
  (scikit-learn refuses integer columns here).
* **SHAP** (optional): shap's model-agnostic permutation explainer of the positive class's probability
  (binary classifiers) or the prediction (regressors) on ``shap_rows`` sampled rows against a background
  of ``shap_background`` rows, one forward-and-backward permutation per row (exactly additive: the values
  of a row plus the base value equal the model's output). Cost: one model call per explained row, on
  ``(2 x columns + 1) x shap_background`` rows at most.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from scipy.stats.mstats import mquantiles
from sklearn.base import is_classifier
from sklearn.inspection import partial_dependence, permutation_importance

from mlsteward.errors import InvalidInput
from mlsteward.evaluate._common import (
    Kind,
    column_kind,
    frame_and_target,
    known_columns,
    metric_scorer,
    model_metric,
    positive_int,
    sample_rows,
)
from mlsteward.train.metrics import Metric, plain_value, positive_class, score_estimator

PDP_TOP = 4
"""Partial dependence is drawn, by default, for this many most important columns (plus the critical ones)."""

SHAP_PERMUTATIONS = 1
"""Forward-and-backward permutations per explained row (``max_evals = n * (2 * columns + 1)``)."""

INSTALL_SHAP = 'pip install "mlsteward[explain]"'


class PartialDependence(BaseModel):
    """The model's average output with one column set to each grid value on every sampled row."""

    kind: Literal["numeric", "categorical"]
    grid: list[float | int | str | bool] = Field(description="the values the column was set to")
    outputs: list[str] = Field(description="what ``average`` holds, one entry per output: a class or 'prediction'")
    response: str = Field(description="the model method averaged: predict_proba, decision_function or predict")
    average: list[list[float]] = Field(description="per output, the average over the rows at each grid value")


class FeatureExplanation(BaseModel):
    """One raw column: its permutation importance, SHAP magnitude and partial dependence."""

    feature: str
    kind: Kind
    critical: bool = Field(description="tagged explainability-critical: listed first, partial dependence always")
    importance: float = Field(description="mean drop of the metric when the column is shuffled (positive = helps)")
    importance_std: float
    importances: list[float] = Field(description="the drop in each repeat")
    shap_mean_abs: float | None = Field(None, description="mean |SHAP value| over the explained rows")
    partial_dependence: PartialDependence | None = None


class ShapSummary(BaseModel):
    """How the SHAP values were computed."""

    explainer: str
    output: str = Field(description="the explained output, e.g. 'probability of class 1' or 'prediction'")
    rows: int
    background: int
    permutations: int
    base_value: float = Field(description="the mean output over the background rows")


class ExplanationResult(BaseModel):
    """Permutation importance, partial dependence and SHAP per raw column, critical columns first, then by
    importance."""

    metric: str
    greater_is_better: bool
    score: float = Field(description="the metric on the sampled rows, unshuffled")
    n_rows: int = Field(description="rows used (a seeded sample when the input had more than max_rows)")
    n_rows_total: int
    repeats: int
    seed: int
    features: list[FeatureExplanation]
    shap: ShapSummary | None = None
    shap_note: str | None = Field(None, description="why no SHAP values were computed, when none were")


def explain(model: Any, X: pd.DataFrame, y: Any, *, metric: str | Metric | None = None,  # noqa: N803
            critical: Iterable[str] = (), max_rows: int = 5000, repeats: int = 5,
            pdp_features: Sequence[str] | None = None, pdp_grid: int = 20, shap: bool | None = None,
            seed: int = 0, shap_rows: int = 100, shap_background: int = 100) -> ExplanationResult:
    """Explain ``model`` on rows ``X`` with true values ``y``.

    ``metric`` defaults to roc_auc for a classifier (accuracy without ``predict_proba``) and r2 for a
    regressor. ``critical`` columns come first and always get a partial dependence; ``pdp_features``
    replaces the default choice of the ``PDP_TOP`` most important numeric or categorical columns.
    ``shap``: True computes SHAP values (an error when shap is not installed or the model is multiclass),
    False skips them, None computes them when shap is installed and the model is supported.
    """
    X, y = frame_and_target(X, y)  # noqa: N806
    scorer_metric = model_metric(model, metric, y)
    critical = known_columns(critical, X, "critical")
    positive_int(max_rows, "max_rows")
    positive_int(repeats, "repeats")
    if not isinstance(pdp_grid, int) or pdp_grid < 2:
        raise InvalidInput(f"pdp_grid must be a whole number of at least 2; got {pdp_grid!r}")
    if shap not in (True, False, None):
        raise InvalidInput(f"shap must be True, False or None (automatic); got {shap!r}")
    rows, y_rows = sample_rows(X, y, max_rows, seed)

    found = permutation_importance(model, rows, y_rows, scoring=metric_scorer(scorer_metric), n_repeats=repeats,
                                   n_jobs=1, random_state=seed)
    kinds = {c: column_kind(rows[c]) for c in rows.columns}
    means = dict(zip(rows.columns, found.importances_mean.tolist(), strict=True))
    by_importance = sorted(rows.columns, key=lambda c: -means[c])  # stable: ties keep the column order
    order = [*critical, *(c for c in by_importance if c not in critical)]

    if pdp_features is None:
        chosen = [c for c in by_importance if kinds[c] != "other"][:PDP_TOP]
    else:
        chosen = known_columns(pdp_features, X, "pdp_features")
    pdp = {c: _partial_dependence(model, rows, c, kinds[c], pdp_grid) for c in [*critical, *chosen]
           if kinds[c] != "other"}

    shap_values, summary, note = None, None, None
    if shap is False:
        note = "not requested (shap=False)"
    else:
        reason = _shap_unsupported(model)
        if reason is None and importlib.util.find_spec("shap") is None:
            reason = f"the shap package is not installed: {INSTALL_SHAP}"
        if reason and shap:
            raise InvalidInput(f"cannot compute SHAP values: {reason}")
        if reason:
            note = reason
        else:
            computed = shap_explanation(model, rows, rows_explained=shap_rows, background=shap_background, seed=seed)
            shap_values = dict(zip(rows.columns, np.abs(computed.values).mean(axis=0).tolist(), strict=True))
            summary = computed.summary

    columns = list(rows.columns)
    features = [FeatureExplanation(
        feature=c, kind=kinds[c], critical=c in critical, importance=means[c],
        importance_std=float(found.importances_std[columns.index(c)]),
        importances=found.importances[columns.index(c)].tolist(),
        shap_mean_abs=None if shap_values is None else shap_values[c], partial_dependence=pdp.get(c))
        for c in order]
    return ExplanationResult(metric=scorer_metric.name, greater_is_better=scorer_metric.greater_is_better,
                             score=score_estimator(scorer_metric, model, rows, y_rows), n_rows=len(rows),
                             n_rows_total=len(X), repeats=repeats, seed=seed, features=features, shap=summary,
                             shap_note=note)


# -- partial dependence ------------------------------------------------------------------------------------

def _partial_dependence(model: Any, rows: pd.DataFrame, column: str, kind: Kind, size: int) -> PartialDependence:
    values = rows[column]
    if kind == "numeric":
        if not pd.api.types.is_float_dtype(values):
            rows = rows.assign(**{column: values.astype(float)})
        grid = numeric_grid(values.dropna().to_numpy(dtype=float), size)
    else:
        grid = category_grid(values)
    found = partial_dependence(model, rows, [column], categorical_features=[column] if kind == "categorical" else None,
                               custom_values={column: grid}, kind="average")
    average = np.asarray(found["average"], dtype=float)
    outputs, response = _outputs(model, average.shape[0])
    return PartialDependence(kind=kind, grid=[plain_value(v) for v in found["grid_values"][0]], outputs=outputs,
                             response=response, average=average.tolist())


def numeric_grid(values: np.ndarray, size: int) -> np.ndarray:
    """scikit-learn's grid of non-missing ``values``: the distinct values when fewer than ``size``, else
    ``size`` points evenly spaced between the 5th and 95th percentiles (``mquantiles``)."""
    distinct = np.unique(values)
    if len(distinct) < size:
        return distinct
    low, high = mquantiles(values, prob=(0.05, 0.95))
    if np.isclose(low, high):  # most values equal: span the whole range instead
        low, high = distinct[0], distinct[-1]
    return np.linspace(low, high, num=size)


def category_grid(values: pd.Series) -> np.ndarray:
    """The observed values of a categorical column: in category order for a pandas category, else sorted."""
    present = values.dropna()
    if isinstance(values.dtype, pd.CategoricalDtype):
        seen = set(present.unique().tolist())
        return np.asarray([c for c in values.cat.categories if c in seen], dtype=object)
    distinct = pd.unique(present).tolist()
    try:
        distinct = sorted(distinct)
    except TypeError:
        distinct = sorted(distinct, key=str)
    return np.asarray(distinct, dtype=object)


def _outputs(model: Any, n_outputs: int) -> tuple[list[str], str]:
    if not is_classifier(model):
        return ["prediction"], "predict"
    classes = np.asarray(model.classes_)
    response = "predict_proba" if hasattr(model, "predict_proba") else "decision_function"
    if n_outputs == 1:
        return [str(plain_value(positive_class(classes)))], response
    return [str(plain_value(c)) for c in classes], response


# -- SHAP --------------------------------------------------------------------------------------------------

class ShapValues:
    """SHAP values of the explained rows (``values``: rows x columns) and their base values."""

    def __init__(self, rows: pd.DataFrame, values: np.ndarray, base_values: np.ndarray, summary: ShapSummary) -> None:
        self.rows = rows
        self.values = values
        self.base_values = base_values
        self.summary = summary


def shap_explanation(model: Any, X: pd.DataFrame, *, rows_explained: int = 100, background: int = 100,  # noqa: N803
                     seed: int = 0) -> ShapValues:
    """SHAP values of ``rows_explained`` rows of ``X`` (``default_rng([seed, 1])``) against ``background``
    rows (``default_rng([seed, 2])``), by shap's permutation explainer on the model's output function."""
    try:
        import shap as shap_lib
    except ImportError as exc:
        raise InvalidInput(f"SHAP values need the shap package: {INSTALL_SHAP}") from exc
    reason = _shap_unsupported(model)
    if reason:
        raise InvalidInput(f"cannot compute SHAP values: {reason}")
    positive_int(rows_explained, "shap_rows")
    positive_int(background, "shap_background")
    output, described = _model_output(model)
    explained = _pick(X, rows_explained, [seed, 1])
    reference = _pick(X, background, [seed, 2])
    codec = _Codec(pd.concat([explained, reference]))
    masker = shap_lib.maskers.Independent(codec.encode(reference), max_samples=len(reference))
    max_evals = SHAP_PERMUTATIONS * (2 * X.shape[1] + 1)
    global_state = np.random.get_state()  # the explainer seeds and draws from numpy's global generator
    try:
        explainer = shap_lib.explainers.Permutation(lambda matrix: output(codec.decode(matrix)), masker, seed=seed)
        # row by row through explain_row: shap 0.51's __call__ passes a non-empty list as main_effects from the
        # second row on, which costs one more model call per row for main effects nobody asked for
        found = [explainer.explain_row(row, max_evals=max_evals, main_effects=False, error_bounds=False,
                                       batch_size="auto", outputs=None, silent=True)
                 for row in codec.encode(explained)]
    finally:
        np.random.set_state(global_state)
    values = np.asarray([r["values"] for r in found], dtype=float)
    base = np.asarray([r["expected_values"] for r in found], dtype=float).reshape(len(explained))
    summary = ShapSummary(explainer=type(explainer).__name__, output=described, rows=len(explained),
                          background=len(reference), permutations=SHAP_PERMUTATIONS, base_value=float(base.mean()))
    return ShapValues(explained, values, base, summary)


def _shap_unsupported(model: Any) -> str | None:
    """Why SHAP values cannot be computed for ``model`` (None when they can)."""
    if is_classifier(model):
        if not hasattr(model, "predict_proba"):
            return f"{type(model).__name__} has no predict_proba: SHAP explains the positive class's probability"
        classes = getattr(model, "classes_", None)
        if classes is None or len(classes) != 2:
            n = "unknown" if classes is None else len(classes)
            return (f"SHAP is computed for binary classifiers and regressors; this model has {n} classes "
                    "(use the permutation importance)")
        return None
    if not hasattr(model, "predict"):
        return f"{type(model).__name__} has no predict method"
    return None


def _model_output(model: Any) -> tuple[Callable[[pd.DataFrame], np.ndarray], str]:
    if is_classifier(model):
        classes = np.asarray(model.classes_)
        positive = positive_class(classes)
        column = int(np.flatnonzero(classes == positive)[0])
        return (lambda rows: np.asarray(model.predict_proba(rows), dtype=float)[:, column],
                f"probability of class {plain_value(positive)}")
    return lambda rows: np.asarray(model.predict(rows), dtype=float), "prediction"


def _pick(X: pd.DataFrame, n: int, seed: list[int]) -> pd.DataFrame:  # noqa: N803
    if len(X) <= n:
        return X
    return X.iloc[np.sort(np.random.default_rng(seed).choice(len(X), size=n, replace=False))]


class _Codec:
    """Raw rows <-> the all-numeric matrix shap masks: numbers as floats, other columns as codes of their
    observed values (-1 = missing). Masking copies whole cells, so decoding restores the values and dtypes."""

    def __init__(self, rows: pd.DataFrame) -> None:
        self.columns = list(rows.columns)
        self.dtypes = rows.dtypes.to_dict()
        self.numeric = {c: column_kind(rows[c]) == "numeric" for c in self.columns}
        self.known: dict[str, pd.Index] = {}
        self.values: dict[str, np.ndarray] = {}  # code -> value (or pandas category code); code -1 -> the last
        for c in self.columns:
            if not self.numeric[c]:
                _, uniques = pd.factorize(rows[c], use_na_sentinel=True)
                self.known[c] = pd.Index(uniques)
                if isinstance(self.dtypes[c], pd.CategoricalDtype):
                    self.values[c] = np.append(np.asarray(uniques.codes), -1)
                else:
                    self.values[c] = np.append(np.asarray(uniques, dtype=object), [None])

    def encode(self, rows: pd.DataFrame) -> np.ndarray:
        encoded = [rows[c].to_numpy(dtype=float, na_value=np.nan) if self.numeric[c]
                   else self.known[c].get_indexer(rows[c]).astype(float) for c in self.columns]
        return np.column_stack(encoded)

    def decode(self, matrix: np.ndarray) -> pd.DataFrame:
        decoded: dict[str, Any] = {}
        for i, c in enumerate(self.columns):
            dtype = self.dtypes[c]
            if self.numeric[c]:
                decoded[c] = matrix[:, i] if dtype == np.float64 else pd.Series(matrix[:, i]).astype(dtype)
                continue
            values = self.values[c][matrix[:, i].astype(int)]
            if isinstance(dtype, pd.CategoricalDtype):
                decoded[c] = pd.Categorical.from_codes(values, dtype=dtype)
            else:
                decoded[c] = pd.Series(values, dtype=object).astype(dtype)
        return pd.DataFrame(decoded)


__all__ = ["ExplanationResult", "FeatureExplanation", "PartialDependence", "ShapSummary", "explain",
           "shap_explanation"]
