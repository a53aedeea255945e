"""The scikit-learn transformers Steward adds: a named feature step, arithmetic on two columns, date
parts, element-wise functions and registered custom functions.

They hold only plain values (names, numbers, fitted scikit-learn estimators), so a fitted pipeline
saves with skops and loads without running arbitrary code: a custom function is stored by its
registered name and looked up when the pipeline runs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone

from mlsteward.errors import InvalidInput

CUSTOM_FUNCTIONS: dict[str, Callable[[pd.DataFrame], object]] = {}

_ELEMENTWISE = {"log1p": np.log1p, "sqrt": np.sqrt, "abs": np.abs, "square": np.square, "negate": np.negative}
_ARITHMETIC = {
    "ratio": lambda a, b: np.divide(a, b, out=np.full_like(a, np.nan), where=(b != 0) & ~np.isnan(b)),
    "difference": np.subtract,
    "product": np.multiply,
    "sum": np.add,
}
_PANDAS_PART = {"dayofweek": "day_of_week", "dayofyear": "day_of_year"}
DATE_PARTS = ("year", "quarter", "month", "day", "dayofweek", "dayofyear", "hour", "is_weekend")


def register_transform(name: str) -> Callable:
    """Register a custom, stateless feature function by name (decorator).

    The function takes a data frame of the feature's inputs and returns one value per row (a Series,
    array or list). The name, not the function, is stored with a fitted feature set, so the same
    registration must run (be imported) wherever the feature set is used.
    """
    def decorate(function: Callable) -> Callable:
        CUSTOM_FUNCTIONS[name] = function
        return function
    return decorate


class FeatureStep(TransformerMixin, BaseEstimator):
    """Apply ``estimator`` (None: pass through) to a feature's inputs and name the outputs after it."""

    def __init__(self, name: str, estimator: object = None, separator: str = "=", multi: bool = False) -> None:
        self.name = name
        self.estimator = estimator
        self.separator = separator
        self.multi = multi  # outputs are always suffixed (name=category, name.part), even one of them

    def fit(self, X: pd.DataFrame, y: object = None) -> FeatureStep:  # noqa: N803 - scikit-learn's names
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: pd.DataFrame, y: object = None, **_: object) -> pd.DataFrame:  # noqa: N803
        self.input_columns_ = list(X.columns)
        if self.estimator is None:
            self.estimator_ = None
            out = X.copy()
        else:
            self.estimator_ = clone(self.estimator)
            out = self._run(lambda rows: self.estimator_.fit_transform(rows, y), X)
        self.output_columns_ = self._names(out)
        return self._frame(out, X.index)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:  # noqa: N803
        out = X.copy() if self.estimator_ is None else self._run(self.estimator_.transform, X)
        return self._frame(out, X.index)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.asarray(self.output_columns_, dtype=object)

    def _run(self, call: Callable, X: pd.DataFrame) -> object:  # noqa: N803
        try:
            return call(X)
        except InvalidInput as error:
            if f"'{self.name}'" in str(error):
                raise
            raise InvalidInput(f"feature '{self.name}': {error}") from error
        except Exception as error:  # a transformation failing on some rows: find and name them
            rows = _failing_rows(clone(self.estimator).fit_transform, X) if isinstance(self.estimator, _ROW_WISE) else []
            where = f" on rows {rows}" if rows else ""
            raise InvalidInput(f"feature '{self.name}' failed{where}: {type(error).__name__}: {error}; fix those "
                               "rows or the feature's transformation") from error

    def _names(self, out: object) -> list[str]:
        width = out.shape[1] if getattr(out, "ndim", 1) == 2 else 1
        if width == 1 and not self.multi:
            return [self.name]
        inner = (list(self.estimator_.get_feature_names_out(self.input_columns_))
                 if hasattr(self.estimator_, "get_feature_names_out") else [str(i) for i in range(width)])
        prefix = f"{self.input_columns_[0]}_" if len(self.input_columns_) == 1 else ""
        if prefix and all(n.startswith(prefix) for n in inner):  # an encoder's input_category names
            inner = [n[len(prefix):] for n in inner]
        names = [f"{self.name}{self.separator}{s}" for s in self._readable(inner)]
        if len(set(names)) < len(names):
            raise InvalidInput(f"feature '{self.name}': two outputs print the same name ({names}); a text "
                               "category equals how a missing value prints: rename that category")
        return names

    def _readable(self, suffixes: list[str]) -> list[str]:
        """Name a missing category "(missing)" and an empty one "(blank)"; real text is kept as it is."""
        categories = getattr(self.estimator_, "categories_", None)
        missing = {str(c) for c in categories[0] if c is None or (isinstance(c, float) and np.isnan(c))} \
            if categories is not None and len(categories) == 1 else set()
        texts = {c for c in categories[0] if isinstance(c, str)} if categories is not None and len(categories) == 1 else set()
        return ["(missing)" if s in missing and s not in texts else "(blank)" if s == "" else s for s in suffixes]

    def _frame(self, out: object, index: pd.Index) -> pd.DataFrame:
        if isinstance(out, pd.DataFrame):
            frame = out.set_axis(self.output_columns_, axis=1)
            frame.index = index
            return frame
        values = out.toarray() if hasattr(out, "toarray") else np.asarray(out)
        return pd.DataFrame(values.reshape(len(index), -1), index=index, columns=self.output_columns_)


class Arithmetic(TransformerMixin, BaseEstimator):
    """Combine two numeric columns: ratio (a / b, missing where b is 0), difference, product or sum."""

    def __init__(self, operation: str = "ratio") -> None:
        self.operation = operation

    def fit(self, X: pd.DataFrame, y: object = None) -> Arithmetic:  # noqa: N803
        if self.operation not in _ARITHMETIC:
            raise InvalidInput(f"unknown operation '{self.operation}': use one of {sorted(_ARITHMETIC)}")
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        a, b = (_numeric(X.iloc[:, i]) for i in (0, 1))
        with np.errstate(all="ignore"):
            return _ARITHMETIC[self.operation](a, b).reshape(-1, 1)


class Elementwise(TransformerMixin, BaseEstimator):
    """Apply a fixed numeric function element-wise (log1p, sqrt, abs, square, negate)."""

    def __init__(self, function: str = "log1p") -> None:
        self.function = function

    def fit(self, X: pd.DataFrame, y: object = None) -> Elementwise:  # noqa: N803
        if self.function not in _ELEMENTWISE:
            raise InvalidInput(f"unknown function '{self.function}': use one of {sorted(_ELEMENTWISE)}")
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        with np.errstate(all="ignore"):
            return np.column_stack([_ELEMENTWISE[self.function](_numeric(X.iloc[:, i])) for i in range(X.shape[1])])


class DateParts(TransformerMixin, BaseEstimator):
    """Split one date/time column into parts (year, month, day of week, ...); missing stays missing."""

    def __init__(self, parts: tuple[str, ...] = ("year", "month", "dayofweek")) -> None:
        self.parts = parts

    def fit(self, X: pd.DataFrame, y: object = None) -> DateParts:  # noqa: N803
        unknown = [p for p in self.parts if p not in DATE_PARTS]
        if unknown or not self.parts:
            raise InvalidInput(f"unknown date parts {unknown or '(none given)'}: use some of {list(DATE_PARTS)}")
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        when = pd.to_datetime(X.iloc[:, 0], errors="raise")
        values = []
        for part in self.parts:
            if part == "is_weekend":
                column = when.dt.day_of_week >= 5
                column = column.where(when.notna())
            else:
                column = getattr(when.dt, _PANDAS_PART.get(part, part))
            values.append(column.to_numpy(dtype=float, na_value=np.nan))
        return np.column_stack(values)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.asarray(list(self.parts), dtype=object)


class MissingCode(TransformerMixin, BaseEstimator):
    """Run ``encoder`` and give missing inputs ``code``, whether or not the training data had any."""

    def __init__(self, encoder: object = None, code: float = -2.0) -> None:
        self.encoder = encoder
        self.code = code

    def fit(self, X: pd.DataFrame, y: object = None) -> MissingCode:  # noqa: N803
        self.encoder_ = clone(self.encoder).fit(X, y)
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        out = np.asarray(self.encoder_.transform(X), dtype=float)
        out[X.isna().to_numpy()] = self.code
        return out

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return self.encoder_.get_feature_names_out(input_features)


class CustomFunction(TransformerMixin, BaseEstimator):
    """Run a function registered with ``register_transform`` under ``function``."""

    def __init__(self, function: str = "") -> None:
        self.function = function

    def fit(self, X: pd.DataFrame, y: object = None) -> CustomFunction:  # noqa: N803
        self._function()
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        out = self._function()(X)
        values = np.asarray(out.to_numpy() if isinstance(out, pd.Series | pd.DataFrame) else out)
        if values.shape[0] != len(X):
            raise InvalidInput(f"custom function '{self.function}' returned {values.shape[0]} values for "
                               f"{len(X)} rows: return one value per row")
        return values.reshape(len(X), -1)

    def _function(self) -> Callable:
        if self.function not in CUSTOM_FUNCTIONS:
            raise InvalidInput(f"custom function '{self.function}' is not registered: decorate it with "
                               f"@mlsteward.features.register_transform('{self.function}') and import that "
                               f"module before fitting or loading (registered: {sorted(CUSTOM_FUNCTIONS) or 'none'})")
        return CUSTOM_FUNCTIONS[self.function]


_ROW_WISE = (Arithmetic, Elementwise, DateParts, CustomFunction)


def _numeric(column: pd.Series) -> np.ndarray:
    return pd.to_numeric(column, errors="raise").to_numpy(dtype=float, na_value=np.nan)


def _failing_rows(call: Callable, X: pd.DataFrame, limit: int = 5) -> list[int]:  # noqa: N803
    """Row positions on which ``call`` raises, found by halving (at most ``limit``)."""
    found: list[int] = []

    def search(start: int, stop: int) -> None:
        if len(found) >= limit or start >= stop:
            return
        try:
            call(X.iloc[start:stop])
            return
        except Exception:  # noqa: BLE001 - any failure marks the slice
            if stop - start == 1:
                found.append(start)
                return
        middle = (start + stop) // 2
        search(start, middle)
        search(middle, stop)

    if len(X) <= 100_000:
        search(0, len(X))
    return found
