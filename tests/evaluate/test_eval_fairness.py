"""Fairness audit: every number against direct Fairlearn calls on the real dataset, and a hand-worked example."""

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, precision_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput
from mlsteward.evaluate._fairness import fairness

TOL = 1e-12


@pytest.fixture(scope="module")
def scored():
    df = gss_wages_with_target().sample(7000, random_state=3).reset_index(drop=True)
    X, y = df.drop(columns="high_income"), df["high_income"].to_numpy()
    cats = ["occrecode", "wrkstat", "gender", "educcat", "maritalcat"]
    nums = ["year", "age", "prestg10", "childs"]
    model = make_pipeline(
        make_column_transformer(
            (make_pipeline(SimpleImputer(strategy="constant", fill_value="(missing)"),
                           OneHotEncoder(handle_unknown="ignore")), cats),
            (make_pipeline(SimpleImputer(), StandardScaler()), nums)),
        LogisticRegression(max_iter=500))
    model.fit(X.iloc[:4000], y[:4000])
    test = X.iloc[4000:].reset_index(drop=True)
    return test, y[4000:], model.predict(test), model.predict_proba(test)[:, 1]


def _check_against_fairlearn(audit, y, pred, prob, groups):
    kw = {"sensitive_features": groups}
    assert audit.demographic_parity_difference == pytest.approx(demographic_parity_difference(y, pred, **kw), abs=TOL)
    assert audit.demographic_parity_ratio == pytest.approx(demographic_parity_ratio(y, pred, **kw), abs=TOL)
    assert audit.equalized_odds_difference == pytest.approx(equalized_odds_difference(y, pred, **kw), abs=TOL)
    assert audit.equalized_odds_ratio == pytest.approx(equalized_odds_ratio(y, pred, **kw), abs=TOL)
    assert audit.disparate_impact == audit.demographic_parity_ratio
    frame = MetricFrame(metrics={"sr": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate,
                                 "prec": lambda t, p: precision_score(t, p, zero_division=0)},
                        y_true=y, y_pred=pred, sensitive_features=groups)
    assert audit.differences["true_positive_rate"] == pytest.approx(frame.difference()["tpr"], abs=TOL)
    assert audit.ratios["selection_rate"] == pytest.approx(frame.ratio()["sr"], abs=TOL)
    by = {g.group: g for g in audit.groups}
    assert sorted(by) == sorted(map(str, frame.by_group.index))
    for key, row in frame.by_group.iterrows():
        g = by[str(key)]
        mask = np.asarray(groups) == key
        assert g.count == mask.sum()
        assert g.selection_rate == pytest.approx(row["sr"], abs=TOL)
        assert g.true_positive_rate == pytest.approx(row["tpr"], abs=TOL)
        assert g.false_positive_rate == pytest.approx(row["fpr"], abs=TOL)
        assert g.precision == pytest.approx(row["prec"], abs=TOL)
        assert g.accuracy == pytest.approx(accuracy_score(y[mask], pred[mask]), abs=TOL)
        assert g.base_rate == pytest.approx(y[mask].mean(), abs=TOL)
        assert g.roc_auc == pytest.approx(roc_auc_score(y[mask], prob[mask]), abs=TOL)
    rates = frame.by_group["sr"]
    assert audit.lowest_selection_group == str(rates.idxmin())
    assert audit.highest_selection_group == str(rates.idxmax())
    assert audit.four_fifths_passes == (rates.min() / rates.max() >= 0.8)


def test_numbers_are_fairlearns_on_real_data(scored):
    test, y, pred, prob = scored
    result = fairness(y, pred, sensitive_features=test[["gender", "maritalcat"]], y_prob=prob)
    assert [a.attribute for a in result.attributes] == ["gender", "maritalcat"]
    _check_against_fairlearn(result.audit("gender"), y, pred, prob, test["gender"].astype(str).to_numpy())
    # maritalcat has missing values: they form the group "(missing)"
    marital = test["maritalcat"].astype(object).fillna("(missing)").astype(str).to_numpy()
    _check_against_fairlearn(result.audit("maritalcat"), y, pred, prob, marital)
    assert result.overall.selection_rate == pytest.approx(pred.mean(), abs=TOL)
    assert result.overall.roc_auc == pytest.approx(roc_auc_score(y, prob), abs=TOL)
    assert result.positive_label == 1
    result.model_dump_json()


def test_missing_values_group_and_small_group_warning(scored):
    test, y, pred, _ = scored
    educ = test["educcat"]
    assert educ.isna().any()
    result = fairness(y, pred, sensitive_features={"educcat": educ})
    groups = {g.group: g for g in result.attributes[0].groups}
    assert groups["(missing)"].count == educ.isna().sum()
    assert groups["(missing)"].count < 30
    assert any("educcat = (missing)" in w and "fewer than 30" in w for w in result.warnings)
    assert not any("Bachelor" in w for w in result.warnings)


def test_intersection_matches_fairlearn_on_two_columns(scored):
    test, y, pred, prob = scored
    sf = test[["gender", "wrkstat"]].astype(str)
    result = fairness(y, pred, sensitive_features=sf, y_prob=prob, intersectional=True)
    inter = result.intersection
    assert inter.attribute == "gender & wrkstat"
    kw = {"sensitive_features": sf}
    assert inter.demographic_parity_difference == pytest.approx(demographic_parity_difference(y, pred, **kw), abs=TOL)
    assert inter.equalized_odds_ratio == pytest.approx(equalized_odds_ratio(y, pred, **kw), abs=TOL)
    combos = sf.value_counts()
    assert len(inter.groups) == len(combos)
    by = {g.group: g.count for g in inter.groups}
    for (a, b), n in combos.items():
        assert by[f"{a}, {b}"] == n
    assert fairness(y, pred, sensitive_features=sf).intersection is None


def test_hand_worked_disparate_impact():
    # group a: 10 rows, 5 predicted positive (0.5); group b: 10 rows, 3 positive (0.3)
    # disparate impact 0.3 / 0.5 = 0.6 < 0.8: fails; b is the lowest, a the highest
    pred = np.array([1] * 5 + [0] * 5 + [1] * 3 + [0] * 7)
    truth = np.array([1, 1, 1, 0, 0, 1, 0, 0, 0, 0] * 2)
    group = np.array(["a"] * 10 + ["b"] * 10)
    audit = fairness(truth, pred, sensitive_features=pd.Series(group, name="g")).attributes[0]
    assert audit.disparate_impact == pytest.approx(0.6)
    assert audit.demographic_parity_difference == pytest.approx(0.2)
    assert audit.four_fifths_passes is False
    assert (audit.lowest_selection_group, audit.highest_selection_group) == ("b", "a")
    # TPR: a 3/4, b 3/4; FPR: a 2/6, b 0/6 -> equalized odds difference 1/3
    assert audit.equalized_odds_difference == pytest.approx(1 / 3)
    # 4 of 5 positive in b: 0.4 / 0.5 = 0.8 passes (at the threshold)
    pred_b = pred.copy()
    pred_b[13] = 1
    assert fairness(truth, pred_b, sensitive_features=group).attributes[0].four_fifths_passes is True
    assert fairness(truth, pred_b, sensitive_features=group, four_fifths=0.9).attributes[0].four_fifths_passes is False


def test_text_labels_positive_is_larger():
    truth = np.array(["no", "yes", "yes", "no"] * 10)
    pred = np.array(["yes", "yes", "no", "no"] * 10)
    group = np.array(["x"] * 20 + ["y"] * 20)
    result = fairness(truth, pred, sensitive_features=group)
    assert result.positive_label == "yes"
    assert result.overall.selection_rate == 0.5
    assert result.overall.true_positive_rate == 0.5


def test_nobody_selected_gives_undefined_ratio():
    truth = np.array([0, 0, 1, 1] * 10)
    result = fairness(truth, np.zeros(40, dtype=int), sensitive_features=np.array(["a", "b"] * 20))
    audit = result.attributes[0]
    assert audit.disparate_impact is None and audit.four_fifths_passes is None
    assert [g.precision for g in audit.groups] == [0.0, 0.0]  # nothing predicted positive: zero_division=0
    assert any("ever predicted positive" in w for w in result.warnings)


def test_errors():
    y = np.array([0, 1] * 10)
    with pytest.raises(InvalidInput, match="one group only"):
        fairness(y, y, sensitive_features=np.array(["a"] * 20))
    with pytest.raises(InvalidInput, match="has 19 values"):
        fairness(y, y, sensitive_features=np.array(["a", "b"] * 9 + ["a"]))
    with pytest.raises(InvalidInput, match="one value per row"):
        fairness(y, y[:-1], sensitive_features=np.array(["a", "b"] * 10))
    with pytest.raises(InvalidInput, match="binary"):
        fairness(np.arange(20) % 3, y, sensitive_features=np.array(["a", "b"] * 10))
