"""historical_features: point-in-time correctness (planted future values, a brute-force reference),
output shape, name clashes and every refused input, with its message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlsteward.errors import InvalidInput
from mlsteward.featurestore import FeatureView, entity_key, historical_features

FUTURE = -999.0  # planted in rows dated after the label: must never appear
T = pd.Timestamp("2024-03-01 12:00")


def day(n: float) -> pd.Timestamp:
    return T + pd.Timedelta(days=n)


def wages_view(**changes: object) -> FeatureView:
    return FeatureView(**(dict(name="wages", entity="occ10", timestamp="ts", features=["wage"]) | changes))


# --- a reference: one label row at a time, every view row looked at --------------------------------
def brute_force(labels: pd.DataFrame, views: list[tuple[FeatureView, pd.DataFrame]], timestamp: str) -> dict:
    out: dict[str, list] = {f: [] for view, _ in views for f in view.features}
    rows = {view.name: [(entity_key(r[view.entity]), pd.Timestamp(r[view.timestamp]), r)
                        for r in frame.to_dict("records")] for view, frame in views}
    for label in labels.to_dict("records"):
        when = pd.Timestamp(label[timestamp])
        for view, _ in views:
            ttl = None if view.ttl_days is None else pd.Timedelta(days=view.ttl_days)
            best = None
            for key, event, row in rows[view.name]:
                if key != entity_key(label[view.entity]) or event > when:
                    continue
                if ttl is not None and when - event > ttl:
                    continue
                if best is None or event >= best[0]:
                    best = (event, row)  # ">=": of equal times, the later row in the frame wins
            for f in view.features:
                out[f].append(np.nan if best is None else best[1][f])
    return out


def assert_matches_reference(result: pd.DataFrame, labels: pd.DataFrame, views: list, timestamp: str) -> None:
    expected = brute_force(labels, views, timestamp)
    for feature, values in expected.items():
        got = result[feature].to_numpy(dtype=float, na_value=np.nan)
        np.testing.assert_array_equal(got, np.array(values, dtype=float), err_msg=feature)


# --- planted future values ---------------------------------------------------------------------------
def test_never_a_value_from_after_the_label_time() -> None:
    labels = pd.DataFrame({"occ10": [1, 1, 2, 3], "when": [day(10), day(20), day(10), day(5)]})
    wages = pd.DataFrame({
        "occ10": [1, 1, 1, 1, 2, 2, 3],
        "ts": [day(1), day(10), day(10, ) + pd.Timedelta(microseconds=1), day(15), day(3), day(11), day(6)],
        "wage": [1.0, 10.0, FUTURE, 15.0, 3.0, FUTURE, FUTURE],
    })
    out = historical_features(labels, [(wages_view(), wages)], timestamp="when")
    assert FUTURE not in out["wage"].tolist()
    # an exact-time row counts (day 10 -> 10.0), one microsecond later does not; the newest past row wins
    assert out["wage"].tolist()[:3] == [10.0, 15.0, 3.0]
    assert np.isnan(out["wage"].iloc[3])  # its only row is one day in the future


def test_ttl_expiry_at_the_label_time() -> None:
    labels = pd.DataFrame({"occ10": [1, 1, 1, 2],
                           "when": [day(10), day(12), day(12) + pd.Timedelta(seconds=1), day(4)]})
    wages = pd.DataFrame({"occ10": [1, 1, 2], "ts": [day(9), day(10), day(30)], "wage": [9.0, 10.0, FUTURE]})
    out = historical_features(labels, [(wages_view(ttl_days=2), wages)], timestamp="when")
    # day 10: age 0; day 12: age exactly 2 days (kept); a second later: expired, and the older row too
    assert out["wage"].iloc[:2].tolist() == [10.0, 10.0]
    assert out["wage"].isna().tolist() == [False, False, True, True]


def test_fractional_ttl_and_no_ttl() -> None:
    labels = pd.DataFrame({"occ10": [1], "when": [day(1)]})
    wages = pd.DataFrame({"occ10": [1], "ts": [day(0.4)], "wage": [4.0]})
    assert historical_features(labels, [(wages_view(ttl_days=0.5), wages)], timestamp="when")["wage"].isna().all()
    assert historical_features(labels, [(wages_view(ttl_days=0.75), wages)], timestamp="when")["wage"].iloc[0] == 4.0
    assert historical_features(labels, [(wages_view(), wages)], timestamp="when")["wage"].iloc[0] == 4.0


def test_equal_event_times_the_last_row_in_the_frame_wins() -> None:
    labels = pd.DataFrame({"occ10": [1], "when": [day(5)]})
    wages = pd.DataFrame({"occ10": [1, 1, 1], "ts": [day(2), day(2), day(1)], "wage": [1.0, 2.0, 0.0]})
    assert historical_features(labels, [(wages_view(), wages)], timestamp="when")["wage"].iloc[0] == 2.0


# --- the brute-force reference on random data --------------------------------------------------------
def random_case(rng: np.random.Generator, n_labels: int, n_rows: int, n_keys: int, key_kind: str) -> tuple:
    def keys(size: int, kind: str) -> object:
        raw = rng.integers(0, n_keys, size)
        return {"int": raw, "float": raw.astype(float), "str": raw.astype(str)}[kind]

    def times(size: int) -> np.ndarray:  # few distinct times: many exact matches and ties
        return (T + pd.to_timedelta(rng.integers(0, 40, size), unit="h")).to_numpy()

    labels = pd.DataFrame({"occ10": keys(n_labels, "int" if key_kind == "mixed" else key_kind),
                           "sex": keys(n_labels, "str"), "when": times(n_labels)},
                          index=rng.permutation(n_labels) * 3)
    views = []
    for i, (entity, ttl) in enumerate([("occ10", None), ("occ10", 0.5), ("sex", 1.0)]):
        kind = "float" if key_kind == "mixed" and entity == "occ10" else ("str" if entity == "sex" else key_kind)
        frame = pd.DataFrame({entity: keys(n_rows, kind), "ts": times(n_rows),
                              f"x{i}": rng.normal(size=n_rows), f"n{i}": rng.integers(0, 100, n_rows)})
        views.append((FeatureView(name=f"v{i}", entity=entity, timestamp="ts", features=[f"x{i}", f"n{i}"],
                                  ttl_days=ttl), frame))
    return labels, views


@pytest.mark.parametrize("key_kind", ["int", "float", "str", "mixed"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_brute_force_on_seeded_random_data(seed: int, key_kind: str) -> None:
    rng = np.random.default_rng(seed)
    labels, views = random_case(rng, n_labels=150, n_rows=200, n_keys=8, key_kind=key_kind)
    out = historical_features(labels, views, timestamp="when")
    assert out.index.equals(labels.index)
    pd.testing.assert_frame_equal(out[labels.columns], labels)
    assert_matches_reference(out, labels, views, "when")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    label_rows=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 30)), max_size=25),
    view_rows=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 30), st.floats(-1e6, 1e6)), max_size=30),
    ttl_hours=st.one_of(st.none(), st.integers(1, 20)),
)
def test_matches_brute_force_hypothesis(label_rows: list, view_rows: list, ttl_hours: int | None) -> None:
    labels = pd.DataFrame({"occ10": pd.Series([k for k, _ in label_rows], dtype="int64"),
                           "when": pd.Series([T + pd.Timedelta(hours=h) for _, h in label_rows],
                                             dtype="datetime64[us]")})
    frame = pd.DataFrame({"occ10": pd.Series([k for k, _, _ in view_rows], dtype="float64"),
                          "ts": pd.Series([T + pd.Timedelta(hours=h) for _, h, _ in view_rows], dtype="datetime64[us]"),
                          "wage": pd.Series([v for _, _, v in view_rows], dtype="float64")})
    view = wages_view(ttl_days=None if ttl_hours is None else ttl_hours / 24)
    out = historical_features(labels, [(view, frame)], timestamp="when")
    assert len(out) == len(labels)
    assert_matches_reference(out, labels, [(view, frame)], "when")


# --- the output ------------------------------------------------------------------------------------
def test_original_order_index_and_columns_are_kept() -> None:
    labels = pd.DataFrame({"id": ["c", "a", "b", "d"], "occ10": [2, 1, 2, 1],
                           "when": [day(9), day(1), day(3), day(9)]}, index=[7, 7, 3, 0])
    wages = pd.DataFrame({"occ10": [1, 2, 2], "ts": [day(0), day(2), day(8)], "wage": [1.0, 2.0, 8.0],
                          "grade": ["x", "y", "z"], "n": [1, 2, 3]})
    view = wages_view(features=["wage", "grade", "n"])
    out = historical_features(labels, [(view, wages)], timestamp="when")
    assert out.index.tolist() == [7, 7, 3, 0]
    assert out.columns.tolist() == ["id", "occ10", "when", "wage", "grade", "n"]
    assert out["id"].tolist() == ["c", "a", "b", "d"]
    assert out["wage"].tolist() == [8.0, 1.0, 2.0, 1.0]
    assert out["grade"].tolist() == ["z", "x", "y", "x"]
    assert out["n"].dtype == np.int64  # nothing missing: the dtype is kept


def test_missing_values_widen_dtypes_like_a_left_join() -> None:
    labels = pd.DataFrame({"occ10": [1, 2], "when": [day(1), day(1)]})
    wages = pd.DataFrame({"occ10": [1], "ts": [day(0)], "n": [5], "ok": [True], "s": ["a"],
                          "at": [day(-1)]})
    out = historical_features(labels, [(wages_view(features=["n", "ok", "s", "at"]), wages)], timestamp="when")
    assert out["n"].dtype == np.float64 and out["n"].iloc[0] == 5 and np.isnan(out["n"].iloc[1])
    assert out["ok"].iloc[0] is True or out["ok"].iloc[0] == True  # noqa: E712
    assert pd.isna(out["ok"].iloc[1]) and pd.isna(out["s"].iloc[1]) and out["s"].iloc[0] == "a"
    assert out["at"].iloc[0] == day(-1) and pd.isna(out["at"].iloc[1])


def test_empty_labels_and_empty_views() -> None:
    view = wages_view()
    empty_labels = pd.DataFrame({"occ10": pd.Series([], dtype=int), "when": pd.Series([], dtype="datetime64[ns]")})
    wages = pd.DataFrame({"occ10": [1], "ts": [day(0)], "wage": [1.0]})
    out = historical_features(empty_labels, [(view, wages)], timestamp="when")
    assert out.columns.tolist() == ["occ10", "when", "wage"] and len(out) == 0
    labels = pd.DataFrame({"occ10": [1], "when": [day(1)]})
    out = historical_features(labels, [(view, wages.iloc[:0])], timestamp="when")
    assert out["wage"].isna().all()
    assert historical_features(labels, [], timestamp="when").equals(labels)


def test_keys_join_across_int_float_and_text() -> None:
    labels = pd.DataFrame({"occ10": [5620, 7, 3], "when": [day(1)] * 3})
    as_float = pd.DataFrame({"occ10": [5620.0, 7.5, 3.0], "ts": [day(0)] * 3, "wage": [1.0, 2.0, 3.0]})
    out = historical_features(labels, [(wages_view(), as_float)], timestamp="when")
    assert out["wage"].tolist()[::2] == [1.0, 3.0] and np.isnan(out["wage"].iloc[1])  # 7 != 7.5
    as_text = pd.DataFrame({"occ10": ["5620", "7", "3.0"], "ts": [day(0)] * 3, "wage": [1.0, 2.0, 3.0]})
    out = historical_features(labels, [(wages_view(), as_text)], timestamp="when")
    assert out["wage"].tolist()[:2] == [1.0, 2.0] and np.isnan(out["wage"].iloc[2])  # "3.0" is text, not 3
    labels_text = labels.assign(occ10=["5620", "7", "3"])
    out = historical_features(labels_text, [(wages_view(), as_float)], timestamp="when")
    assert out["wage"].tolist()[::2] == [1.0, 3.0]
    nullable = labels.assign(occ10=pd.array([5620, 7, 3], dtype="Int64"))
    assert historical_features(nullable, [(wages_view(), as_float)], timestamp="when")["wage"].iloc[0] == 1.0


def test_text_timestamps_are_parsed_and_zones_compared_as_instants() -> None:
    labels = pd.DataFrame({"occ10": [1, 1], "when": ["2024-03-02T00:00:00+01:00", "2024-03-01T23:30:00+01:00"]})
    utc = pd.to_datetime(["2024-03-01 22:45", "2024-03-01 23:00"]).tz_localize("UTC")
    wages = pd.DataFrame({"occ10": [1, 1], "ts": utc,
                          "wage": [1.0, 2.0]})
    out = historical_features(labels, [(wages_view(), wages)], timestamp="when")
    # 00:00+01:00 is 23:00 UTC (exact match: 2.0); 23:30+01:00 is 22:30 UTC (before both: missing)
    assert out["wage"].iloc[0] == 2.0 and np.isnan(out["wage"].iloc[1])
    assert out["when"].tolist() == labels["when"].tolist()  # the label columns are returned as given
    naive = pd.DataFrame({"occ10": [1], "when": ["2024-03-02"]})
    plain = wages.assign(ts=wages["ts"].dt.tz_localize(None))
    assert historical_features(naive, [(wages_view(), plain)], timestamp="when")["wage"].iloc[0] == 2.0


def test_different_time_units_are_compared_exactly() -> None:
    labels = pd.DataFrame({"occ10": [1, 1], "when": pd.Series([day(1), day(1) - pd.Timedelta(nanoseconds=1)],
                                                              dtype="datetime64[ns]")})
    wages = pd.DataFrame({"occ10": [1], "ts": pd.Series([day(1)], dtype="datetime64[s]"), "wage": [1.0]})
    out = historical_features(labels, [(wages_view(), wages)], timestamp="when")
    assert out["wage"].iloc[0] == 1.0 and np.isnan(out["wage"].iloc[1])


# --- names -------------------------------------------------------------------------------------------
def test_a_feature_in_two_views_is_refused_naming_both_unless_full_names() -> None:
    labels = pd.DataFrame({"occ10": [1], "when": [day(1)]})
    a = pd.DataFrame({"occ10": [1], "ts": [day(0)], "wage": [1.0]})
    b = a.assign(wage=2.0)
    views = [(wages_view(name="gss"), a), (wages_view(name="census"), b)]
    with pytest.raises(InvalidInput, match="'wage' is in both view 'gss' and view 'census'.*full_names=True"):
        historical_features(labels, views, timestamp="when")
    out = historical_features(labels, views, timestamp="when", full_names=True)
    assert out.columns.tolist() == ["occ10", "when", "gss__wage", "census__wage"]
    assert out[["gss__wage", "census__wage"]].iloc[0].tolist() == [1.0, 2.0]


def test_a_feature_named_like_a_label_column_is_refused() -> None:
    labels = pd.DataFrame({"occ10": [1], "when": [day(1)], "wage": [0.0]})
    wages = pd.DataFrame({"occ10": [1], "ts": [day(0)], "wage": [1.0]})
    with pytest.raises(InvalidInput, match="feature 'wage' of view 'wages' clashes with the labels' column"):
        historical_features(labels, [(wages_view(), wages)], timestamp="when")
    out = historical_features(labels, [(wages_view(), wages)], timestamp="when", full_names=True)
    assert out["wages__wage"].iloc[0] == 1.0


def test_a_view_given_twice_and_bad_pairs_are_refused() -> None:
    labels = pd.DataFrame({"occ10": [1], "when": [day(1)]})
    wages = pd.DataFrame({"occ10": [1], "ts": [day(0)], "wage": [1.0]})
    with pytest.raises(InvalidInput, match="view 'wages' is given twice"):
        historical_features(labels, [(wages_view(), wages), (wages_view(), wages)], timestamp="when")
    with pytest.raises(InvalidInput, match=r"views\[0\] must be a \(FeatureView, DataFrame\) pair"):
        historical_features(labels, [wages], timestamp="when")  # type: ignore[list-item]


# --- refused inputs --------------------------------------------------------------------------------
def test_missing_columns_name_the_frame_and_the_column() -> None:
    labels = pd.DataFrame({"occ10": [1], "when": [day(1)]})
    wages = pd.DataFrame({"occ10": [1], "ts": [day(0)], "wage": [1.0]})
    with pytest.raises(InvalidInput, match=r"labels has no column 'time' \(the label timestamp column\)"):
        historical_features(labels, [(wages_view(), wages)], timestamp="time")
    with pytest.raises(InvalidInput, match=r"labels has no column 'occ' \(entity column of view 'wages'\)"):
        historical_features(labels, [(wages_view(entity="occ"), wages.rename(columns={"occ10": "occ"}))],
                            timestamp="when")
    with pytest.raises(InvalidInput, match=r"view 'wages' has no column 'ts' \(timestamp column\)"):
        historical_features(labels, [(wages_view(), wages.drop(columns="ts"))], timestamp="when")
    with pytest.raises(InvalidInput, match=r"view 'wages' has no column 'wage' \(feature\), 'bonus' \(feature\)"):
        historical_features(labels, [(wages_view(features=["wage", "bonus"]), wages.drop(columns="wage"))],
                            timestamp="when")
    with pytest.raises(InvalidInput, match="labels must be a pandas DataFrame"):
        historical_features({"occ10": [1]}, [(wages_view(), wages)], timestamp="when")  # type: ignore[arg-type]


def test_null_entity_keys_name_the_frame_and_the_rows() -> None:
    labels = pd.DataFrame({"occ10": [1, None, 3, None], "when": [day(1)] * 4})
    wages = pd.DataFrame({"occ10": [1, 2], "ts": [day(0)] * 2, "wage": [1.0, 2.0]})
    with pytest.raises(InvalidInput, match=r"labels has 2 row\(s\) \(row positions 1, 3\) without an entity key "
                                           r"in column 'occ10'"):
        historical_features(labels, [(wages_view(), wages)], timestamp="when")
    many = pd.DataFrame({"occ10": [None] * 8 + ["a"], "ts": [day(0)] * 9, "wage": [0.0] * 9})
    with pytest.raises(InvalidInput, match=r"view 'wages' has 8 row\(s\) \(row positions 0, 1, 2, 3, 4 and 3 more\)"):
        historical_features(labels.dropna(), [(wages_view(), many)], timestamp="when")


def test_missing_timestamps_are_refused() -> None:
    labels = pd.DataFrame({"occ10": [1, 2], "when": [day(1), pd.NaT]})
    wages = pd.DataFrame({"occ10": [1], "ts": [day(0)], "wage": [1.0]})
    with pytest.raises(InvalidInput, match=r"labels has 1 row\(s\) \(row positions 1\) without a timestamp in "
                                           r"column 'when'"):
        historical_features(labels, [(wages_view(), wages)], timestamp="when")


def test_aware_and_naive_timestamps_across_frames_are_refused() -> None:
    labels = pd.DataFrame({"occ10": [1], "when": [day(1)]})
    wages = pd.DataFrame({"occ10": [1], "ts": [day(0).tz_localize("Europe/Paris")], "wage": [1.0]})
    with pytest.raises(InvalidInput, match=r"timestamps mix time zones: view 'wages' column 'ts' is time-zone "
                                           r"aware \(Europe/Paris\) but labels column 'when' is naive"):
        historical_features(labels, [(wages_view(), wages)], timestamp="when")
    text_aware = labels.assign(when=["2024-03-02T00:00:00Z"])
    with pytest.raises(InvalidInput, match="labels column 'when' is time-zone aware"):
        historical_features(text_aware, [(wages_view(), wages.assign(ts=[day(0)]))], timestamp="when")


def test_several_utc_offsets_in_one_column_are_refused() -> None:
    labels = pd.DataFrame({"occ10": [1, 1], "when": ["2024-03-02T00:00:00+01:00", "2024-06-02T00:00:00+02:00"]})
    wages = pd.DataFrame({"occ10": [1], "ts": [day(0).tz_localize("UTC")], "wage": [1.0]})
    with pytest.raises(InvalidInput, match=r"labels: timestamp column 'when' mixes time zones \(UTC offsets "
                                           r"1:00:00, 2:00:00\).*utc=True"):
        historical_features(labels, [(wages_view(), wages)], timestamp="when")
    mixed = pd.DataFrame({"occ10": [1, 1], "ts": pd.Series([day(0).tz_localize("UTC").to_pydatetime(),
                                                            day(0).to_pydatetime()], dtype=object),
                          "wage": [1.0, 2.0]})
    with pytest.raises(InvalidInput, match=r"view 'wages': timestamp column 'ts' mixes time zones.*naive"):
        historical_features(labels.iloc[:1], [(wages_view(), mixed)], timestamp="when")


def test_unreadable_and_numeric_timestamps_are_refused() -> None:
    labels = pd.DataFrame({"occ10": [1, 1], "when": ["2024-03-02", "yesterday-ish"]})
    wages = pd.DataFrame({"occ10": [1], "ts": [day(0)], "wage": [1.0]})
    with pytest.raises(InvalidInput, match="labels: timestamp column 'when' holds a value that is not a timestamp: "
                                           "'yesterday-ish'"):
        historical_features(labels, [(wages_view(), wages)], timestamp="when")
    with pytest.raises(InvalidInput, match=r"view 'wages': timestamp column 'ts' holds int64 values.*unit='s'"):
        historical_features(labels.iloc[:1], [(wages_view(), wages.assign(ts=[1_700_000_000]))], timestamp="when")


def test_boolean_keys_are_refused() -> None:
    labels = pd.DataFrame({"occ10": [True], "when": [day(1)]})
    wages = pd.DataFrame({"occ10": ["1"], "ts": [day(0)], "wage": [1.0]})
    with pytest.raises(InvalidInput, match="labels: entity column 'occ10' holds booleans"):
        historical_features(labels, [(wages_view(), wages)], timestamp="when")
