"""The majority baseline equals scikit-learn's dummies; the rule baseline evaluates the charter's rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.base import clone, is_classifier
from sklearn.dummy import DummyClassifier, DummyRegressor

from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput
from mlsteward.train import RuleBaseline, majority_baseline, score_estimator

FEATURES = ["year", "age", "prestg10", "childs", "gender"]


@pytest.fixture(scope="module")
def gss() -> pd.DataFrame:
    data = gss_wages_with_target()
    return data.iloc[:20_000], data.iloc[20_000:]


def test_majority_classifier_is_the_class_prior(gss) -> None:  # noqa: ANN001
    train, test = gss
    model = majority_baseline("classification").fit(train[FEATURES], train["high_income"])
    reference = DummyClassifier(strategy="prior").fit(train[FEATURES], train["high_income"])
    assert np.array_equal(model.predict_proba(test[FEATURES]), reference.predict_proba(test[FEATURES]))
    share = train["high_income"].mean()  # by hand: every row gets the training positive rate
    assert np.allclose(model.predict_proba(test[FEATURES])[:, 1], share, rtol=0, atol=1e-15)
    assert (model.predict(test[FEATURES]) == 0).all() and share < 0.5
    accuracy = score_estimator("accuracy", model, test[FEATURES], test["high_income"])
    assert accuracy == (test["high_income"] == 0).mean()
    assert score_estimator("roc_auc", model, test[FEATURES], test["high_income"]) == 0.5


def test_majority_regressor_is_the_training_mean(gss) -> None:  # noqa: ANN001
    train, test = gss
    train, test = train.dropna(subset=["prestg10"]), test.dropna(subset=["prestg10"])
    model = majority_baseline("regression").fit(train[["year"]], train["prestg10"])
    reference = DummyRegressor(strategy="mean").fit(train[["year"]], train["prestg10"])
    assert np.array_equal(model.predict(test[["year"]]), reference.predict(test[["year"]]))
    assert model.predict(test[["year"]])[0] == pytest.approx(train["prestg10"].mean(), rel=1e-15)
    with pytest.raises(InvalidInput, match="task must be"):
        majority_baseline("clustering")  # type: ignore[arg-type]


@pytest.fixture
def customers() -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.DataFrame({
        "days_since_last_login": [1.0, 45.0, 31.0, 30.0, np.nan, 90.0],
        "plan": ["free", "pro", "free", "pro", "free", "free"],
        "monthly spend": [0.0, 20.0, 0.0, 35.0, 0.0, 5.0],
    })
    return frame, np.array([0, 1, 0, 0, 1, 1])


def test_rule_baseline_predicts_the_rule(customers) -> None:  # noqa: ANN001
    frame, y = customers
    rule = RuleBaseline("days_since_last_login > 30").fit(frame, y)
    assert rule.classes_.tolist() == [0, 1]
    assert rule.predict(frame).tolist() == [0, 1, 1, 0, 0, 1]  # missing compares false
    assert rule.predict_proba(frame).tolist() == [[1, 0], [0, 1], [0, 1], [1, 0], [1, 0], [0, 1]]
    assert score_estimator("accuracy", rule, frame, y) == 4 / 6
    assert score_estimator("roc_auc", rule, frame, y) == skm.roc_auc_score(y, [0, 1, 1, 0, 0, 1])
    assert is_classifier(rule) and clone(rule).get_params() == {"expression": "days_since_last_login > 30",
                                                               "positive_class": None}


def test_rule_baseline_reads_text_backticks_and_lists(customers) -> None:  # noqa: ANN001
    frame, y = customers
    rule = RuleBaseline("plan == 'free' and `monthly spend` < 1 or days_since_last_login >= 90").fit(frame, y)
    assert rule.predict(frame).tolist() == [1, 0, 1, 0, 1, 1]
    assert RuleBaseline("plan in ['pro']").fit(frame, y).predict(frame).tolist() == [0, 1, 0, 1, 0, 0]


def test_rule_baseline_with_text_labels_and_a_positive_class(customers) -> None:  # noqa: ANN001
    frame, y = customers
    labels = np.where(y == 1, "churn", "stay")
    rule = RuleBaseline("days_since_last_login > 30", positive_class="churn").fit(frame, labels)
    assert rule.classes_.tolist() == ["churn", "stay"]
    assert rule.predict(frame).tolist() == ["stay", "churn", "churn", "stay", "stay", "churn"]
    assert rule.predict_proba(frame)[:, 0].tolist() == [0, 1, 1, 0, 0, 1]  # the churn column
    with pytest.raises(InvalidInput, match="positive_class 'gone' is not a class"):
        RuleBaseline("plan == 'pro'", positive_class="gone").fit(frame, labels)


def test_a_rule_on_an_unknown_column_names_it(customers) -> None:  # noqa: ANN001
    frame, y = customers
    with pytest.raises(InvalidInput, match=r"the rule 'days_since_login > 30' reads column\(s\) "
                                           r"\['days_since_login'\] that the data lacks \(did you mean "
                                           r"'days_since_last_login'"):
        RuleBaseline("days_since_login > 30").fit(frame, y)
    fitted = RuleBaseline("plan == 'pro'").fit(frame, y)
    with pytest.raises(InvalidInput, match=r"reads column\(s\) \['plan'\]"):
        fitted.predict(frame.drop(columns="plan"))


@pytest.mark.parametrize(("expression", "message"), [
    ("days_since_last_login >", "is not a valid expression"),
    ("__import__('os').system('true')", "uses a function call"),
    ("plan.str.len() > 3", "uses a function call"),
    ("days_since_last_login + 1", "gives values other than true/false"),
    ("", "must be a condition"),
])
def test_a_bad_rule_is_refused(customers, expression: str, message: str) -> None:  # noqa: ANN001
    frame, y = customers
    with pytest.raises(InvalidInput, match=message):
        RuleBaseline(expression).fit(frame, y)


def test_a_rule_needs_a_frame_and_a_binary_target(customers) -> None:  # noqa: ANN001
    frame, y = customers
    with pytest.raises(InvalidInput, match="give a data frame"):
        RuleBaseline("plan == 'pro'").fit(frame.to_numpy(), y)
    with pytest.raises(InvalidInput, match="the target has 3"):
        RuleBaseline("plan == 'pro'").fit(frame, [0, 1, 2, 0, 1, 2])


def test_rule_baseline_on_the_gss_data(gss) -> None:  # noqa: ANN001
    train, test = gss
    rule = RuleBaseline("gender == 'Male' and prestg10 >= 50").fit(train[FEATURES], train["high_income"])
    expected = ((test["gender"] == "Male") & (test["prestg10"] >= 50)).astype(int).to_numpy()
    assert np.array_equal(rule.predict(test[FEATURES]), expected)
    assert score_estimator("f1", rule, test[FEATURES], test["high_income"]) == skm.f1_score(
        test["high_income"], expected)
