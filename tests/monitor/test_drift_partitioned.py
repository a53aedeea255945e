"""Drift over partitioned Parquet logs: the local engine is ``dataset_drift`` of the stacked partitions, and
the Ray engine (one task per partition, merged partial results) gives exactly the same result, field for field,
with and without a planted shift and on awkward partitions (text in a numeric column, infinities, a column a
partition lacks, categories new in the current data, a constant reference)."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from mlsteward.datasets import gss_label_events
from mlsteward.errors import InvalidInput
from mlsteward.monitor import dataset_drift
from mlsteward.monitor.drift_tests import normed_wasserstein
from mlsteward.monitor.partitioned import drift_over_partitions, summarise

FEATURES = ["age", "occ10", "occrecode", "prestg10", "childs", "wrkstat", "gender", "educcat", "maritalcat"]
RENAME = {f"input.{c}": c for c in FEATURES}
OPTIONS = {"prediction": "prediction", "target": "high_income"}


def as_log(rows: pd.DataFrame, first_id: int) -> pd.DataFrame:
    """Rows as the prediction log writes them: request ids, ``input.<column>``, the prediction; no labels."""
    log = rows[FEATURES].rename(columns={c: f"input.{c}" for c in FEATURES}).reset_index(drop=True)
    log.insert(0, "request_id", [f"r{first_id + i}" for i in range(len(log))])
    log["prediction"] = rows["prediction"].to_numpy()
    return log


@pytest.fixture(scope="module")
def gss() -> dict[str, Any]:
    """Survey years 2000-2010 split at random into a reference half and a current half (no drift between them)."""
    events = gss_label_events()
    rows = events[events["year"].between(2000, 2010)].reset_index(drop=True)
    rows["prediction"] = (rows["prestg10"] >= 45).astype("int64")  # a fixed rule standing in for a model
    order = np.random.default_rng(0).permutation(len(rows))
    half = len(rows) // 2
    reference = rows.iloc[np.sort(order[:half])][[*FEATURES, "prediction", "high_income"]].reset_index(drop=True)
    current = rows.iloc[np.sort(order[half:])].reset_index(drop=True)
    return {"reference": reference, "current": current}


def write_partitions(current: pd.DataFrame, folder: Path, count: int = 4) -> list[Path]:
    folder.mkdir()
    paths = []
    for i, chunk in enumerate(np.array_split(np.arange(len(current)), count)):
        path = folder / f"segment-{i:03d}.parquet"
        as_log(current.iloc[chunk], int(chunk[0])).to_parquet(path, index=False)
        paths.append(path)
    return paths


def planted(current: pd.DataFrame) -> pd.DataFrame:
    """The current half with older respondents, fewer children and a work status unseen in the reference."""
    shifted = current.copy()
    shifted["age"] = shifted["age"] + 12
    shifted["childs"] = (shifted["childs"] - 1).clip(lower=0)
    wrkstat = shifted["wrkstat"].astype(object)
    shifted["wrkstat"] = wrkstat.where(np.arange(len(wrkstat)) % 4 != 0, "Gig Work")
    return shifted


@pytest.fixture(scope="module")
def cluster():
    """One small local Ray for the module; drift_over_partitions uses it as it finds it (and leaves it running)."""
    ray = pytest.importorskip("ray")
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    if started:
        ray.shutdown()


# --- the local engine -------------------------------------------------------------------------------


def test_local_engine_is_dataset_drift_of_the_stacked_partitions(gss: dict, tmp_path: Path) -> None:
    paths = write_partitions(gss["current"], tmp_path / "logs")
    result = drift_over_partitions(gss["reference"], paths, rename=RENAME, **OPTIONS)
    stacked = gss["current"][[*FEATURES, "prediction"]]  # the rows as they were before logging
    assert result.model_dump() == dataset_drift(gss["reference"], stacked, **OPTIONS).model_dump()
    assert result.current_rows == len(gss["current"]) and result.tested_count == len(FEATURES)
    assert not result.drifted and result.drifted_columns() == []
    assert result.prediction is not None and not result.prediction.drifted
    assert result.target is None
    assert [s.column for s in result.skipped] == ["high_income"]  # labels have not arrived


# --- the Ray engine equals the local engine ---------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("shift", [False, True])
def test_ray_engine_equals_the_local_engine_on_gss(gss: dict, cluster: Any, tmp_path: Path, shift: bool) -> None:
    current = planted(gss["current"]) if shift else gss["current"]
    paths = write_partitions(current, tmp_path / "logs")
    options = {**OPTIONS, "correction": "benjamini_hochberg"} if shift else OPTIONS
    local = drift_over_partitions(gss["reference"], paths, rename=RENAME, **options)
    on_ray = drift_over_partitions(gss["reference"], paths, engine="ray", rename=RENAME, **options)
    assert on_ray.model_dump() == local.model_dump()
    assert cluster.is_initialized()  # a running Ray is used, and left running
    if shift:
        assert {"age", "childs", "wrkstat"} <= set(local.drifted_columns())
        frequencies = local.column("wrkstat").frequencies
        assert frequencies is not None and "Gig Work" in [c.value for c in frequencies.categories]
    else:
        assert not local.drifted and local.drifted_columns() == []


def awkward_partitions(folder: Path) -> tuple[pd.DataFrame, list[Any]]:
    """A reference of every column type and three partitions that stress the merge of partial results."""
    rng = np.random.default_rng(7)
    n = 3000
    reference = pd.DataFrame({
        "x": rng.normal(size=n),
        "constant": np.full(n, 2.0),  # Wasserstein then scales by the pooled std: order-sensitive sums
        "colour": rng.choice(["red", "green", "blue"], n),
        "flag": rng.random(n) < 0.3,
        "wait": pd.to_timedelta(rng.integers(0, 100, n), unit="s"),
        "count": rng.integers(0, 5, n),
        "seen": pd.Timestamp("2020-01-01") + pd.to_timedelta(np.arange(n), unit="D"),
    })
    first = reference.sample(800, random_state=1).reset_index(drop=True)
    first["colour"] = first["colour"].where(np.arange(800) % 7 != 0, "violet")  # new in the current data
    first.loc[3, "x"], first.loc[4, "x"], first.loc[5, "x"] = np.inf, -np.inf, np.nan
    second = reference.sample(700, random_state=2).reset_index(drop=True).drop(columns=["count"])  # lacks it
    second["x"] = second["x"].astype(str)  # logged as text, one value not a number, one missing
    second.loc[0, "x"], second.loc[1, "x"] = "n/a", None
    second["colour"] = second["colour"].where(np.arange(700) % 5 != 0, "amber")
    third = reference.sample(900, random_state=3).reset_index(drop=True)
    third["constant"] = 2.0 + np.random.default_rng(30).normal(size=900) * 0.3  # seed: see below
    third["colour"] = None  # an all-missing column (Arrow type null)
    third.loc[0, "x"] = -0.0
    folder.mkdir()
    paths = []
    for i, part in enumerate([first, second, third]):
        paths.append(folder / f"{i}.parquet")
        part.rename(columns={"x": "input.x"}).to_parquet(paths[-1], index=False)
    return reference, [paths[0], functools.partial(pq.read_table, paths[1]), paths[2]]  # a path or a reader


@pytest.mark.slow
@pytest.mark.parametrize("tests", [
    None,  # the defaults: Wasserstein and Jensen-Shannon at these sizes
    {"x": "ks", "constant": "psi_numeric", "colour": "chi2", "flag": "psi_categorical", "count": "ks"},
])
def test_ray_engine_equals_the_local_engine_on_awkward_partitions(cluster: Any, tmp_path: Path,
                                                                  tests: dict | None) -> None:
    reference, sources = awkward_partitions(tmp_path / "logs")
    local = drift_over_partitions(reference, sources, rename={"input.x": "x"}, tests=tests)
    on_ray = drift_over_partitions(reference, sources, engine="ray", rename={"input.x": "x"}, tests=tests)
    assert on_ray.model_dump() == local.model_dump()
    assert local.current_rows == 2400
    x = local.column("x")
    assert x.notes == ["current: 1 value not readable as a number, treated as missing",
                       "current: 2 infinite values left out of the test"]
    assert x.current_count == 2400 - 1 - 2 - 2  # one unreadable, two infinite, two missing (NaN, None)
    assert local.column("count").current_missing_share == pytest.approx(700 / 2400)
    assert local.column("colour").current_missing_share == pytest.approx(900 / 2400)
    frequencies = local.column("colour").frequencies
    assert frequencies is not None
    assert {"violet", "amber"} <= {c.value for c in frequencies.categories}
    assert [s.column for s in local.skipped] == ["seen"]  # datetime, skipped on both engines
    assert local.column("constant").drifted
    if tests is None:  # Wasserstein over a constant reference: scaled by the std of both samples pooled
        reference_values = reference["constant"].to_numpy()
        logged = pq.read_table(sources[2])["constant"].to_numpy()
        in_order = np.concatenate([np.full(1500, 2.0), logged])
        assert local.column("constant").statistic == normed_wasserstein(reference_values, in_order)[0]
        # this data catches a merge that loses row order: sorting a partition changes the last digit
        shuffled = np.concatenate([np.full(1500, 2.0), np.sort(logged)])
        assert local.column("constant").statistic != normed_wasserstein(reference_values, shuffled)[0]


def test_numeric_partials_are_compact_and_categorical_partials_are_counts(gss: dict, tmp_path: Path) -> None:
    paths = write_partitions(gss["current"], tmp_path / "logs", count=2)
    from mlsteward.monitor.partitioned import _plan  # what drift_over_partitions hands each task

    plan = _plan(gss["reference"], FEATURES, RENAME)
    summary = summarise(paths[0], plan)
    rows = gss["current"].iloc[: summary.rows]
    age = summary.columns["age"]
    assert age.values.dtype == np.uint8 and age.distinct is not None  # dictionary-encoded: 1 byte a value
    expected = rows["age"].dropna().to_numpy(dtype=float)
    np.testing.assert_array_equal(age.finite(), expected)  # the values themselves, in row order
    assert age.missing == int(rows["age"].isna().sum())
    wrkstat = summary.columns["wrkstat"]
    counted = rows["wrkstat"].astype(object).value_counts()
    assert dict(zip(wrkstat.values, wrkstat.counts, strict=True)) == counted.to_dict()
    assert wrkstat.values == list(pd.unique(rows["wrkstat"].dropna().astype(object)))  # first appearance first


# --- starting and stopping Ray ----------------------------------------------------------------------


class FakeRay(SimpleNamespace):
    """Enough of Ray's API to see how drift_over_partitions starts, uses and stops it (tasks run inline)."""

    def __init__(self, running: bool) -> None:
        super().__init__(running=running, calls=[], exceptions=SimpleNamespace(RayTaskError=RuntimeError))

    def is_initialized(self) -> bool:
        return self.running

    def init(self, **options: Any) -> None:
        self.calls.append(("init", options))
        self.running = True

    def shutdown(self) -> None:
        self.calls.append(("shutdown", {}))
        self.running = False

    def remote(self, **options: Any) -> Any:
        self.calls.append(("remote", options))
        return lambda function: SimpleNamespace(remote=lambda *args: function(*args))

    def get(self, value: Any) -> Any:
        return value


@pytest.mark.parametrize("running", [False, True])
def test_a_local_ray_is_started_and_stopped_unless_one_runs(gss: dict, tmp_path: Path, running: bool,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeRay(running)
    monkeypatch.setitem(sys.modules, "ray", fake)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    paths = write_partitions(gss["current"], tmp_path / "logs", count=2)
    result = drift_over_partitions(gss["reference"], paths, engine="ray", rename=RENAME, num_cpus=1)
    assert result.model_dump() == drift_over_partitions(gss["reference"], paths, rename=RENAME).model_dump()
    if running:
        assert fake.calls == [("remote", {"num_cpus": 1, "max_retries": 0})] and fake.running
    else:
        assert fake.calls == [("init", {"num_cpus": 1, "include_dashboard": False, "log_to_driver": False,
                                        "configure_logging": False}),
                              ("remote", {"num_cpus": 1, "max_retries": 0}), ("shutdown", {})]


def test_the_ray_engine_without_ray_says_what_to_install(gss: dict, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    paths = write_partitions(gss["current"], tmp_path / "logs", count=1)
    with pytest.raises(InvalidInput, match=r"pip install 'mlsteward\[ray\]'.*engine='local'"):
        drift_over_partitions(gss["reference"], paths, engine="ray", rename=RENAME)


@pytest.mark.slow
def test_an_unreadable_partition_on_ray_raises_the_steward_error(gss: dict, cluster: Any, tmp_path: Path) -> None:
    broken = tmp_path / "broken.parquet"
    broken.write_text("not parquet")
    with pytest.raises(InvalidInput, match="cannot read source .*broken.parquet"):
        drift_over_partitions(gss["reference"], [broken], engine="ray", rename=RENAME)


# --- bad input --------------------------------------------------------------------------------------


def test_bad_input_is_refused_before_anything_is_read(gss: dict, tmp_path: Path) -> None:
    reference = gss["reference"]
    paths = write_partitions(gss["current"], tmp_path / "logs", count=1)
    read: list[int] = []

    def reader() -> Any:
        read.append(1)
        return pq.read_table(paths[0])

    cases = [
        ({"sources": str(paths[0])}, r"write \[source\]"),
        ({"sources": []}, "non-empty list"),
        ({"sources": [tmp_path / "nowhere.parquet"]}, r"source 0 .*nowhere.parquet.* does not exist"),
        ({"sources": [42]}, "source 0 must be a Parquet path or a zero-argument reader"),
        ({"engine": "spark"}, "engine must be 'local' or 'ray'"),
        ({"num_cpus": 0}, "num_cpus must be a whole number of at least 1"),
        ({"corection": "bonferroni"}, "unknown option 'corection'.*did you mean 'correction'"),
        ({"correction": "bonf"}, "correction must be None"),
        ({"columns": ["agee"]}, "Column 'agee' is not in the reference data"),
        ({"rename": {"input.age": "agee"}}, "rename maps 'input.age' to 'agee', which is not a reference column"),
        ({"rename": {"input.age": "age", "age_logged": "age"}}, "maps both 'input.age' and 'age_logged' to 'age'"),
        ({"rename": ["input.age"]}, "rename must map logged column names"),
    ]
    for change, message in cases:
        arguments: dict[str, Any] = {"sources": [reader], "rename": RENAME, **change}
        with pytest.raises(InvalidInput, match=message):
            drift_over_partitions(reference, **arguments)
    assert read == []
    with pytest.raises(InvalidInput, match="reference must be a data frame"):
        drift_over_partitions({"age": [1, 2]}, [reader])
    with pytest.raises(InvalidInput, match="returned list; a reader must return a pyarrow.Table"):
        drift_over_partitions(reference, [lambda: [1, 2]], rename=RENAME)
    with pytest.raises(InvalidInput, match="cannot read source"):
        drift_over_partitions(reference, [tmp_path / "logs"] + [Path(__file__)], rename=RENAME)
