"""Candidate estimators by import path: the class, the task check, construction with parameters."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from sklearn.ensemble import BaggingClassifier, RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

import mlsteward.train
from mlsteward.errors import InvalidInput
from mlsteward.train import build_estimator, check_task, import_estimator


def test_train_api_is_curated() -> None:
    names = mlsteward.train.__all__
    assert names == sorted(names)
    assert all(hasattr(mlsteward.train, n) for n in names)


def test_import_estimator_returns_the_class() -> None:
    assert import_estimator("sklearn.linear_model.LogisticRegression") is LogisticRegression
    assert import_estimator("sklearn.ensemble.RandomForestRegressor") is RandomForestRegressor


def test_a_misspelt_module_is_named_with_the_closest_one() -> None:
    with pytest.raises(InvalidInput, match=r"module 'sklearn.linear_modle' does not exist: 'sklearn' has no "
                                           r"module 'linear_modle' \(did you mean 'linear_model'\?\)"):
        import_estimator("sklearn.linear_modle.LogisticRegression")


def test_a_package_not_installed_names_what_to_install() -> None:
    with pytest.raises(InvalidInput, match="module 'steward_no_such_pkg' .* not installed: pip install "
                                           "steward-no-such-pkg"):
        import_estimator("steward_no_such_pkg.models.Model")


@pytest.mark.skipif(importlib.util.find_spec("lightgbm") is not None, reason="lightgbm is installed")
def test_lightgbm_not_installed_says_pip_install_lightgbm() -> None:
    with pytest.raises(InvalidInput, match="pip install lightgbm"):
        import_estimator("lightgbm.LGBMClassifier")


def test_a_missing_dependency_of_the_module_is_named(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    (tmp_path / "steward_needs_dep.py").write_text("import steward_absent_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "steward_needs_dep", raising=False)
    with pytest.raises(InvalidInput, match="importing 'steward_needs_dep' failed: it needs "
                                           "'steward_absent_dependency'.*pip install steward-absent-dependency"):
        import_estimator("steward_needs_dep.Model")


def test_a_misspelt_class_gets_did_you_mean() -> None:
    with pytest.raises(InvalidInput, match=r"module 'sklearn.linear_model' has no 'LogisticRegresion' "
                                           r"\(did you mean 'LogisticRegression'"):
        import_estimator("sklearn.linear_model.LogisticRegresion")


def test_a_class_in_the_wrong_sklearn_module_is_located() -> None:
    with pytest.raises(InvalidInput, match=r"has no 'LogisticRegression' \(scikit-learn has "
                                           r"'sklearn.linear_model.LogisticRegression'\)"):
        import_estimator("sklearn.ensemble.LogisticRegression")
    with pytest.raises(InvalidInput, match="not an import path.*'sklearn.ensemble.RandomForestClassifier'"):
        import_estimator("RandomForestClassifier")


def test_not_an_estimator_is_refused() -> None:
    with pytest.raises(InvalidInput, match="'sklearn.metrics.f1_score' is a function, not an estimator class"):
        import_estimator("sklearn.metrics.f1_score")
    with pytest.raises(InvalidInput, match="'sklearn.preprocessing.StandardScaler' has no predict"):
        import_estimator("sklearn.preprocessing.StandardScaler")


def test_a_regressor_for_a_classification_target_is_refused() -> None:
    with pytest.raises(InvalidInput, match="RandomForestRegressor is a regressor but the target is "
                                           "classification.*'sklearn.ensemble.RandomForestClassifier'"):
        check_task(RandomForestRegressor, "classification")
    with pytest.raises(InvalidInput, match="LogisticRegression is a classifier but the target is regression"):
        check_task(LogisticRegression(), "regression")
    with pytest.raises(InvalidInput, match="LinearRegression is a regressor.*LogisticRegression"):
        check_task(LinearRegression, "classification")
    check_task(LogisticRegression, "classification")
    check_task(RandomForestRegressor(), "regression")
    with pytest.raises(InvalidInput, match="task must be"):
        check_task(LogisticRegression, "ranking")  # type: ignore[arg-type]


def test_unknown_parameters_are_listed_with_the_valid_ones() -> None:
    with pytest.raises(InvalidInput) as info:
        build_estimator(RandomForestClassifier, {"n_estimator": 10, "max_depth": 3}, seed=0)
    message = str(info.value)
    assert "RandomForestClassifier has no parameter 'n_estimator' (did you mean 'n_estimators'?)" in message
    valid = sorted(RandomForestClassifier().get_params())
    assert message.endswith("its parameters are: " + ", ".join(valid))


def test_the_seed_becomes_random_state_unless_given() -> None:
    model = build_estimator(RandomForestClassifier, {"n_estimators": 7}, seed=42)
    assert model.get_params()["random_state"] == 42 and model.n_estimators == 7
    assert build_estimator(RandomForestClassifier, {"random_state": 3}, seed=42).random_state == 3
    assert build_estimator(RandomForestClassifier, {"random_state": None}, seed=42).random_state is None
    assert build_estimator(KNeighborsClassifier, {"n_neighbors": 3}, seed=42).n_neighbors == 3  # no random_state


def test_nested_parameters_are_set() -> None:
    model = build_estimator(BaggingClassifier, {"estimator": DecisionTreeClassifier(),
                                                "estimator__max_depth": 2}, seed=1)
    assert model.estimator.max_depth == 2 and model.random_state == 1
    with pytest.raises(InvalidInput, match="no parameter 'estimatr__max_depth'"):
        build_estimator(BaggingClassifier, {"estimatr__max_depth": 2}, seed=1)


def test_the_seed_must_be_a_whole_number() -> None:
    with pytest.raises(InvalidInput, match="seed must be a whole number"):
        build_estimator(LogisticRegression, {}, seed=True)  # type: ignore[arg-type]
