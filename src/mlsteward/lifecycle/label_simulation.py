"""The labeling learning curve: on labeled data, active learning against random selection at equal budgets,
with a simple model (TF-IDF + logistic regression for a text column, one-hot + scaled logistic regression for
table columns), written as an HTML report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from mlsteward.errors import InvalidInput
from mlsteward.labeling.simulation import SimulationResult, simulate
from mlsteward.lifecycle.data_stage import REPORTS_DIR
from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.report import write_report
from mlsteward.workspace import Workspace


def simulate_labeling(workspace: Workspace, ref: str, *, label_column: str, text_column: str | None = None,
                      features: Sequence[str] | None = None, strategy: str = "entropy", initial: int = 20,
                      batch: int = 20, budget: int = 200, repeats: int = 3, seed: int = 0, metric: str = "accuracy",
                      diversity: float = 0.0, progress: Callable[[int, int], None] | None = None,
                      ) -> tuple[SimulationResult, Path]:
    """Simulate labeling ``ref``'s rows in the order active learning (``strategy``) or chance would pick them;
    returns the curves and the report's path."""
    frame = load_dataset(workspace, ref)
    for column in [label_column, text_column, *(features or [])]:
        if column is not None and column not in frame.columns:
            raise InvalidInput(f"{column!r} is not a column of {ref}; its columns: {', '.join(map(str, frame.columns))}")
    frame = frame[frame[label_column].notna()]
    y = frame[label_column].astype(str).to_numpy()
    if text_column:
        X, make_model = frame[text_column].fillna("").astype(str).tolist(), _text_model
    else:
        columns = list(features) if features else [c for c in frame.columns if c != label_column]
        X, make_model = frame[columns], _table_model(frame[columns])
    result = simulate(X, y, make_model=make_model, strategy=strategy, initial=initial, batch=batch, budget=budget,
                      repeats=repeats, seed=seed, metric=metric, diversity=diversity, progress=progress)
    from mlsteward.report import render_labeling_curve

    name = ref.replace("@", "-")
    path = write_report(render_labeling_curve(result, dataset=ref, label=label_column),
                        Path(workspace.settings.project_root) / REPORTS_DIR / f"{name}-labeling-curve-{strategy}.html")
    return result, path


def _text_model():  # noqa: ANN202 - a scikit-learn Pipeline
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(TfidfVectorizer(min_df=2), LogisticRegression(max_iter=1000))


def _table_model(frame: pd.DataFrame) -> Callable:
    from sklearn.compose import make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    other = [c for c in frame.columns if c not in numeric]

    def make():  # noqa: ANN202
        columns = make_column_transformer(
            (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")), other))
        return make_pipeline(columns, LogisticRegression(max_iter=1000))

    return make


__all__ = ["simulate_labeling"]
