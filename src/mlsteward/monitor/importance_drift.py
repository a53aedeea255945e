"""Explainability drift: has the ranking of feature importance changed between reference and current?

``importance_drift(model, reference_X, current_X)`` measures how much the model relies on each raw column,
once on the reference rows and once on the current rows, and compares the two rankings. Pure computation:
a fitted model and two data frames in, an ``ImportanceDrift`` (pydantic) out.

**Importance without labels** (``method="permutation"``, the default). In production the labels usually
have not arrived, so the importance of a column is how much the model's *output* moves when that column
is shuffled, not how much a metric worsens. For each feature and each of ``n_repeats`` repeats the column is
permuted across the (sampled) rows, the other columns left as they are, and the model is called again:

* a model with ``predict_proba``: the total-variation distance between each row's original and shuffled
  probability vectors, ``0.5 * sum_c |p_c - p'_c|``, averaged over the rows. For a binary classifier this
  is exactly the mean absolute change of the positive class's probability.
* a regressor (``predict`` returning numbers, not a classifier): the mean absolute change of the
  prediction (averaged over outputs for a multi-output model), in the target's units.
* a classifier with ``predict`` only: the share of rows whose predicted class changes.

The importance is the mean over the repeats and ``*_importance_std`` its standard deviation (ddof=0, as
``sklearn.inspection.permutation_importance`` reports). A column the model ignores, or a column that is
constant in the data, scores 0. Each side is sampled to at most ``max_rows`` rows with
``numpy.random.default_rng(seed).choice(n, max_rows, replace=False)`` (kept in order, the same rule as
``mlsteward.evaluate``); the permutations are drawn from ``default_rng([seed, 1])``, fresh for each
side, feature by feature in the order of ``features``. The same seed gives the same numbers; the same
rows on both sides give identical importances.

``method="shap"`` (needs the ``[explain]`` extra; binary classifiers and regressors) uses the mean
absolute SHAP value of each column instead, from ``mlsteward.evaluate``'s ``shap_explanation``:
shap's permutation explainer of the positive class's probability (or the prediction) on ``shap_rows``
rows of each side's sample against ``shap_background`` rows of the same side.

**Comparison.** Ranks are 1 for the most important feature, ties sharing the best rank
(``scipy.stats.rankdata(-importance, method="min")``); ``rank_change = current_rank - reference_rank``
(positive: the feature fell, it matters relatively less now). Over all compared features:

* ``spearman``: Spearman's rank correlation of the two importance vectors, ``scipy.stats.spearmanr``
  (ties get average ranks); ``kendall_tau``: Kendall's tau-b, ``scipy.stats.kendalltau``; both with
  their p-values. Undefined (None) when one side's importances are all equal.
* ``top_k_overlap``: the share of the reference's ``top_k`` most important features that are still
  among the current's ``top_k`` (the top lists break ties by the order of ``features``; ``top_k`` is
  capped at the number of features, where the overlap is always 1).

**Verdict.** ``drifted`` when ``spearman < min_spearman`` (default ``DEFAULT_MIN_SPEARMAN`` = 0.8) or
``top_k_overlap < min_top_k_overlap`` (default ``DEFAULT_MIN_TOP_K_OVERLAP`` = 0.6: with the default
``top_k`` of 5, drift when fewer than 3 of the reference's top 5 remain in the current's top 5). A feature
that stops mattering at all (say it becomes constant) falls from the top to the bottom of the ranking,
which takes Spearman's rho well below 0.8 with ten features (one feature moving from first to last of
ten gives about 0.45); the overlap rule catches a reshuffled top among many features whose long tail
keeps rho high. An undefined correlation counts as drift when exactly one side's importances are all
equal (the model's output no longer moves with any feature, or only now does). ``reasons`` says which
rule fired.

Permutation importance is noisy on small samples: features of near-zero importance swap ranks by chance,
which lowers rho without any real change. Compare the ``features`` you care about, or raise
``max_rows`` / ``n_repeats``, when many features barely matter.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from scipy import stats
from sklearn.base import is_classifier

from mlsteward.errors import InvalidInput
from mlsteward.spec_gates import did_you_mean

DEFAULT_MIN_SPEARMAN = 0.8
"""Drift when Spearman's rank correlation of the two importance vectors falls below this."""

DEFAULT_MIN_TOP_K_OVERLAP = 0.6
"""Drift when the share of the reference's top-k features still in the current's top-k falls below this."""

METHODS: tuple[str, ...] = ("permutation", "shap")

ImportanceMethod = Literal["permutation", "shap"]


class FeatureImportanceChange(BaseModel):
    """One feature's importance on the reference and on the current rows, and its ranks."""

    feature: str
    reference_importance: float
    current_importance: float
    reference_importance_std: float | None = Field(
        None, description="standard deviation over the permutation repeats (ddof=0); None for SHAP")
    current_importance_std: float | None = None
    reference_rank: int = Field(description="1 = most important; ties share the best rank")
    current_rank: int
    rank_change: int = Field(description="current_rank - reference_rank: positive = the feature fell")
    in_reference_top_k: bool
    in_current_top_k: bool


class ImportanceDrift(BaseModel):
    """Change of the feature-importance ranking between a reference and a current sample."""

    method: ImportanceMethod
    importance: str = Field(description="what the importance numbers measure")
    features: list[FeatureImportanceChange] = Field(description="by reference rank, most important first")
    spearman: float | None = Field(description="scipy.stats.spearmanr of the two importance vectors; "
                                   "None when one side's importances are all equal")
    spearman_p_value: float | None = None
    kendall_tau: float | None = Field(description="scipy.stats.kendalltau (tau-b) of the two vectors")
    kendall_p_value: float | None = None
    top_k: int = Field(description="the k compared (the requested top_k, at most the number of features)")
    reference_top_k: list[str]
    current_top_k: list[str]
    top_k_overlap: float = Field(description="share of reference_top_k that is in current_top_k")
    min_spearman: float = Field(description="drift when spearman < this")
    min_top_k_overlap: float = Field(description="drift when top_k_overlap < this")
    drifted: bool
    reasons: list[str] = Field(default_factory=list, description="why drifted, one line per rule that fired")
    reference_rows: int = Field(description="reference rows used (a seeded sample of at most max_rows)")
    reference_rows_total: int
    current_rows: int
    current_rows_total: int
    n_repeats: int | None = Field(None, description="permutation repeats; None for SHAP")
    seed: int

    def feature(self, name: str) -> FeatureImportanceChange:
        """The entry of feature ``name``."""
        for entry in self.features:
            if entry.feature == name:
                return entry
        raise KeyError(name)


def importance_drift(model: Any, reference_X: Any, current_X: Any, *,
                     features: Sequence[str] | None = None, method: ImportanceMethod = "permutation",
                     n_repeats: int = 5, max_rows: int = 2000, seed: int = 0, top_k: int = 5,
                     min_spearman: float = DEFAULT_MIN_SPEARMAN,
                     min_top_k_overlap: float = DEFAULT_MIN_TOP_K_OVERLAP,
                     shap_rows: int = 100, shap_background: int = 100) -> ImportanceDrift:
    """Compare the feature-importance ranking of ``model`` on ``reference_X`` and on ``current_X``.

    ``model``: fitted, with ``predict_proba`` or ``predict`` taking a data frame of the raw columns of
    ``reference_X`` (``current_X`` must hold them all; other columns are ignored). ``features``: the
    columns whose importance is compared (default: every column of ``reference_X``; at least two).
    ``method``: ``"permutation"`` (label-free, the default) or ``"shap"``. The rest as the module
    docstring says. Raises ``InvalidInput`` on bad input, naming the problem and what to do.
    """
    reference = _frame(reference_X, "reference_X")
    current = _frame(current_X, "current_X")
    columns = list(reference.columns)
    absent = [c for c in columns if c not in current.columns]
    if absent:
        raise InvalidInput(f"current_X lacks column(s) {[str(c) for c in absent]} that reference_X has (and the "
                           "model takes): pass the current rows with the same raw columns as the reference")
    current = current[columns]
    chosen = _features(features, columns)
    if method not in METHODS:
        raise InvalidInput(f"method must be 'permutation' or 'shap'; got {method!r}"
                           f"{did_you_mean(method, METHODS)}")
    _positive_int(n_repeats, "n_repeats")
    _positive_int(max_rows, "max_rows")
    _positive_int(top_k, "top_k")
    _positive_int(shap_rows, "shap_rows")
    _positive_int(shap_background, "shap_background")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InvalidInput(f"seed must be a whole number of at least 0; got {seed!r}")
    low_rho = _number_in(min_spearman, "min_spearman", -1.0, 1.0, "0.8")
    low_overlap = _number_in(min_top_k_overlap, "min_top_k_overlap", 0.0, 1.0, "0.6")
    if not (hasattr(model, "predict_proba") or hasattr(model, "predict")):
        raise InvalidInput(f"the model must have predict_proba or predict (a fitted scikit-learn-API estimator "
                           f"or pipeline on the raw columns); got {type(model).__name__}")

    ref_rows, cur_rows = _sample(reference, max_rows, seed), _sample(current, max_rows, seed)
    if method == "permutation":
        output = _Output(model, ref_rows)
        ref_imp, ref_std = _permutation_importance(output, ref_rows, chosen, n_repeats, seed)
        cur_imp, cur_std = _permutation_importance(output, cur_rows, chosen, n_repeats, seed)
        described = output.described
        repeats: int | None = n_repeats
    else:
        ref_imp = _shap_importance(model, ref_rows, chosen, shap_rows, shap_background, seed)
        cur_imp = _shap_importance(model, cur_rows, chosen, shap_rows, shap_background, seed)
        ref_std = cur_std = None
        described = "mean absolute SHAP value (shap's permutation explainer) of the model's output"
        repeats = None
    return _compare(chosen, ref_imp, cur_imp, ref_std, cur_std, method=method, importance=described,
                    top_k=top_k, min_spearman=low_rho, min_top_k_overlap=low_overlap,
                    rows=(len(ref_rows), len(reference), len(cur_rows), len(current)), n_repeats=repeats, seed=seed)


# --- the comparison -------------------------------------------------------------------------------


def _compare(features: list[str], ref_imp: np.ndarray, cur_imp: np.ndarray, ref_std: np.ndarray | None,
             cur_std: np.ndarray | None, *, method: ImportanceMethod, importance: str, top_k: int,
             min_spearman: float, min_top_k_overlap: float, rows: tuple[int, int, int, int],
             n_repeats: int | None, seed: int) -> ImportanceDrift:
    ref_rank = stats.rankdata(-ref_imp, method="min").astype(int)
    cur_rank = stats.rankdata(-cur_imp, method="min").astype(int)
    k = min(top_k, len(features))
    ref_top = [features[i] for i in np.argsort(-ref_imp, kind="stable")[:k]]
    cur_top = [features[i] for i in np.argsort(-cur_imp, kind="stable")[:k]]
    overlap = len(set(ref_top) & set(cur_top)) / k

    ref_flat, cur_flat = bool(np.ptp(ref_imp) == 0.0), bool(np.ptp(cur_imp) == 0.0)
    rho = rho_p = tau = tau_p = None
    if not (ref_flat or cur_flat):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            found_rho = stats.spearmanr(ref_imp, cur_imp)
            found_tau = stats.kendalltau(ref_imp, cur_imp)
        rho, rho_p = float(found_rho.statistic), float(found_rho.pvalue)
        tau, tau_p = float(found_tau.statistic), float(found_tau.pvalue)

    reasons = []
    if rho is not None and rho < min_spearman:
        reasons.append(f"Spearman rank correlation of the importances {rho:.3f} < {min_spearman:g}")
    if rho is None and ref_flat != cur_flat:
        side = "current" if cur_flat else "reference"
        reasons.append(f"every feature has the same importance on the {side} rows only (the ranking is gone): "
                       "rank correlation undefined")
    if overlap < min_top_k_overlap:
        left = [f for f in ref_top if f not in cur_top]
        reasons.append(f"{len(left)} of the reference's top {k} features left the current's top {k} ({left}): "
                       f"overlap {overlap:.2f} < {min_top_k_overlap:g}")

    top_ref, top_cur = set(ref_top), set(cur_top)
    entries = [FeatureImportanceChange(
        feature=str(f), reference_importance=float(ref_imp[i]), current_importance=float(cur_imp[i]),
        reference_importance_std=None if ref_std is None else float(ref_std[i]),
        current_importance_std=None if cur_std is None else float(cur_std[i]),
        reference_rank=int(ref_rank[i]), current_rank=int(cur_rank[i]),
        rank_change=int(cur_rank[i] - ref_rank[i]), in_reference_top_k=f in top_ref, in_current_top_k=f in top_cur)
        for i, f in enumerate(features)]
    entries.sort(key=lambda e: e.reference_rank)  # stable: ties keep the order of features
    ref_used, ref_total, cur_used, cur_total = rows
    return ImportanceDrift(
        method=method, importance=importance, features=entries, spearman=rho, spearman_p_value=rho_p,
        kendall_tau=tau, kendall_p_value=tau_p, top_k=k, reference_top_k=[str(f) for f in ref_top],
        current_top_k=[str(f) for f in cur_top], top_k_overlap=overlap, min_spearman=min_spearman,
        min_top_k_overlap=min_top_k_overlap, drifted=bool(reasons), reasons=reasons, reference_rows=ref_used,
        reference_rows_total=ref_total, current_rows=cur_used, current_rows_total=cur_total,
        n_repeats=n_repeats, seed=int(seed))


# --- importance ----------------------------------------------------------------------------------


class _Output:
    """The model's output on a frame as a (rows, outputs) float matrix, and the per-row distance of two."""

    def __init__(self, model: Any, rows: pd.DataFrame) -> None:
        self.model = model
        if hasattr(model, "predict_proba"):
            self.kind = "probability"
            self.described = ("mean total-variation distance between the predicted probabilities before and "
                              "after shuffling the column (binary: mean |change| of the positive class's "
                              "probability)")
        else:
            self.kind = "label"  # until the first prediction says otherwise
            numeric = self._predict(rows.iloc[:1]).dtype.kind in "iufb" and not is_classifier(model)
            self.kind = "value" if numeric else "label"
            self.described = ("mean absolute change of the prediction after shuffling the column" if numeric else
                              "share of rows whose predicted class changes after shuffling the column")

    def _predict(self, rows: pd.DataFrame) -> np.ndarray:
        method = "predict_proba" if self.kind == "probability" else "predict"
        try:
            return np.asarray(getattr(self.model, method)(rows))
        except (ValueError, TypeError, KeyError) as exc:
            raise InvalidInput(f"the model's {method} failed on the rows ({type(exc).__name__}: {exc}); pass the "
                               "raw columns the model was trained on, with the same types") from exc

    def __call__(self, rows: pd.DataFrame) -> np.ndarray:
        found = self._predict(rows).reshape(len(rows), -1)
        if self.kind == "label":
            return found
        values = found.astype(np.float64)
        if not np.isfinite(values).all():
            raise InvalidInput("the model returned missing or infinite outputs on these rows; importance needs "
                               "a finite output for every row: impute or drop the rows it cannot score")
        return values

    def distance(self, base: np.ndarray, shuffled: np.ndarray) -> np.ndarray:
        """Per row: how far the shuffled output is from the base output (the last axis, the outputs, is reduced)."""
        if self.kind == "probability":
            return 0.5 * np.abs(shuffled - base).sum(axis=-1)
        if self.kind == "value":
            return np.abs(shuffled - base).mean(axis=-1)
        return (shuffled != base).any(axis=-1).astype(np.float64)


def _permutation_importance(output: _Output, rows: pd.DataFrame, features: list[str], n_repeats: int,
                            seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std over repeats of the mean per-row output change when each feature is shuffled."""
    n = len(rows)
    base = output(rows)
    stacked = pd.concat([rows] * n_repeats, ignore_index=True)  # one model call per feature
    rng = np.random.default_rng([seed, 1])
    means, stds = [], []
    for feature in features:
        column = rows[feature]
        shuffled = pd.concat([column.iloc[rng.permutation(n)] for _ in range(n_repeats)], ignore_index=True)
        frame = stacked.copy(deep=False)
        frame[feature] = shuffled
        changed = output(frame).reshape(n_repeats, n, -1)
        per_repeat = output.distance(base[np.newaxis], changed).mean(axis=1)
        means.append(float(per_repeat.mean()))
        stds.append(float(per_repeat.std()))
    return np.array(means), np.array(stds)


def _shap_importance(model: Any, rows: pd.DataFrame, features: list[str], shap_rows: int, background: int,
                     seed: int) -> np.ndarray:
    from mlsteward.evaluate._explain import shap_explanation

    found = shap_explanation(model, rows, rows_explained=shap_rows, background=background, seed=seed)
    mean_abs = np.abs(np.asarray(found.values, dtype=np.float64)).mean(axis=0)
    where = {c: i for i, c in enumerate(rows.columns)}
    return np.array([mean_abs[where[f]] for f in features])


# --- input checks ---------------------------------------------------------------------------------


def _frame(data: Any, what: str) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame) and hasattr(data, "to_pandas"):
        data = data.to_pandas()
    if not isinstance(data, pd.DataFrame):
        raise InvalidInput(f"{what} must be a data frame (pandas, polars or Arrow) of the raw columns the model "
                           f"takes; got {type(data).__name__}: pass pd.DataFrame(values, columns=names)")
    if data.columns.has_duplicates:
        doubled = sorted({str(c) for c in data.columns[data.columns.duplicated()]})
        raise InvalidInput(f"{what} has duplicate column names {doubled}: rename or drop the copies")
    if not len(data):
        raise InvalidInput(f"{what} has no rows: importance needs rows to shuffle")
    return data


def _features(features: Sequence[str] | None, columns: list[Any]) -> list[Any]:
    if features is None:
        chosen = list(columns)
    else:
        if isinstance(features, str):
            raise InvalidInput(f"features must be a list of column names; got the string {features!r}: "
                               f"write [{features!r}]")
        chosen = list(dict.fromkeys(features))
        unknown = [f for f in chosen if f not in columns]
        if unknown:
            raise InvalidInput(f"features names column {unknown[0]!r}, which is not in reference_X"
                               f"{did_you_mean(unknown[0], map(str, columns))}; the columns are "
                               f"{[str(c) for c in columns]}")
    if len(chosen) < 2:
        raise InvalidInput(f"a ranking needs at least two features; got {[str(c) for c in chosen]}: "
                           "compare two or more columns")
    return chosen


def _positive_int(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InvalidInput(f"{name} must be a whole number of at least 1; got {value!r}")


def _number_in(value: Any, name: str, low: float, high: float, example: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating) \
            or not low <= float(value) <= high:
        raise InvalidInput(f"{name} must be a number between {low:g} and {high:g} (e.g. {example}); "
                           f"got {value!r}")
    return float(value)


def _sample(rows: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    if len(rows) <= max_rows:
        return rows
    return rows.iloc[np.sort(np.random.default_rng(seed).choice(len(rows), size=max_rows, replace=False))]


__all__ = [
    "DEFAULT_MIN_SPEARMAN",
    "DEFAULT_MIN_TOP_K_OVERLAP",
    "METHODS",
    "FeatureImportanceChange",
    "ImportanceDrift",
    "importance_drift",
]
