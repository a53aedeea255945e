"""Batch scoring: a registered model over a CSV file, a Parquet file or a folder of Parquet files.

``score_file`` streams the input in chunks of ``chunk_rows`` rows (``pyarrow.parquet.ParquetFile.iter_batches``,
``pyarrow.csv.open_csv``), scores each chunk with the model (its feature pipeline included) and appends it to
the output with a streaming writer (``ParquetWriter`` or ``pyarrow.csv.CSVWriter``, chosen by the output's
extension: ``.parquet`` / ``.pq`` or ``.csv``). Reading the next chunk, scoring and writing the last one
overlap in threads, each holding one chunk, so memory holds a few chunks whatever the file's size. Only the
columns the model reads (and the ones kept) are read from a Parquet input; small Parquet row groups and CSV
blocks are gathered into whole chunks. A CSV's empty cells are missing values, as pandas reads them.

The output has, row for row in the input's order:

* the input columns named in ``keep`` (ids to join the scores back on: ``keep=["customer_id"]``), as read;
* ``prediction``: for a classifier, the class with the highest probability (what scikit-learn's ``predict``
  returns for its probabilistic classifiers; the probabilities are computed once); for a regressor, ``predict``;
* ``proba_<class>``: one column per class of ``classes_``, from ``predict_proba``.

The input's columns are checked against the model's input columns (the version's input schema) before
anything is read or written: missing columns are refused with their names. The output is written under a
temporary name beside it and renamed into place at the end, so a crash or an error leaves no half file, and
an existing file at the output path is replaced only by a complete one.

``score_version`` does the same for a registered version (``NAME@VERSION``, ``NAME@ALIAS``, ``NAME``): it
loads the version hash-verified and checks the input against its recorded input schema.
``mlsteward.serving.batch_ray.score_with_ray`` spreads the same scoring over a local or running Ray cluster.
"""

from __future__ import annotations

import contextlib
import functools
import os
import queue
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from pydantic import BaseModel

from mlsteward.errors import InvalidInput
from mlsteward.serving.batch_input import (
    PARQUET_SUFFIXES,
    PREDICTION,
    PROBA_PREFIX,
    Part,
    Source,
    check_columns,
    csv_schema,
    csv_types,
    inspect_input,
    read_batches,
    suffix_of,
)

if TYPE_CHECKING:
    from mlsteward.workspace import Workspace

Progress = Callable[[int, int | None], None]  # (rows done, total rows or None when unknown)



class ScoringResult(BaseModel):
    """What a batch scoring run did: rows, where the scores went, how fast."""

    model: str | None  # NAME@VERSION when scored from the registry
    engine: str  # local | ray
    input: str
    output: str
    format: str  # parquet | csv
    rows: int
    chunks: int  # chunks scored (local) or partitions (ray)
    columns: list[str]  # the output's columns
    files: list[str] = []  # the output files (one per partition for ray)
    seconds: float
    rows_per_second: float


# -- the input ----------------------------------------------------------------------------------------
def model_columns(model: Any) -> list[str] | None:
    """The raw columns ``model`` reads: a Steward model's feature-set inputs, else ``feature_names_in_``."""
    for attribute in ("input_columns", "feature_names_in_"):
        columns = getattr(model, attribute, None)
        if columns is not None:
            return [str(c) for c in columns]
    return None


def _classes(model: Any) -> np.ndarray | None:
    if not hasattr(model, "predict_proba"):
        return None
    classes = getattr(model, "classes_", None)
    return None if classes is None else np.asarray(classes)


def _arrow_type(values: np.ndarray) -> pa.DataType:
    if values.dtype == object:  # e.g. text labels
        return pa.array(values.tolist()).type
    return pa.from_numpy_dtype(values.dtype)


def output_schema(model: Any, keep_fields: Sequence[pa.Field]) -> pa.Schema:
    """The output's columns: the kept input columns, ``prediction``, one ``proba_<class>`` per class."""
    classes = _classes(model)
    fields = list(keep_fields)
    if classes is not None:
        fields.append(pa.field(PREDICTION, _arrow_type(classes)))
        fields += [pa.field(f"{PROBA_PREFIX}{c}", pa.float64()) for c in classes.tolist()]
    else:
        fields.append(pa.field(PREDICTION, pa.float64()))
    return pa.schema(fields)


def _predict(model: Any, frame: Any, classes: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """(prediction, probabilities or None) for one chunk: the model's own calls, once each."""
    if classes is not None:
        proba = np.asarray(model.predict_proba(frame), dtype=np.float64)
        return classes.take(proba.argmax(axis=1)), proba
    return np.asarray(model.predict(frame)).astype(np.float64, copy=False), None


def _output_batch(batch: pa.RecordBatch, keep: Sequence[str], schema: pa.Schema, prediction: np.ndarray,
                  proba: np.ndarray | None) -> pa.RecordBatch:
    arrays = [batch.column(name).cast(schema.field(name).type) for name in keep]
    arrays.append(pa.array(prediction, type=schema.field(PREDICTION).type))
    if proba is not None:
        arrays += [pa.array(np.ascontiguousarray(proba[:, i])) for i in range(proba.shape[1])]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


# -- the output ---------------------------------------------------------------------------------------
def output_format(output_path: Path) -> str:
    if suffix_of(output_path, PARQUET_SUFFIXES):
        return "parquet"
    if output_path.name.lower().endswith(".csv"):
        return "csv"
    raise InvalidInput(f"cannot tell which format to write {str(output_path)!r} in: end its name with .parquet "
                       "(or .pq) for Parquet or .csv for CSV")


def _temporary(final: Path) -> Path:
    return final.with_name(f".{final.name}.{uuid.uuid4().hex[:12]}.tmp")


class _Writer:
    """A streaming Parquet or CSV writer on a temporary file, renamed into place by ``commit``."""

    def __init__(self, final: Path, schema: pa.Schema, format_: str) -> None:
        self.final, self.temp = final, _temporary(final)
        if format_ == "csv":
            import pyarrow.csv as pcsv

            self.schema = pa.schema([f.with_type(f.type.value_type) if pa.types.is_dictionary(f.type) else f
                                     for f in schema])
            self._writer = pcsv.CSVWriter(str(self.temp), self.schema)
        else:
            import pyarrow.parquet as pq

            self.schema = schema  # dictionary-encode what repeats: the classes, categorical kept columns (not
            # probabilities or ids, where trying the dictionary first was most of the writing time)
            dictionary = [f.name for f in schema if f.name == PREDICTION or pa.types.is_dictionary(f.type)]
            self._writer = pq.ParquetWriter(str(self.temp), schema, use_dictionary=dictionary)

    def write(self, batch: pa.RecordBatch) -> None:
        if batch.schema != self.schema:
            batch = pa.RecordBatch.from_arrays([c.cast(f.type) for c, f in zip(batch.columns, self.schema,
                                                                              strict=True)], schema=self.schema)
        self._writer.write_batch(batch)

    def commit(self) -> None:
        self._writer.close()
        os.replace(self.temp, self.final)

    def abort(self) -> None:
        with contextlib.suppress(Exception):  # the file is removed whatever state it is in
            self._writer.close()
        self.temp.unlink(missing_ok=True)


# -- scoring ------------------------------------------------------------------------------------------
def _positive_chunk_rows(chunk_rows: int) -> int:
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int | np.integer) or chunk_rows < 1:
        raise InvalidInput(f"chunk_rows must be a positive whole number of rows; got {chunk_rows!r}")
    return int(chunk_rows)


class _Ahead:
    """Runs ``produce`` (an iterator) in a thread, at most ``depth`` items ahead of the consumer, so reading
    the next chunk (pyarrow releases the GIL) overlaps scoring this one. Errors reach the consumer."""

    _END = object()

    def __init__(self, produce: Iterator[Any], depth: int = 1) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(produce,), name="steward-score-read", daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, produce: Iterator[Any]) -> None:
        try:
            for item in produce:
                if not self._put((item, None)):
                    return
            self._put((self._END, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            self._put((None, exc))

    def __iter__(self) -> Iterator[Any]:
        while True:
            item, error = self._queue.get()
            if error is not None:
                raise error
            if item is self._END:
                return
            yield item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


class _Behind:
    """Calls ``consume`` on each item in a thread, at most ``depth`` items behind the producer (writing
    the last chunk overlaps scoring the next). ``finish`` waits for the last item; errors reach the caller."""

    def __init__(self, consume: Callable[[Any], None], depth: int = 1) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(consume,), name="steward-score-write", daemon=True)
        self._thread.start()

    def _run(self, consume: Callable[[Any], None]) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is None:
                try:
                    consume(item)
                except BaseException as exc:  # noqa: BLE001 - handed to the caller
                    self._error = exc

    def put(self, item: Any) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(item)

    def finish(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


@functools.cache
def _native_pools() -> Any:
    """threadpoolctl's view of the loaded BLAS / OpenMP libraries (scanning them costs ~2 ms: once)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def score_parts(model: Any, source: Source, parts: Sequence[Part], output_path: Path, *, inputs: list[str],
                keep: Sequence[str], chunk_rows: int, numeric: set[str] | None = None,
                progress: Progress | None = None, workers: int | None = None) -> tuple[int, int]:
    """Score ``parts`` of an already checked ``source`` into ``output_path`` (atomically); (rows, chunks).

    The building block of ``score_file`` and of each Ray task. The stages overlap: a thread reads the next
    chunk and converts it to pandas, ``workers`` threads score chunks (numpy and pyarrow release the GIL for
    much of the work; default: 2 on a machine with 2 CPUs or more), a thread writes the finished ones in
    input order. Each stage holds one chunk, so memory holds a few chunks at most, whatever the input's size.
    While it runs, the process's BLAS / OpenMP pools are limited to CPUs / workers threads (threadpoolctl):
    a worker's native threads would otherwise spin against the other stages.
    """
    numeric = numeric or set()
    workers = max(1, min(2, os.cpu_count() or 1)) if workers is None else max(1, int(workers))
    schema = output_schema(model, [_keep_field(source, name, numeric) for name in keep])
    classes = _classes(model)
    raw = not hasattr(model, "input_columns")  # a bare estimator gets exactly its columns, in order
    read = list(dict.fromkeys([*inputs, *keep]))

    def chunks() -> Iterator[tuple[pa.RecordBatch, Any]]:
        for part in parts:
            for batch in read_batches(source, part, read, chunk_rows, numeric):
                if batch.num_rows:
                    frame = batch.select(inputs).to_pandas()
                    yield batch.select(list(keep)), frame[inputs] if raw else frame

    def score(kept: pa.RecordBatch, frame: Any) -> tuple[pa.RecordBatch, np.ndarray, np.ndarray | None]:
        return (kept, *_predict(model, frame, classes))

    def write(item: tuple[pa.RecordBatch, np.ndarray, np.ndarray | None]) -> None:
        writer.write(_output_batch(item[0], keep, schema, item[1], item[2]))

    writer = _Writer(output_path, schema, output_format(output_path))
    rows = n_chunks = 0
    ahead = behind = None
    pool = ThreadPoolExecutor(workers, thread_name_prefix="steward-score") if workers > 1 else None
    scoring: deque[Future] = deque()

    def finish_one() -> None:
        nonlocal rows, n_chunks
        item = scoring.popleft().result()
        behind.put(item)
        rows += item[0].num_rows
        n_chunks += 1
        if progress is not None:
            progress(rows, source.total_rows)

    # the workers share the CPUs: BLAS / OpenMP pools of all of them in each worker would only spin
    native_threads = _native_pools().limit(limits=max(1, (os.cpu_count() or 1) // workers))
    try:
        ahead = _Ahead(chunks())
        behind = _Behind(write)
        for kept, frame in ahead:
            if pool is None:
                future: Future = Future()
                future.set_result(score(kept, frame))
            else:
                future = pool.submit(score, kept, frame)
            scoring.append(future)
            if len(scoring) >= workers:
                finish_one()
        while scoring:
            finish_one()
        behind.finish()
        behind = None
        writer.commit()
    except BaseException:
        for future in scoring:
            future.cancel()
        if behind is not None:
            with contextlib.suppress(BaseException):
                behind.finish()
        writer.abort()
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if ahead is not None:
            ahead.close()
        native_threads.restore_original_limits()
    return rows, n_chunks


def _keep_field(source: Source, name: str, numeric: set[str]) -> pa.Field:
    if source.kind == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(source.parts[0].path).schema_arrow.field(name)
    field = csv_schema(source.parts[0].path, [name]).field(name)
    return field.with_type(csv_types(source.parts[0].path, [name], numeric).get(name, field.type))


def prepare(model: Any, input_path: str | os.PathLike, output_path: str | os.PathLike | None, *,
            keep: Sequence[str] | None, chunk_rows: int, input_columns: Sequence[str] | None,
            what: str) -> tuple[Source, list[str], list[str]]:
    """Every check made before anything is read or written: (source, model inputs, kept columns)."""
    chunk_rows = _positive_chunk_rows(chunk_rows)
    keep = [str(k) for k in (keep or [])]
    if output_path is not None:
        out = Path(output_path)
        output_format(out)
        if not out.parent.is_dir():
            raise InvalidInput(f"the output's folder {str(out.parent)!r} does not exist: create it first")
        if out.is_dir():
            raise InvalidInput(f"the output {str(out)!r} is a folder: give a file name ending in .parquet or .csv")
        if Path(input_path).exists() and out.resolve() == Path(input_path).resolve():
            raise InvalidInput(f"the output {str(out)!r} is the input: write the scores to another file")
    source = inspect_input(input_path)
    inputs = list(input_columns) if input_columns is not None else model_columns(model)
    if inputs is None:  # a bare estimator fitted without column names: every column but the kept ones
        inputs = [c for c in source.columns if c not in keep]
    check_columns(source, inputs, keep, what)
    return source, inputs, keep


def score_file(model: Any, input_path: str | os.PathLike, output_path: str | os.PathLike, *,
               keep: Sequence[str] | None = None, chunk_rows: int = 100_000, progress: Progress | None = None,
               input_columns: Sequence[str] | None = None, numeric_columns: Sequence[str] | None = None,
               model_ref: str | None = None) -> ScoringResult:
    """Score every row of a CSV file, a Parquet file or a folder of Parquet files with ``model`` into
    ``output_path`` (Parquet or CSV by its extension), ``chunk_rows`` rows at a time.

    ``keep``: input columns copied to the output (ids to join the scores back on). ``input_columns``: the
    columns the model reads (default: the model's own, e.g. its feature set's inputs); checked before any
    work. ``numeric_columns``: which of them are numbers, read from CSV as float64 whatever the first rows
    look like (default: all of them; only columns the CSV shows as integers or as empty are affected).
    ``progress(rows_done, total_rows_or_None)`` is called after every chunk (the total is known for Parquet).
    """
    started = time.perf_counter()
    what = f"model {model_ref}" if model_ref else "the model"
    source, inputs, keep = prepare(model, input_path, output_path, keep=keep, chunk_rows=chunk_rows,
                                   input_columns=input_columns, what=what)
    out = Path(output_path)
    numeric = set(numeric_columns) if numeric_columns is not None else set(inputs)
    rows, chunks = score_parts(model, source, source.parts, out, inputs=inputs, keep=keep,
                               chunk_rows=int(chunk_rows), numeric=numeric, progress=progress)
    seconds = time.perf_counter() - started
    schema = output_schema(model, [pa.field(k, pa.null()) for k in keep])
    return ScoringResult(model=model_ref, engine="local", input=str(source.path), output=str(out),
                         format=output_format(out), rows=rows, chunks=chunks, columns=schema.names,
                         files=[str(out)], seconds=seconds, rows_per_second=rows / seconds if seconds else 0.0)


def schema_columns(version: Any) -> tuple[list[str] | None, list[str] | None]:
    """A version's recorded input columns and which of them are numeric (None when none are recorded)."""
    columns = (version.input_schema or {}).get("columns") or []
    if not columns:
        return None, None
    names = [c["name"] for c in columns]
    return names, [c["name"] for c in columns if c.get("kind") == "numeric"]


def score_version(workspace: Workspace, ref: str, input_path: str | os.PathLike, output_path: str | os.PathLike,
                  *, keep: Sequence[str] | None = None, chunk_rows: int = 100_000, progress: Progress | None = None,
                  trusted: bool = False) -> ScoringResult:
    """``score_file`` with the registered version ``ref``: the input is checked against the version's input
    schema before the model is loaded (hash-verified) and before anything is written."""
    from mlsteward.lifecycle.registry import load_model_version

    version = workspace.store.models.resolve(ref)
    columns, numeric = schema_columns(version)
    if columns is not None:  # fail fast, before loading the model
        prepare(None, input_path, output_path, keep=keep, chunk_rows=chunk_rows, input_columns=columns,
                what=f"model {version.ref}")
    model = load_model_version(workspace, version.ref, trusted=trusted)
    return score_file(model, input_path, output_path, keep=keep, chunk_rows=chunk_rows, progress=progress,
                      input_columns=columns, numeric_columns=numeric, model_ref=version.ref)


__all__ = ["ScoringResult", "inspect_input", "model_columns", "output_schema", "score_file", "score_version"]
