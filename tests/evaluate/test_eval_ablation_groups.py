"""Ablation: permuting a feature group equals a hand-rolled loop with the same permutations; retraining
without a strong group costs metric; bad groups and a retrain without a refit are refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput
from mlsteward.evaluate._ablation import ablation

NUMERIC, TEXT = ["prestg10", "childs", "age"], ["educcat", "wrkstat"]


def _fit(x: pd.DataFrame, y: pd.Series):  # noqa: ANN202
    numeric = [c for c in NUMERIC if c in x.columns]
    text = [c for c in TEXT if c in x.columns]
    features = ColumnTransformer([("n", SimpleImputer(), numeric),
                                  ("t", OneHotEncoder(handle_unknown="ignore"), text)])
    return make_pipeline(features, LogisticRegression(max_iter=500)).fit(x, y)


@pytest.fixture(scope="module")
def data() -> dict:
    df = gss_wages_with_target().sample(3000, random_state=2).reset_index(drop=True)
    x, y = df[NUMERIC + TEXT], df["high_income"]
    return {"x_train": x.iloc[:2000], "y_train": y.iloc[:2000], "x": x.iloc[2000:].reset_index(drop=True),
            "y": y.iloc[2000:].reset_index(drop=True), "model": _fit(x.iloc[:2000], y.iloc[:2000])}


def test_permuting_a_group_equals_a_hand_rolled_loop(data: dict) -> None:
    groups = {"job": ["prestg10", "wrkstat"], "family": ["childs"]}
    result = ablation(data["model"], data["x"], data["y"], groups, metric="roc_auc", repeats=3, seed=5)
    full = roc_auc_score(data["y"], data["model"].predict_proba(data["x"])[:, 1])
    assert result.score == pytest.approx(full, abs=1e-12) and result.mode == "permute"
    for i, (name, columns) in enumerate(groups.items()):
        rng = np.random.default_rng(5 + i)
        expected = []
        for _ in range(3):
            order = rng.permutation(len(data["x"]))
            shuffled = data["x"].copy()
            for c in columns:
                shuffled[c] = data["x"][c].to_numpy()[order]
            expected.append(roc_auc_score(data["y"], data["model"].predict_proba(shuffled)[:, 1]))
        found = next(g for g in result.groups if g.name == name)
        assert found.scores == pytest.approx(expected, abs=1e-12)
        assert found.delta == pytest.approx(full - np.mean(expected), abs=1e-12)
    assert result.groups[0].name == "job" and result.groups[0].delta > 0.05  # prestige and work status matter


def test_retraining_without_a_strong_group_costs_metric(data: dict) -> None:
    result = ablation(data["model"], data["x"], data["y"], {"job": ["prestg10", "wrkstat"], "age": ["age"]},
                      metric="roc_auc", mode="retrain", refit=_fit, X_train=data["x_train"], y_train=data["y_train"])
    job = next(g for g in result.groups if g.name == "job")
    refit = _fit(data["x_train"].drop(columns=["prestg10", "wrkstat"]), data["y_train"])
    without = roc_auc_score(data["y"], refit.predict_proba(data["x"].drop(columns=["prestg10", "wrkstat"]))[:, 1])
    assert job.score == pytest.approx(without, abs=1e-12) and job.delta > 0.02 and job.delta_std == 0.0
    assert result.repeats == 1


def test_default_groups_are_the_columns_and_losses_are_signed_for_the_metric(data: dict) -> None:
    result = ablation(data["model"], data["x"], data["y"], metric="log_loss", repeats=2)
    assert sorted(g.name for g in result.groups) == sorted(NUMERIC + TEXT)
    assert not result.greater_is_better and result.groups[0].delta > 0  # permuting raises the loss


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"groups": {"job": ["salary"]}}, "not in X: \\['salary'\\]"),
    ({"groups": {}}, "groups is empty"),
    ({"mode": "retrain"}, "needs refit="),
    ({"mode": "sideways"}, "mode must be"),
    ({"repeats": 0}, "repeats must be a whole number"),
])
def test_bad_arguments_are_refused(data: dict, kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        ablation(data["model"], data["x"], data["y"], **kwargs)


def test_a_failing_refit_names_the_group(data: dict) -> None:
    def refit(x: pd.DataFrame, y: pd.Series):  # noqa: ANN202
        raise ValueError("no numeric column left")

    with pytest.raises(InvalidInput, match="without feature group 'job' \\(prestg10\\).*no numeric column left"):
        ablation(data["model"], data["x"], data["y"], {"job": ["prestg10"]}, mode="retrain", refit=refit,
                 X_train=data["x_train"], y_train=data["y_train"])
    with pytest.raises(InvalidInput, match="X_train must be a data frame"):
        ablation(data["model"], data["x"], data["y"], mode="retrain", refit=_fit,
                 X_train=data["x_train"].to_numpy(), y_train=data["y_train"])
