"""Feature selection (mutual information or model importance) with the reason for every drop, and PCA
with the variance each component explains."""

from __future__ import annotations


import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.feature_selection import mutual_info_classif, mutual_info_regression

from mlsteward.errors import InvalidInput
from mlsteward.features.config import SelectionConfig


class FeatureScore(BaseModel):
    feature: str
    score: float
    rank: int
    kept: bool
    reason: str


class SelectionReport(BaseModel):
    method: str
    task: str
    kept: list[str]
    dropped: list[str]
    scores: list[FeatureScore]
    note: str = "missing values are filled with the column's median for scoring only"


class PCAReport(BaseModel):
    explained_variance_ratio: list[float]  # of the standardised, median-filled features
    cumulative: list[float]
    components_for: dict[str, int] = Field(description="components needed for 80%, 90%, 95% and 99% of the variance")


def select_features(features: pd.DataFrame, y: pd.Series, config: SelectionConfig) -> SelectionReport:
    """Score each feature column against the target and keep the best; say why each drop happened."""
    x = _numeric_matrix(features)
    task = config.task if config.task != "auto" else _task(y)
    if config.method == "mutual_info":
        score_fn = mutual_info_classif if task == "classification" else mutual_info_regression
        scores = score_fn(x, y, random_state=config.seed)
    else:
        model_cls = RandomForestClassifier if task == "classification" else RandomForestRegressor
        model = model_cls(n_estimators=100, max_depth=8, random_state=config.seed, n_jobs=1).fit(x, y)
        scores = model.feature_importances_
    order = np.argsort(-scores, kind="stable")
    rank = np.empty(len(order), dtype=int)
    rank[order] = np.arange(1, len(order) + 1)
    results = []
    for i, name in enumerate(features.columns):
        kept, reason = True, "kept"
        if config.keep is not None and rank[i] > config.keep:
            kept, reason = False, f"ranked {rank[i]} of {len(order)}; only the best {config.keep} are kept"
        elif config.min_score is not None and scores[i] < config.min_score:
            kept, reason = False, f"scored {scores[i]:.4g}, below min_score {config.min_score:g}"
        results.append(FeatureScore(feature=str(name), score=float(scores[i]), rank=int(rank[i]), kept=kept,
                                    reason=reason))
    results.sort(key=lambda r: r.rank)
    return SelectionReport(method=config.method, task=task, kept=[r.feature for r in results if r.kept],
                           dropped=[r.feature for r in results if not r.kept], scores=results)


def pca_report(features: pd.DataFrame, seed: int = 0) -> PCAReport:
    """The variance each principal component of the (standardised) features explains."""
    x = _numeric_matrix(features)
    std = x.std(axis=0)
    x = (x - x.mean(axis=0)) / np.where(std > 0, std, 1)
    ratio = PCA(random_state=seed).fit(x).explained_variance_ratio_
    cumulative = np.cumsum(ratio)
    needed = {f"{int(t * 100)}%": int(min(np.searchsorted(cumulative, t - 1e-12) + 1, len(ratio)))
              for t in (0.8, 0.9, 0.95, 0.99)}
    return PCAReport(explained_variance_ratio=ratio.tolist(), cumulative=cumulative.tolist(), components_for=needed)


def _numeric_matrix(features: pd.DataFrame) -> np.ndarray:
    try:
        x = features.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as error:
        raise InvalidInput(f"selection needs numeric features (encode categories first): {error}") from error
    missing = np.isnan(x)
    if missing.any():  # scored on median-filled values; the features themselves are not changed
        medians = np.nanmedian(np.where(missing.all(axis=0), 0.0, x), axis=0) if len(x) else 0.0
        x = np.where(missing, medians, x)
    return x


def _task(y: pd.Series) -> str:
    numeric = pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)
    return "regression" if numeric and y.nunique() > 20 else "classification"
