"""Property tests: Cohen's kappa equals scikit-learn's, Fleiss' kappa equals statsmodels', on random data."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from mlsteward.labeling import cohen_kappa, fleiss_kappa, fleiss_kappa_per_category

LABELS = ["a", "b", "c"]


@st.composite
def two_raters(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    n = draw(st.integers(1, 30))
    label = st.sampled_from(LABELS)
    return draw(st.lists(label, min_size=n, max_size=n)), draw(st.lists(label, min_size=n, max_size=n))


@settings(max_examples=50, deadline=None)
@given(two_raters())
def test_cohen_kappa_equals_sklearn(pair: tuple[list[str], list[str]]) -> None:
    a, b = pair
    ours = cohen_kappa(a, b, LABELS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = cohen_kappa_score(a, b, labels=LABELS)
    if np.isnan(theirs):
        assert np.isnan(ours)
    else:
        assert np.isclose(ours, theirs)


@st.composite
def rating_tables(draw: st.DrawFn) -> np.ndarray:
    items, categories, raters = draw(st.integers(2, 8)), draw(st.integers(2, 4)), draw(st.integers(2, 6))
    table = np.zeros((items, categories), dtype=int)
    for i in range(items):
        for _ in range(raters):
            table[i, draw(st.integers(0, categories - 1))] += 1
    return table


@settings(max_examples=50, deadline=None)
@given(rating_tables())
def test_fleiss_kappa_equals_statsmodels(table: np.ndarray) -> None:
    m = int(table[0].sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sm_fleiss_kappa(table, method="fleiss")
    ours = fleiss_kappa(table)
    if np.isfinite(theirs):
        assert np.isclose(ours, theirs)
    else:
        assert np.isnan(ours)
    per = fleiss_kappa_per_category(table)
    for j in range(table.shape[1]):
        share = table[:, j].sum() / table.sum()
        if 0 < share < 1:
            collapsed = np.column_stack([table[:, j], m - table[:, j]])
            assert np.isclose(per[j], sm_fleiss_kappa(collapsed, method="fleiss"))
        else:
            assert np.isnan(per[j])
