"""Feature validation against hand-worked small frames: every observed share counted by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlsteward.features.validation import ValidationConfig, validate_features, validation_reference

TRAIN = pd.DataFrame({
    "num": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    "cat": ["a", "b", "c", "a", "b", "c", "a", "b", "c", None],
})


def _issues(result, check=None):
    return {(i.column, i.check): i for i in result.issues if check is None or i.check == check}


def test_reference_records_kind_missing_rate_range_and_categories():
    ref = validation_reference(TRAIN, ["num", "cat"])
    num, cat = ref.columns
    assert (num.kind, num.missing_rate, num.distinct, num.min, num.max) == ("numeric", 0.0, 10, 1.0, 10.0)
    assert (cat.kind, cat.missing_rate, cat.distinct, cat.categories) == ("categorical", 0.1, 3, ["a", "b", "c"])
    assert ref.rows == 10


def test_passing_case():
    ref = validation_reference(TRAIN, ["num", "cat"])
    new = pd.DataFrame({"num": [1.0, 10.0, 5.5], "cat": ["c", "a", "b"]})
    result = validate_features(new, ref)
    assert result.passed and result.issues == [] and result.rows == 3
    assert validate_features(TRAIN, ref).passed  # the training rows pass their own reference


def test_hand_worked_failures():
    ref = validation_reference(TRAIN, ["num", "cat"])
    new = pd.DataFrame({
        "num": [0.0, 5, 11, np.nan, 5, 5, 5, 5, 5, 5],  # 9 present, 0 and 11 outside [1, 10]; 1 of 10 missing
        "cat": ["a", "d", "e", "d", None, None, "a", "b", "c", "a"],  # 8 present, d e d unseen; 2 of 10 missing
    })
    result = validate_features(new, ref)
    assert not result.passed
    issues = _issues(result)
    assert set(issues) == {("num", "missing_rate_spike"), ("num", "out_of_range"), ("cat", "missing_rate_spike"),
                           ("cat", "unseen_categories")}

    spike = issues[("num", "missing_rate_spike")]
    assert (spike.observed, spike.allowed, spike.rows) == (0.1, 0.05, [3])
    assert "'num' is missing on 10.0% of rows (training: 0.0%)" == spike.message

    out = issues[("num", "out_of_range")]
    assert out.observed == pytest.approx(2 / 9, abs=0) and out.allowed == 0.01
    assert out.rows == [0, 2] and out.examples == ["0", "11"]
    assert "22.2% of 'num' values lie outside the training range [1, 10]" == out.message

    spike = issues[("cat", "missing_rate_spike")]
    assert spike.observed == 0.2 and spike.allowed == pytest.approx(0.15) and spike.rows == [4, 5]
    assert "(training: 10.0%)" in spike.message

    unseen = issues[("cat", "unseen_categories")]
    assert unseen.observed == 3 / 8 and unseen.allowed == 0.01
    assert unseen.rows == [1, 2, 3] and unseen.examples == ["d", "e"]
    assert "37.5% of 'cat' values are categories not seen in training" == unseen.message


def test_row_positions_not_index_labels_and_at_most_five():
    ref = validation_reference(TRAIN, ["num"])
    new = pd.DataFrame({"num": [5.0, 50, 60, 70, 5, 80, 90, 100]}, index=[10, 11, 12, 13, 14, 15, 16, 17])
    issue = _issues(validate_features(new, ref))[("num", "out_of_range")]
    assert issue.observed == 6 / 8
    assert issue.rows == [1, 2, 3, 5, 6]  # first five positions
    assert issue.examples == ["50", "60", "70", "80", "90"]


def test_cardinality_explosion_boundary():
    train = pd.DataFrame({"code": ["x", "y"] * 5})  # 2 distinct: allowed max(2 * 2, 2 + 10) = 12
    ref = validation_reference(train, ["code"], ValidationConfig(unseen_share=1.0))
    twelve = pd.DataFrame({"code": [f"v{i}" for i in range(12)]})
    assert validate_features(twelve, ref).passed
    thirteen = pd.DataFrame({"code": [f"v{i}" for i in range(13)] + ["v0", None]})
    issue = _issues(validate_features(thirteen, ref))[("code", "cardinality_explosion")]
    assert (issue.observed, issue.allowed) == (13, 12)
    assert "'code' has 13 distinct values (training: 2)" == issue.message


def test_cardinality_factor_from_config():
    train = pd.DataFrame({"code": [f"c{i}" for i in range(10)]})  # 10 distinct
    ref = validation_reference(train, ["code"], ValidationConfig(cardinality_factor=3.0, unseen_share=1.0))
    # allowed max(10 * 3, 10 + 10) = 30
    assert validate_features(pd.DataFrame({"code": [f"n{i}" for i in range(30)]}), ref).passed
    issue = _issues(validate_features(pd.DataFrame({"code": [f"n{i}" for i in range(31)]}), ref))
    assert issue[("code", "cardinality_explosion")].allowed == 30


def test_out_of_range_share_boundary():
    train = pd.DataFrame({"x": [0.0, 100.0]})
    default = validation_reference(train, ["x"])  # 0.01 allowed
    one_in_hundred = pd.DataFrame({"x": [50.0] * 99 + [101.0]})
    assert validate_features(one_in_hundred, default).passed
    two_in_hundred = pd.DataFrame({"x": [50.0] * 98 + [101.0, -1.0]})
    assert _issues(validate_features(two_in_hundred, default))[("x", "out_of_range")].observed == 0.02
    quarter = validation_reference(train, ["x"], ValidationConfig(out_of_range_share=0.25))
    assert validate_features(pd.DataFrame({"x": [1.0, 2.0, 3.0, 200.0]}), quarter).passed  # 1/4
    assert not validate_features(pd.DataFrame({"x": [1.0, 2.0, -3.0, 200.0]}), quarter).passed  # 2/4
    # the share is of present values: 1 of 4 (it would be 1 of 5 = 0.2 if the missing value counted)
    fifth = validation_reference(train, ["x"], ValidationConfig(out_of_range_share=0.2, missing_rate_increase=1.0))
    issue = _issues(validate_features(pd.DataFrame({"x": [1.0, 2.0, np.nan, 3.0, 200.0]}), fifth))
    assert (issue[("x", "out_of_range")].observed, issue[("x", "out_of_range")].rows) == (0.25, [4])


def test_unseen_share_boundary():
    train = pd.DataFrame({"c": ["a", "b"]})
    ref = validation_reference(train, ["c"], ValidationConfig(unseen_share=0.25))
    assert validate_features(pd.DataFrame({"c": ["a", "b", "a", "z"]}), ref).passed  # 1/4, at the limit
    result = validate_features(pd.DataFrame({"c": ["a", "y", "a", "z"]}), ref)
    issue = _issues(result)[("c", "unseen_categories")]
    assert (issue.observed, issue.allowed, issue.rows, issue.examples) == (0.5, 0.25, [1, 3], ["y", "z"])


def test_unseen_share_is_of_present_values():
    train = pd.DataFrame({"c": ["a", "b"]})
    ref = validation_reference(train, ["c"], ValidationConfig(unseen_share=0.2, missing_rate_increase=1.0))
    # 1 unseen among 4 present values = 0.25 > 0.2 (it would be 0.2 if the missing row counted)
    issue = _issues(validate_features(pd.DataFrame({"c": ["a", "b", None, "a", "z"]}), ref))
    assert issue[("c", "unseen_categories")].observed == 0.25
    assert issue[("c", "unseen_categories")].rows == [4]


def test_missing_rate_boundary():
    train = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    ref = validation_reference(train, ["x"], ValidationConfig(missing_rate_increase=0.25))
    assert validate_features(pd.DataFrame({"x": [1.0, np.nan, 3.0, 4.0]}), ref).passed  # 0.25, at the limit
    issue = _issues(validate_features(pd.DataFrame({"x": [np.nan, np.nan, 3.0, 4.0]}), ref))[("x", "missing_rate_spike")]
    assert (issue.observed, issue.allowed, issue.rows) == (0.5, 0.25, [0, 1])


def test_missing_rate_exactly_at_the_limit_passes():
    train = pd.DataFrame({"x": [np.nan] * 7 + [1.0] * 3})  # 70% missing
    ref = validation_reference(train, ["x"], ValidationConfig(missing_rate_increase=0.1))
    assert validate_features(pd.DataFrame({"x": [np.nan] * 8 + [1.0] * 2}), ref).passed  # 80%


def test_missing_column():
    ref = validation_reference(TRAIN, ["num", "cat"])
    result = validate_features(TRAIN.drop(columns=["cat"]), ref)
    assert not result.passed
    (issue,) = result.issues
    assert (issue.column, issue.check) == ("cat", "missing_column")
    assert "column 'cat' is absent" in issue.message


def test_numeric_column_checks_do_not_fire_on_categories_and_vice_versa():
    ref = validation_reference(TRAIN, ["num", "cat"])
    # numbers far outside the range in a categorical column are unseen categories, not out of range
    result = validate_features(pd.DataFrame({"num": [5.0] * 4, "cat": ["a", "a", "a", "1000"]}), ref)
    assert set(_issues(result)) == {("cat", "unseen_categories")}
