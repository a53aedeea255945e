"""Shared by the evaluation tests: a logistic regression fitted on 3,000 rows of the bundled GSS data,
scoring the remaining rows of an 8,000-row sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mlsteward.datasets import gss_wages_with_target

CATS = ["occrecode", "wrkstat", "gender", "educcat", "maritalcat"]
NUMS = ["year", "age", "prestg10", "childs"]


def scored_sample(seed: int) -> tuple[pd.DataFrame, np.ndarray, Pipeline]:
    """(test rows, their high_income labels, the fitted model) from a sample drawn with ``seed``."""
    df = gss_wages_with_target().sample(8000, random_state=seed).reset_index(drop=True)
    X, y = df[CATS + NUMS], df["high_income"].to_numpy()  # noqa: N806
    model = make_pipeline(
        make_column_transformer(
            (make_pipeline(SimpleImputer(strategy="constant", fill_value="(missing)"),
                           OneHotEncoder(handle_unknown="ignore")), CATS),
            (make_pipeline(SimpleImputer(), StandardScaler()), NUMS)),
        LogisticRegression(max_iter=500))
    model.fit(X.iloc[:3000], y[:3000])
    return X.iloc[3000:].reset_index(drop=True), y[3000:], model
