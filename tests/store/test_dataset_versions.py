"""Dataset versions in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from mlsteward.errors import InvalidInput, NotFound
from mlsteward.store import Store
from mlsteward.store.datasets import NewDatasetVersion, parse_ref


def _new(name: str, digest: str, parents: tuple[str, ...] = (), transformation: str = "") -> NewDatasetVersion:
    return NewDatasetVersion(name=name, kind="table", digest=f"sha256:{digest * 64}", format="csv", rows=3,
                             columns=1, column_types=[{"name": "a", "type": "int64"}], size_bytes=10,
                             source="s.csv", owner="ana", parents=list(parents), transformation=transformation)


def test_versions_count_up_and_identical_content_is_the_same_version(store: Store) -> None:
    v1, created1 = store.datasets.register(_new("customers", "a"))
    v2, created2 = store.datasets.register(_new("customers", "b"))
    again, created3 = store.datasets.register(_new("customers", "a"))
    assert (v1.version, v2.version, again.version) == (1, 2, 1)
    assert (created1, created2, created3) == (True, True, False)
    other, _ = store.datasets.register(_new("prospects", "a"))  # same content, another name
    assert other.ref == "prospects@1"
    assert store.datasets.get("customers").ref == "customers@2"
    assert store.datasets.get("customers@latest").ref == "customers@2"
    assert [v.ref for v in store.datasets.list("customers")] == ["customers@2", "customers@1"]
    assert [v.ref for v in store.datasets.list()] == ["customers@2", "prospects@1"]
    assert [e.action for e in store.audit.list(action="dataset.registered")] == ["dataset.registered"] * 3


def test_lineage_walks_both_ways_and_names_runs(store: Store) -> None:
    store.datasets.register(_new("raw", "a"))
    store.datasets.register(_new("clean", "b", ("raw@1",), "drop duplicates"))
    store.datasets.register(_new("train", "c", ("clean@1",), "split 80%"))
    run = store.runs.create(experiment="e", name="fit")
    store.datasets.link_run(run.id, "train@1", "train")
    up = store.datasets.lineage("train@1")
    assert [(e.parent, e.child, e.transformation) for e in up.ancestors] == [
        ("clean@1", "train@1", "split 80%"), ("raw@1", "clean@1", "drop duplicates")]
    assert up.runs == [{"run_id": run.id, "role": "train", "name": "fit", "experiment": "e"}]
    down = store.datasets.lineage("raw@1")
    assert [(e.parent, e.child) for e in down.descendants] == [("raw@1", "clean@1"), ("clean@1", "train@1")]
    assert store.datasets.get("clean@1").parents == ["raw@1"]
    assert store.datasets.runs_of(run.id) == [("train@1", "train")]


def test_unknown_parent_or_version_writes_nothing(store: Store) -> None:
    with pytest.raises(NotFound, match="dataset 'raw'"):
        store.datasets.register(_new("clean", "b", ("raw@1",)))
    assert store.datasets.list() == [] and store.audit.list() == []
    store.datasets.register(_new("raw", "a"))
    with pytest.raises(NotFound, match="no version 7 of dataset 'raw'.*steward data list"):
        store.datasets.get("raw@7")


def test_references_and_names_are_checked() -> None:
    assert parse_ref("churn") == ("churn", None) and parse_ref("churn@3") == ("churn", 3)
    for bad in ("churn@x", "churn@0", "churn@-1"):
        with pytest.raises(InvalidInput, match="NAME@VERSION"):
            parse_ref(bad)
    with pytest.raises(InvalidInput, match="dataset name 'my data'"):
        parse_ref("my data")


def test_file_hash_cache(store: Store) -> None:
    store.datasets.remember_digests([{"path": "/d/a.txt", "size": 2, "mtime_ns": 5, "digest": "sha256:" + "a" * 64}])
    store.datasets.remember_digests([{"path": "/d/a.txt", "size": 3, "mtime_ns": 6, "digest": "sha256:" + "b" * 64}])
    assert store.datasets.cached_digests(["/d/a.txt", "/d/b.txt"]) == {"/d/a.txt": (3, 6, "sha256:" + "b" * 64)}


def test_evidence_and_clearances(store: Store) -> None:
    from mlsteward.store.evidence import Evidence

    store.datasets.register(_new("raw", "a"))
    digest = "sha256:" + "e" * 64
    store.evidence.record("raw@1", [Evidence(kind="quality", digest=digest, passed=False, summary={"min_rows": False}),
                                    Evidence(kind="pii", digest=digest, passed=None, summary={"email": ["email"]})])
    store.evidence.record("raw@1", [Evidence(kind="quality", digest=digest, passed=True, summary={"min_rows": True})])
    found = store.evidence.of("raw@1")
    assert set(found) == {"quality", "pii"} and found["quality"].passed is True
    assert found["pii"].summary == {"email": ["email"]} and found["quality"].created_by == "tester"
    assert store.audit.list(action="dataset.assessed")[0].details == {"evidence": {"quality": True}}
    with pytest.raises(InvalidInput, match="needs a reason"):
        store.evidence.clear_column("raw", "id", "")
    store.evidence.clear_column("raw", "id", "assigned before the outcome")
    assert store.evidence.clearances("raw")["id"].reason == "assigned before the outcome"
    with pytest.raises(NotFound):
        store.evidence.of("raw@2")
    assert store.audit.verify().ok
