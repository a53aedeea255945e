"""Online stores: one contract suite on SQLite and on the real Redis server (round trips, get_many,
atomic generations with injected failures), plus latest_per_entity, materialize, online_features."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import uuid

import numpy as np
import pandas as pd
import pytest

from mlsteward.errors import Conflict, InvalidInput, NotFound
from mlsteward.featurestore import (
    FeatureView,
    RedisOnlineStore,
    SqliteOnlineStore,
    latest_per_entity,
    materialize,
    online_features,
)
from mlsteward.featurestore import online_redis, online_sqlite

REDIS_URL = os.environ.get("STEWARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
T = pd.Timestamp("2024-03-01 12:00")


def day(n: float) -> pd.Timestamp:
    return T + pd.Timedelta(days=n)


def wages_view(**changes: object) -> FeatureView:
    return FeatureView(**(dict(name="wages", entity="occ10", timestamp="ts", features=["wage", "grade"]) | changes))


def wages(values: dict[int, float]) -> pd.DataFrame:
    keys = list(values)
    return pd.DataFrame({"occ10": keys, "ts": [day(0)] * len(keys), "wage": list(values.values()),
                         "grade": [f"g{k}" for k in keys]})


def redis_client():  # noqa: ANN201
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({exc}); start it (.ci/run does) or set "
                    "STEWARD_TEST_REDIS_URL")
    return client


def redis_keys(client, prefix: str) -> set[bytes]:  # noqa: ANN001
    return set(client.scan_iter(match=f"{prefix}:*", count=1000))


@pytest.fixture(params=["sqlite", "redis"])
def open_store(request: pytest.FixtureRequest, tmp_path):  # noqa: ANN001, ANN201
    """A factory: each call opens another connection to the same (fresh) store."""
    opened = []
    if request.param == "sqlite":
        path = tmp_path / "online.db"

        def factory() -> SqliteOnlineStore:
            opened.append(SqliteOnlineStore(path))
            return opened[-1]
    else:
        client = redis_client()
        prefix = f"steward-test-{uuid.uuid4().hex[:12]}"

        def factory() -> RedisOnlineStore:
            opened.append(RedisOnlineStore(REDIS_URL, prefix=prefix))
            return opened[-1]
    factory.kind = request.param  # type: ignore[attr-defined]
    yield factory
    for store in opened:
        store.close()
    if request.param == "redis":
        for key in redis_keys(client, prefix):
            client.unlink(key)
        client.close()


@pytest.fixture
def store(open_store):  # noqa: ANN001, ANN201
    return open_store()


def stored_generations(store) -> set[str]:  # noqa: ANN001
    """What the store holds for view 'wages': the generation tables or hashes."""
    if isinstance(store, SqliteOnlineStore):
        conn = sqlite3.connect(store.path)
        try:
            return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                               "AND name LIKE 'steward_fv__wages__%'")}
        finally:
            conn.close()
    return {k.decode() for k in redis_keys(store._client, store.prefix) if b":g" in k}


# --- round trips ------------------------------------------------------------------------------------
def test_values_round_trip_as_python_scalars(store) -> None:  # noqa: ANN001
    frame = pd.DataFrame({
        "occ10": [1, 2, 3],
        "ts": [day(0)] * 3,
        "i": np.array([7, -2, 2**40], dtype=np.int64),
        "f": [1.5, np.nan, -0.25],
        "s": ["a", None, "ü ✓"],
        "b": [True, False, True],
        "when": [day(1), pd.NaT, pd.Timestamp("2024-01-01 00:00:00.000001")],
        "aware": pd.to_datetime(["2024-05-01 10:00", "2024-05-01 11:00", None]).tz_localize("Europe/Paris"),
        "n": pd.array([1, None, 3], dtype="Int64"),
        "f32": np.array([0.5, np.nan, 2.0], dtype=np.float32),
        "obj": pd.Series([np.int32(4), np.float64("nan"), dt.date(2024, 1, 2)], dtype=object),
        "cat": pd.Categorical(["x", None, "y"]),
    })
    features = [c for c in frame.columns if c not in ("occ10", "ts")]
    view = FeatureView(name="mix", entity="occ10", timestamp="ts", features=features)
    assert store.write(view, frame) == 3
    one, two, three = store.get_many("mix", [1, 2, 3])
    assert one == {"i": 7, "f": 1.5, "s": "a", "b": True, "when": "2024-03-02T12:00:00",
                   "aware": "2024-05-01T10:00:00+02:00", "n": 1, "f32": 0.5, "obj": 4, "cat": "x"}
    assert two == {"i": -2, "f": None, "s": None, "b": False, "when": None, "aware": "2024-05-01T11:00:00+02:00",
                   "n": None, "f32": None, "obj": None, "cat": None}
    assert three["i"] == 2**40 and three["when"] == "2024-01-01T00:00:00.000001" and three["aware"] is None
    assert three["obj"] == "2024-01-02" and three["s"] == "ü ✓"
    for values in (one, two, three):
        for value in values.values():
            assert value is None or type(value) in (int, float, str, bool)
    assert store.features("mix") == features


def test_keys_in_any_form_find_the_entity(store) -> None:  # noqa: ANN001
    store.write(wages_view(), wages({5620: 1.0, 7: 2.0}))
    for key in (5620, 5620.0, np.int64(5620), "5620", np.float32(5620)):
        assert store.get("wages", key) == {"wage": 1.0, "grade": "g5620"}
    assert store.get("wages", 99) is None and store.get("wages", "5620.0") is None
    text_keys = pd.DataFrame({"occ10": ["a", "b"], "ts": [day(0)] * 2, "wage": [1.0, 2.0], "grade": ["x", "y"]})
    store.write(wages_view(), text_keys)
    assert store.get("wages", "b") == {"wage": 2.0, "grade": "y"}


def test_get_many_keeps_the_order_with_repeats_and_misses(store) -> None:  # noqa: ANN001
    store.write(wages_view(), wages({1: 1.0, 2: 2.0, 3: 3.0}))
    got = store.get_many("wages", [3, 99, 1, 3, "2"])
    assert [g and g["wage"] for g in got] == [3.0, None, 1.0, 3.0, 2.0]
    assert store.get_many("wages", []) == []
    assert store.get_many("wages", [98, 99]) == [None, None]


def test_unknown_views_and_the_list_of_views(store) -> None:  # noqa: ANN001
    assert store.views() == []
    with pytest.raises(NotFound, match="no view 'wages'; materialize it first"):
        store.get("wages", 1)
    with pytest.raises(NotFound, match="no view 'wages'"):
        store.get_many("wages", [1])
    with pytest.raises(NotFound, match="no view 'wages'"):
        store.features("wages")
    store.write(wages_view(name="zeta"), wages({1: 1.0}))
    store.write(wages_view(name="alpha"), wages({1: 1.0}))
    assert store.views() == ["alpha", "zeta"]


def test_an_empty_generation_is_a_view_without_entities(store) -> None:  # noqa: ANN001
    store.write(wages_view(), wages({1: 1.0}))
    assert store.write(wages_view(), wages({})) == 0
    assert store.views() == ["wages"] and store.get("wages", 1) is None


def test_bad_frames_are_refused_before_anything_is_written(store) -> None:  # noqa: ANN001
    store.write(wages_view(), wages({1: 1.0}))
    twice = pd.concat([wages({1: 2.0, 5: 5.0}), wages({1: 3.0, 5: 6.0})])
    with pytest.raises(InvalidInput, match="several rows for entity '1', '5'.*latest_per_entity"):
        store.write(wages_view(), twice)
    same_entity = pd.DataFrame({"occ10": [1, 1.0], "ts": [day(0)] * 2, "wage": [1.0, 2.0], "grade": ["a", "b"]})
    with pytest.raises(InvalidInput, match="several rows for entity '1'"):
        store.write(wages_view(), same_entity)
    with pytest.raises(InvalidInput, match=r"view 'wages' has 1 row\(s\) \(row positions 1\) without an entity key"):
        store.write(wages_view(), wages({1: 1.0, 2: 2.0}).astype({"occ10": float}).assign(occ10=[1.0, np.nan]))
    with pytest.raises(InvalidInput, match=r"view 'wages' has no column 'grade' \(feature\)"):
        store.write(wages_view(), wages({1: 1.0}).drop(columns="grade"))
    assert store.get("wages", 1) == {"wage": 1.0, "grade": "g1"}
    assert len(stored_generations(store)) == 1


# --- generations -------------------------------------------------------------------------------------
def test_a_write_replaces_the_whole_generation_and_frees_the_old(open_store) -> None:  # noqa: ANN001
    writer, reader = open_store(), open_store()
    writer.write(wages_view(), wages({1: 1.0, 2: 2.0}))
    assert reader.get("wages", 2) == {"wage": 2.0, "grade": "g2"}  # the reader caches generation 1
    first = stored_generations(writer)
    assert reader.get_views(["wages"], 1) == [{"wage": 1.0, "grade": "g1"}]
    writer.write(wages_view(), wages({1: 10.0, 3: 30.0}))
    assert reader.get_views(["wages"], 1) == [{"wage": 10.0, "grade": "g1"}]  # ... and finds generation 2
    assert reader.get("wages", 1) == {"wage": 10.0, "grade": "g1"}
    assert reader.get("wages", 2) is None  # gone with its generation, not merged
    assert reader.get_many("wages", [3, 2]) == [{"wage": 30.0, "grade": "g3"}, None]
    second = stored_generations(writer)
    assert len(first) == len(second) == 1 and first != second


class Boom(RuntimeError):
    pass


def failing_rows(module, monkeypatch: pytest.MonkeyPatch, after: int, during=None) -> None:  # noqa: ANN001
    """Make the store's row source raise after ``after`` rows, calling ``during()`` just before."""
    real = module.encoded_rows

    def encoded_rows(view, latest):  # noqa: ANN001, ANN202
        count, rows = real(view, latest)

        def broken():  # noqa: ANN202
            for i, row in enumerate(rows):
                if i == after:
                    if during is not None:
                        during()
                    raise Boom(f"injected failure after {after} rows")
                yield row
        return count, broken()

    monkeypatch.setattr(module, "encoded_rows", encoded_rows)


def test_a_failed_write_leaves_the_old_generation_whole(open_store, monkeypatch) -> None:  # noqa: ANN001
    writer, reader = open_store(), open_store()
    old = {k: float(k) for k in range(50)}
    writer.write(wages_view(), wages(old))
    before = stored_generations(writer)
    new = {k: -1.0 for k in range(25, 5_000)}  # overlaps the old keys and adds new ones
    seen_during: list = []

    def during() -> None:  # mid-write, from another connection: the old generation, whole
        seen_during.append(reader.get_many("wages", [0, 30, 4000]))
        seen_during.append(stored_generations(writer) - before)
        if open_store.kind == "redis":
            seen_during.append([writer._client.ttl(key) for key in seen_during[1]])

    module = online_sqlite if open_store.kind == "sqlite" else online_redis
    if open_store.kind == "redis":
        monkeypatch.setattr(online_redis, "BATCH_FIELDS", 100)  # many batches reach the server first
    failing_rows(module, monkeypatch, after=3_000, during=during)
    with pytest.raises(Boom):
        writer.write(wages_view(), wages(new))

    assert seen_during[0] == [{"wage": 0.0, "grade": "g0"}, {"wage": 30.0, "grade": "g30"}, None]
    if open_store.kind == "sqlite":
        assert seen_during[1] == set()  # the new table is invisible outside the writing transaction
    else:  # the half-written hash exists, unpointed, with an expiry
        assert len(seen_during[1]) == 1
        assert 0 < seen_during[2][0] <= online_redis.STAGING_EXPIRY_S
    for store in (writer, reader):
        assert store.get_many("wages", list(range(50))) == [{"wage": float(k), "grade": f"g{k}"} for k in range(50)]
        assert store.get("wages", 4000) is None
    assert stored_generations(writer) == before  # nothing of the failed generation remains
    monkeypatch.undo()
    writer.write(wages_view(), wages(new))  # and the next write works
    assert reader.get("wages", 4000) == {"wage": -1.0, "grade": "g4000"} and reader.get("wages", 0) is None
    assert len(stored_generations(writer)) == 1


def test_sqlite_failure_in_the_final_steps_rolls_back(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    store = SqliteOnlineStore(tmp_path / "online.db")
    store.write(wages_view(), wages({1: 1.0}))
    monkeypatch.setattr(online_sqlite, "POINTERS", "no_such_pointer_table")  # the pointer update fails
    with pytest.raises(sqlite3.OperationalError):
        store.write(wages_view(), wages({1: 2.0}))
    monkeypatch.undo()
    assert store.get("wages", 1) == {"wage": 1.0, "grade": "g1"}
    assert stored_generations(store) == {"steward_fv__wages__g1"}
    store.close()


def test_sqlite_store_persists_across_connections(tmp_path) -> None:  # noqa: ANN001
    with SqliteOnlineStore(tmp_path / "online.db") as store:
        store.write(wages_view(), wages({1: 1.0}))
    with SqliteOnlineStore(tmp_path / "online.db") as again:
        assert again.get("wages", 1) == {"wage": 1.0, "grade": "g1"} and again.views() == ["wages"]
        mode = sqlite3.connect(again.path).execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"


def test_redis_generation_is_persisted_on_flip_and_old_generation_unlinked() -> None:
    client = redis_client()
    prefix = f"steward-test-{uuid.uuid4().hex[:12]}"
    store = RedisOnlineStore(REDIS_URL, prefix=prefix)
    try:
        store.write(wages_view(), wages({1: 1.0}))
        store.write(wages_view(), wages({1: 2.0}))
        base = f"{prefix}:fv:wages"
        assert client.get(base + ":ptr") == b"2" and client.ttl(base + ":g2") == -1
        assert not client.exists(base + ":g1")
        assert redis_keys(client, prefix) == {f"{base}:{k}".encode() for k in ("g2", "ptr", "next", "meta")} | {
            f"{prefix}:views".encode()}
    finally:
        for key in redis_keys(client, prefix):
            client.unlink(key)
        store.close()


def test_redis_never_flips_back_to_an_older_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    client = redis_client()
    prefix = f"steward-test-{uuid.uuid4().hex[:12]}"
    slow, fast = RedisOnlineStore(REDIS_URL, prefix=prefix), RedisOnlineStore(REDIS_URL, prefix=prefix)
    try:
        slow.write(wages_view(), wages({1: 1.0}))
        monkeypatch.setattr(online_redis, "BATCH_FIELDS", 10)
        real = online_redis.encoded_rows

        def encoded_rows(view, latest):  # noqa: ANN001, ANN202 - a newer write lands mid-way
            count, rows = real(view, latest)

            def rows_with_a_newer_write():  # noqa: ANN202
                for i, row in enumerate(rows):
                    if i == 20:
                        monkeypatch.setattr(online_redis, "encoded_rows", real)
                        fast.write(wages_view(), wages({1: 3.0}))
                    yield row
            return count, rows_with_a_newer_write()

        monkeypatch.setattr(online_redis, "encoded_rows", encoded_rows)
        with pytest.raises(Conflict, match="a newer generation was written"):
            slow.write(wages_view(), wages({k: 2.0 for k in range(1, 100)}))
        assert slow.get("wages", 1) == {"wage": 3.0, "grade": "g1"} and slow.get("wages", 50) is None
        assert {k for k in redis_keys(client, prefix) if b":g" in k} == {f"{prefix}:fv:wages:g3".encode()}
    finally:
        for key in redis_keys(client, prefix):
            client.unlink(key)
        slow.close()
        fast.close()


def test_redis_unreachable_is_store_unavailable() -> None:
    from mlsteward.errors import StoreUnavailable

    with pytest.raises(StoreUnavailable, match="cannot reach Redis at redis://127.0.0.1:1/0"):
        RedisOnlineStore("redis://127.0.0.1:1/0")


# --- latest_per_entity, materialize, online_features ------------------------------------------------
def history() -> pd.DataFrame:
    return pd.DataFrame({
        "occ10": [1, 1, 1, 2, 2, "3", 3.0],
        "ts": [day(0), day(5), day(5), day(1), day(9), day(2), day(3)],
        "wage": [0.0, 5.0, 5.5, 1.0, 9.0, 2.0, 3.0],
        "grade": list("abcdefg"),
        "other": range(7),
    }, index=[10, 11, 12, 13, 14, 15, 16])


def test_latest_per_entity_newest_row_ties_to_the_last() -> None:
    latest = latest_per_entity(history(), wages_view())
    assert latest.columns.tolist() == ["occ10", "ts", "wage", "grade"]
    assert latest.index.tolist() == [12, 14, 16]  # frame order kept; "3" and 3.0 are one entity
    assert latest["wage"].tolist() == [5.5, 9.0, 3.0]


def test_latest_per_entity_as_of_and_ttl() -> None:
    latest = latest_per_entity(history(), wages_view(), as_of=day(4))
    assert latest["wage"].tolist() == [0.0, 1.0, 3.0]
    ttl = latest_per_entity(history(), wages_view(ttl_days=2), as_of=day(4))
    assert ttl["wage"].tolist() == [3.0]  # entity 1 (4 days old) and 2 (3 days) expired
    exact = latest_per_entity(history(), wages_view(ttl_days=1), as_of="2024-03-05 12:00")
    assert exact["wage"].tolist() == [3.0]  # age exactly 1 day is kept
    assert latest_per_entity(history(), wages_view(ttl_days=1))["wage"].tolist() == [5.5, 9.0, 3.0]  # no as_of
    assert latest_per_entity(history(), wages_view(), as_of=day(-1)).empty


def test_latest_per_entity_refusals() -> None:
    with pytest.raises(InvalidInput, match="as_of 2024-03-05 00:00:00\\+00:00 is time-zone aware but view 'wages' "
                                           "column 'ts' is naive"):
        latest_per_entity(history(), wages_view(), as_of=pd.Timestamp("2024-03-05", tz="UTC"))
    with pytest.raises(InvalidInput, match="as_of 'soon' is not a readable timestamp"):
        latest_per_entity(history(), wages_view(), as_of="soon")
    with pytest.raises(InvalidInput, match=r"view 'wages' has no column 'ts' \(timestamp column\)"):
        latest_per_entity(history().drop(columns="ts"), wages_view())
    with pytest.raises(InvalidInput, match=r"row positions 2\) without an entity key"):
        latest_per_entity(history().assign(occ10=[1, 2, None, 4, 5, 6, 7]), wages_view())
    aware = history().assign(ts=history()["ts"].dt.tz_localize("UTC"))
    assert len(latest_per_entity(aware, wages_view(), as_of="2024-03-05T00:00:00+01:00")) == 3


def test_materialize_then_online_features(store) -> None:  # noqa: ANN001
    assert materialize(wages_view(), history(), store) == 3
    assert store.get("wages", 3) == {"wage": 3.0, "grade": "g"}
    ages = FeatureView(name="ages", entity="occ10", timestamp="ts", features=["age", "grade"])
    materialize(ages, pd.DataFrame({"occ10": [1], "ts": [day(0)], "age": [40], "grade": ["x"]}), store)
    with pytest.raises(InvalidInput, match="'grade' is in both view 'wages' and view 'ages'"):
        online_features(store, 1, ["wages", "ages"])
    merged = online_features(store, 2, ["wages", "ages"], full_names=True)
    assert merged == {"wages__wage": 9.0, "wages__grade": "e", "ages__age": None, "ages__grade": None}
    assert online_features(store, "1", ["ages"]) == {"age": 40, "grade": "x"}
    with pytest.raises(NotFound):
        online_features(store, 1, ["nope"])
    with pytest.raises(InvalidInput, match="views must be a list"):
        online_features(store, 1, "wages")  # type: ignore[arg-type]


def test_get_views_reads_one_entity_from_several_views(store) -> None:  # noqa: ANN001
    store.write(wages_view(), wages({1: 1.0, 2: 2.0}))
    store.write(wages_view(name="other"), wages({2: 20.0}))
    assert store.get_views(["wages", "other"], 2) == [{"wage": 2.0, "grade": "g2"}, {"wage": 20.0, "grade": "g2"}]
    assert store.get_views(["other", "wages"], 1.0) == [None, {"wage": 1.0, "grade": "g1"}]
    assert store.get_views([], 1) == []
    with pytest.raises(NotFound, match="no view 'nope'"):
        store.get_views(["wages", "nope"], 1)
