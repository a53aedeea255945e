"""Tables too large to hold in memory: profiled batch by batch from the stored Parquet file, PII and
leakage judged on a seeded row sample, and the contract's ranges, nullability and uniqueness taken
from the whole file (a category list is kept only where the sample saw every category)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mlsteward.data.contract import DataContract
from mlsteward.data.profile import DatasetProfile

LARGE_TABLE_ROWS = 2_000_000  # at most this many rows: always assessed in memory (the fast path)
SAMPLE_ROWS = 200_000  # rows sampled (seeded) for PII detection, leakage review and categories
MEMORY_PER_STORED_BYTE = 10  # a Parquet byte decodes to ~3-6 bytes in pandas; the assessment copies


def assess_in_batches(rows: int, stored_bytes: int) -> bool:
    """Whether a version is too large to assess in memory: more than ``LARGE_TABLE_ROWS`` rows and
    an estimated footprint (``MEMORY_PER_STORED_BYTE`` times its Parquet size) above half the
    memory available now. Batches keep memory bounded (and, profiling in one pass, are no slower:
    13 s against 26 s in memory on 17.5M rows x 11 columns), but quantiles, correlations, PII and
    leakage then come from a sample, so a table that fits is assessed in memory, exactly."""
    return rows > LARGE_TABLE_ROWS and stored_bytes * MEMORY_PER_STORED_BYTE > available_memory() / 2


def available_memory() -> int:
    """Bytes of memory available now (Linux MemAvailable; elsewhere the free physical pages)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def sample_parquet(path: str | os.PathLike, rows: int, size: int | None = None, seed: int = 0) -> pd.DataFrame:
    """About ``size`` (default ``SAMPLE_ROWS``) rows drawn uniformly (each row kept with probability
    size/rows, seeded), read batch by batch so memory follows the sample, not the file."""
    parquet = pq.ParquetFile(path)
    keep, rng = min(1.0, (size or SAMPLE_ROWS) / max(rows, 1)), np.random.default_rng(seed)
    batches = [batch.filter(pa.array(rng.random(batch.num_rows) < keep))
               for batch in parquet.iter_batches(batch_size=250_000)]
    return pa.Table.from_batches(batches, schema=parquet.schema_arrow).to_pandas()


def widen_contract(contract: DataContract, profile: DatasetProfile) -> tuple[DataContract, list[str]]:
    """A contract inferred on a sample, corrected with the whole file's profile: ranges widened to
    the file's min and max, nullability and uniqueness from the file, and a category list dropped
    where the file holds categories the sample missed. Returns the contract and notes."""
    columns, notes = {}, []
    for name, column in contract.columns.items():
        seen = profile.column(name)
        update: dict = {"nullable": seen.missing_count > 0, "unique": column.unique and seen.distinct_count == seen.count}
        if seen.numeric is not None and column.min is not None:
            update["min"] = _same_kind(min(column.min, seen.numeric.min), column.min)
            update["max"] = _same_kind(max(column.max, seen.numeric.max), column.max)
        if column.allowed is not None and seen.distinct_count != len(column.allowed):
            update["allowed"] = None
            notes.append(f"contract: {name!r} has {seen.distinct_count:,} categories in the file, "
                         f"{len(column.allowed)} in the sample: its categories are not checked")
        columns[name] = column.model_copy(update=update)
    return contract.model_copy(update={"columns": columns, "rows": profile.rows}), notes


def _same_kind(value: float, like: float | int) -> float | int:
    """Integer bounds stay integers (the contract of an int column), floats stay floats."""
    return int(value) if isinstance(like, int) and float(value).is_integer() else value
