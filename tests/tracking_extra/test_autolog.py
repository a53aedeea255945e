"""autolog(): one run per outermost fit, with params, training scores recomputed here, and a
model that loads back with skops and predicts the same."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import skops.io
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import all_estimators

import mlsteward
from mlsteward.artifacts import ArtifactStore
from mlsteward.store import Store
from mlsteward.tracking import autolog as autolog_module
from mlsteward.tracking.autolog import autolog

ORIGINAL_FITS = {cls: cls.__dict__["fit"] for cls in (LogisticRegression, Ridge, DecisionTreeClassifier)}


@pytest.fixture
def tracked(tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    """A fresh SQLite store, autolog on; afterwards autolog off (sklearn unpatched for other tests)."""
    url = f"sqlite:///{tmp_path / 'steward.db'}"
    mlsteward.set_store(url, str(tmp_path / "artifacts"))
    monkeypatch.setattr(autolog_module, "_warned", set())
    reader = Store.open(url, actor="reader")
    autolog()
    yield reader
    autolog(disable=True)
    while mlsteward.active_run():
        mlsteward.end_run()
    mlsteward.set_store(None, None)
    reader.close()


@pytest.fixture
def data():  # noqa: ANN201
    return make_classification(n_samples=300, n_features=6, n_informative=4, random_state=0)


def all_runs(store: Store) -> list:
    return store.runs.search(limit=1000)


def test_a_fit_in_user_code_is_one_run(tracked: Store, data, tmp_path) -> None:  # noqa: ANN001
    X, y = data
    model = LogisticRegression(C=0.5, class_weight={0: 1, 1: 2}, max_iter=300).fit(X, y)
    [run] = all_runs(tracked)
    assert run.experiment == "autolog" and run.name == "LogisticRegression" and run.status == "finished"
    assert run.params["C"] == "0.5" and run.params["max_iter"] == "300"
    assert json.loads(run.params["class_weight"]) == {"0": 1, "1": 2}
    assert set(run.params) == set(model.get_params(deep=False))
    assert run.metrics["training_score"] == pytest.approx(model.score(X, y), abs=1e-12)
    assert run.metrics["training_accuracy_score"] == pytest.approx(accuracy_score(y, model.predict(X)), abs=1e-12)
    assert run.tags["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"

    [artifact] = run.artifacts
    assert artifact.path == "model.skops"
    path = tmp_path / "loaded.skops"
    ArtifactStore.from_url(str(tmp_path / "artifacts")).get_file(artifact.digest, path)
    loaded = skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))
    assert type(loaded) is LogisticRegression
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X))


def test_a_regressor_gets_its_r2_and_no_accuracy(tracked: Store, data) -> None:  # noqa: ANN001
    X, y = data
    target = X[:, 0] * 2.0 + y
    model = Ridge(alpha=3.0).fit(X, target)
    [run] = all_runs(tracked)
    assert run.metrics == {"training_score": pytest.approx(model.score(X, target), abs=1e-12)}


def test_pipeline_and_grid_search_are_one_run_each(tracked: Store, data) -> None:  # noqa: ANN001
    X, y = data
    make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    assert [r.name for r in all_runs(tracked)] == ["Pipeline"]
    search = GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression()),
                          {"logisticregression__C": [0.1, 1.0]}, cv=3).fit(X, y)
    runs = all_runs(tracked)
    assert sorted(r.name for r in runs) == ["GridSearchCV", "Pipeline"]  # not the 7 fits inside
    grid = next(r for r in runs if r.name == "GridSearchCV")
    assert grid.metrics["training_score"] == pytest.approx(search.score(X, y), abs=1e-12)
    assert json.loads(grid.params["param_grid"]) == {"logisticregression__C": [0.1, 1.0]}


def test_inside_an_active_run_the_first_fit_logs_into_it(tracked: Store, data) -> None:  # noqa: ANN001
    X, y = data
    with mlsteward.start_run(experiment="mine", name="outer") as outer:
        LogisticRegression().fit(X, y)
        DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)  # a later fit: its own child run
    runs = {r.name: r for r in all_runs(tracked)}
    assert set(runs) == {"outer", "DecisionTreeClassifier"}
    assert runs["outer"].tags["estimator_class"].endswith("LogisticRegression") and "C" in runs["outer"].params
    tree = runs["DecisionTreeClassifier"]
    assert tree.parent_id == outer.id and tree.experiment == "mine" and tree.params["max_depth"] == "2"


def test_a_fit_that_raises_ends_its_run_failed(tracked: Store) -> None:
    with pytest.raises(ValueError):
        LogisticRegression().fit(np.array([[np.nan], [1.0]]), [0, 1])
    [run] = all_runs(tracked)
    assert run.status == "failed" and mlsteward.active_run() is None


def test_logging_failures_never_break_the_fit(tracked: Store, data, monkeypatch) -> None:  # noqa: ANN001
    X, y = data

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("store down")

    monkeypatch.setattr(autolog_module.fluent, "start_run", broken)
    with pytest.warns(RuntimeWarning, match="could not start a run.*store down"):
        model = LogisticRegression().fit(X, y)
    assert model.score(X, y) > 0.5 and all_runs(tracked) == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once: the second failure is quiet
        LogisticRegression().fit(X, y)


def test_a_model_skops_cannot_save_is_tagged_with_the_reason(tracked: Store, data, monkeypatch) -> None:  # noqa: ANN001
    X, y = data

    def refuse(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise TypeError("cannot serialise this")

    monkeypatch.setattr(skops.io, "dump", refuse)
    LogisticRegression().fit(X, y)
    [run] = all_runs(tracked)
    assert run.artifacts == [] and "cannot serialise this" in run.tags["model_not_logged"]
    assert run.status == "finished" and "training_score" in run.metrics


def test_log_models_false_skips_the_model(tracked: Store, data) -> None:  # noqa: ANN001
    X, y = data
    autolog(log_models=False)
    LogisticRegression().fit(X, y)
    [run] = all_runs(tracked)
    assert run.artifacts == [] and "model_not_logged" not in run.tags


def test_patching_is_idempotent_and_disable_restores_every_fit(tracked: Store, data) -> None:  # noqa: ANN001
    patched = LogisticRegression.fit
    assert patched is not ORIGINAL_FITS[LogisticRegression] and patched.__wrapped__ is ORIGINAL_FITS[LogisticRegression]
    autolog()
    assert LogisticRegression.fit is patched
    autolog(disable=True)
    for cls, fit in ORIGINAL_FITS.items():
        assert cls.fit is fit
    assert not [cls for _, cls in all_estimators() if getattr(cls.fit, "_steward_autolog", False)]
    X, y = data
    LogisticRegression().fit(X, y)
    assert all_runs(tracked) == []
