"""profile_parquet reads the file once (plus the numeric columns it could not count): histograms,
outliers and duplicate rows stay exact."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlsteward.data import profile_chunked
from mlsteward.data.profile import profile_dataset
from mlsteward.data.profile_chunked import profile_parquet


def _spy_reads(monkeypatch: pytest.MonkeyPatch) -> list:
    reads = []
    original = pq.ParquetFile.iter_batches

    def iter_batches(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        reads.append(kwargs.get("columns"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", iter_batches)
    return reads


def test_uncounted_columns_alone_are_read_again_and_their_histograms_stay_exact(
        tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    rng = np.random.default_rng(2)
    n = 60_000
    x = rng.normal(0, 1, n)  # continuous: more distinct values than the cap
    x[rng.random(n) < 0.02] = np.nan
    x[:2] = [np.inf, -np.inf]
    df = pd.DataFrame({"x": x, "small": rng.integers(0, 30, n), "rate": rng.choice([0.5, 1.5, 40.0], n),
                       "city": rng.choice(["a", "b"], n)})
    path = tmp_path / "t.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=9_000)
    reads = _spy_reads(monkeypatch)
    chunked = profile_parquet(path, batch_rows=7_000, distinct_cap=1_000)
    assert reads == [None, ["x"]]  # every column once, then only the column over the cap
    full = profile_dataset(df)
    for name in ("x", "small", "rate"):
        a, b = chunked.column(name).numeric, full.column(name).numeric
        assert a.histogram == b.histogram, name
        values = df[name].to_numpy(np.float64)
        values = values[np.isfinite(values)]
        assert a.outlier_count == int(((values < a.lower_fence) | (values > a.upper_fence)).sum()), name
    assert chunked.column("small").numeric.outlier_count == full.column("small").numeric.outlier_count


def _typed_table(n: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)

    def pick(values: list, missing: float = 0.1) -> list:
        chosen = [values[i] for i in rng.integers(0, len(values), n)]
        return [None if rng.random() < missing else v for v in chosen]

    return pa.table({
        "i": pa.array(pick([1, 2, 2**60]), pa.int64()),
        "u8": pa.array(pick([0, 255], 0.0), pa.uint8()),
        "f": pa.array(pick([0.0, -0.0, float("nan"), 1.5]), pa.float64()),  # -0.0 == 0.0, NaN == missing
        "f32": pa.array(pick([0.5, 2.0]), pa.float32()),
        "b": pa.array(pick([True, False]), pa.bool_()),
        "s": pa.array(pick(["a", "b", "", "ccc"]), pa.string()),
        "ls": pa.array(pick(["x", "y"]), pa.large_string()),
        "bin": pa.array(pick([b"\x00", b"zz"]), pa.binary()),
        "d": pa.array(pick([dt.date(2020, 1, 1), dt.date(2021, 5, 6)]), pa.date32()),
        "ts": pa.array(pick([dt.datetime(2020, 1, 1, 5), dt.datetime(2020, 1, 2)]), pa.timestamp("us")),
        "tz": pa.array(pick([dt.datetime(2020, 1, 1, 5), dt.datetime(2020, 1, 2)]), pa.timestamp("ns", "UTC")),
        "cat": pa.array(pick(["p", "q", "r"])).dictionary_encode(),
        "dec": pa.array(pick([decimal.Decimal("1.10"), decimal.Decimal("2.50")]), pa.decimal128(5, 2)),
        "lst": pa.array(pick([[1, 2], [3]]), pa.list_(pa.int64())),
    })


@pytest.mark.parametrize("columns", [
    None, ["i", "f", "s", "cat"], ["b", "d", "tz", "u8"], ["dec", "ls", "bin"], ["lst", "b"], ["f32", "ts"],
])
def test_duplicate_rows_from_arrow_hashes_equal_pandas(tmp_path, columns: list | None) -> None:  # noqa: ANN001
    table = _typed_table(30_000, seed=4)
    table = table.select(columns) if columns else table
    path = tmp_path / "d.parquet"
    pq.write_table(table, path, row_group_size=7_000)  # dictionaries differ between row groups
    chunked = profile_parquet(path, batch_rows=5_000)
    full = profile_dataset(pd.read_parquet(path))
    assert chunked.duplicate_rows == full.duplicate_rows > 0
    if "lst" not in table.column_names:
        assert chunked.duplicate_rows == int(pd.read_parquet(path).duplicated().sum())
    for a, b in zip(chunked.column_profiles, full.column_profiles, strict=True):
        assert (a.count, a.distinct_count) == (b.count, b.distinct_count), a.name
        if a.name != "f":  # (0.0 and -0.0 are one value, labelled by whichever the profile met first)
            assert a.top_values == b.top_values, a.name


def test_a_value_hashes_alike_in_every_batch() -> None:
    """The same values under different dictionaries, or as plain text, give the same row words."""
    plain = pa.array(["b", None, "a", "b"])
    one = pa.DictionaryArray.from_arrays(pa.array([1, None, 0, 1], pa.int32()), pa.array(["a", "b"]))
    other = pa.DictionaryArray.from_arrays(pa.array([0, 1, 2, 0], pa.int32()), pa.array(["b", None, "a"]))
    words = [profile_chunked._words(a) for a in (plain, one, other)]
    assert (words[0] == words[1]).all() and (words[0] == words[2]).all()
    floats = profile_chunked._words(pa.array([0.0, -0.0, float("nan"), None]))
    assert floats[0] == floats[1] and floats[2] == floats[3]


def test_duplicates_over_the_cap_count_repeats_of_the_rows_met_before_it() -> None:
    seen = profile_chunked._Duplicates(cap=4)
    seen.add(np.array([1, 2, 2, 3], dtype=np.uint64))  # one repeat in the batch; 3 distinct kept
    assert (seen.count, seen.overflow, seen.seen.tolist()) == (1, False, [1, 2, 3])
    seen.add(np.array([3, 9, 8], dtype=np.uint64))  # 3 again; 9 and 8 would pass the cap
    assert (seen.count, seen.overflow, seen.seen.tolist()) == (2, True, [1, 2, 3])
    seen.add(np.array([8, 8, 1], dtype=np.uint64))  # 8 repeats within the batch, 1 was kept
    assert seen.count == 4
