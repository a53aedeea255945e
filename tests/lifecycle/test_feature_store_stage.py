"""The feature store on the bundled real data: views over registered datasets, a point-in-time training
set checked against an independent computation, and identical features through every path."""

from __future__ import annotations

import socket
import uuid

import numpy as np
import pandas as pd
import pytest
import yaml

from mlsteward.datasets import gss_label_events, gss_occupation_history, gss_wages_with_target
from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.datasets import add_dataset, load_dataset
from mlsteward.lifecycle.feature_store import (
    batch_features,
    materialize_views,
    open_online_store,
    serve_features,
    training_set,
    view_named,
)
from mlsteward.lifecycle.features import fit_features, load_feature_set
from mlsteward.spec import Spec
from mlsteward.workspace import Workspace

SPEC = """
project: wages
charter: {problem: p, decision: d, prediction_target: t}
data: {target: high_income}
features:
  views:
    - name: occupation
      entity: occ10
      timestamp: as_of
      features: [occupation_respondents, occupation_high_income_rate]
      source: occupation_history
  definitions:
    - {name: occupation_rate, transform: impute, inputs: [occupation_high_income_rate]}
    - {name: occupation_size, transform: log, inputs: [occupation_respondents]}
    - {name: prestige, transform: impute, inputs: [prestg10]}
    - {name: education, transform: one_hot, inputs: [educcat]}
    - {name: prestige_per_child, transform: ratio, inputs: [prestige, childs]}
"""


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), 1).close()
        return True
    except OSError:
        return False


def _spec(online_store: str = "") -> Spec:
    text = SPEC + (f"  online_store: {online_store}\n" if online_store else "")
    return Spec.model_validate(yaml.safe_load(text))


@pytest.fixture
def registered(workspace: Workspace) -> Workspace:
    add_dataset(workspace, gss_label_events(), name="respondents")
    add_dataset(workspace, gss_occupation_history(), name="occupation_history")
    return workspace


def test_the_training_set_never_sees_a_later_survey(registered: Workspace) -> None:
    version, created, notes = training_set(registered, _spec(), "respondents@1", ["occupation"],
                                           timestamp="interviewed_at")
    assert created and version.parents == ["occupation_history@1", "respondents@1"]
    assert "point-in-time join of respondents@1" in version.transformation
    assert notes and "have no entity key" in notes[0]
    joined = load_dataset(registered, version.ref)
    # independent: for each occupation and year, the share of high earners in the EARLIER surveys only
    gss = gss_wages_with_target().dropna(subset=["occ10"])
    expected = {}
    for occ, rows in gss.groupby("occ10"):
        for year in rows["year"].unique():
            before = rows[rows["year"] < year]["high_income"]
            expected[(occ, year)] = (len(before), before.mean() if len(before) else np.nan)
    keyed = joined.dropna(subset=["occ10"])
    got = list(zip(keyed["occupation_respondents"].fillna(0).astype(int), keyed["occupation_high_income_rate"]))
    want = [expected[(o, y)] for o, y in zip(keyed["occ10"], keyed["year"], strict=True)]
    assert [g[0] for g in got] == [w[0] for w in want]
    np.testing.assert_allclose([g[1] for g in got], [w[1] for w in want], rtol=1e-12)  # NaN where no history
    assert joined["occupation_high_income_rate"][joined["occ10"].isna()].isna().all()
    assert len(joined) == len(gss_label_events())


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_the_same_rows_give_identical_features_through_every_path(registered: Workspace, tmp_path, backend) -> None:  # noqa: ANN001
    if backend == "redis" and not _redis_up():
        pytest.fail("Redis is not running on 127.0.0.1:6379 (.ci/run starts it)")
    online = (f"{{kind: redis, url: 'redis://127.0.0.1:6379/0', prefix: 'test-{uuid.uuid4().hex[:8]}'}}"
              if backend == "redis" else "")
    spec = _spec(online)
    version, _, _ = training_set(registered, spec, "respondents@1", ["occupation"], timestamp="interviewed_at")
    joined = load_dataset(registered, version.ref)
    train = add_dataset(registered, joined[joined["year"] < 2018], name="train")[0]
    fitted = fit_features(registered, spec, train.ref)
    feature_set, _ = load_feature_set(registered, fitted.feature_set)

    # the rows: the 2018 survey, whose point-in-time view values are the latest ones as of July 2018
    rows = joined[(joined["year"] == 2018) & joined["occ10"].notna()].head(300).reset_index(drop=True)
    training_path = feature_set.transform(rows)
    raw = rows.drop(columns=["occupation_respondents", "occupation_high_income_rate"])
    raw.to_parquet(tmp_path / "rows.parquet")
    batch_features(registered, spec, feature_set, tmp_path / "rows.parquet", tmp_path / "features.parquet",
                   views=["occupation"], timestamp="interviewed_at", batch_rows=64)
    batch_path = pd.read_parquet(tmp_path / "features.parquet")
    materialize_views(registered, spec, as_of="2018-07-01T00:00:00Z")
    store = open_online_store(registered, spec.features.online_store)
    try:
        view = [view_named(spec, "occupation")]
        online_path = pd.concat([serve_features(feature_set, store, record, view)
                                 for record in raw.to_dict(orient="records")], ignore_index=True)
    finally:
        if backend == "redis":
            import redis

            client = redis.Redis.from_url(spec.features.online_store.url)
            for key in client.scan_iter(f"{spec.features.online_store.prefix}*"):
                client.delete(key)
        store.close()
    pd.testing.assert_frame_equal(batch_path, training_path, check_exact=True)
    pd.testing.assert_frame_equal(online_path, training_path, check_exact=True)
    assert training_path["occupation_rate"].notna().all()


def test_materialize_checks_every_view_before_writing(registered: Workspace) -> None:
    text = SPEC.replace("      source: occupation_history",
                        "      source: occupation_history\n"
                        "    - {name: broken, entity: occ10, timestamp: as_of, features: [nope], source: occupation_history}")
    spec = Spec.model_validate(yaml.safe_load(text))
    with pytest.raises(InvalidInput, match="nope"):
        materialize_views(registered, spec)
    store = open_online_store(registered, spec.features.online_store)
    assert store.views() == []  # the good view was not written either
    store.close()
    done = materialize_views(registered, spec, ["occupation"])
    assert done[0].entities == gss_occupation_history()["occ10"].nunique()
