"""Explanations equal scikit-learn's: permutation importance and partial dependence called directly with
the same rows, seed and scorer; critical features first; SHAP values add up to the model's output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import partial_dependence, permutation_importance
from sklearn.linear_model import Ridge
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput
from mlsteward.evaluate._explain import explain, shap_explanation

COLUMNS = ["prestg10", "age", "childs", "educcat", "wrkstat"]


@pytest.fixture(scope="module")
def data() -> dict:
    df = gss_wages_with_target().sample(2500, random_state=4).reset_index(drop=True)
    x, y = df[COLUMNS], df["high_income"]
    features = ColumnTransformer([("t", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                                   ["educcat", "wrkstat"])], remainder="passthrough")
    model = make_pipeline(features, HistGradientBoostingClassifier(max_iter=30, random_state=0))
    model.fit(x.iloc[:1500], y.iloc[:1500])
    return {"model": model, "x": x.iloc[1500:].reset_index(drop=True), "y": y.iloc[1500:].reset_index(drop=True)}


def _auc(estimator, x, y) -> float:  # noqa: ANN001
    return roc_auc_score(y, estimator.predict_proba(x)[:, 1])


def test_permutation_importance_and_partial_dependence_equal_scikit_learns(data: dict) -> None:
    result = explain(data["model"], data["x"], data["y"], metric="roc_auc", repeats=3, shap=False, seed=7,
                     pdp_features=["prestg10", "educcat"])
    reference = permutation_importance(data["model"], data["x"], data["y"], scoring=_auc, n_repeats=3,
                                       random_state=7)
    by_name = {f.feature: f for f in result.features}
    for i, column in enumerate(COLUMNS):
        assert by_name[column].importances == pytest.approx(reference.importances[i].tolist(), abs=1e-12)
        assert by_name[column].importance == pytest.approx(reference.importances_mean[i], abs=1e-12)
    assert result.score == pytest.approx(_auc(data["model"], data["x"], data["y"]), abs=1e-12)
    numeric = by_name["prestg10"].partial_dependence
    assert len(numeric.grid) == 20 and numeric.grid == sorted(numeric.grid)
    values = data["x"]["prestg10"].dropna()
    assert values.quantile(0.04) <= numeric.grid[0] and numeric.grid[-1] <= values.quantile(0.96)
    expected = partial_dependence(data["model"], data["x"], ["prestg10"], kind="average",
                                  custom_values={"prestg10": np.asarray(numeric.grid)})
    assert np.asarray(numeric.average).ravel() == pytest.approx(expected["average"].ravel(), abs=1e-12)
    text = by_name["educcat"].partial_dependence
    expected = partial_dependence(data["model"], data["x"], ["educcat"], categorical_features=["educcat"],
                                  kind="average", custom_values={"educcat": np.asarray(text.grid, dtype=object)})
    assert text.kind == "categorical" and set(text.grid) == set(data["x"]["educcat"].dropna())
    assert np.asarray(text.average).ravel() == pytest.approx(expected["average"].ravel(), abs=1e-12)
    assert by_name["age"].partial_dependence is None  # neither chosen nor critical


def test_critical_features_come_first_with_their_partial_dependence(data: dict) -> None:
    result = explain(data["model"], data["x"], data["y"], critical=["childs"], repeats=2, shap=False)
    assert result.features[0].feature == "childs" and result.features[0].critical
    assert result.features[0].partial_dependence is not None
    rest = [f.importance for f in result.features[1:]]
    assert rest == sorted(rest, reverse=True) and not any(f.critical for f in result.features[1:])


def test_rows_beyond_max_rows_are_sampled_and_recorded(data: dict) -> None:
    result = explain(data["model"], data["x"], data["y"], max_rows=300, repeats=1, shap=False)
    assert (result.n_rows, result.n_rows_total) == (300, len(data["x"]))


def test_shap_values_add_up_to_the_models_output(data: dict) -> None:
    pytest.importorskip("shap")
    found = shap_explanation(data["model"], data["x"], rows_explained=20, background=30, seed=0)
    output = data["model"].predict_proba(found.rows)[:, 1]
    assert found.values.sum(axis=1) + found.base_values == pytest.approx(output, abs=1e-6)
    result = explain(data["model"], data["x"], data["y"], repeats=1, shap=True, shap_rows=20, shap_background=30)
    assert result.shap is not None and result.shap.rows == 20
    assert {f.feature: f.shap_mean_abs for f in result.features}["prestg10"] == pytest.approx(
        float(np.abs(found.values[:, 0]).mean()), abs=1e-9)


def test_a_regressor_is_explained_with_r2_and_bad_input_is_refused(data: dict) -> None:
    x = data["x"][["prestg10", "age", "childs"]].fillna(0)
    y = x["prestg10"] * 2 + np.random.default_rng(0).normal(size=len(x))
    model = Ridge().fit(x, y)
    result = explain(model, x, y, repeats=2, shap=False)
    assert result.metric == "r2" and result.features[0].feature == "prestg10"
    with pytest.raises(InvalidInput, match="critical names columns not in X"):
        explain(model, x, y, critical=["salary"], shap=False)
    with pytest.raises(InvalidInput, match="must be a pandas DataFrame"):
        explain(model, x.to_numpy(), y, shap=False)
    with pytest.raises(InvalidInput, match="pdp_grid"):
        explain(model, x, y, pdp_grid=1, shap=False)
    assert isinstance(pd.DataFrame(x), pd.DataFrame)
