"""Failure modes: rule counts recomputed with pandas from the rules' conditions; planted failure modes found first."""

import numpy as np
import pandas as pd
import pytest
from gss_scored import scored_sample

from mlsteward.errors import InvalidInput
from mlsteward.evaluate._failure_modes import failure_modes


def _mask(frame, conditions):
    """The rows a rule selects, from its conditions alone, with pandas."""
    mask = pd.Series(True, index=frame.index)
    for c in conditions:
        x = frame[c.column]
        if c.text == f"{c.column} is missing":
            mask &= x.isna()
            continue
        present = x.notna()
        if c.values or c.negated:
            inside = x.astype(object).isin(c.values)
            keep = present & (~inside if c.negated else inside)
        else:
            keep = present.copy()
            if c.above is not None:
                keep &= x > c.above
            if c.at_most is not None:
                keep &= x <= c.at_most
        mask &= keep | x.isna() if c.missing else keep
    return mask.to_numpy()


@pytest.fixture(scope="module")
def scored():
    test, y, model = scored_sample(11)
    return test, y, model.predict(test)


def test_rule_counts_equal_pandas_recount_on_real_data(scored):
    test, y, pred = scored
    result = failure_modes(test, y, pred, max_depth=4, max_rules=20)
    wrong = y != pred
    assert result.errors == wrong.sum() and result.error_rate == pytest.approx(wrong.mean())
    assert result.min_size == 50
    assert result.modes, "the model makes errors somewhere more than elsewhere"
    for mode in result.modes:
        mask = _mask(test, mode.conditions)
        assert mode.rows == mask.sum() >= result.min_size
        assert mode.errors == wrong[mask].sum()
        assert mode.error_rate == pytest.approx(wrong[mask].mean())
        assert mode.error_rate > result.error_rate
        assert mode.lift == pytest.approx(wrong[mask].mean() / wrong.mean())
        assert mode.share_of_errors == pytest.approx(wrong[mask].sum() / wrong.sum())
        assert mode.rule == " AND ".join(c.text for c in mode.conditions)
    assert [m.errors for m in result.modes] == sorted((m.errors for m in result.modes), reverse=True)
    result.model_dump_json()


def _planted(n=5000, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "sex": rng.choice(["female", "male"], n),
        "age": np.where(rng.random(n) < 0.03, np.nan, rng.integers(18, 80, n).astype(float)),
        "educcat": pd.Categorical(rng.choice(["High school", "Less than high school", "Bachelor", "Graduate", None],
                                             n, p=[0.4, 0.15, 0.25, 0.15, 0.05])),
        "region": rng.choice(list("NESW"), n),
    })
    planted = ((frame["sex"] == "female") & (frame["age"] < 30)
               & frame["educcat"].isin(["High school", "Less than high school"])).to_numpy()
    return frame, planted, rng


def test_planted_classification_failure_mode_is_found_first():
    frame, planted, rng = _planted()
    y = rng.integers(0, 2, len(frame))
    wrong = rng.random(len(frame)) < np.where(planted, 0.7, 0.05)
    pred = np.where(wrong, 1 - y, y)
    result = failure_modes(frame, y, pred, max_depth=4)
    first = result.modes[0]
    mask = _mask(frame, first.conditions)
    assert (mask == planted).mean() > 0.99  # the rule is the planted segment
    assert {c.column for c in first.conditions} == {"sex", "age", "educcat"}
    assert "sex = female" in first.rule and "age <= 29.5" in first.rule
    educ = next(c for c in first.conditions if c.column == "educcat")
    assert not educ.negated and set(educ.values) == {"High school", "Less than high school"}  # original values
    assert "educcat in {" in first.rule
    assert first.lift > 5


def test_planted_regression_failure_mode_and_default_threshold():
    frame, planted, rng = _planted(seed=1)
    y = rng.normal(50, 10, len(frame))
    pred = y + rng.normal(0, np.where(planted, 20.0, 2.0))
    result = failure_modes(frame, y, pred, max_depth=4)
    abs_err = np.abs(y - pred)
    assert result.task == "regression"
    assert result.error_threshold == pytest.approx(np.quantile(abs_err, 0.9))
    assert result.errors == (abs_err > np.quantile(abs_err, 0.9)).sum()
    first = result.modes[0]
    mask = _mask(frame, first.conditions)
    assert (mask & planted).sum() / mask.sum() > 0.9 and (mask & planted).sum() / planted.sum() > 0.9
    assert first.mean_absolute_error == pytest.approx(abs_err[mask].mean())
    fixed = failure_modes(frame, y, pred, error_threshold=5.0)
    assert fixed.errors == (abs_err > 5.0).sum() and fixed.error_threshold == 5.0


def test_no_errors_and_bad_inputs(scored):
    test, y, pred = scored
    perfect = failure_modes(test, y, y)
    assert perfect.modes == [] and "no error" in perfect.notes[0]
    assert failure_modes(test, y, pred, max_rules=0).modes == []
    with pytest.raises(InvalidInput, match="one value per row"):
        failure_modes(test.iloc[:10], y, pred)
    with pytest.raises(InvalidInput, match="'max_depth'"):
        failure_modes(test, y, pred, max_depth=0)
    with pytest.raises(InvalidInput, match="error_threshold is for regression"):
        failure_modes(test, y, pred, error_threshold=1.0)
    with pytest.raises(InvalidInput, match="DataFrame"):
        failure_modes(test.to_numpy(), y, pred)


def test_rare_and_missing_levels_in_rules_recount_with_pandas():
    # 30 common cities, 10 rare ones (grouped as "(other)") and missing cities: the model fails on the
    # rare and the missing ones; the rule must say so with the original values
    rng = np.random.default_rng(5)
    common = [f"c{i}" for i in range(30)]
    rare = [f"r{i}" for i in range(10)]
    city = np.concatenate([rng.choice(common, 5400), rng.choice(rare, 400), [None] * 200]).astype(object)
    frame = pd.DataFrame({"city": city, "x": rng.normal(size=6000)})
    bad = ~pd.Series(city).isin(common).to_numpy()
    y = rng.integers(0, 2, 6000)
    pred = np.where(rng.random(6000) < np.where(bad, 0.6, 0.05), 1 - y, y)
    result = failure_modes(frame, y, pred, max_depth=2)
    first = result.modes[0]
    mask = _mask(frame, first.conditions)
    assert (mask == bad).all()
    cond = first.conditions[0]
    assert cond.negated and cond.missing and set(cond.values) == set(common)
    assert first.rows == bad.sum() and first.errors == (y != pred)[bad].sum()
    for mode in result.modes:
        mask = _mask(frame, mode.conditions)
        assert (mode.rows, mode.errors) == (mask.sum(), (y != pred)[mask].sum())
