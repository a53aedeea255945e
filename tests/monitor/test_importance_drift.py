"""Explainability drift: the label-free permutation importance against its closed form, the rank statistics
against scipy, a feature made constant in the current data is caught, no change is not, seeds reproduce."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC

from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput
from mlsteward.monitor.importance_drift import (
    DEFAULT_MIN_SPEARMAN,
    DEFAULT_MIN_TOP_K_OVERLAP,
    ImportanceDrift,
    importance_drift,
)

NUMERIC = ["age", "prestg10", "childs", "year"]
CATEGORICAL = ["occrecode", "wrkstat", "gender", "educcat", "maritalcat"]


@pytest.fixture(scope="module")
def gss() -> dict[str, Any]:
    """A served-style model (a pipeline on the raw columns) trained on half of 2000-2010; the other half is
    split at random into a reference and a current sample, so nothing changed between them."""
    data = gss_wages_with_target()
    data = data[data["year"].between(2000, 2010)].reset_index(drop=True)
    y = data.pop("high_income")
    X = data[NUMERIC + CATEGORICAL]
    order = np.random.default_rng(0).permutation(len(X))
    train, rest = np.sort(order[: len(X) // 2]), order[len(X) // 2:]
    prepare = make_column_transformer(
        (make_pipeline(SimpleImputer(), StandardScaler()), NUMERIC),
        (make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")), CATEGORICAL))
    model = make_pipeline(prepare, LogisticRegression(max_iter=1000)).fit(X.iloc[train], y.iloc[train])
    half = len(rest) // 2
    return {"model": model, "reference": X.iloc[np.sort(rest[:half])].reset_index(drop=True),
            "current": X.iloc[np.sort(rest[half:])].reset_index(drop=True)}


def importances(result: ImportanceDrift) -> tuple[list[str], np.ndarray, np.ndarray]:
    names = [f.feature for f in result.features]
    return (names, np.array([f.reference_importance for f in result.features]),
            np.array([f.current_importance for f in result.features]))


# --- the numbers ------------------------------------------------------------------------------------


def test_rank_statistics_equal_scipy(gss: dict) -> None:
    current = gss["current"].assign(prestg10=gss["current"]["prestg10"].median())  # some change, to compare
    result = importance_drift(gss["model"], gss["reference"], current, top_k=3)
    names, ref, cur = importances(result)
    rho = stats.spearmanr(ref, cur)
    tau = stats.kendalltau(ref, cur)
    assert result.spearman == pytest.approx(rho.statistic, rel=1e-12)
    assert result.spearman_p_value == pytest.approx(rho.pvalue, rel=1e-12)
    assert result.kendall_tau == pytest.approx(tau.statistic, rel=1e-12)
    assert result.kendall_p_value == pytest.approx(tau.pvalue, rel=1e-12)
    ref_rank = stats.rankdata(-ref, method="min")
    cur_rank = stats.rankdata(-cur, method="min")
    assert [f.reference_rank for f in result.features] == ref_rank.tolist() == sorted(ref_rank.tolist())
    assert [f.current_rank for f in result.features] == cur_rank.tolist()
    assert [f.rank_change for f in result.features] == (cur_rank - ref_rank).tolist()
    by_ref = [names[i] for i in np.argsort(-ref)[:3]]
    by_cur = [names[i] for i in np.argsort(-cur)[:3]]
    assert result.reference_top_k == by_ref and result.current_top_k == by_cur
    assert result.top_k == 3 and result.top_k_overlap == len(set(by_ref) & set(by_cur)) / 3
    assert [f.feature for f in result.features if f.in_current_top_k] == [n for n in names if n in by_cur]


def test_permutation_importance_is_the_mean_absolute_change_of_the_prediction() -> None:
    """A linear regressor moves by coef * (shuffled - original): the importance has a closed form."""
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(300, 3)) * [1.0, 2.0, 0.5], columns=["a", "b", "c"])
    model = LinearRegression().fit(X, X @ [3.0, -1.0, 0.0] + rng.normal(size=300) * 0.1)
    result = importance_drift(model, X, X.iloc[:150], n_repeats=4, seed=11)
    permutations = np.random.default_rng([11, 1])  # the documented stream, feature by feature, repeat by repeat
    for side, rows in (("reference", X), ("current", X.iloc[:150])):
        expected = {}
        if side == "current":
            permutations = np.random.default_rng([11, 1])  # fresh for each side
        for j, name in enumerate(X.columns):
            values = rows[name].to_numpy()
            per_repeat = [abs(model.coef_[j]) * np.mean(np.abs(values[permutations.permutation(len(rows))] - values))
                          for _ in range(4)]
            expected[name] = (np.mean(per_repeat), np.std(per_repeat))
        for entry in result.features:
            mean, std = expected[entry.feature]
            assert getattr(entry, f"{side}_importance") == pytest.approx(mean, rel=1e-9)
            assert getattr(entry, f"{side}_importance_std") == pytest.approx(std, rel=1e-9, abs=1e-12)
    assert [f.feature for f in result.features] == ["a", "b", "c"]  # |coef| x spread: 3 x 1, 1 x 2, ~0 x 0.5
    assert result.n_repeats == 4 and "mean absolute change of the prediction" in result.importance


def test_classifier_importance_is_the_change_of_the_probability_or_of_the_label(gss: dict) -> None:
    reference = gss["reference"].iloc[:400]
    result = importance_drift(gss["model"], reference, reference, features=["prestg10", "gender"], n_repeats=1)
    permutations = np.random.default_rng([0, 1])
    base = gss["model"].predict_proba(reference)[:, 1]
    for name in ("prestg10", "gender"):
        shuffled = reference.assign(**{name: reference[name].iloc[permutations.permutation(400)].to_numpy()})
        changed = gss["model"].predict_proba(shuffled)[:, 1]
        assert result.feature(name).reference_importance == pytest.approx(np.mean(np.abs(changed - base)), rel=1e-9)
    assert result.spearman == pytest.approx(1.0) and not result.drifted  # the same rows: the same numbers
    assert all(f.reference_importance == f.current_importance for f in result.features)
    assert "probabilit" in result.importance

    numeric = reference[["age", "prestg10", "childs"]].fillna(0.0)
    labels = (gss["model"].predict_proba(reference)[:, 1] > 0.5).astype(int)
    svc = LinearSVC().fit(numeric, labels)  # predict only: the share of rows whose class flips
    result = importance_drift(svc, numeric, numeric, n_repeats=1)
    permutations = np.random.default_rng([0, 1])
    for name in numeric.columns:
        flipped = svc.predict(numeric.assign(**{name: numeric[name].to_numpy()[permutations.permutation(400)]}))
        assert result.feature(name).reference_importance == np.mean(flipped != svc.predict(numeric))
    assert "share of rows whose predicted class changes" in result.importance


# --- the verdict ------------------------------------------------------------------------------------


def test_a_top_feature_made_constant_is_detected(gss: dict) -> None:
    before = importance_drift(gss["model"], gss["reference"], gss["current"])
    top = before.reference_top_k[0]
    current = gss["current"].assign(**{top: gss["current"][top].mode().iloc[0]})  # the field broke upstream
    result = importance_drift(gss["model"], gss["reference"], current)
    entry = result.feature(top)
    assert entry.reference_rank == 1 and entry.current_importance == 0.0
    assert entry.current_rank == len(result.features) and entry.rank_change == len(result.features) - 1
    assert result.drifted and result.spearman is not None and result.spearman < DEFAULT_MIN_SPEARMAN
    assert top not in result.current_top_k and result.top_k_overlap == 0.8
    assert result.reasons == [f"Spearman rank correlation of the importances {result.spearman:.3f} < 0.8"]
    # the thresholds are parameters: a looser rank correlation lets this through
    loose = importance_drift(gss["model"], gss["reference"], current, min_spearman=0.2)
    assert not loose.drifted and loose.spearman == result.spearman and loose.min_spearman == 0.2
    strict = importance_drift(gss["model"], gss["reference"], current, min_spearman=0.2, min_top_k_overlap=0.9)
    assert strict.drifted and strict.reasons[0].startswith("1 of the reference's top 5 features left")


@pytest.mark.parametrize("seed", [0, 1])
def test_no_change_is_not_drifted(gss: dict, seed: int) -> None:
    result = importance_drift(gss["model"], gss["reference"], gss["current"], seed=seed)
    assert not result.drifted and result.reasons == []
    assert result.spearman is not None and result.spearman >= 0.9 and result.top_k_overlap == 1.0
    assert (result.min_spearman, result.min_top_k_overlap) == (DEFAULT_MIN_SPEARMAN, DEFAULT_MIN_TOP_K_OVERLAP)
    assert (result.reference_rows, result.reference_rows_total) == (2000, len(gss["reference"]))  # max_rows


def test_seeds_reproduce_and_samples_are_capped(gss: dict) -> None:
    first = importance_drift(gss["model"], gss["reference"], gss["current"], max_rows=500, seed=5)
    again = importance_drift(gss["model"], gss["reference"], gss["current"], max_rows=500, seed=5)
    other = importance_drift(gss["model"], gss["reference"], gss["current"], max_rows=500, seed=6)
    assert first.model_dump() == again.model_dump()
    assert importances(first)[1].tolist() != importances(other)[1].tolist()
    assert (first.reference_rows, first.current_rows, first.seed) == (500, 500, 5)
    assert first.reference_rows_total == len(gss["reference"])


def test_a_model_that_stops_responding_has_no_rank_correlation(gss: dict) -> None:
    frozen = pd.concat([gss["current"].iloc[[0]]] * 50, ignore_index=True)  # every column constant
    result = importance_drift(gss["model"], gss["reference"], frozen)
    assert all(f.current_importance == 0.0 for f in result.features)
    assert result.spearman is None and result.kendall_tau is None and result.drifted
    assert "same importance on the current rows only" in result.reasons[0]


def test_shap_importance(gss: dict) -> None:
    pytest.importorskip("shap")
    current = gss["current"].assign(prestg10=50.0)
    result = importance_drift(gss["model"], gss["reference"], current, method="shap", shap_rows=15,
                              shap_background=15)
    assert result.method == "shap" and result.n_repeats is None and "SHAP" in result.importance
    assert result.feature("prestg10").current_importance == 0.0  # no spread left to explain
    assert result.feature("prestg10").in_reference_top_k and not result.feature("prestg10").in_current_top_k
    assert result.drifted and result.spearman is not None and result.spearman < 0.8
    assert result.feature("age").reference_importance_std is None


# --- bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "message"), [
    ({"reference_X": [[1, 2]]}, r"reference_X must be a data frame .* pd.DataFrame"),
    ({"reference_X": pd.DataFrame({"age": []})}, "reference_X has no rows"),
    ({"current_X": "drop:gender"}, r"current_X lacks column\(s\) \['gender'\]"),
    ({"features": "age"}, r"features must be a list .* write \['age'\]"),
    ({"features": ["age", "agee"]}, "features names column 'agee', which is not in reference_X.*did you mean 'age'"),
    ({"features": ["age"]}, "a ranking needs at least two features"),
    ({"method": "lime"}, "method must be 'permutation' or 'shap'"),
    ({"n_repeats": 0}, "n_repeats must be a whole number of at least 1"),
    ({"max_rows": 2.5}, "max_rows must be a whole number"),
    ({"top_k": True}, "top_k must be a whole number"),
    ({"seed": -1}, "seed must be a whole number of at least 0"),
    ({"min_spearman": 1.5}, r"min_spearman must be a number between -1 and 1 \(e.g. 0.8\)"),
    ({"min_top_k_overlap": "half"}, "min_top_k_overlap must be a number between 0 and 1"),
    ({"model": object()}, "the model must have predict_proba or predict"),
])
def test_bad_input_names_the_problem_and_the_fix(gss: dict, change: dict, message: str) -> None:
    arguments: dict[str, Any] = {"model": gss["model"], "reference_X": gss["reference"].iloc[:50],
                                 "current_X": gss["current"].iloc[:50], **change}
    if isinstance(arguments["current_X"], str):  # "drop:<column>"
        arguments["current_X"] = gss["current"].iloc[:50].drop(columns=[arguments["current_X"].split(":")[1]])
    with pytest.raises(InvalidInput, match=message):
        importance_drift(arguments.pop("model"), arguments.pop("reference_X"), arguments.pop("current_X"),
                         **arguments)


def test_a_model_that_fails_on_the_rows_is_reported(gss: dict) -> None:
    wrong = gss["reference"].iloc[:50].assign(age="old")  # text where the model wants numbers
    with pytest.raises(InvalidInput, match="the model's predict_proba failed on the rows"):
        importance_drift(gss["model"], wrong, wrong)
