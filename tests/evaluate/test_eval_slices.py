"""Performance by slice: per-slice values against a plain pandas groupby + scikit-learn loop on real data,
p-values against scipy, and a planted weak segment found first."""

import numpy as np
import pandas as pd
import pytest
from gss_scored import CATS, NUMS, scored_sample
from scipy import stats
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, roc_auc_score, root_mean_squared_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder

from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput
from mlsteward.evaluate._slices import slices


@pytest.fixture(scope="module")
def scored():
    test, y, model = scored_sample(7)
    return test, y, model.predict(test), model.predict_proba(test)[:, 1]


def _rows_of(frame, s):
    """The rows of a reported slice, selected independently with pandas."""
    x = frame[s.column]
    if s.group == "(missing)":
        return x.isna().to_numpy()
    if s.lower is not None:
        upper = x <= s.upper if s.upper_included else x < s.upper
        return ((x >= s.lower) & upper).to_numpy()
    return (x.astype(object).astype(str) == s.group).to_numpy() & x.notna().to_numpy()


def test_per_slice_values_equal_a_groupby_loop(scored):
    test, y, pred, prob = scored
    result = slices(test, y, pred, prob)
    assert result.metric == "roc_auc" and result.overall == pytest.approx(roc_auc_score(y, prob), abs=1e-12)
    assert result.min_size == 50  # max(30, 1 % of 5000)
    for column in CATS:  # categorical: a plain groupby
        groups = test[column].astype(object).fillna("(missing)").astype(str)
        ours = {s.group: s for s in result.slices if s.column == column}
        assert sorted(ours) == sorted(groups.unique())
        for value, index in groups.groupby(groups).groups.items():
            s, idx = ours[value], np.asarray(index)
            assert s.size == len(idx)
            assert s.positive_rate == pytest.approx(y[idx].mean(), abs=1e-12)
            assert s.predicted_positive_rate == pytest.approx(pred[idx].mean(), abs=1e-12)
            assert s.error == pytest.approx(1 - accuracy_score(y[idx], pred[idx]), abs=1e-12)
            if len(np.unique(y[idx])) == 2:
                assert s.metric_value == pytest.approx(roc_auc_score(y[idx], prob[idx]), abs=1e-12)
                assert s.difference == pytest.approx(s.metric_value - result.overall, abs=1e-12)
            else:
                assert s.metric_value is None
    for column in NUMS:  # numeric: the edges of pandas.qcut, left-closed bins
        ours = [s for s in result.slices if s.column == column and s.group != "(missing)"]
        _, edges = pd.qcut(test[column].dropna(), 5, retbins=True, duplicates="drop")
        assert [s.lower for s in ours] == pytest.approx(list(edges[:-1]))
        assert [s.upper for s in ours] == pytest.approx(list(edges[1:]))
        assert sum(s.size for s in result.slices if s.column == column) == len(test)
        for s in ours:
            idx = _rows_of(test, s)
            assert s.size == idx.sum()
            assert s.metric_value == pytest.approx(roc_auc_score(y[idx], prob[idx]), abs=1e-12)
    age = [s.group for s in result.slices if s.column == "age"]
    assert age[0].startswith("[18, ") and age[-2].endswith("]") and age[-1] == "(missing)"
    result.model_dump_json()


def test_accuracy_and_f1_per_slice(scored):
    test, y, pred, _ = scored
    acc = slices(test, y, pred, columns=["educcat", "age"])
    assert acc.metric == "accuracy" and acc.columns == ["educcat", "age"]
    f1 = slices(test, y, pred, columns=["educcat", "age"], metric="f1")
    for a, f in zip(acc.slices, f1.slices, strict=True):
        idx = _rows_of(test, a)
        assert a.metric_value == pytest.approx(accuracy_score(y[idx], pred[idx]), abs=1e-12)
        assert f.metric_value == pytest.approx(f1_score(y[idx], pred[idx], zero_division=0), abs=1e-12)


def test_p_value_is_scipys_two_proportion_test(scored):
    test, y, pred, _ = scored
    result = slices(test, y, pred, columns=["occrecode", "age"])
    wrong = y != pred
    checked = 0
    for s in result.slices:
        idx = _rows_of(test, s)
        table = [[wrong[idx].sum(), (~wrong[idx]).sum()], [wrong[~idx].sum(), (~wrong[~idx]).sum()]]
        assert s.rest_error == pytest.approx(wrong[~idx].mean(), abs=1e-12)
        if min(np.sum(table, axis=0)) > 0:
            expected = stats.chi2_contingency(table, correction=False).pvalue
            assert s.p_value == pytest.approx(expected, rel=1e-9, abs=1e-300)
            checked += 1
    assert checked > 10


def test_planted_weak_segment_is_found_first():
    # the model is right 90 % of the time, but only 50 % on colour = red AND size in its top bin
    rng = np.random.default_rng(0)
    n = 6000
    frame = pd.DataFrame({"colour": rng.choice(["red", "green", "blue"], n), "size": rng.uniform(0, 100, n),
                          "noise": rng.choice(list("abcdef"), n)})
    y = rng.integers(0, 2, n)
    planted = ((frame["colour"] == "red") & (frame["size"] >= frame["size"].quantile(0.8))).to_numpy()
    flip = rng.random(n) < np.where(planted, 0.5, 0.1)
    pred = np.where(flip, 1 - y, y)
    result = slices(frame, y, pred)
    first = result.worst_segments[0]
    assert (first.conditions[0].column, first.conditions[0].group) == ("colour", "red")
    assert first.conditions[1].column == "size" and first.conditions[1].upper_included
    idx = planted
    assert first.size == idx.sum()
    assert first.metric_value == pytest.approx(accuracy_score(y[idx], pred[idx]), abs=1e-12)
    assert first.worse_by == pytest.approx(result.overall - first.metric_value, abs=1e-12)
    assert first.p_value < 1e-10
    assert first.description.startswith("colour = red AND size in [")
    # every segment is at least min_size rows and worse than overall; pairs are worse than their parts
    singles = {(s.column, s.group): s.metric_value for s in result.slices}
    for seg in result.worst_segments:
        assert seg.size >= result.min_size and seg.worse_by > 0
        if len(seg.conditions) == 2:
            assert all(seg.metric_value < singles[c.column, c.group] for c in seg.conditions)
    assert [s.worse_by for s in result.worst_segments] == sorted((s.worse_by for s in result.worst_segments),
                                                                 reverse=True)


def test_regression_rmse_and_welch_p_value():
    df = gss_wages_with_target().sample(4000, random_state=1).reset_index(drop=True)
    X, y = df[CATS + NUMS], df["prestg10"].fillna(df["prestg10"].median()).to_numpy()
    X = X.drop(columns="prestg10")
    model = make_pipeline(make_column_transformer(
        (OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1), CATS),
        remainder="passthrough"), HistGradientBoostingRegressor(max_iter=30))
    model.fit(X.iloc[:2000], y[:2000])
    test, yt = X.iloc[2000:].reset_index(drop=True), y[2000:]
    pred = model.predict(test)
    result = slices(test, yt, pred, columns=["educcat", "gender", "childs"])
    assert result.task == "regression" and result.metric == "rmse"
    sq = (yt - pred) ** 2
    for s in result.slices:
        idx = _rows_of(test, s)
        assert s.metric_value == pytest.approx(root_mean_squared_error(yt[idx], pred[idx]), rel=1e-9)
        assert s.error == pytest.approx(sq[idx].mean(), rel=1e-9)
        if idx.sum() > 1:
            expected = stats.ttest_ind(sq[idx], sq[~idx], equal_var=False).pvalue
            assert s.p_value == pytest.approx(expected, rel=1e-6, abs=1e-12)
    mae = slices(test, yt, pred, columns=["educcat"], metric="mae")
    for s in mae.slices:
        idx = _rows_of(test, s)
        assert s.metric_value == pytest.approx(mean_absolute_error(yt[idx], pred[idx]), rel=1e-9)
    # lower is better: a worse segment has a larger rmse
    assert all(seg.metric_value > result.overall for seg in result.worst_segments)


def test_other_and_missing_groups_and_skips():
    n = 400
    frame = pd.DataFrame({
        "city": [f"c{i % 8}" for i in range(n)],
        "flag": [True, False] * (n // 2),
        "few": np.arange(n) % 3,
        "id": [f"row{i}" for i in range(n)],
        "const": 1.0,
        "when": pd.date_range("2020-01-01", periods=n, freq="D"),
        "score": np.where(np.arange(n) % 10 == 0, np.nan, np.arange(n, dtype=float)),
    })
    y = np.arange(n) % 2
    result = slices(frame, y, y, max_categories=3)
    city = [s.group for s in result.slices if s.column == "city"]
    assert city[:3] == ["c0", "c1", "c2"] and city[3] == "(other)"
    assert next(s for s in result.slices if s.group == "(other)").size == 250
    assert [s.group for s in result.slices if s.column == "few"] == ["0", "1", "2"]
    assert sorted(s.group for s in result.slices if s.column == "flag") == ["False", "True"]
    assert next(s for s in result.slices if s.column == "score" and s.group == "(missing)").size == 40
    assert set(result.skipped) == {"id", "const", "when"}
    assert result.worst_segments == []  # a perfect model has no worse segment


def test_errors(scored):
    test, y, pred, _ = scored
    with pytest.raises(InvalidInput, match="frame has 10 rows"):
        slices(test.iloc[:10], y, pred)
    with pytest.raises(InvalidInput, match="needs probabilities"):
        slices(test, y, pred, metric="roc_auc")
    with pytest.raises(InvalidInput, match="not in frame"):
        slices(test, y, pred, columns=["salary"])
    with pytest.raises(InvalidInput, match="regression metric"):
        slices(test, y, pred, metric="rmse")
    with pytest.raises(InvalidInput, match="'bins'"):
        slices(test, y, pred, bins=1)
