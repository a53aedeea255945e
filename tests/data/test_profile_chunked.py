"""profile_parquet (chunked) against profile_dataset (in memory) on the same Parquet file."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlsteward.data.profile import profile_dataset
from mlsteward.data.profile_chunked import profile_parquet
from mlsteward.data.profile_models import ProfileConfig


def _frame(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.lognormal(0.0, 1.0, n)
    x[rng.random(n) < 0.03] = np.nan
    x[:3] = [np.inf, -np.inf, np.inf]
    cnt = rng.poisson(3, n).astype("float64")
    cnt[rng.random(n) < 0.02] = np.nan  # an integer column with missing values
    city = rng.choice(["Oslo", "Lima", "Pune", "Kyiv", "Nuuk"], n, p=[.4, .3, .15, .1, .05]).astype(object)
    city[rng.random(n) < 0.05] = None
    flag = rng.random(n) < 0.3
    y = (x > 2).astype(np.int64)
    df = pd.DataFrame({"id": np.arange(n, dtype=np.int64), "x": x, "small": rng.integers(0, 50, n),
                       "cnt": cnt, "city": city, "flag": flag, "y": y})
    df = pd.concat([df, df.iloc[100:1100].assign(id=df["id"].iloc[100:1100])], ignore_index=True)
    return df  # 1,000 exact duplicate rows at the end


def _write(df: pd.DataFrame, path, row_group: int = 40_000) -> None:
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=row_group)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    path = tmp_path_factory.mktemp("pq") / "big.parquet"
    _write(_frame(300_000), path)
    return path


def _close(a, b, rel=1e-9):
    if a is None or b is None:
        return a is b
    return a == pytest.approx(b, rel=rel, abs=1e-12)


def test_chunked_matches_in_memory(big):
    cfg = ProfileConfig()
    chunked = profile_parquet(big, target="y", config=cfg, batch_rows=50_000, distinct_cap=400_000)
    full_df = pd.read_parquet(big)
    full = profile_dataset(full_df, target="y", config=cfg)
    assert chunked.rows == full.rows == 301_000
    assert chunked.duplicate_rows == full.duplicate_rows == 1_000
    assert chunked.memory_bytes == pytest.approx(full.memory_bytes, rel=0.01)
    for a, b in zip(chunked.column_profiles, full.column_profiles, strict=True):
        assert (a.name, a.dtype, a.inferred_type) == (b.name, b.dtype, b.inferred_type)
        assert (a.count, a.missing_count, a.distinct_count) == (b.count, b.missing_count, b.distinct_count)
        assert a.top_values == b.top_values, a.name
        assert a.flags == b.flags and a.python_types == b.python_types
        if b.numeric is None:
            assert a.numeric is None
            continue
        na, nb = a.numeric, b.numeric
        assert (na.count, na.infinite_count, na.min, na.max) == (nb.count, nb.infinite_count, nb.min, nb.max)
        for f in ("mean", "std", "skewness"):
            assert _close(getattr(na, f), getattr(nb, f)), (a.name, f)
        assert na.histogram == nb.histogram, a.name
        values = np.sort(full_df[a.name].to_numpy(np.float64))
        values = values[np.isfinite(values)]
        for key, q in zip(na.quantiles, cfg.quantiles):  # documented: within +-0.01 in rank
            lo, hi = np.quantile(values, [max(q - 0.01, 0), min(q + 0.01, 1)])
            assert lo <= na.quantiles[key] <= hi, (a.name, key)
        expected = int(((values < na.lower_fence) | (values > na.upper_fence)).sum())
        assert na.outlier_count == expected  # exact against the (sampled) fences
    assert chunked.target.classes == full.target.classes
    assert (chunked.target.imbalance, chunked.target.recommendation) == \
        (full.target.imbalance, full.target.recommendation)
    assert chunked.correlations.columns == full.correlations.columns
    assert chunked.correlations.pearson["x"]["small"] == pytest.approx(
        full.correlations.pearson["x"]["small"], abs=0.02)
    assert {a.feature for a in chunked.associations} == {a.feature for a in full.associations}
    assert any("sample of 100000" in w for w in chunked.warnings)


def test_small_file_is_exact_everywhere(tmp_path):
    path = tmp_path / "small.parquet"
    _write(_frame(20_000, seed=3), path, row_group=3_000)
    chunked = profile_parquet(path, target="y", batch_rows=2_500)
    full = profile_dataset(pd.read_parquet(path), target="y")
    a, b = chunked.model_dump(), full.model_dump()
    assert a.pop("memory_bytes") == pytest.approx(b.pop("memory_bytes"), rel=0.001)
    for ca, cb in zip(a["column_profiles"], b["column_profiles"], strict=True):
        assert ca.pop("memory_bytes") == pytest.approx(cb.pop("memory_bytes"), rel=0.001)
        if ca["numeric"] is not None:
            for f in ("mean", "std", "skewness"):  # merged moments: equal up to rounding
                assert _close(ca["numeric"].pop(f), cb["numeric"].pop(f))
    assert a == b  # everything else identical: the sample is the whole file


def test_caps_give_lower_bounds_and_warnings(tmp_path):
    path = tmp_path / "caps.parquet"
    _write(_frame(30_000), path, row_group=5_000)
    p = profile_parquet(path, batch_rows=4_000, distinct_cap=1_000, duplicate_cap=10_000)
    full = profile_dataset(pd.read_parquet(path))
    x = p.column("x")
    assert 1_000 < x.distinct_count <= full.column("x").distinct_count
    assert any("lower bound" in w for w in x.warnings)
    assert p.column("small").distinct_count == 50  # below the cap: exact
    assert p.column("id").inferred_type == full.column("id").inferred_type == "numeric"  # ids repeat
    assert p.duplicate_rows <= full.duplicate_rows
    assert any("not computed exactly" in w for w in p.warnings)


def _chunked_peak(path, cfg) -> int:
    gc.collect()
    tracemalloc.start()
    profile_parquet(path, config=cfg, batch_rows=10_000, distinct_cap=5_000, duplicate_cap=50_000)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def test_memory_stays_bounded(tmp_path):
    """The peak follows the batch size, not the file: a file 4x larger peaks about the same."""
    cfg = ProfileConfig(correlation_max_rows=5_000)
    paths, frame_bytes = {}, {}
    for rows in (100_000, 400_000):
        df = _frame(rows, seed=5)
        paths[rows] = tmp_path / f"mem{rows}.parquet"
        _write(df, paths[rows], row_group=20_000)
        frame_bytes[rows] = int(df.memory_usage(deep=True).sum())
        del df
    small, large = _chunked_peak(paths[100_000], cfg), _chunked_peak(paths[400_000], cfg)
    gc.collect()
    tracemalloc.start()
    profile_dataset(pd.read_parquet(paths[400_000]), config=cfg)
    _, full_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"chunked peak {small / 1e6:.1f} MB (100k rows), {large / 1e6:.1f} MB (400k rows); "
          f"in-memory {full_peak / 1e6:.1f} MB; frame {frame_bytes[400_000] / 1e6:.1f} MB")
    assert large < 1.5 * small
    assert large < 0.2 * frame_bytes[400_000] and large < 0.2 * full_peak
