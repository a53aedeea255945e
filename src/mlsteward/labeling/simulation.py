"""Would active learning save labels on this data? A simulation on data already labelled. Pure computation.

``simulate`` replays labelling with the labels hidden: a stratified test set is held out, both arms
start from the same stratified random ``initial`` labelled items, and each round adds ``batch``
items, chosen by an uncertainty strategy from a model refit on the labels so far (active arm) or
uniformly at random (random arm), until ``budget`` labels. The test metric at each labelled-set size,
averaged over ``repeats`` runs, draws a learning curve per arm.

Repeat ``r`` (0-based) uses the seed ``seed + r`` for everything random in it: the train/test split
(``sklearn.model_selection.train_test_split``, stratified), the initial labelled set (the same
function on the pool, stratified), and the random arm's picks (``numpy.random.default_rng``). The
random arm depends on nothing else, so for one seed it is the same whatever the strategy. The active
arm's picks are deterministic given the model (``mlsteward.labeling.active.select``: top scores, ties
in pool order, or the diversity rule).

Sizes: ``initial, initial + batch, initial + 2 * batch, ...`` and then ``budget`` (the last round adds
fewer than ``batch`` when ``budget - initial`` is not a multiple of it). Standard deviations are
across repeats with ``ddof=1`` (0 with one repeat). ``area_*`` is the mean of an arm's mean metric
over the curve's points (a normalised area under the learning curve).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse
from pydantic import BaseModel
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import train_test_split

from mlsteward.errors import InvalidInput
from mlsteward.labeling.active import STRATEGIES, numeric_features, select, strategy_named, uncertainty

METRICS = ("accuracy", "balanced_accuracy", "f1_macro", "roc_auc")
"""Test metrics ``simulate`` can record (scikit-learn's scorer names); ``roc_auc`` for binary targets."""


class CurvePoint(BaseModel):
    """The test metric of both arms at one labelled-set size: mean and standard deviation over repeats."""

    labelled: int
    active_mean: float
    active_std: float
    random_mean: float
    random_std: float


class SimulationResult(BaseModel):
    """Learning curves of active versus random labelling, and how many labels active learning saved.

    ``labels_to_match_random``: the smallest labelled-set size at which the active arm's mean metric
    reaches the random arm's mean at ``budget`` (None if it never does); ``labels_saved`` is
    ``budget`` minus that (how many labels active learning would have spared to do as well as random
    labelling of the whole budget; None if never).
    """

    strategy: str
    metric: str
    initial: int
    batch: int
    budget: int
    repeats: int
    seed: int
    diversity: float
    test_rows: int
    pool_rows: int
    curve: list[CurvePoint]
    area_active: float
    area_random: float
    labels_to_match_random: int | None
    labels_saved: int | None
    notes: list[str]


def _int(value: Any, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise InvalidInput(f"The '{name}' parameter of simulate must be an int >= {low}; got {value!r} instead.")
    return int(value)


def _rows(X: Any) -> Any:
    """``X`` as something indexable by an array of positions: DataFrame, 2-D array, sparse matrix, object array."""
    if isinstance(X, pd.DataFrame | np.ndarray) or scipy.sparse.issparse(X):
        return X
    if isinstance(X, pd.Series):
        return X.to_numpy()
    if isinstance(X, list | tuple):
        if X and not isinstance(X[0], str):  # rows of numbers: a 2-D array
            rows = np.asarray(X)
            if rows.ndim == 2 and rows.dtype.kind in "biuf":
                return rows
        array = np.empty(len(X), dtype=object)  # texts (or other objects), one per item
        array[:] = list(X)
        return array
    raise InvalidInput(f"The 'X' parameter of simulate must be a numpy array, a pandas DataFrame, a sparse matrix or "
                       f"a list (e.g. of texts for a text pipeline); got {type(X).__name__} instead.")


def _take(X: Any, positions: np.ndarray) -> Any:
    return X.iloc[positions] if isinstance(X, pd.DataFrame) else X[positions]


def _score(metric: str, model: Any, X_test: Any, y_test: np.ndarray, positive: Any) -> float:
    if metric == "roc_auc":
        proba = model.predict_proba(X_test)
        column = list(model.classes_).index(positive)
        return float(roc_auc_score(y_test == positive, proba[:, column]))
    predicted = model.predict(X_test)
    if metric == "accuracy":
        return float(accuracy_score(y_test, predicted))
    if metric == "balanced_accuracy":
        return float(balanced_accuracy_score(y_test, predicted))
    return float(f1_score(y_test, predicted, average="macro"))


def _fit(make_model: Callable[[], Any], X: Any, y: np.ndarray, labelled: np.ndarray) -> Any:
    model = make_model()
    if not callable(getattr(model, "fit", None)) or not callable(getattr(model, "predict_proba", None)):
        raise InvalidInput(f"The 'make_model' parameter of simulate must return a new unfitted classifier with fit "
                           f"and predict_proba (e.g. lambda: LogisticRegression(max_iter=1000)); it returned "
                           f"{type(model).__name__} instead.")
    try:
        model.fit(_take(X, labelled), y[labelled])
    except Exception as exc:  # the caller's model failing on the caller's data
        raise InvalidInput(f"The model from make_model failed to fit on {len(labelled)} labelled items "
                           f"({type(exc).__name__}: {exc}).") from exc
    return model


def _split(positions: np.ndarray, labels: np.ndarray, size: int, seed: int, what: str) -> tuple[Any, Any]:
    """Stratified split of ``positions``: ``size`` rows to the second part (test) or to the first (initial)."""
    sizes = {"test_size": size} if what == "test" else {"train_size": size}
    try:
        return train_test_split(positions, stratify=labels, random_state=seed, **sizes)
    except ValueError as exc:
        knob = "test_size" if what == "test" else "initial"
        raise InvalidInput(f"simulate could not draw a stratified {what} set ({exc}); every class needs enough "
                           f"items: change '{knob}' or drop rare classes.") from exc


def simulate(X: Any, y: Any, *, make_model: Callable[[], Any], strategy: str = "entropy", initial: int = 20,
             batch: int = 20, budget: int = 200, test_size: float = 0.25, seed: int = 0, repeats: int = 3,
             metric: str = "accuracy", diversity: float = 0.0,
             progress: Callable[[int, int], None] | None = None) -> SimulationResult:
    """Learning curves of active (``strategy``) versus random labelling on labelled data ``X``, ``y``.

    ``make_model``: a function returning a new unfitted classifier with ``predict_proba`` (any
    scikit-learn-API estimator or Pipeline, e.g. TfidfVectorizer + LogisticRegression for texts).
    ``X``: numpy array, DataFrame, sparse matrix or list (a list becomes a numpy object array, so a
    list of texts works with a text pipeline). ``strategy``: a single-model strategy of
    ``mlsteward.labeling.active`` (committee strategies need several models and are not simulated).
    ``initial``, ``batch``, ``budget``: labels to start with, to add per round, in total (``budget``
    at most the pool, the rows left after the test set). ``metric``: one of ``METRICS``. ``diversity``:
    as in ``rank``, on the numeric columns of ``X``. ``progress(done, total)`` is called after each
    labelled-set size of each repeat (``total = repeats * points``). See the module docs for the
    seeds and sizes.
    """
    chosen = strategy_named(strategy, "simulate")
    if chosen.committee:
        single = ", ".join(repr(n) for n in sorted(STRATEGIES) if not STRATEGIES[n].committee)
        raise InvalidInput(f"The 'strategy' parameter of simulate must be a single-model strategy ({single}); got "
                           f"committee strategy {strategy!r}, which needs several models.")
    if not callable(make_model):
        raise InvalidInput(f"The 'make_model' parameter of simulate must be a function returning a new classifier "
                           f"(e.g. lambda: LogisticRegression(max_iter=1000)); got {type(make_model).__name__} instead.")
    if metric not in METRICS:
        raise InvalidInput(f"The 'metric' parameter of simulate must be one of {', '.join(map(repr, METRICS))}; got "
                           f"{metric!r} instead.")
    initial, batch, budget = _int(initial, "initial", 1), _int(batch, "batch", 1), _int(budget, "budget", 2)
    seed, repeats = _int(seed, "seed", 0), _int(repeats, "repeats", 1)
    if isinstance(test_size, bool) or not isinstance(test_size, float | int) or not 0.0 < float(test_size) < 1.0:
        raise InvalidInput(f"The 'test_size' parameter of simulate must be a fraction between 0 and 1 (e.g. 0.25); "
                           f"got {test_size!r} instead.")
    if isinstance(diversity, bool) or not isinstance(diversity, float | int) or not 0.0 <= diversity <= 1.0:
        raise InvalidInput(f"The 'diversity' parameter of simulate must be a number between 0 and 1; got "
                           f"{diversity!r} instead.")
    if progress is not None and not callable(progress):
        raise InvalidInput(f"The 'progress' parameter of simulate must be a function (done, total) or None; got "
                           f"{type(progress).__name__} instead.")

    X = _rows(X)
    n_rows = X.shape[0]
    labels = np.asarray(y.to_numpy() if isinstance(y, pd.Series | pd.DataFrame) else y)
    if labels.ndim != 1 or len(labels) != n_rows:
        raise InvalidInput(f"The 'y' parameter of simulate must be one label per row of X ({n_rows} rows); got "
                           f"shape {labels.shape} instead.")
    if pd.isna(labels).any():
        raise InvalidInput(f"The 'y' parameter of simulate must have no missing labels; got "
                           f"{int(pd.isna(labels).sum())} missing: drop those rows first.")
    classes, counts = np.unique(labels, return_counts=True)
    if len(classes) < 2:
        raise InvalidInput(f"The 'y' parameter of simulate must hold at least 2 classes; got only {classes.tolist()}.")
    if counts.min() < 2:
        raise InvalidInput(f"The 'y' parameter of simulate must have at least 2 items of every class to stratify; "
                           f"class {classes[counts.argmin()].tolist()!r} has {int(counts.min())}: drop it or label more.")
    if metric == "roc_auc" and len(classes) != 2:
        raise InvalidInput(f"The 'metric' parameter of simulate may be 'roc_auc' only for a binary target; y has "
                           f"{len(classes)} classes: use 'accuracy', 'balanced_accuracy' or 'f1_macro'.")
    test_rows = math.ceil(float(test_size) * n_rows)
    pool_rows = n_rows - test_rows
    if initial < len(classes):
        raise InvalidInput(f"The 'initial' parameter of simulate must be at least the number of classes "
                           f"({len(classes)}) so every class starts labelled; got {initial} instead.")
    if budget <= initial:
        raise InvalidInput(f"The 'budget' parameter of simulate must exceed 'initial' ({initial}): it counts all "
                           f"labels, the initial ones included; got {budget} instead.")
    if budget > pool_rows:
        raise InvalidInput(f"The 'budget' parameter of simulate must be at most the pool of {pool_rows} rows (the "
                           f"{n_rows} rows minus a test set of {test_rows}); got {budget} instead: lower budget or "
                           "test_size.")
    features = numeric_features(X) if diversity > 0 else None

    sizes = list(range(initial, budget, batch)) + [budget]
    total, done = repeats * len(sizes), 0
    active = np.empty((repeats, len(sizes)))
    random = np.empty((repeats, len(sizes)))
    positive = classes[-1]
    everything = np.arange(n_rows)
    for r in range(repeats):
        run_seed = seed + r
        pool, test = _split(everything, labels, test_rows, run_seed, "test")
        X_test, y_test = _take(X, test), labels[test]
        start, rest = _split(pool, labels[pool], initial, run_seed, "initial")
        rng = np.random.default_rng(run_seed)
        arms = {"active": (np.asarray(start), np.asarray(rest)), "random": (np.asarray(start), np.asarray(rest))}
        for k, size in enumerate(sizes):
            step = sizes[k + 1] - size if k + 1 < len(sizes) else 0
            labelled, unlabelled = arms["active"]
            model = _fit(make_model, X, labels, labelled)
            active[r, k] = _score(metric, model, X_test, y_test, positive)
            if step:
                scores = uncertainty(model.predict_proba(_take(X, unlabelled)), chosen.name)
                picked, _ = select(scores, step, None if features is None else features[unlabelled], diversity)
                arms["active"] = (np.concatenate([labelled, unlabelled[picked]]), np.delete(unlabelled, picked))
            labelled, unlabelled = arms["random"]
            random[r, k] = _score(metric, _fit(make_model, X, labels, labelled), X_test, y_test, positive)
            if step:
                picked = rng.choice(len(unlabelled), size=step, replace=False)
                arms["random"] = (np.concatenate([labelled, unlabelled[picked]]), np.delete(unlabelled, picked))
            done += 1
            if progress is not None:
                progress(done, total)

    ddof = 1 if repeats > 1 else 0
    active_mean, random_mean = active.mean(axis=0), random.mean(axis=0)
    active_std, random_std = active.std(axis=0, ddof=ddof), random.std(axis=0, ddof=ddof)
    curve = [CurvePoint(labelled=size, active_mean=float(active_mean[k]), active_std=float(active_std[k]),
                        random_mean=float(random_mean[k]), random_std=float(random_std[k]))
             for k, size in enumerate(sizes)]
    area_active, area_random = float(active_mean.mean()), float(random_mean.mean())
    target = random_mean[-1]
    reached = np.flatnonzero(active_mean >= target)
    to_match = sizes[int(reached[0])] if reached.size else None
    saved = budget - to_match if to_match is not None else None
    notes = [(f"mean {metric} over the curve: active ({chosen.name}) {area_active:.4f}, random {area_random:.4f} "
              f"({area_active - area_random:+.4f}), over {repeats} repeat(s) of {len(sizes)} labelled-set sizes "
              f"from {initial} to {budget}.")]
    if to_match is None:
        notes.append(f"the active arm never reached the random arm's {metric} at {budget} labels "
                     f"({target:.4f}); it ended at {active_mean[-1]:.4f}.")
    else:
        notes.append(f"the active arm reached the random arm's {metric} at {budget} labels ({target:.4f}) with "
                     f"{to_match} labels: {saved} fewer.")
    if repeats == 1:
        notes.append("one repeat: the standard deviations are 0; use repeats >= 3 to see the spread.")
    return SimulationResult(strategy=chosen.name, metric=metric, initial=initial, batch=batch, budget=budget,
                            repeats=repeats, seed=seed, diversity=float(diversity), test_rows=test_rows,
                            pool_rows=pool_rows, curve=curve, area_active=area_active, area_random=area_random,
                            labels_to_match_random=to_match, labels_saved=saved, notes=notes)


__all__ = ["METRICS", "CurvePoint", "SimulationResult", "simulate"]
