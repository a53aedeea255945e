"""Register datasets: a CSV / Parquet file or a data frame as a Parquet snapshot, a folder of files
as a manifest. Everything is validated and stored content-addressed before one transaction records
the version, so bad input leaves nothing half-registered.

A CSV is streamed into its snapshot block by block (memory bounded by one row group, whatever the
file's size) with the column types ``pyarrow.csv.read_csv`` infers over the whole file, and written
byte for byte as ``pq.write_table(read_csv(path), compression="zstd")`` writes it (the snapshots of
earlier versions), except that a row group of a very wide table is cut at ``ROW_GROUP_BYTES``. The
same CSV always gives the same bytes, hence the same version (see ``_CsvStream``)."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from mlsteward.errors import InvalidInput
from mlsteward.store.datasets import DatasetVersion, NewDatasetVersion, check_name
from mlsteward.workspace import Workspace

Progress = Callable[[int, int], None]
TABLE_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet"}
COMPRESSED = (".gz", ".bz2", ".zst")  # a compressed CSV, read as such by pyarrow
CSV_BLOCK_BYTES = 1 << 20  # pyarrow's default block: the streamed batches are read_csv's chunks
ROW_GROUP_ROWS = 1024 * 1024  # pyarrow's default row group, so a snapshot equals write_table's file
ROW_GROUP_BYTES = 128 << 20  # ... unless those rows hold more than this in memory (a wide table)
# the order in which Arrow's CSV inference loosens a column's type (csv/inference_internal.h)
_LOOSER = (pa.null(), pa.int64(), pa.bool_(), pa.date32(), pa.time32("s"), pa.timestamp("s"),
           pa.timestamp("ns"), pa.timestamp("s", "UTC"), pa.timestamp("ns", "UTC"), pa.float64(),
           pa.string(), pa.binary())
_CONVERSION = re.compile(r"In CSV column #(\d+): CSV conversion error to (.+?): ")
_VALUE = re.compile(r"(?:invalid value|zone offset in) '(.*)'(?:\. If these timestamps .*)?$", re.S)


def table_format(path: Path) -> str | None:
    """"csv" or "parquet" for a table file (a CSV may be compressed: data.csv.gz), else None."""
    suffixes = [s.lower() for s in path.suffixes]
    if len(suffixes) >= 2 and suffixes[-1] in COMPRESSED and TABLE_SUFFIXES.get(suffixes[-2]) == "csv":
        return "csv"
    return TABLE_SUFFIXES.get(suffixes[-1]) if suffixes else None


def add_dataset(workspace: Workspace, data: object, *, name: str, owner: str = "", description: str = "",
                parents: list[str] | tuple[str, ...] = (), transformation: str = "", run_id: str | None = None,
                role: str = "input", encoding: str = "utf-8", progress: Progress | None = None,
                ) -> tuple[DatasetVersion, bool]:
    """Register ``data`` (a path to a CSV / Parquet file or a folder, or a pandas / polars / Arrow
    frame) as a version of ``name``; identical content returns the existing version.
    Returns (version, created)."""
    check_name(name)
    store = workspace.store
    for ref in parents:
        store.datasets.get(ref)  # an unknown parent fails before anything is stored
    if isinstance(data, (str, os.PathLike)):
        path = Path(data).expanduser()
        if path.is_dir():
            new = _folder_version(workspace, path, progress)
        else:
            new = _file_version(workspace, path, encoding)
    else:
        new = _frame_version(workspace, data)
    new = new.model_copy(update={"name": name, "owner": owner or store.actor, "description": description,
                                 "parents": list(parents), "transformation": transformation})
    return store.datasets.register(new, run_id=run_id, role=role)


def load_dataset(workspace: Workspace, ref: str, *, run_id: str | None = None,
                 role: str = "input"):  # noqa: ANN201 - pandas.DataFrame
    """The table of a dataset version as a pandas DataFrame (hash-verified); with ``run_id``, the
    run records that it used this version."""
    datasets = workspace.store.datasets
    version = datasets.link_run(run_id, ref, role) if run_id else datasets.get(ref)
    if version.kind != "table":
        raise InvalidInput(f"{version.ref} is a folder of files, not a table: use folder_manifest() "
                           "or `steward data show` to see its files")
    if version.removed_kind:
        raise InvalidInput(f"{version.ref} was {version.removed_kind}: {version.removed_reason}. Its data is gone; "
                           "its record and lineage stay (`steward data lineage`)")
    path = workspace.artifacts.verified_path(version.digest)
    source = path if path else io.BytesIO(workspace.artifacts.get_bytes(version.digest))
    return pq.read_table(source, memory_map=bool(path)).to_pandas()


def folder_manifest(workspace: Workspace, ref: str) -> list[dict]:
    """The files of a folder dataset version: relative path, size and digest of each."""
    version = workspace.store.datasets.get(ref)
    if version.kind != "folder":
        raise InvalidInput(f"{version.ref} is a table, not a folder: use load_dataset()")
    return json.loads(workspace.artifacts.get_bytes(version.digest))["files"]


# -- tables ------------------------------------------------------------------------------------
def read_table(path: Path, encoding: str = "utf-8") -> pa.Table:
    """A CSV or Parquet file as an Arrow table, with the same checks and messages as ``add``."""
    path = Path(path).expanduser()
    _check_file(path)
    if table_format(path) == "parquet":
        try:
            table = pq.read_table(path)
        except (pa.ArrowException, OSError) as exc:
            raise InvalidInput(f"cannot read {path} as Parquet: {exc}. Check the file is complete and "
                               "really Parquet") from exc
    else:
        table = _read_csv(path, encoding)
    _check_columns(path, table.column_names, table.num_rows)
    return table


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InvalidInput(f"cannot add {path}: no such file or folder")
    if table_format(path) is None:
        raise InvalidInput(f"cannot add {path}: expected a .csv (or .csv.gz) or .parquet file, or a folder; "
                           f"got {path.suffix or 'no suffix'!r}")
    if path.stat().st_size == 0:
        raise InvalidInput(f"cannot add {path}: the file is empty")


def _file_version(workspace: Workspace, path: Path, encoding: str) -> NewDatasetVersion:
    _check_file(path)
    if table_format(path) == "parquet":
        try:
            schema = pq.read_schema(path)
            rows = pq.read_metadata(path).num_rows
        except (pa.ArrowException, OSError) as exc:
            raise InvalidInput(f"cannot read {path} as Parquet: {exc}. Check the file is complete and "
                               "really Parquet") from exc
        _check_columns(path, schema.names, rows)
        digest, size = _stored_digest(workspace, path)  # already Parquet: stored byte for byte
        return _table_version(schema, rows, digest, size, "parquet", str(path.resolve()))
    handle, tmp = tempfile.mkstemp(prefix="steward-snapshot-", suffix=".parquet")
    os.close(handle)
    try:
        schema, rows = _CsvStream(path, encoding).write(tmp)
        _check_columns(path, schema.names, rows)
        ref = workspace.artifacts.put_file(tmp)
    finally:
        os.unlink(tmp)
    return _table_version(schema, rows, ref.digest, ref.size, "csv", str(path.resolve()))


def _stored_digest(workspace: Workspace, path: Path) -> tuple[str, int]:
    """(digest, size) of a local file, stored content-addressed; an unchanged file (same path,
    size and modification time as when it was last stored) is not read again."""
    key, stat = _cache_key(str(path.resolve())), path.stat()
    hit = workspace.store.datasets.cached_digests([key]).get(key)
    if _unchanged(hit, stat, workspace):
        return hit[2], stat.st_size
    ref = workspace.artifacts.put_file(path)
    workspace.store.datasets.remember_digests(
        [{"path": key, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "digest": ref.digest}])
    return ref.digest, ref.size


def _cache_key(path: str) -> str:
    """The file-hash cache key: host and absolute path (a shared store serves several machines)."""
    return f"{socket.gethostname()}:{path}"


def _unchanged(hit: tuple[int, int, str] | None, stat: os.stat_result, workspace: Workspace) -> bool:
    """Whether a file-hash cache entry still describes the file, and its object is stored."""
    return bool(hit) and hit[:2] == (stat.st_size, stat.st_mtime_ns) and workspace.artifacts.exists(hit[2])


def _read_csv(path: Path, encoding: str) -> pa.Table:
    """The whole CSV in memory (``read_table``); ``_CsvStream`` gives the same types."""
    from pyarrow import csv

    try:
        table = csv.read_csv(path, read_options=csv.ReadOptions(encoding=encoding),
                             parse_options=_parse_options(path))
    except (pa.ArrowInvalid, UnicodeDecodeError, LookupError) as exc:
        raise _csv_error(path, exc, encoding) from exc
    _check_decodable(path, table.schema, encoding)
    return table


def _parse_options(path: Path):  # noqa: ANN202 - pyarrow.csv.ParseOptions
    from pyarrow import csv

    return csv.ParseOptions(delimiter="\t" if ".tsv" in [s.lower() for s in path.suffixes] else ",")


def _csv_error(path: Path, exc: Exception, encoding: str) -> InvalidInput:
    text = str(exc).strip().splitlines()[0]
    if "UTF8" in text or "utf-8" in text.lower() or isinstance(exc, UnicodeDecodeError):
        hint = (f"the file is not valid {encoding}: pass the right encoding "
                "(e.g. --encoding latin-1), or re-save it as UTF-8")
    elif "Expected" in text and "columns" in text:
        hint = "a row has a different number of fields than the header: fix or quote that row"
    else:
        hint = "check the delimiter, quoting and header"
    return InvalidInput(f"cannot read {path} as CSV: {text}; {hint}")


def _check_decodable(path: Path, schema: pa.Schema, encoding: str) -> None:
    """pyarrow types text that is not valid in the encoding as binary instead of failing."""
    undecodable = [f.name for f in schema if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type)]
    if undecodable:
        raise InvalidInput(f"cannot read {path} as CSV: column(s) {', '.join(map(repr, undecodable))} are not "
                           f"valid {encoding}: pass the right encoding (e.g. --encoding latin-1), or re-save "
                           "the file as UTF-8")


class _TypeConflict(Exception):
    """A block does not convert to the type its column was given (``value``: the first that did
    not, when the message names it)."""

    def __init__(self, index: int, type_text: str, value: str | None) -> None:
        super().__init__(index, type_text, value)
        self.index, self.type_text, self.value = index, type_text, value


def _converts(value: str, type_: pa.DataType) -> bool:
    """Whether one CSV cell holding ``value`` converts to ``type_`` (the reader's own rules)."""
    from pyarrow import csv

    cell = b'c\n"' + value.replace('"', '""').encode() + b'"\n'
    try:
        csv.read_csv(io.BytesIO(cell), convert_options=csv.ConvertOptions(column_types={"c": type_}))
    except pa.ArrowInvalid:
        return False
    return True


class _CsvStream:
    """A CSV streamed into a Parquet file: ``open_csv`` batches (one ``CSV_BLOCK_BYTES`` block each)
    gathered into row groups of ``ROW_GROUP_ROWS`` rows, or fewer where they would hold more than
    ``ROW_GROUP_BYTES`` of Arrow data; so memory is bounded by one row group.

    Types: ``open_csv`` infers them from the first block and fails on a later block that does not
    convert. ``read_csv`` instead loosens such a column one step along Arrow's inference order
    (``_LOOSER``: int64, bool, date, time, timestamps, float64, string) until every block converts,
    and so does this stream: on a conflict the column is given the next type that converts the
    offending value (the types skipped fail on that value, so ``read_csv`` would pass them too) and
    the file is read again, first checking only, writing nothing, until a pass converts everything,
    then writing. The common case is one pass; each late type change costs a re-read up to where it
    appears. The result is always ``read_csv``'s types, so the same data gives the same snapshot
    however it is laid out in blocks, and a late ``12.5`` or ``unknown`` in an integer column widens
    it as before instead of failing. Text that does not decode (binary) fails with the encoding
    hint, as before."""

    def __init__(self, path: Path, encoding: str) -> None:
        self.path, self.encoding = path, encoding
        self.names: list[str] = []
        self.forced: dict[str, pa.DataType] = {}

    def write(self, out: str) -> tuple[pa.Schema, int]:
        """Write the Parquet file ``out``; returns its schema and row count."""
        write = True
        while True:
            try:
                schema, rows = self._pass(out if write else None)
            except _TypeConflict as conflict:
                self._loosen(conflict)
                write = False
                continue
            if write:
                return schema, rows
            write = True

    def _loosen(self, conflict: _TypeConflict) -> None:
        name = self.names[conflict.index]
        current = self.forced.get(name)
        if current is None:
            current = next((t for t in _LOOSER if str(t) == conflict.type_text), None)
        if current not in _LOOSER[:-1]:  # not a step of Arrow's inference: cannot happen, but say so
            raise InvalidInput(f"cannot read {self.path} as CSV: column {name!r} does not convert to "
                               f"{conflict.type_text} in a later part of the file; convert it to one type")
        later = _LOOSER[_LOOSER.index(current) + 1:]
        value = conflict.value
        if value is not None and not _converts(value, current):  # the value read off the message
            looser = next((t for t in later[:-1] if _converts(value, t)), later[-1])  # skip what fails
        else:  # ... was misread: one step at a time
            looser = later[0]
        if looser == pa.binary():
            _check_decodable(self.path, pa.schema([pa.field(name, looser)]), self.encoding)
        self.forced[name] = looser

    def _pass(self, out: str | None) -> tuple[pa.Schema, int]:
        from pyarrow import csv

        writer = None
        try:
            reader = csv.open_csv(
                self.path, read_options=csv.ReadOptions(encoding=self.encoding, block_size=CSV_BLOCK_BYTES),
                parse_options=_parse_options(self.path),
                convert_options=csv.ConvertOptions(column_types=self.forced))
            schema = reader.schema
            self.names = schema.names
            _check_decodable(self.path, schema, self.encoding)
            _check_columns(self.path, schema.names, None)
            if out is not None:
                writer = pq.ParquetWriter(out, schema, compression="zstd")  # as pq.write_table
            rows = 0
            pending: list[pa.RecordBatch] = []
            held = size = 0
            for batch in reader:
                rows += batch.num_rows
                if writer is None:
                    continue
                pending.append(batch)
                held, size = held + batch.num_rows, size + batch.nbytes
                while held >= ROW_GROUP_ROWS:
                    table = pa.Table.from_batches(pending, schema)
                    writer.write_table(table.slice(0, ROW_GROUP_ROWS), row_group_size=ROW_GROUP_ROWS)
                    rest = table.slice(ROW_GROUP_ROWS)
                    pending, held, size = rest.to_batches(), rest.num_rows, rest.nbytes
                if size >= ROW_GROUP_BYTES:
                    writer.write_table(pa.Table.from_batches(pending, schema), row_group_size=ROW_GROUP_ROWS)
                    pending, held, size = [], 0, 0
            if pending:
                writer.write_table(pa.Table.from_batches(pending, schema), row_group_size=ROW_GROUP_ROWS)
        except (pa.ArrowInvalid, UnicodeDecodeError, LookupError) as exc:
            conflict = _CONVERSION.search(str(exc)) if isinstance(exc, pa.ArrowInvalid) else None
            if conflict and self.names:
                value = _VALUE.search(str(exc).strip())
                raise _TypeConflict(int(conflict.group(1)), conflict.group(2),
                                    value.group(1) if value else None) from exc
            raise _csv_error(self.path, exc, self.encoding) from exc
        finally:
            if writer is not None:
                writer.close()
        return schema, rows


def _frame_version(workspace: Workspace, data: object) -> NewDatasetVersion:
    kind, table = _to_arrow(data)
    return _snapshot(workspace, table, kind, f"<{kind} data frame>")


def _to_arrow(data: object) -> tuple[str, pa.Table]:
    if isinstance(data, pa.Table):
        return "arrow", data
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        try:
            return "pandas", pa.Table.from_pandas(data, preserve_index=False)
        except (pa.ArrowException, TypeError, ValueError) as exc:
            raise InvalidInput(f"cannot store this data frame: {exc}. Columns must hold one type each "
                               "(convert mixed object columns with .astype(str))") from exc
    if module == "polars":
        return "polars", data.to_arrow()
    raise InvalidInput(f"cannot register a {type(data).__name__}: give a path to a CSV or Parquet file or "
                       "a folder, or a pandas, polars or Arrow data frame")


def _snapshot(workspace: Workspace, table: pa.Table, fmt: str, source: str) -> NewDatasetVersion:
    """Write the table as a deterministic Parquet file and store it content-addressed."""
    _check_columns(source, table.column_names, table.num_rows)
    handle, tmp = tempfile.mkstemp(prefix="steward-snapshot-", suffix=".parquet")
    os.close(handle)
    try:
        pq.write_table(table, tmp, compression="zstd")
        ref = workspace.artifacts.put_file(tmp)
    finally:
        os.unlink(tmp)
    return _table_version(table.schema, table.num_rows, ref.digest, ref.size, fmt, source)


def _check_columns(source: object, names: list[str], rows: int | None) -> None:
    """Columns present and uniquely named, and rows (unless ``None``: not known yet)."""
    if not names:
        raise InvalidInput(f"cannot add {source}: it has no columns")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InvalidInput(f"cannot add {source}: duplicate column names {', '.join(map(repr, duplicated))}; "
                           "rename them so each column has its own name")
    if rows == 0:
        raise InvalidInput(f"cannot add {source}: it has a header but no rows")


def _table_version(schema: pa.Schema, rows: int, digest: str, size: int, fmt: str, source: str
                   ) -> NewDatasetVersion:
    return NewDatasetVersion(
        name="", kind="table", digest=digest, format=fmt, rows=rows, columns=len(schema.names),
        column_types=[{"name": f.name, "type": str(f.type)} for f in schema], size_bytes=size, source=source)


# -- folders -----------------------------------------------------------------------------------
def _folder_version(workspace: Workspace, root: Path, progress: Progress | None) -> NewDatasetVersion:
    """A manifest of every file below ``root`` (hidden files and folders skipped), each file stored
    once; files whose path, size and modification time match the cache are not read again."""
    top = str(root.resolve())
    files = sorted(_walk(top))  # (absolute path, stat); plain strings: 10x cheaper than Path here
    if not files:
        raise InvalidInput(f"cannot add folder {top}: it holds no files")
    datasets, artifacts = workspace.store.datasets, workspace.artifacts
    keys = {path: _cache_key(path) for path, _ in files}
    known = datasets.cached_digests(list(keys.values()))
    digests: dict[str, str] = {}
    for path, stat in files:
        hit = known.get(keys[path])
        if _unchanged(hit, stat, workspace):
            digests[path] = hit[2]
    changed = [(p, s) for p, s in files if p not in digests]
    fresh = []
    for start in range(0, len(changed), 5000):  # stored in batches, one sync each
        batch = changed[start:start + 5000]
        for (path, stat), ref in zip(batch, artifacts.put_files([p for p, _ in batch]), strict=True):
            digests[path] = ref.digest
            fresh.append({"path": keys[path], "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
                          "digest": ref.digest})
        if progress:
            progress(len(files) - len(changed) + start + len(batch), len(files))
    cut = len(top) + 1
    entries = [{"path": p[cut:].replace(os.sep, "/"), "size": s.st_size, "digest": digests[p]} for p, s in files]
    datasets.remember_digests(fresh)
    manifest = json.dumps({"files": entries}, sort_keys=True, separators=(",", ":")).encode()
    ref = artifacts.put_bytes(manifest)
    return NewDatasetVersion(name="", kind="folder", digest=ref.digest, format="folder", rows=len(entries),
                             columns=0, column_types=[], size_bytes=sum(e["size"] for e in entries), source=top)


def _walk(folder: str):  # noqa: ANN202 - yields (absolute path, stat)
    with os.scandir(folder) as it:
        for entry in it:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                yield from _walk(entry.path)
            elif entry.is_file():
                yield entry.path, entry.stat()
