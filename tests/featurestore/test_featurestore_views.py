"""FeatureView validation and the canonical entity key."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from mlsteward.errors import InvalidInput
from mlsteward.featurestore import FeatureView, entity_key


def test_a_view_with_defaults() -> None:
    view = FeatureView(name="wages_by-occ_2", entity="occ10", timestamp="year", features=["realrinc", "prestg10"])
    assert view.ttl_days is None and view.source is None and view.description == "" and view.owner == ""
    assert FeatureView.model_validate_json(view.model_dump_json()) == view


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "has space"}, "letters, digits"),
        ({"name": ""}, "letters, digits"),
        ({"features": []}, "features"),
        ({"features": ["a", "b", "a"]}, "repeated: ['a']"),
        ({"features": ["a", "occ10"]}, "not features"),
        ({"timestamp": "occ10"}, "different columns"),
        ({"ttl_days": 0}, "ttl_days"),
        ({"ttl_days": float("inf")}, "finite"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_views_are_validation_errors(changes: dict, message: str) -> None:
    """A view is a steward.yaml model: its problems are reported like every other key's."""
    fields = dict(name="v", entity="occ10", timestamp="ts", features=["a"]) | changes
    with pytest.raises(ValidationError) as info:
        FeatureView(**fields)
    assert message in str(info.value)


@pytest.mark.parametrize("value", [5620, 5620.0, np.int64(5620), np.int32(5620), np.float32(5620.0), "5620",
                                   np.uint16(5620)])
def test_entity_key_one_form_for_integral_numbers(value: object) -> None:
    assert entity_key(value) == "5620"


def test_entity_key_text_as_is_and_fractions_kept() -> None:
    assert entity_key(" a-b ") == " a-b "
    assert entity_key("5620.0") == "5620.0"  # text is never reinterpreted
    assert entity_key(2.5) == "2.5"
    assert entity_key(-3.0) == "-3"
    assert entity_key(10**18) == str(10**18)


@pytest.mark.parametrize("value", [None, float("nan"), np.nan, pd.NA, pd.NaT, np.float64("nan")])
def test_entity_key_refuses_missing(value: object) -> None:
    with pytest.raises(InvalidInput, match="missing"):
        entity_key(value)


@pytest.mark.parametrize("value", [True, np.bool_(False), float("inf"), [1], {"a": 1}])
def test_entity_key_refuses_other_values(value: object) -> None:
    with pytest.raises(InvalidInput, match="entity key"):
        entity_key(value)


def test_the_public_api_is_curated() -> None:
    import mlsteward.featurestore as fs

    assert fs.__all__ == sorted(fs.__all__)
    for name in fs.__all__:
        assert getattr(fs, name) is not None, name


def test_vectorised_keys_agree_with_entity_key() -> None:
    from mlsteward.featurestore._frames import canonical_text

    columns = [
        pd.Series([5620, -3, 0, 2**62]),
        pd.Series([5620.0, 2.5, -0.0, 1e20, -7.0]),
        pd.Series(np.array([1, 2], dtype=np.uint64)),
        pd.array([4, 5], dtype="Int64"),
        pd.Series(["5620", "a b", ""]),
        pd.Series([5620, "5620", 7.0, np.int32(3)], dtype=object),
        pd.Series(pd.Categorical(["x", "y", "x"])),
    ]
    for column in columns:
        column = pd.Series(column, name="occ10")
        assert canonical_text(column, "labels").tolist() == [entity_key(v) for v in column.tolist()], column
