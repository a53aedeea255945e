"""Helpers every evaluation check shares: one-column inputs, equal lengths, the positive class and
its probability column. The positive class of a binary target is the larger label (1 of 0/1), the
same rule as ``mlsteward.train.metrics``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlsteward.errors import InvalidInput
from mlsteward.train.metrics import positive_class


def as_array(values: Any, name: str) -> np.ndarray:
    """``values`` as a 1-D numpy array; a clear error when it is not one column."""
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise InvalidInput(f"{name} must be one column; got {values.shape[1]} columns")
        values = values.iloc[:, 0]
    array = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if array.ndim != 1:
        raise InvalidInput(f"{name} must be one column (1-D); got an array of shape {array.shape}")
    return array


def same_length(**arrays: Any) -> int:
    """The common length of the named arrays; an error naming the mismatch otherwise."""
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise InvalidInput(f"the inputs must have one value per row, but {described}")
    return next(iter(lengths.values()), 0)


def positive_proba(y_prob: Any, classes: Any) -> np.ndarray:
    """The positive class's probability (1-D) from a 1-D array or a two-column ``predict_proba``."""
    proba = np.asarray(y_prob, dtype=float)
    if proba.ndim == 2:
        if proba.shape[1] != 2:
            raise InvalidInput(f"a binary check needs the positive class's probability; got {proba.shape[1]} "
                               "columns: pass predict_proba(X)[:, 1] or a two-column matrix")
        proba = proba[:, 1]
    if proba.ndim != 1:
        raise InvalidInput(f"probabilities must be 1-D or two columns; got shape {proba.shape}")
    if len(proba) and (np.nanmin(proba) < 0 or np.nanmax(proba) > 1):
        raise InvalidInput("probabilities must lie in [0, 1]; pass predict_proba's output, not scores or logits")
    return proba


def binary_labels(y_true: Any, name: str = "y_true") -> tuple[np.ndarray, Any]:
    """``(y == positive, positive)`` for a binary target; an error for more than two classes."""
    y = as_array(y_true, name)
    classes = np.unique(y[~pd.isna(y)]) if y.dtype == object else np.unique(y)
    if len(classes) > 2:
        raise InvalidInput(f"{name} has {len(classes)} classes; this check is for binary targets (two classes)")
    positive = positive_class(classes)
    return (y == positive).astype(int), positive


__all__ = ["as_array", "binary_labels", "positive_class", "positive_proba", "same_length"]
