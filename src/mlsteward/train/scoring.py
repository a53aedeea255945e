"""A trained model together with its fitted feature pipeline: raw rows in, predictions out.

Evaluation (and later batch scoring and serving) hands raw data frames to one object; the features are
always computed by the feature set's ``transform``. It behaves as a fitted scikit-learn estimator
(``is_classifier``, ``classes_``, ``predict_proba``), so scikit-learn's inspection tools work on the
raw columns.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.utils.metaestimators import available_if

from mlsteward.errors import InvalidInput
from mlsteward.features.feature_set import FeatureSet


class _ScoringModel(BaseEstimator):
    def __init__(self, feature_set: FeatureSet, estimator: Any) -> None:
        self.feature_set = feature_set
        self.estimator = estimator

    @property
    def input_columns(self) -> list[str]:
        return self.feature_set.input_columns

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def features(self, X: pd.DataFrame) -> pd.DataFrame:  # noqa: N803
        if not isinstance(X, pd.DataFrame):
            raise InvalidInput(f"score a data frame of raw rows (columns {self.input_columns}); got "
                               f"{type(X).__name__}")
        return self.feature_set.transform(X)

    def fit(self, X: pd.DataFrame, y: Any) -> _ScoringModel:  # noqa: N803
        """Refit the estimator on ``X``'s features (the feature pipeline stays as fitted)."""
        self.estimator.fit(self.features(X), y)
        return self

    def predict(self, X: pd.DataFrame) -> Any:  # noqa: N803
        return self.estimator.predict(self.features(X))


class ScoringClassifier(ClassifierMixin, _ScoringModel):
    @property
    def classes_(self) -> Any:
        return self.estimator.classes_

    @available_if(lambda self: hasattr(self.estimator, "predict_proba"))
    def predict_proba(self, X: pd.DataFrame) -> Any:  # noqa: N803
        return self.estimator.predict_proba(self.features(X))


class ScoringRegressor(RegressorMixin, _ScoringModel):
    pass


def scoring_model(feature_set: FeatureSet, estimator: Any) -> ScoringClassifier | ScoringRegressor:
    """The raw-rows model of a fitted ``estimator`` trained on ``feature_set``'s outputs."""
    cls = ScoringClassifier if is_classifier(estimator) else ScoringRegressor
    return cls(feature_set, estimator)


__all__ = ["ScoringClassifier", "ScoringRegressor", "scoring_model"]
