"""Reading a batch-scoring input: what it is (a CSV file, a Parquet file or a folder of Parquet files), whether
it has the columns the model needs, and its rows in chunks of a fixed size (``mlsteward.serving.batch``)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from mlsteward.errors import InvalidInput

if TYPE_CHECKING:
    pass


PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2")
PREDICTION = "prediction"  # the output columns, which a kept input column may not be named
PROBA_PREFIX = "proba_"
_CSV_BLOCK_BYTES = 1 << 20



@dataclass(frozen=True)
class Part:
    """One file of the input (a Parquet file may be limited to some of its row groups)."""

    path: Path
    row_groups: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Source:
    kind: str  # parquet | csv
    path: Path
    parts: tuple[Part, ...]
    columns: tuple[str, ...]  # the columns every part has
    total_rows: int | None  # known for Parquet (its metadata), not for CSV


def suffix_of(path: Path, suffixes: Sequence[str]) -> str | None:
    name = path.name.lower()
    return next((s for s in suffixes if name.endswith(s)), None)


def inspect_input(input_path: str | os.PathLike) -> Source:
    """The input's format, files, common columns and row count (Parquet), read from metadata only."""
    import pyarrow.parquet as pq

    path = Path(input_path)
    if not path.exists():
        raise InvalidInput(f"the input {str(path)!r} does not exist: give a CSV file, a Parquet file or a folder "
                           "of Parquet files")
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and suffix_of(p, PARQUET_SUFFIXES)
                       and not p.name.startswith((".", "_")))
        if not files:
            raise InvalidInput(f"the folder {str(path)!r} holds no Parquet files (*.parquet, *.pq): give a folder of "
                               "Parquet files, a Parquet file or a CSV file")
        kind = "parquet"
    elif suffix_of(path, PARQUET_SUFFIXES):
        files, kind = [path], "parquet"
    elif suffix_of(path, CSV_SUFFIXES):
        files, kind = [path], "csv"
    else:
        raise InvalidInput(f"cannot tell the format of {str(path)!r} from its name: give a .csv (.csv.gz), "
                           ".parquet (.pq) file or a folder of Parquet files")
    if kind == "csv":
        return Source("csv", path, (Part(path),), tuple(csv_schema(path).names), None)
    columns: list[str] | None = None
    total = 0
    for file in files:
        try:
            meta = pq.ParquetFile(file)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InvalidInput(f"{str(file)!r} is not a readable Parquet file ({exc})") from exc
        names = meta.schema_arrow.names
        columns = names if columns is None else [c for c in columns if c in names]
        total += meta.metadata.num_rows
    return Source("parquet", path, tuple(Part(f) for f in files), tuple(columns or ()), total)


def csv_schema(path: Path, include: Sequence[str] | None = None) -> pa.Schema:
    """The schema pyarrow infers from the CSV's first block."""
    import pyarrow.csv as pcsv

    try:
        reader = pcsv.open_csv(path, read_options=pcsv.ReadOptions(block_size=_CSV_BLOCK_BYTES),
                               convert_options=pcsv.ConvertOptions(include_columns=list(include or []),
                                                                   strings_can_be_null=True))
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidInput(f"{str(path)!r} is not a readable CSV file ({exc})") from exc
    try:
        return reader.schema
    finally:
        reader.close()


def _missing_message(source: Source, missing: list[str], required: Sequence[str], what: str) -> str:
    where = "every file of " if len(source.parts) > 1 else ""
    return (f"{where}the input {str(source.path)!r} lacks column(s) {missing} that {what} reads: add them to the "
            f"input (the model needs {list(required)}; the input has {list(source.columns)}), or score data "
            "prepared the way the training data was")


def check_columns(source: Source, required: Sequence[str], keep: Sequence[str], what: str = "the model") -> None:
    """Refuse an input lacking a column the model reads or one to keep, or a kept column named like an output."""
    if len(source.parts) > 1:  # name the files that lack a column, not only the common set
        import pyarrow.parquet as pq

        for part in source.parts:
            names = pq.ParquetFile(part.path).schema_arrow.names
            lacking = [c for c in required if c not in names]
            if lacking:
                raise InvalidInput(f"{str(part.path)!r} (in {str(source.path)!r}) lacks column(s) {lacking} that "
                                   f"{what} reads: add them to that file, or move it out of the folder")
    missing = [c for c in required if c not in source.columns]
    if missing:
        raise InvalidInput(_missing_message(source, missing, required, what))
    clash = [c for c in keep if c == PREDICTION or c.startswith(PROBA_PREFIX)]
    if clash:
        raise InvalidInput(f"cannot keep column(s) {clash}: their names collide with the output's "
                           f"'{PREDICTION}' / '{PROBA_PREFIX}<class>' columns; rename them in the input")
    absent = [c for c in keep if c not in source.columns]
    if absent:
        raise InvalidInput(f"cannot keep column(s) {absent}: the input {str(source.path)!r} has no such column "
                           f"(it has {list(source.columns)})")
    if len(set(keep)) != len(keep):
        raise InvalidInput(f"keep names a column twice: {list(keep)}")


def csv_types(path: Path, columns: Sequence[str], numeric: set[str]) -> dict[str, pa.DataType]:
    """Types that will not change between blocks: numbers the model reads as float64 (an integer column
    with a decimal further down would fail otherwise), columns empty in the first block as float64 for
    the model's numeric inputs (as pandas reads them) and as text otherwise."""
    schema = csv_schema(path, columns)
    types: dict[str, pa.DataType] = {}
    for field in schema:
        if pa.types.is_null(field.type):
            types[field.name] = pa.float64() if field.name in numeric else pa.string()
        elif field.name in numeric and pa.types.is_integer(field.type):
            types[field.name] = pa.float64()
    return types


def _rebatch(batches: Iterator[pa.RecordBatch], chunk_rows: int) -> Iterator[pa.RecordBatch]:
    """Record batches of exactly ``chunk_rows`` rows (the last one fewer), whatever sizes come in (CSV
    blocks, Parquet row groups): at most one chunk plus one incoming batch is held."""
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        if not pending and batch.num_rows == chunk_rows:
            yield batch
            continue
        pending.append(batch)
        held += batch.num_rows
        while held >= chunk_rows:
            table = pa.Table.from_batches(pending)
            yield from table.slice(0, chunk_rows).combine_chunks().to_batches()
            rest = table.slice(chunk_rows)
            pending, held = rest.to_batches(), rest.num_rows
    if held:
        yield from pa.Table.from_batches(pending).combine_chunks().to_batches()


def read_batches(source: Source, part: Part, columns: Sequence[str], chunk_rows: int,
             numeric: set[str]) -> Iterator[pa.RecordBatch]:
    """The part's rows, ``columns`` only, in record batches of ``chunk_rows`` rows."""
    if source.kind == "parquet":
        import pyarrow.parquet as pq

        with pq.ParquetFile(part.path) as reader:
            groups = list(part.row_groups) if part.row_groups is not None else None
            yield from _rebatch(reader.iter_batches(batch_size=chunk_rows, columns=list(columns), row_groups=groups),
                                chunk_rows)
        return
    import pyarrow.csv as pcsv

    reader = pcsv.open_csv(part.path, read_options=pcsv.ReadOptions(block_size=_CSV_BLOCK_BYTES),
                           convert_options=pcsv.ConvertOptions(include_columns=list(columns), strings_can_be_null=True,
                                                               column_types=csv_types(part.path, columns, numeric)))
    try:
        yield from _rebatch(iter(reader), chunk_rows)
    except pa.ArrowInvalid as exc:
        raise InvalidInput(f"{str(part.path)!r} could not be read as CSV ({exc}): a column's values changed type "
                           "after the first rows; convert the file to Parquet, or fix that column") from exc
    finally:
        reader.close()


# -- the model ----------------------------------------------------------------------------------------


__all__ = ["CSV_SUFFIXES", "PARQUET_SUFFIXES", "PREDICTION", "PROBA_PREFIX", "Part", "Source", "check_columns", "csv_schema", "csv_types",
           "inspect_input", "read_batches", "suffix_of"]
