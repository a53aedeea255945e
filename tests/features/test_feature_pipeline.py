"""compile_pipeline: levels of ColumnTransformers, pass-through of what later levels need, output order."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from mlsteward.features.definitions import FeatureDefinition
from mlsteward.features.pipeline import OutputColumns, compile_pipeline, feature_levels

F = FeatureDefinition

DATA = pd.DataFrame({"x": [1.0, np.nan, 3.0, 4.0], "y": [2.0, 2.0, 0.0, 8.0], "unused": ["p", "q", "r", "s"]})
DEFS = [
    F(name="c", transform="sum", inputs=["b", "a"]),  # level 2: reads a again, two levels later
    F(name="a", transform="impute", inputs=["x"], output=False),  # level 0 helper, median 3
    F(name="b", transform="ratio", inputs=["a", "y"]),  # level 1
    F(name="y"),  # level 0, named like its column
]


def test_levels_and_steps():
    assert [[d.name for d in level] for level in feature_levels(DEFS, DATA.columns)] == [["a", "y"], ["b"], ["c"]]
    pipeline = compile_pipeline(DEFS, list(DATA.columns))
    assert isinstance(pipeline, Pipeline)
    assert [name for name, _ in pipeline.steps] == ["level0", "level1", "level2", "outputs"]
    assert all(isinstance(step, ColumnTransformer) for _, step in pipeline.steps)
    level0 = pipeline.named_steps["level0"]
    assert [name for name, _, _ in level0.transformers] == ["a", "y"]  # nothing from the source kept
    assert [name for name, _, _ in pipeline.named_steps["level1"].transformers] == ["b", "keep"]


def test_pipeline_values_by_hand_and_helper_passed_through_two_levels():
    pipeline = compile_pipeline(DEFS, list(DATA.columns))
    out = clone(pipeline).fit_transform(DATA)
    assert list(out.columns) == ["c", "b", "y"]
    a = np.array([1.0, 3.0, 3.0, 4.0])  # x with its median filled in
    b = np.array([0.5, 1.5, np.nan, 0.5])  # a / y, missing where y is 0
    np.testing.assert_array_equal(out["b"].to_numpy(dtype=float), b)
    np.testing.assert_array_equal(out["c"].to_numpy(dtype=float), b + a)
    np.testing.assert_array_equal(out["y"].to_numpy(dtype=float), DATA["y"].to_numpy())
    fitted = pipeline.fit(DATA)
    pd.testing.assert_frame_equal(fitted.transform(DATA), out)


def test_level_keeps_only_what_is_needed():
    pipeline = compile_pipeline(DEFS, list(DATA.columns)).fit(DATA)
    after_level0 = pipeline.named_steps["level0"].get_feature_names_out()
    assert sorted(after_level0) == ["a", "y"]  # 'x' and 'unused' are dropped
    after_level1 = pipeline.named_steps["level1"].get_feature_names_out()
    assert sorted(after_level1) == ["a", "b", "y"]  # a for level 2, y for the output


def test_output_columns_selector_matches_names_and_suffixes_in_order():
    selector = OutputColumns(("a", "b"))
    columns = ["b", "a=x", "a.y", "ab", "a", "a-z", "a_b", "b=1"]
    assert selector.matching(columns) == ["a=x", "a.y", "a", "b", "b=1"]
    assert selector(pd.DataFrame(columns=columns)) == ["a=x", "a.y", "a", "b", "b=1"]
