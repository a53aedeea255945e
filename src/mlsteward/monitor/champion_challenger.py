"""Champion against challenger on the same logged traffic: how often they agree, and, on the rows whose
labels have arrived, each one's metrics (``mlsteward.evaluate.metrics``, with bootstrap intervals) and
the challenger's difference.

Pure: the caller replays the logged inputs through both models and hands in their predictions and
probabilities (``predict_proba`` columns in ``classes`` order) and the labels (missing where none came).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from mlsteward.errors import InvalidInput
from mlsteward.evaluate import metrics
from mlsteward.evaluate._metrics import MetricsResult


class ChampionChallenger(BaseModel):
    champion: str
    challenger: str
    rows: int
    agreement: float  # share of rows with the same prediction
    labelled_rows: int
    champion_metrics: MetricsResult | None = None
    challenger_metrics: MetricsResult | None = None
    differences: dict[str, float] = {}  # challenger − champion, per metric both have
    notes: list[str] = []


def compare_models(champion: str, challenger: str, champion_pred: Any, challenger_pred: Any, labels: Any, *,
                   champion_prob: Any = None, challenger_prob: Any = None, classes: Any = None,
                   min_labelled: int = 30, bootstrap: int = 200, seed: int = 0) -> ChampionChallenger:
    """Compare two models' predictions on the same rows (module docstring)."""
    a, b = np.asarray(champion_pred, dtype=object), np.asarray(challenger_pred, dtype=object)
    y = pd.Series(labels, dtype=object).reset_index(drop=True)
    if not (len(a) == len(b) == len(y)):
        raise InvalidInput(f"champion, challenger and labels must cover the same rows; got {len(a)}, {len(b)} and "
                           f"{len(y)} rows")
    if len(a) == 0:
        raise InvalidInput("no logged rows to compare the models on: let the service log traffic first")
    labelled = y.notna().to_numpy()
    result = ChampionChallenger(champion=champion, challenger=challenger, rows=len(a),
                                agreement=float(np.mean(a == b)), labelled_rows=int(labelled.sum()))
    if result.labelled_rows < min_labelled:
        result.notes.append(f"{result.labelled_rows} labelled rows, fewer than {min_labelled}: no metrics yet")
        return result
    truth = _typed(y[labelled])
    probs = [None if p is None else np.asarray(p, dtype=float)[labelled] for p in (champion_prob, challenger_prob)]
    result.champion_metrics = metrics(truth, _typed(a[labelled]), probs[0], labels=classes, bootstrap=bootstrap, seed=seed)
    result.challenger_metrics = metrics(truth, _typed(b[labelled]), probs[1], labels=classes, bootstrap=bootstrap, seed=seed)
    before, after = result.champion_metrics.values, result.challenger_metrics.values
    result.differences = {name: after[name].value - before[name].value for name in after if name in before}
    return result


def _typed(values: Any) -> np.ndarray:
    """Object values (JSON labels, logged predictions) as the array type they hold (ints, floats, strings)."""
    return pd.Series(values, dtype=object).infer_objects().to_numpy()


__all__ = ["ChampionChallenger", "compare_models"]
