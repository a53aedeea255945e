"""FeatureSet: fit / transform, saving with skops and refusing foreign types on load."""

from __future__ import annotations

import functools
import os

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput, UnsafeArtifact
from mlsteward.features.definitions import FeatureDefinition
from mlsteward.features.feature_set import ALLOWED_TYPES, FeatureSet, load_pipeline
from mlsteward.features.transformers import CUSTOM_FUNCTIONS, register_transform

F = FeatureDefinition
TARGET = "high_income"


@register_transform("fs_prestige_per_year")
def _prestige_per_year(frame: pd.DataFrame) -> pd.Series:
    return frame["prestg10"] / (frame["year"] - 1970)


@functools.cache
def _gss() -> tuple[pd.DataFrame, pd.DataFrame]:
    data = gss_wages_with_target().sample(n=6000, random_state=5)
    interview = pd.to_datetime(data["year"].astype(str) + "-03-01") + pd.to_timedelta(data["age"].fillna(0) * 3,
                                                                                      unit="D")
    data["interview"] = interview.where(data["age"].notna())  # NaT where age is missing
    return data.iloc[:4500], data.iloc[4500:]


DEFINITIONS = [
    F(name="age", transform="impute"),
    F(name="age_z", transform="standard_scale", inputs=["age"]),
    F(name="prestige", transform="robust_scale", inputs=["prestg10"]),
    F(name="prestige_mm", transform="minmax_scale", inputs=["prestg10"]),
    F(name="work", transform="one_hot", inputs=["wrkstat"]),
    F(name="edu", transform="ordinal", inputs=["educcat"]),
    F(name="occ", transform="target_encode", inputs=["occrecode"]),
    F(name="prestige_bin", transform="bin", inputs=["prestg10"]),
    F(name="interview", transform="date_parts", params={"parts": ["month", "dayofweek", "is_weekend"]}),
    F(name="kids", transform="impute", inputs=["childs"], params={"strategy": "constant", "fill_value": 0},
      output=False),
    F(name="kids_per_age", transform="ratio", inputs=["kids", "age"]),
    F(name="age_minus_kids", transform="difference", inputs=["age", "kids"]),
    F(name="age_x_kids", transform="interaction", inputs=["age", "kids"]),
    F(name="age_plus_kids", transform="sum", inputs=["age", "kids"]),
    F(name="kids_log", transform="log", inputs=["kids"]),
    F(name="custom", transform="custom", inputs=["prestg10", "year"], params={"function": "fs_prestige_per_year"}),
    F(name="gender"),
]


@pytest.fixture
def fitted():
    train, test = _gss()
    feature_set, _ = FeatureSet.fit(DEFINITIONS, train, target=TARGET)
    return feature_set, train.copy(), test.copy()


def test_transform_is_identical_after_saving_and_loading(fitted):
    feature_set, _, test = fitted
    before = feature_set.transform(test)
    loaded = FeatureSet.from_bytes(feature_set.to_bytes(), DEFINITIONS)
    after = loaded.transform(test)
    pd.testing.assert_frame_equal(after, before, check_exact=True)
    assert loaded.output_columns == feature_set.output_columns == list(before.columns)
    assert loaded.input_columns == feature_set.input_columns
    assert "kids" not in before.columns and "work=Full-Time" in before.columns
    assert list(before.index) == list(test.index)
    # a spot check against hand computation, so the round trip is not comparing two wrong answers
    np.testing.assert_array_equal(after["custom"].to_numpy(dtype=float),
                                  (test["prestg10"] / (test["year"] - 1970)).to_numpy(dtype=float))


def test_input_columns_follow_lineage(fitted):
    feature_set, _, _ = fitted
    assert feature_set.input_columns == ["age", "prestg10", "wrkstat", "educcat", "occrecode", "interview",
                                         "childs", "year", "gender"]


def test_transform_ignores_column_order_and_extra_columns(fitted):
    feature_set, _, test = fitted
    expected = feature_set.transform(test)
    shuffled = test[list(reversed(test.columns))].assign(unrelated=1.5)
    pd.testing.assert_frame_equal(feature_set.transform(shuffled), expected, check_exact=True)


def test_missing_input_column_at_transform_names_it(fitted):
    feature_set, _, test = fitted
    with pytest.raises(InvalidInput) as info:
        feature_set.transform(test.drop(columns=["childs", "occrecode"]))
    message = str(info.value)
    assert "['occrecode', 'childs']" in message and "add them" in message


def test_target_with_missing_values_is_refused():
    train, _ = _gss()
    train = train.copy()
    train[TARGET] = train[TARGET].astype(float)
    train.iloc[[3, 10, 20], train.columns.get_loc(TARGET)] = np.nan
    with pytest.raises(InvalidInput) as info:
        FeatureSet.fit([F(name="age", transform="impute")], train, target=TARGET)
    assert f"the target '{TARGET}' is missing on 3 training rows" in str(info.value)
    assert "drop or label them" in str(info.value)


def test_target_that_is_not_a_column_is_refused():
    train, _ = _gss()
    with pytest.raises(InvalidInput, match=r"the target 'income' is not a column"):
        FeatureSet.fit([F(name="age", transform="impute")], train, target="income")


def test_unregistered_custom_function_at_load_fails_clearly_at_transform(fitted, monkeypatch):
    feature_set, _, test = fitted
    data = feature_set.to_bytes()
    monkeypatch.delitem(CUSTOM_FUNCTIONS, "fs_prestige_per_year")
    loaded = FeatureSet.from_bytes(data, DEFINITIONS)  # only the name is stored
    with pytest.raises(InvalidInput, match=r"custom function 'fs_prestige_per_year' is not registered"):
        loaded.transform(test)


# -- refusing foreign types ----------------------------------------------------------------------------

RAN: list[str] = []


class Tripwire(TransformerMixin, BaseEstimator):
    """Records whenever skops rebuilds it: a stand-in for code that must never run."""

    def __setstate__(self, state):
        RAN.append("setstate")
        super().__setstate__(state)

    def fit(self, X, y=None):  # noqa: N803
        return self

    def transform(self, X):  # noqa: N803
        return X


def test_pipeline_with_os_system_is_refused():
    data = sio.dumps(Pipeline([("run", FunctionTransformer(func=os.system))]))
    assert any("system" in t for t in sio.get_untrusted_types(data=data))
    for load in (load_pipeline, lambda d: FeatureSet.from_bytes(d, [F(name="x")])):
        with pytest.raises(UnsafeArtifact) as info:
            load(data)
        assert "system" in str(info.value) and "refit the feature set" in str(info.value)


def test_foreign_class_is_refused_and_never_built():
    data = sio.dumps(make_pipeline(StandardScaler(), Tripwire()))
    RAN.clear()
    sio.loads(data, trusted=sio.get_untrusted_types(data=data))  # loading it for real does run its code
    assert RAN == ["setstate"]
    RAN.clear()
    with pytest.raises(UnsafeArtifact, match=r"Tripwire"):
        load_pipeline(data)
    assert RAN == []


def test_tampered_feature_pipeline_is_refused(fitted):
    feature_set, _, _ = fitted
    pipeline = feature_set.pipeline
    step = pipeline.named_steps["level0"].named_transformers_["age"]
    step.estimator_ = FunctionTransformer(func=eval)  # a genuine pipeline, one fitted estimator swapped
    with pytest.raises(UnsafeArtifact, match=r"builtins.eval"):
        FeatureSet.from_bytes(sio.dumps(pipeline), DEFINITIONS)


def test_artifact_that_is_not_a_pipeline_is_refused():
    scaler = StandardScaler().fit(np.arange(6.0).reshape(-1, 2))
    with pytest.raises(UnsafeArtifact, match=r"is a StandardScaler, not a feature pipeline"):
        load_pipeline(sio.dumps(scaler))


def test_a_real_feature_pipeline_needs_only_allowed_types(fitted):
    feature_set, _, _ = fitted
    untrusted = set(sio.get_untrusted_types(data=feature_set.to_bytes()))
    assert untrusted <= ALLOWED_TYPES
    assert "mlsteward.features.transformers.FeatureStep" in untrusted
