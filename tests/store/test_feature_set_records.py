"""Feature set records in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from mlsteward.errors import InvalidInput, NotFound
from mlsteward.store import Store
from mlsteward.store.datasets import NewDatasetVersion
from mlsteward.store.feature_sets import NewFeatureSet


def _dataset(store: Store) -> str:
    version, _ = store.datasets.register(NewDatasetVersion(
        name="train", kind="table", digest="sha256:" + "a" * 64, format="parquet", rows=3, columns=2,
        column_types=[], size_bytes=10))
    return version.ref


def _new(dataset: str, fingerprint: str, digest: str = "d") -> NewFeatureSet:
    return NewFeatureSet(name="churn", digest=f"sha256:{digest * 64}", fingerprint=fingerprint, dataset=dataset,
                         target="y", definitions=[{"name": "age", "transform": "impute"}], summary={"outputs": ["age"]})


def test_versions_count_up_and_the_same_fit_is_the_same_version(store: Store) -> None:
    dataset = _dataset(store)
    first, created1 = store.feature_sets.register(_new(dataset, "f1"))
    second, created2 = store.feature_sets.register(_new(dataset, "f2", "e"))
    again, created3 = store.feature_sets.register(_new(dataset, "f1", "x"))  # same fit, new pickle bytes
    assert (first.ref, second.ref, again.ref) == ("churn@1", "churn@2", "churn@1")
    assert (created1, created2, created3) == (True, True, False)
    assert again.digest == first.digest
    assert store.feature_sets.get("churn").ref == "churn@2"
    assert store.feature_sets.get("churn@1").dataset == "train@1"
    assert store.feature_sets.get("churn@1").definitions == [{"name": "age", "transform": "impute"}]
    assert [r.ref for r in store.feature_sets.list()] == ["churn@2", "churn@1"]
    audit = store.audit.list(action="feature_set.fitted")
    assert sorted(e.entity_id for e in audit) == ["churn@1", "churn@2"]


def test_missing_sets_and_bad_references_are_clear_errors(store: Store) -> None:
    with pytest.raises(NotFound, match="no feature set 'churn'.*steward features fit"):
        store.feature_sets.get("churn")
    with pytest.raises(InvalidInput, match="bad feature set reference"):
        store.feature_sets.get("churn@x")
    with pytest.raises(NotFound, match="dataset 'nope'"):  # the training data must be registered
        store.feature_sets.register(_new("nope@1", "f"))
    assert store.feature_sets.list() == []
