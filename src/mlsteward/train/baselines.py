"""Baselines a candidate must beat: the majority (or mean) prediction, and the charter's rule.

``RuleBaseline("days_since_last_login > 30")`` predicts the positive class on the rows where the
expression (pandas ``DataFrame.eval`` syntax on the raw input columns) is true, and the negative class
elsewhere (a missing value compares false). The expression may use column names (backticks for names
with spaces), numbers, text, comparisons, ``and``/``or``/``not``, ``&``/``|``/``~``, arithmetic and
``in [...]``; no function calls or attributes — a stored baseline cannot run code.
"""

from __future__ import annotations

import ast
import difflib
import re
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.utils.validation import check_is_fitted

from mlsteward.errors import InvalidInput
from mlsteward.train.metrics import Task

_BACKTICKED = re.compile(r"`([^`]*)`")
_ALLOWED_NODES = (ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Name, ast.Load,
                  ast.Constant, ast.List, ast.Tuple, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)
_REFUSED_NODES = {ast.Call: "a function call", ast.Attribute: "an attribute", ast.Subscript: "indexing",
                  ast.Lambda: "a lambda", ast.NamedExpr: "an assignment"}


def majority_baseline(task: Task) -> DummyClassifier | DummyRegressor:
    """The class prior (classification) or the training mean (regression), unfitted."""
    if task == "classification":
        return DummyClassifier(strategy="prior")
    if task == "regression":
        return DummyRegressor(strategy="mean")
    raise InvalidInput(f"task must be 'classification' or 'regression'; got {task!r}")


class RuleBaseline(ClassifierMixin, BaseEstimator):
    """Today's rule as a binary classifier: ``positive_class`` where ``expression`` is true on a row.

    ``positive_class`` defaults to the larger label (1 of 0/1); ``classes_`` are sorted, as in
    scikit-learn, and ``predict_proba`` puts ``p`` (1 where the rule holds, else 0) in the positive
    class's column and ``1 - p`` in the other.
    """

    def __init__(self, expression: str = "", positive_class: Any = None) -> None:
        self.expression = expression
        self.positive_class = positive_class

    def fit(self, X: pd.DataFrame, y: Any) -> RuleBaseline:  # noqa: N803
        """Check the expression on ``X`` and record the two classes of ``y`` (0 and 1 when ``y`` is 0/1)."""
        self._rule(X)
        classes = np.unique(np.asarray(y))
        if set(classes.tolist()) <= {0, 1}:
            classes = np.array([0, 1], dtype=classes.dtype if classes.dtype.kind in "iub" else int)
        if len(classes) != 2:
            raise InvalidInput(f"the rule '{self.expression}' predicts two classes but the target has "
                               f"{len(classes)}: {classes.tolist()[:10]}; a rule baseline needs a binary target")
        positive = classes[1] if self.positive_class is None else self.positive_class
        if positive not in classes.tolist():
            raise InvalidInput(f"positive_class {positive!r} is not a class of the target "
                               f"{classes.tolist()}: give one of them")
        self.classes_ = classes
        self.positive_index_ = classes.tolist().index(positive)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        """The positive class where the rule holds, the other class elsewhere."""
        check_is_fitted(self, "classes_")
        rule = self._rule(X)
        return self.classes_[np.where(rule == 1, self.positive_index_, 1 - self.positive_index_)]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        """One column per class of ``classes_``: ``p`` for the positive class, ``1 - p`` for the other."""
        check_is_fitted(self, "classes_")
        p = self._rule(X).astype(float)
        return np.column_stack([1.0 - p, p] if self.positive_index_ == 1 else [p, 1.0 - p])

    def _rule(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        """0/1 per row."""
        return rule_holds(self.expression, X)


def rule_holds(expression: str, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
    """1 where the condition ``expression`` (on the columns of ``X``, by name) holds, else 0; a missing result
    counts as 0. ``InvalidInput`` names what is wrong with the rule or the columns it lacks."""
    if not isinstance(X, pd.DataFrame):
        raise InvalidInput(f"the rule '{expression}' reads columns by name: give a data frame, not "
                           f"a {type(X).__name__}")
    columns = _names(expression)
    unknown = [c for c in columns if c not in X.columns]
    if unknown:
        known = [str(c) for c in X.columns]
        hints = "".join(f" (did you mean '{m[0]}' for '{c}'?)"
                        for c in unknown if (m := difflib.get_close_matches(c, known, n=1)))
        raise InvalidInput(f"the rule '{expression}' reads column(s) {unknown} that the data lacks{hints}; "
                           f"the columns are: {known[:30]}")
    try:
        result = X.eval(expression, engine="python")
    except Exception as exc:  # noqa: BLE001 - pandas raises many kinds; all mean a bad rule
        raise InvalidInput(f"the rule '{expression}' cannot be evaluated: {exc}") from exc
    if not isinstance(result, pd.Series) or len(result) != len(X):
        raise InvalidInput(f"the rule '{expression}' must give true or false per row, e.g. "
                           "'days_since_last_login > 30'")
    if pd.api.types.is_bool_dtype(result):
        return result.fillna(False).to_numpy(dtype=bool).astype(int)
    values = pd.to_numeric(result, errors="coerce")
    if not values.dropna().isin([0, 1]).all():
        raise InvalidInput(f"the rule '{expression}' gives values other than true/false on some rows: "
                           "write a condition, e.g. 'days_since_last_login > 30'")
    return values.fillna(0).to_numpy(dtype=int)


def _names(expression: str) -> list[str]:
    """The column names ``expression`` reads; refuses anything but a plain condition."""
    if not isinstance(expression, str) or not expression.strip():
        raise InvalidInput(f"a rule must be a condition on the input columns, e.g. 'days_since_last_login > 30'; "
                           f"got {expression!r}")
    quoted = _BACKTICKED.findall(expression)
    source = _BACKTICKED.sub(lambda m: f"__backtick_{quoted.index(m.group(1))}__", expression)
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise InvalidInput(f"the rule '{expression}' is not a valid expression ({exc.msg}): write a condition "
                           "such as 'days_since_last_login > 30'") from exc
    names: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            what = _REFUSED_NODES.get(type(node), type(node).__name__.lower())
            raise InvalidInput(f"the rule '{expression}' uses {what}, which rules may not: use columns, "
                               "numbers, text, comparisons, and/or/not and arithmetic")
        if isinstance(node, ast.Name):
            match = re.fullmatch(r"__backtick_(\d+)__", node.id)
            names.append(quoted[int(match.group(1))] if match else node.id)
    return list(dict.fromkeys(names))
