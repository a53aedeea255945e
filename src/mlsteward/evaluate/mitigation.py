"""Fairness mitigation of a binary classifier through Fairlearn, with the before/after comparison.

Two methods, each by name (``METHODS``):

* ``threshold_optimizer`` — post-processing: Fairlearn's ``ThresholdOptimizer`` on the fitted model's
  ``predict_proba`` scores (``prefit=True``), one threshold per group chosen to maximise accuracy under
  the constraint. The model is not refitted; but the thresholds are per group, so **every prediction
  needs the row's sensitive attribute**. Fit it on rows the model was not trained on (a validation
  split), as Fairlearn advises: on the training rows the scores are optimistic.
* ``exponentiated_gradient`` — reductions: Fairlearn's ``ExponentiatedGradient`` refits a fresh base
  estimator (a clone of the model when its ``fit`` takes ``sample_weight``, else a
  ``LogisticRegression``) on reweighted training rows; the sensitive attribute is needed to fit only.

Both give a *randomized* classifier: a row near a threshold (or between the mixed models) is predicted
positive with some probability. The after-numbers use ``random_state=seed``, so they are reproducible
and equal what Fairlearn's ``predict`` returns with that seed.

The constraints (``CONSTRAINTS``) are Fairlearn's, each reported by its Fairlearn disparity (max minus
min over the groups): ``demographic_parity`` (``demographic_parity_difference``), ``equalized_odds``
(``equalized_odds_difference``), ``true_positive_rate_parity`` (``true_positive_rate_difference``),
``false_positive_rate_parity`` (``false_positive_rate_difference``) and, for exponentiated gradient
only, ``error_rate_parity`` (``zero_one_loss_difference``). Accuracy and balanced accuracy are
scikit-learn's, on the test rows. The model's ROC AUC is reported before only: the mitigated classifier
outputs labels, not scores.

Labels: the positive class is the model's ``classes_[1]`` (the larger label, as everywhere in Steward);
Fairlearn sees 1 for it and 0 otherwise. Groups are text (``str`` of the value), a missing value its
own group ``"(missing)"``, as in the fairness audit.

Pure: arrays, frames and a fitted model in; a ``MitigationResult`` and the fitted mitigated model out.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    equalized_odds_difference,
    false_positive_rate,
    false_positive_rate_difference,
    selection_rate,
    true_positive_rate,
    true_positive_rate_difference,
    zero_one_loss_difference,
)
from fairlearn.postprocessing import ThresholdOptimizer
from fairlearn.reductions import (
    DemographicParity,
    EqualizedOdds,
    ErrorRateParity,
    ExponentiatedGradient,
    FalsePositiveRateParity,
    TruePositiveRateParity,
)
from pydantic import BaseModel, ConfigDict, Field
from sklearn.base import clone, is_classifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, roc_auc_score
from sklearn.utils.validation import has_fit_parameter

from mlsteward.errors import InvalidInput
from mlsteward.evaluate._common import as_array

Method = Literal["threshold_optimizer", "exponentiated_gradient"]
MISSING = "(missing)"

METHODS: dict[str, str] = {
    "threshold_optimizer": "post-processing (Fairlearn ThresholdOptimizer): per-group thresholds on the model's "
                           "scores; needs the sensitive attribute at prediction time",
    "exponentiated_gradient": "reductions (Fairlearn ExponentiatedGradient): a base estimator refitted under the "
                              "constraint; needs the sensitive attribute to fit only",
}


@dataclass(frozen=True)
class Constraint:
    """A fairness constraint by name: Fairlearn's moment (reductions), its ThresholdOptimizer name (or None
    when post-processing does not support it), and the disparity that measures it."""

    name: str
    metric: str
    measure: Callable[..., float]
    moment: type
    threshold_optimizer: str | None
    meaning: str


CONSTRAINTS: dict[str, Constraint] = {c.name: c for c in (
    Constraint("demographic_parity", "demographic_parity_difference", demographic_parity_difference,
               DemographicParity, "demographic_parity", "equal selection rates across the groups"),
    Constraint("equalized_odds", "equalized_odds_difference", equalized_odds_difference, EqualizedOdds,
               "equalized_odds", "equal true and false positive rates across the groups"),
    Constraint("true_positive_rate_parity", "true_positive_rate_difference", true_positive_rate_difference,
               TruePositiveRateParity, "true_positive_rate_parity", "equal true positive rates (equal opportunity)"),
    Constraint("false_positive_rate_parity", "false_positive_rate_difference", false_positive_rate_difference,
               FalsePositiveRateParity, "false_positive_rate_parity", "equal false positive rates"),
    Constraint("error_rate_parity", "zero_one_loss_difference", zero_one_loss_difference, ErrorRateParity, None,
               "equal error rates (exponentiated gradient only)"),
)}

CONSTRAINT_OF_METRIC = {
    "demographic_parity_difference": "demographic_parity", "demographic_parity_ratio": "demographic_parity",
    "disparate_impact": "demographic_parity", "equalized_odds_difference": "equalized_odds",
    "equalized_odds_ratio": "equalized_odds",
}
"""The constraint that mitigates a fairness gate metric (``fairness: {metric: ...}`` in steward.yaml)."""

_GROUP_METRICS = {"count": lambda t, p: len(t), "selection_rate": selection_rate,
                  "true_positive_rate": true_positive_rate, "false_positive_rate": false_positive_rate,
                  "accuracy": accuracy_score}


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MetricChange(_Result):
    """A value before and after mitigation, on the same test rows."""

    before: float | None
    after: float | None
    change: float | None = Field(description="after - before (None when either is missing)")


class GroupChange(_Result):
    """One group's rates before and after mitigation (Fairlearn's MetricFrame, by group)."""

    group: str
    count: int
    selection_rate: MetricChange
    true_positive_rate: MetricChange
    false_positive_rate: MetricChange
    accuracy: MetricChange


class MitigationResult(_Result):
    """The mitigated classifier against the model it came from, on the test rows."""

    method: Method
    constraint: str
    sensitive_attribute: str
    positive_label: bool | int | float | str
    fit_rows: int
    test_rows: int
    seed: int
    fairness_metric: str = Field(description="the constraint's Fairlearn disparity, e.g. demographic_parity_difference")
    fairness: MetricChange = Field(description="the constraint's disparity before and after")
    accuracy: MetricChange
    metrics: dict[str, MetricChange] = Field(description="balanced_accuracy; roc_auc (before only: the mitigated "
                                                         "classifier outputs labels, not scores)")
    disparities: dict[str, MetricChange] = Field(description="every Fairlearn disparity, before and after: mitigating "
                                                             "one can widen another")
    groups: list[GroupChange]
    settings: dict[str, Any] = Field(description="the method's settings, e.g. grid_size, eps, max_iter, base estimator")
    needs_sensitive_at_prediction: bool = Field(description="True for threshold_optimizer: each prediction needs "
                                                            "the row's sensitive attribute")
    randomized: bool = True
    notes: list[str] = Field(default_factory=list)


def check_choice(method: str, constraint: str) -> Constraint:
    """The constraint ``constraint`` after checking ``method`` and that the method supports it."""
    if method not in METHODS:
        raise InvalidInput(f"unknown mitigation method {method!r}: choose one of {', '.join(METHODS)}")
    found = CONSTRAINTS.get(constraint)
    if found is None:
        raise InvalidInput(f"unknown fairness constraint {constraint!r}: choose one of {', '.join(CONSTRAINTS)}")
    if method == "threshold_optimizer" and found.threshold_optimizer is None:
        supported = [c.name for c in CONSTRAINTS.values() if c.threshold_optimizer]
        raise InvalidInput(f"threshold_optimizer does not support {constraint!r}: use method "
                           f"exponentiated_gradient, or one of {', '.join(supported)}")
    return found


def groups_of(values: Any, name: str) -> pd.Series:
    """A sensitive attribute as text group names, missing values as ``"(missing)"``."""
    s = pd.Series(as_array(values, f"sensitive attribute {name!r}"), dtype=object)
    return s.where(s.notna(), MISSING).map(str)


def mitigate(model: Any, X_fit: Any, y_fit: Any, A_fit: Any, X_test: Any, y_test: Any, A_test: Any, *,  # noqa: N803
             method: str, constraint: str, seed: int = 0, base_estimator: Any = None, grid_size: int = 1000,
             eps: float = 0.01, max_iter: int = 50, sensitive_name: str | None = None
             ) -> tuple[MitigationResult, Any]:
    """Mitigate the fitted binary classifier ``model`` for ``constraint`` with ``method``; compare on the test rows.

    ``X_fit, y_fit, A_fit``: the rows the mitigation is fitted on (the features ``model`` reads, the labels,
    the sensitive attribute); for ``threshold_optimizer`` rows the model was not trained on, for
    ``exponentiated_gradient`` its training rows. ``X_test, y_test, A_test``: the rows both are compared on.
    ``base_estimator`` (exponentiated gradient): an unfitted estimator to refit; default a clone of ``model``
    when its ``fit`` takes ``sample_weight``, else ``LogisticRegression(max_iter=1000)``. Returns the result
    and the fitted Fairlearn estimator (``predict(X, sensitive_features=...)`` for a threshold optimizer).
    """
    chosen = check_choice(method, constraint)
    name = sensitive_name or _name_of(A_fit)
    classes = _check_model(model, method)
    positive = classes[1]
    if grid_size < 10:
        raise InvalidInput(f"grid_size must be at least 10; got {grid_size!r}")
    if not eps > 0:
        raise InvalidInput(f"eps (the allowed constraint violation) must be positive; got {eps!r}, e.g. 0.01")
    if max_iter < 1:
        raise InvalidInput(f"max_iter must be at least 1; got {max_iter!r}")
    y_fit01, a_fit = _rows("fitting", X_fit, y_fit, A_fit, classes, name)
    y_test01, a_test = _rows("test", X_test, y_test, A_test, classes, name)
    if y_fit01.min() == y_fit01.max():
        raise InvalidInput("the fitting rows hold one class only: mitigation needs both labels to fit")
    unseen = sorted(set(a_test) - set(a_fit))
    if unseen:
        raise InvalidInput(f"the test rows hold {name} group(s) {unseen} absent from the fitting rows: the mitigation "
                           "cannot treat a group it never saw; fit on rows holding every group")
    notes: list[str] = []
    if method == "threshold_optimizer":
        mitigated = ThresholdOptimizer(estimator=model, constraints=chosen.threshold_optimizer,
                                       objective="accuracy_score", grid_size=grid_size, prefit=True,
                                       predict_method="predict_proba")
        mitigated.fit(X_fit, y_fit01, sensitive_features=a_fit)
        after = np.asarray(mitigated.predict(X_test, sensitive_features=a_test, random_state=seed)).astype(int)
        settings: dict[str, Any] = {"grid_size": grid_size, "objective": "accuracy_score", "prefit": True,
                                    "predict_method": "predict_proba"}
        notes.append(f"the thresholds are per {name} group: every prediction needs the row's {name}. A live "
                     f"service would have to receive {name} with each request; where {name} may not be used to "
                     "decide (e.g. an audit-only attribute), use this model for batch scoring and evaluation only, "
                     "or use exponentiated_gradient")
    else:
        base = _base_estimator(model, base_estimator, seed, notes)
        mitigated = ExponentiatedGradient(base, constraints=chosen.moment(), eps=eps, max_iter=max_iter)
        with warnings.catch_warnings():  # convergence on reweighted rows; Fairlearn's own pandas deprecations
            warnings.simplefilter("ignore")
            mitigated.fit(X_fit, y_fit01, sensitive_features=a_fit)
        after = np.asarray(mitigated.predict(X_test, random_state=seed)).astype(int)
        settings = {"eps": eps, "max_iter": max_iter, "base_estimator": _qualname(base),
                    "iterations": int(mitigated.last_iter_) + 1, "best_gap": float(mitigated.best_gap_)}
        notes.append(f"{name} is needed to fit only: predictions read the model's features alone")
        if mitigated.last_iter_ + 1 >= max_iter:
            notes.append(f"exponentiated gradient stopped at max_iter={max_iter} (best duality gap "
                         f"{mitigated.best_gap_:.4g}): raise max_iter for a tighter solution")
    how = ("a row whose score falls between two thresholds of its group is predicted positive with some probability"
           if method == "threshold_optimizer" else "each row's prediction is drawn from the weighted mix of the "
           "fitted models")
    notes.append(f"the mitigated classifier is randomized ({how}); these numbers use random_state={seed}")
    before = (np.asarray(model.predict(X_test)) == positive).astype(int)
    proba = _positive_proba(model, X_test)
    result = _compare(chosen, method, name, positive, y_test01, a_test, before, after, proba, seed,
                      len(y_fit01), settings, notes)
    return result, mitigated


def _compare(chosen: Constraint, method: str, name: str, positive: Any, y: np.ndarray, a: pd.Series,
             before: np.ndarray, after: np.ndarray, proba: np.ndarray | None, seed: int, fit_rows: int,
             settings: dict, notes: list[str]) -> MitigationResult:
    disparities = {}
    for c in CONSTRAINTS.values():
        disparities[c.metric] = _change(float(c.measure(y, before, sensitive_features=a)),
                                        float(c.measure(y, after, sensitive_features=a)))
    fairness = disparities[chosen.metric]
    if fairness.after is not None and fairness.before is not None and fairness.after >= fairness.before:
        notes.append(f"{chosen.metric} did not decrease on the test rows ({fairness.before:.4f} -> "
                     f"{fairness.after:.4f}): the constraint held on the fitting rows does not carry over here")
    auc = None if proba is None or y.min() == y.max() else float(roc_auc_score(y, proba))
    metrics = {"balanced_accuracy": _change(float(balanced_accuracy_score(y, before)),
                                            float(balanced_accuracy_score(y, after))),
               "roc_auc": _change(auc, None)}
    frames = [MetricFrame(metrics=_GROUP_METRICS, y_true=y, y_pred=p, sensitive_features=a.rename(name)).by_group
              for p in (before, after)]
    groups = [GroupChange(group=str(g), count=int(frames[0].loc[g, "count"]),
                          **{m: _change(float(frames[0].loc[g, m]), float(frames[1].loc[g, m]))
                             for m in _GROUP_METRICS if m != "count"})
              for g in frames[0].index]
    return MitigationResult(
        method=method, constraint=chosen.name, sensitive_attribute=name,
        positive_label=positive.item() if isinstance(positive, np.generic) else positive, fit_rows=fit_rows,
        test_rows=len(y), seed=seed, fairness_metric=chosen.metric, fairness=fairness,
        accuracy=_change(float(accuracy_score(y, before)), float(accuracy_score(y, after))), metrics=metrics,
        disparities=disparities, groups=groups, settings=settings,
        needs_sensitive_at_prediction=method == "threshold_optimizer", notes=notes)


def _change(before: float | None, after: float | None) -> MetricChange:
    before = None if before is None or np.isnan(before) else before
    after = None if after is None or np.isnan(after) else after
    return MetricChange(before=before, after=after,
                        change=None if before is None or after is None else after - before)


def _check_model(model: Any, method: str) -> np.ndarray:
    if not is_classifier(model):
        raise InvalidInput(f"mitigation is for binary classifiers; got a {type(model).__name__}")
    classes = getattr(model, "classes_", None)
    if classes is None:
        raise InvalidInput(f"the {type(model).__name__} is not fitted: pass the fitted model to mitigate")
    if len(classes) != 2:
        raise InvalidInput(f"mitigation is for binary classifiers; the model has {len(classes)} classes "
                           f"{list(classes)}: mitigate one class against the rest")
    if method == "threshold_optimizer" and not hasattr(model, "predict_proba"):
        raise InvalidInput(f"threshold_optimizer thresholds the model's predict_proba, which a "
                           f"{type(model).__name__} lacks: use exponentiated_gradient")
    return np.asarray(classes)


def _rows(what: str, X: Any, y: Any, A: Any, classes: np.ndarray, name: str) -> tuple[np.ndarray, pd.Series]:  # noqa: N803
    labels = as_array(y, f"y ({what} rows)")
    groups = groups_of(A, name)
    if not len(X) == len(labels) == len(groups):
        raise InvalidInput(f"the {what} rows do not line up: X has {len(X)} rows, y {len(labels)}, the sensitive "
                           f"attribute {len(groups)}; pass one value per row")
    if len(labels) == 0:
        raise InvalidInput(f"there are no {what} rows")
    if pd.isna(labels).any():
        raise InvalidInput(f"the {what} labels hold missing values: drop the unlabelled rows first")
    extra = sorted(map(str, set(pd.unique(labels).tolist()) - set(classes.tolist())))
    if extra:
        raise InvalidInput(f"the {what} labels hold {extra}, which the model does not predict (its classes are "
                           f"{classes.tolist()}): pass the labels of the target it was trained on")
    if groups.nunique() < 2:
        raise InvalidInput(f"the sensitive attribute {name!r} has one group only ({groups.iloc[0]!r}) in the {what} "
                           "rows: there is nothing to equalise; give an attribute with at least two groups")
    return (labels == classes[1]).astype(int), groups.reset_index(drop=True)


def _positive_proba(model: Any, X: Any) -> np.ndarray | None:  # noqa: N803
    if not hasattr(model, "predict_proba"):
        return None
    return np.asarray(model.predict_proba(X))[:, 1]


def _base_estimator(model: Any, given: Any, seed: int, notes: list[str]) -> Any:
    if given is not None:
        if not has_fit_parameter(given, "sample_weight"):
            raise InvalidInput(f"exponentiated_gradient reweights the rows, but {type(given).__name__}.fit takes no "
                               "sample_weight: give an estimator that does, e.g. LogisticRegression")
        return clone(given)
    if has_fit_parameter(model, "sample_weight"):
        return clone(model)
    notes.append(f"{type(model).__name__}.fit takes no sample_weight, which exponentiated gradient needs: the "
                 "base estimator is a LogisticRegression(max_iter=1000)")
    return LogisticRegression(max_iter=1000, random_state=seed)


def _qualname(estimator: Any) -> str:
    return f"{type(estimator).__module__}.{type(estimator).__qualname__}"


def _name_of(values: Any) -> str:
    if isinstance(values, pd.Series) and values.name is not None:
        return str(values.name)
    if isinstance(values, pd.DataFrame) and values.shape[1] == 1:
        return str(values.columns[0])
    return "sensitive_feature"


__all__ = [
    "CONSTRAINTS",
    "CONSTRAINT_OF_METRIC",
    "METHODS",
    "Constraint",
    "GroupChange",
    "MetricChange",
    "MitigationResult",
    "check_choice",
    "groups_of",
    "mitigate",
]
