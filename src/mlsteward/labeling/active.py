"""Active learning: which unlabelled items to send to labelers first. Pure computation.

Uncertainty strategies, registered by name in ``STRATEGIES`` (what config, the CLI and the REST API
select them by). Each scores every item; a higher score means "more informative, ask first".
Single-model strategies take one ``predict_proba`` matrix (rows = items, columns = classes, each
row non-negative and summing to 1); committee strategies take a list of such matrices, one per
committee member, with the same items and the same class columns.

* ``least_confidence``: ``1 - max_c p_c``.
* ``margin``: ``1 - (p_(1) - p_(2))`` with ``p_(1) >= p_(2)`` the two largest probabilities of the
  row, so a close call between the top two classes scores near 1 and a clear winner near 0.
* ``entropy``: Shannon entropy ``-sum_c p_c ln p_c`` (natural log, ``0 ln 0 = 0``), the same number
  as ``scipy.stats.entropy(row)``.
* ``committee`` (vote entropy, Dagan & Engelson 1995): each member votes for its most probable class
  (the first column on a tie, ``numpy.argmax``); the score is the entropy, natural log, of the vote
  shares ``V(c) / k`` over the ``k`` members. Unnormalised: the maximum is ``ln(min(k, classes))``.
* ``committee_kl`` (McCallum & Nigam 1998): the mean over members of the Kullback-Leibler divergence
  ``KL(P_m || P_mean)`` of each member's probabilities from the consensus ``P_mean`` (the
  members' average), natural log; equal to the mean of ``scipy.stats.entropy(P_m, P_mean)``.

``register_strategy`` adds one. ``uncertainty`` validates a matrix (or list of them) and scores it;
``rank`` turns scores into an ``ActiveQueue`` of ``batch`` items, optionally spread out over feature
space (``diversity``); ``queue_from_model`` does both from a fitted scikit-learn-API classifier.

Diversity (``rank``, ``0 < diversity <= 1``): the top ``pool_size = min(n, ceil(batch / (1 - 0.9 *
diversity)))`` items by score (ties by input order) are candidates: ``batch`` itself at diversity 0
(no candidates beyond the batch), about twice the batch at 0.5, ten times at 1. Features are
standardised over all ``n`` items (mean 0, population sd 1; a constant column becomes 0). The first
pick is the candidate with the highest score. Each next pick is the remaining candidate that
maximises ``(1 - diversity) * s + diversity * d``, where ``s`` is the candidate's score min-max
normalised over the candidates (0 for all when they are equal) and ``d`` its Euclidean distance to
the nearest item already picked, divided by the largest such distance among the remaining
candidates (0 for all when that is 0). Ties go to the candidate earlier in score order. There is no
randomness: the same inputs give the same queue.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from mlsteward.errors import InvalidInput

PROBABILITY_TOLERANCE = 1e-6
"""How far a probability row's sum may stray from 1 (and an entry below 0) before it is refused."""

SingleFunction = Callable[[np.ndarray], np.ndarray]
CommitteeFunction = Callable[[list[np.ndarray]], np.ndarray]


@dataclass(frozen=True)
class Strategy:
    """A named uncertainty strategy. ``compute`` returns one score per item, higher = ask first.

    ``committee=False``: ``compute(proba)`` on one validated ``(items, classes)`` matrix.
    ``committee=True``: ``compute(members)`` on a list of at least two such matrices of one shape.
    """

    name: str
    compute: Callable[[Any], np.ndarray] = field(repr=False)
    committee: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise InvalidInput(f"A strategy name must be a non-empty identifier such as 'my_strategy'; "
                               f"got {self.name!r} instead.")
        if not callable(self.compute):
            raise InvalidInput(f"The 'compute' of strategy '{self.name}' must be a function; "
                               f"got {type(self.compute).__name__} instead.")


def least_confidence(proba: np.ndarray) -> np.ndarray:
    """``1 - max_c p_c`` per row."""
    return 1.0 - proba.max(axis=1)


def margin(proba: np.ndarray) -> np.ndarray:
    """``1 - (p_(1) - p_(2))`` per row: the gap between the two most probable classes, inverted."""
    top_two = np.sort(proba, axis=1)[:, -2:]
    return 1.0 - (top_two[:, 1] - top_two[:, 0])


def entropy(proba: np.ndarray) -> np.ndarray:
    """Shannon entropy of each row, natural log, ``0 ln 0 = 0`` (``scipy.stats.entropy``)."""
    logs = np.log(proba, out=np.zeros_like(proba), where=proba > 0)
    return -(proba * logs).sum(axis=1)


def vote_entropy(members: list[np.ndarray]) -> np.ndarray:
    """Entropy (natural log) of the committee's vote shares for each item (Dagan & Engelson)."""
    n_items, n_classes = members[0].shape
    votes = np.zeros((n_items, n_classes))
    rows = np.arange(n_items)
    for proba in members:
        votes[rows, proba.argmax(axis=1)] += 1.0
    return entropy(votes / len(members))


def committee_kl(members: list[np.ndarray]) -> np.ndarray:
    """Mean KL divergence of each member from the consensus (McCallum & Nigam), natural log."""
    consensus = np.mean(members, axis=0)
    total = np.zeros(consensus.shape[0])
    for proba in members:
        # p > 0 implies consensus > 0, so the ratio is defined wherever it counts
        ratio = np.divide(proba, consensus, out=np.ones_like(proba), where=proba > 0)
        total += (proba * np.log(ratio)).sum(axis=1)
    return total / len(members)


STRATEGIES: dict[str, Strategy] = {}


def register_strategy(strategy: Strategy, *, replace: bool = False) -> Strategy:
    """Add ``strategy`` to ``STRATEGIES`` under its name; ``replace=True`` to overwrite one."""
    if not isinstance(strategy, Strategy):
        raise InvalidInput(f"The 'strategy' parameter of register_strategy must be a Strategy; "
                           f"got {type(strategy).__name__} instead.")
    if strategy.name in STRATEGIES and not replace:
        raise InvalidInput(f"A strategy named '{strategy.name}' is already registered; pass replace=True to "
                           "overwrite it, or choose another name.")
    STRATEGIES[strategy.name] = strategy
    return strategy


for _strategy in (
    Strategy("least_confidence", least_confidence, description="1 - the highest class probability"),
    Strategy("margin", margin, description="1 - (highest - second highest class probability)"),
    Strategy("entropy", entropy, description="Shannon entropy of the class probabilities (natural log)"),
    Strategy("committee", vote_entropy, committee=True,
             description="vote entropy of the committee members' predicted classes (Dagan & Engelson)"),
    Strategy("committee_kl", committee_kl, committee=True,
             description="mean KL divergence of the members' probabilities from their mean (McCallum & Nigam)"),
):
    register_strategy(_strategy)


def strategy_named(name: Any, function: str = "uncertainty") -> Strategy:
    """The registered strategy called ``name``; an error listing the known names otherwise."""
    if not isinstance(name, str) or name not in STRATEGIES:
        known = ", ".join(repr(n) for n in sorted(STRATEGIES))
        raise InvalidInput(f"The 'strategy' parameter of {function} must be one of {known}; got {name!r} instead.")
    return STRATEGIES[name]


class QueuedItem(BaseModel):
    """One item to label: its id, its uncertainty score and its place in the queue (1 = first)."""

    item: str
    score: float
    rank: int


class ActiveQueue(BaseModel):
    """The items to send to labelers next, in the order to ask.

    ``batch`` is the number asked for (``items`` holds fewer only when fewer items were given);
    ``pool_size`` is how many top-scoring items the diversity rule chose among (``len(items)`` when
    ``diversity`` is 0); ``strategy`` names the scores' strategy when known.
    """

    strategy: str | None = None
    batch: int
    diversity: float
    items: list[QueuedItem]
    pool_size: int


def _check_matrix(proba: Any, name: str, function: str) -> np.ndarray:
    try:
        matrix = np.asarray(proba, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"The '{name}' parameter of {function} must be a numeric matrix of class probabilities "
                           f"(predict_proba's output); got {type(proba).__name__} that is not numeric ({exc}).") from exc
    if matrix.ndim != 2 or matrix.shape[1] < 2:
        raise InvalidInput(f"The '{name}' parameter of {function} must be a 2-D matrix with one row per item and one "
                           f"column per class (at least 2), as predict_proba returns; got shape {matrix.shape} instead.")
    if not np.isfinite(matrix).all():
        raise InvalidInput(f"The '{name}' parameter of {function} must hold finite probabilities; "
                           f"got NaN or infinity in row {int(np.flatnonzero(~np.isfinite(matrix).all(axis=1))[0])}.")
    if (matrix < -PROBABILITY_TOLERANCE).any():
        row = int(np.flatnonzero((matrix < -PROBABILITY_TOLERANCE).any(axis=1))[0])
        raise InvalidInput(f"The '{name}' parameter of {function} must hold non-negative probabilities; got "
                           f"{matrix[row].tolist()} in row {row}: pass predict_proba's output, not scores or logits.")
    sums = matrix.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > PROBABILITY_TOLERANCE)
    if bad.size:
        row = int(bad[0])
        raise InvalidInput(f"The '{name}' parameter of {function} must have rows that sum to 1 (within "
                           f"{PROBABILITY_TOLERANCE:g}); row {row} sums to {float(sums[row])!r}: pass predict_proba's "
                           "output, not scores or logits.")
    return np.clip(matrix, 0.0, None)


def uncertainty(proba: Any, strategy: str) -> np.ndarray:
    """One score per item under the named strategy; higher = more uncertain = ask first.

    ``proba``: for a single-model strategy, one ``predict_proba`` matrix ``(items, classes)``; for a
    committee strategy (``committee``, ``committee_kl``), a list of at least two such matrices, one
    per member, with the same items and classes in the same order (or a 3-D array, members first).
    """
    chosen = strategy_named(strategy)
    if not chosen.committee:
        scores = chosen.compute(_check_matrix(proba, "proba", "uncertainty"))
    else:
        if isinstance(proba, np.ndarray) and proba.ndim == 2 or not isinstance(proba, Sequence | np.ndarray):
            raise InvalidInput(f"The 'proba' parameter of uncertainty must be a list of predict_proba matrices, one "
                               f"per committee member, for strategy '{chosen.name}'; got a single "
                               f"{type(proba).__name__} instead.")
        members = [_check_matrix(m, f"proba[{i}]", "uncertainty") for i, m in enumerate(proba)]
        if len(members) < 2:
            raise InvalidInput(f"The 'proba' parameter of uncertainty must hold at least 2 committee members' "
                               f"matrices for strategy '{chosen.name}'; got {len(members)} instead.")
        shapes = sorted({m.shape for m in members})
        if len(shapes) > 1:
            raise InvalidInput(f"The committee's matrices passed to uncertainty must all have one shape (same items, "
                               f"same classes); got shapes {shapes} instead.")
        scores = chosen.compute(members)
    return np.asarray(scores, dtype=float)


def _check_int(value: Any, name: str, function: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise InvalidInput(f"The '{name}' parameter of {function} must be an int >= {low}; got {value!r} instead.")
    return int(value)


def _check_diversity(value: Any, function: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number) or not 0.0 <= float(value) <= 1.0:
        raise InvalidInput(f"The 'diversity' parameter of {function} must be a number between 0 and 1 (0 = top "
                           f"scores only, 1 = as spread out as possible); got {value!r} instead.")
    return float(value)


def pool_size_for(batch: int, diversity: float, n_items: int) -> int:
    """How many top-scoring candidates the diversity rule chooses ``batch`` among (see module docs)."""
    return min(n_items, math.ceil(batch / (1.0 - 0.9 * diversity) - 1e-9))


def select(scores: np.ndarray, batch: int, features: np.ndarray | None, diversity: float) -> tuple[list[int], int]:
    """Positions of the chosen items in queue order, and the candidate pool size (validated inputs)."""
    n_items = len(scores)
    if n_items == 0:
        return [], 0
    order = np.argsort(-scores, kind="stable")  # descending score, ties by input order
    if diversity == 0.0 or features is None:
        size = min(batch, n_items)
        return [int(i) for i in order[:size]], size
    size = pool_size_for(batch, diversity, n_items)
    candidates = order[:size]
    spread = features.std(axis=0)
    scaled = np.divide(features - features.mean(axis=0), spread, out=np.zeros_like(features), where=spread > 0)
    points = scaled[candidates]
    pool_scores = scores[candidates]
    low, high = pool_scores.min(), pool_scores.max()
    normalised = (pool_scores - low) / (high - low) if high > low else np.zeros(size)
    remaining = np.ones(size, dtype=bool)
    nearest = np.full(size, np.inf)
    picked: list[int] = []
    for _ in range(min(batch, size)):
        if not picked:
            best = 0
        else:
            reach = nearest[remaining].max()
            distance = nearest / reach if reach > 0 else np.zeros(size)
            value = (1.0 - diversity) * normalised + diversity * distance
            value[~remaining] = -np.inf
            best = int(np.argmax(value))  # first maximum: the earlier candidate in score order
        picked.append(best)
        remaining[best] = False
        nearest = np.minimum(nearest, np.sqrt(((points - points[best]) ** 2).sum(axis=1)))
    return [int(candidates[i]) for i in picked], size


def rank(item_ids: Sequence[Any], scores: Any, *, batch: int, features: Any = None, diversity: float = 0.0,
         strategy: str | None = None) -> ActiveQueue:
    """The ``batch`` items to label next, by score, optionally spread out over ``features``.

    ``item_ids``: one id per item (unique; turned into strings). ``scores``: one number per item,
    higher = ask first (``uncertainty``'s output). ``diversity`` 0 takes the top scores, ties in
    input order; between 0 and 1 it trades score for distance to the items already picked, by the
    rule in the module docs, and needs ``features`` (a numeric matrix or DataFrame, one row per
    item). When fewer than ``batch`` items are given, all are queued. ``strategy`` only labels the
    result. Deterministic: no randomness is involved.
    """
    ids = _check_ids(item_ids, "rank")
    batch = _check_int(batch, "batch", "rank", 1)
    diversity = _check_diversity(diversity, "rank")
    try:
        values = np.asarray(scores, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"The 'scores' parameter of rank must be numbers, one per item; got "
                           f"{type(scores).__name__} that is not numeric ({exc}).") from exc
    if values.ndim != 1 or len(values) != len(ids):
        raise InvalidInput(f"The 'scores' parameter of rank must be 1-D with one score per item ({len(ids)} item "
                           f"ids); got shape {values.shape} instead.")
    if not np.isfinite(values).all():
        raise InvalidInput(f"The 'scores' parameter of rank must be finite; got {float(values[~np.isfinite(values)][0])!r} "
                           f"for item {ids[int(np.flatnonzero(~np.isfinite(values))[0])]!r}.")
    matrix = None
    if diversity > 0.0:
        matrix = _check_features(features, len(ids))
    positions, pool_size = select(values, batch, matrix, diversity)
    items = [QueuedItem(item=ids[p], score=float(values[p]), rank=k + 1) for k, p in enumerate(positions)]
    return ActiveQueue(strategy=strategy, batch=batch, diversity=diversity, items=items, pool_size=pool_size)


def _check_ids(item_ids: Any, function: str) -> list[str]:
    if isinstance(item_ids, str) or not isinstance(item_ids, Sequence | np.ndarray | pd.Index | pd.Series):
        raise InvalidInput(f"The 'item_ids' parameter of {function} must be a sequence of item ids, one per item; "
                           f"got {type(item_ids).__name__} instead.")
    ids = [str(i) for i in item_ids]
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        duplicate = next(i for i in ids if i in seen or seen.add(i))
        raise InvalidInput(f"The 'item_ids' parameter of {function} must hold unique ids; got {duplicate!r} more "
                           "than once.")
    return ids


def _check_features(features: Any, n_items: int) -> np.ndarray:
    if features is None:
        raise InvalidInput("The 'features' parameter of rank must be given when diversity > 0: pass a numeric "
                           "matrix with one row per item, or set diversity=0.")
    if isinstance(features, pd.DataFrame):
        features = features.to_numpy()
    try:
        matrix = np.asarray(features, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"The 'features' parameter of rank must be numeric; got values that are not "
                           f"numbers ({exc}).") from exc
    if matrix.ndim == 1:
        matrix = matrix[:, None]
    if matrix.ndim != 2 or matrix.shape[0] != n_items:
        raise InvalidInput(f"The 'features' parameter of rank must have one row per item ({n_items}); got shape "
                           f"{matrix.shape} instead.")
    if not np.isfinite(matrix).all():
        raise InvalidInput("The 'features' parameter of rank must be finite; got NaN or infinity: impute missing "
                           "values first.")
    return matrix


def _aligned_proba(estimators: list[Any], X: Any) -> list[np.ndarray]:
    """Each estimator's ``predict_proba(X)``, columns aligned on the union of their ``classes_``."""
    matrices, classes = [], []
    for i, estimator in enumerate(estimators):
        name = "model" if i == 0 else f"committee[{i - 1}]"
        if not callable(getattr(estimator, "predict_proba", None)):
            raise InvalidInput(f"The '{name}' of queue_from_model must be a fitted classifier with predict_proba; "
                               f"got {type(estimator).__name__} instead.")
        try:
            matrices.append(np.asarray(estimator.predict_proba(X), dtype=float))
        except Exception as exc:  # any estimator failure is the caller's input
            raise InvalidInput(f"The '{name}' of queue_from_model could not predict_proba on X "
                               f"({type(exc).__name__}: {exc}); fit it first, on the same columns as X.") from exc
        classes.append(getattr(estimator, "classes_", None))
    if len(matrices) == 1 or any(c is None for c in classes):
        return matrices
    union = np.unique(np.concatenate([np.asarray(c) for c in classes]))
    aligned = []
    for matrix, own in zip(matrices, classes, strict=True):
        full = np.zeros((matrix.shape[0], len(union)))
        full[:, np.searchsorted(union, np.asarray(own))] = matrix
        aligned.append(full)
    return aligned


def numeric_features(X: Any) -> np.ndarray:
    """The numeric columns of ``X`` as floats, missing values replaced by their column's median."""
    if isinstance(X, pd.DataFrame):
        frame = X.select_dtypes(include=["number", "bool"]).astype(float)
    else:
        array = np.asarray(X)
        if array.dtype.kind not in "biuf":
            frame = pd.DataFrame()
        else:
            frame = pd.DataFrame(array.reshape(len(array), -1).astype(float))
    if frame.shape[1] == 0:
        raise InvalidInput("diversity > 0 needs numeric columns in X to measure how far apart items are; X has "
                           "none (text or categories only): set diversity=0.")
    frame = frame.replace([np.inf, -np.inf], np.nan)
    return frame.fillna(frame.median()).fillna(0.0).to_numpy()


def queue_from_model(model: Any, X: Any, item_ids: Sequence[Any], *, strategy: str, batch: int,
                     diversity: float = 0.0, committee: Sequence[Any] | None = None) -> ActiveQueue:
    """Score ``X`` with a fitted classifier and queue the ``batch`` items to label next.

    ``model``: any fitted scikit-learn-API classifier (a Pipeline too) with ``predict_proba``. For a
    committee strategy (``committee``, ``committee_kl``) the committee is ``model`` together with
    every fitted classifier in ``committee`` (at least one); their probability columns are aligned
    by ``classes_`` (a class a member never saw gets probability 0 from it). ``committee`` with a
    single-model strategy is refused rather than ignored.

    ``X``: the unlabelled items, a DataFrame (or anything the model's ``predict_proba`` takes), one
    row per id in ``item_ids``. For ``diversity > 0`` distances are measured on the numeric columns
    of ``X`` as given (missing values replaced by the column median), not on the features a
    Pipeline builds internally; X without numeric columns (e.g. text) needs ``diversity=0``.
    """
    chosen = strategy_named(strategy, "queue_from_model")
    ids = _check_ids(item_ids, "queue_from_model")
    if len(X) != len(ids):
        raise InvalidInput(f"The 'item_ids' parameter of queue_from_model must hold one id per row of X "
                           f"({len(X)} rows); got {len(ids)} ids instead.")
    diversity = _check_diversity(diversity, "queue_from_model")
    members = [model]
    if chosen.committee:
        if committee is None or isinstance(committee, str) or len(committee) < 1:
            raise InvalidInput(f"The 'committee' parameter of queue_from_model must list at least one more fitted "
                               f"classifier for strategy '{chosen.name}' (the committee is model plus these); got "
                               f"{committee!r} instead.")
        members += list(committee)
    elif committee is not None:
        raise InvalidInput(f"The 'committee' parameter of queue_from_model is only used by the committee strategies "
                           f"('committee', 'committee_kl'); got a committee with strategy '{chosen.name}': drop it "
                           "or choose a committee strategy.")
    matrices = _aligned_proba(members, X)
    scores = uncertainty(matrices if chosen.committee else matrices[0], chosen.name)
    features = numeric_features(X) if diversity > 0 else None
    return rank(ids, scores, batch=batch, features=features, diversity=diversity, strategy=chosen.name)


__all__ = [
    "PROBABILITY_TOLERANCE",
    "STRATEGIES",
    "ActiveQueue",
    "QueuedItem",
    "Strategy",
    "committee_kl",
    "entropy",
    "least_confidence",
    "margin",
    "numeric_features",
    "pool_size_for",
    "queue_from_model",
    "rank",
    "register_strategy",
    "select",
    "strategy_named",
    "uncertainty",
    "vote_entropy",
]
