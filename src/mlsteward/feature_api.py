"""The features and evaluation stages from Python, on the current project (``steward.yaml`` and its
store): ``mlsteward.fit_features``, ``mlsteward.load_feature_set``, ``mlsteward.training_set``,
``mlsteward.evaluate_model``."""

from __future__ import annotations

from collections.abc import Sequence

from mlsteward.errors import InvalidInput
from mlsteward.tracking.fluent import _current_workspace


def _spec(workspace):  # noqa: ANN001, ANN202 - Workspace -> Spec
    from mlsteward.spec import load_spec

    if workspace.settings.spec_path is None:
        raise InvalidInput("no steward.yaml here or above: the project's settings are in it (run `steward init`)")
    return load_spec(workspace.settings.spec_path)


def fit_features(dataset: str, *, name: str | None = None):  # noqa: ANN201 - FittedFeatures
    """Fit steward.yaml's features on the training dataset version ``dataset`` and record the feature set."""
    from mlsteward.lifecycle.features import fit_features as fit

    workspace = _current_workspace()
    return fit(workspace, _spec(workspace), dataset, name=name)


def load_feature_set(ref: str):  # noqa: ANN201 - FeatureSet
    """The fitted feature set ``NAME@VERSION`` (or ``NAME``: the latest), hash-verified and loaded safely:
    ``load_feature_set("churn").transform(df)`` gives the same features as training and serving."""
    from mlsteward.lifecycle.features import load_feature_set as load

    return load(_current_workspace(), ref)[0]


def training_set(labels: str, views: Sequence[str], *, timestamp: str, name: str | None = None):  # noqa: ANN201
    """Join the label events ``labels`` with feature views as of each event's time and register the result
    (a DatasetVersion whose lineage names the labels and the views' sources)."""
    from mlsteward.lifecycle.feature_store import training_set as join

    workspace = _current_workspace()
    return join(workspace, _spec(workspace), labels, views, timestamp=timestamp, name=name)[0]


def evaluate_model(model: str, *, data: str, checks: Sequence[str] | None = None):  # noqa: ANN201
    """Run the evaluation suite (``steward evaluate``) on ``model`` (``"best"``, a candidate's name or a run
    id) and the labelled dataset version ``data``; returns the outcome with every check's typed result,
    the recorded Evaluation and the paths of the Model Performance Report and the model card."""
    from mlsteward.lifecycle.evaluation import evaluate_model as run

    workspace = _current_workspace()
    return run(workspace, _spec(workspace), model, data, checks=list(checks) if checks else None)
