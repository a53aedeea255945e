"""Read a table named on the command line into a pandas frame: a file, a folder of Parquet files, or
a dataset version.

``read_frame(source)`` takes what a user types: a CSV file (``.csv``, ``.tsv``, ``.csv.gz`` …), a
Parquet file (``.parquet``, ``.pq``), a folder of Parquet files (read recursively, hidden ``.*`` and
``_*`` files left out, in path order), or a dataset version reference ``NAME``, ``NAME@latest``,
``NAME@3``. An existing path is always read as a file, without opening any store, so ad hoc use needs
no Steward project; anything else is looked up as a dataset version in the project's store, which is
opened only then. Files are read as ``steward data add`` reads them (``lifecycle.datasets.read_table``:
the same type inference and messages), and a version as the pipeline reads it (``load_dataset``,
hash-verified). An empty text value counts as missing, whatever the source: a CSV file has no other
way to write a missing text (``steward data add`` keeps it as ``""``), so without this the same data
read from a CSV file and from a Parquet file would differ.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mlsteward.errors import InvalidInput, NotFound
from mlsteward.lifecycle.datasets import load_dataset, read_table, table_format
from mlsteward.settings import resolve_settings
from mlsteward.store.datasets import NAME_PATTERN
from mlsteward.workspace import Workspace

FORMATS = "a .csv / .tsv / .csv.gz file, a .parquet / .pq file, a folder of Parquet files, or a dataset version " \
          "such as gss@1"


@dataclass(frozen=True)
class Frame:
    """A table read for a command: the rows, and what they are in the user's words."""

    data: pd.DataFrame
    label: str  # the path as given, or the version's full reference (gss@3)
    kind: str  # "file", "folder" or "dataset"


def read_frame(source: str | os.PathLike[str], *, encoding: str = "utf-8",
               workspace: Callable[[], Workspace] | None = None, what: str = "the data") -> Frame:
    """``source`` (a path or a dataset version reference, see the module docstring) as a frame.

    ``workspace`` opens the project's workspace when a dataset version must be looked up (default: the
    project around the current folder, never created). ``what`` names the table in messages, e.g.
    ``"the reference"``.
    """
    text = os.fspath(source)
    if not text.strip():
        raise InvalidInput(f"{what} is empty: give {FORMATS}")
    path = Path(text).expanduser()
    if path.is_dir():
        return Frame(_blank_as_missing(_read_folder(path, what)), text, "folder")
    if path.exists():
        return Frame(_blank_as_missing(_read_file(path, encoding, what)), text, "file")
    if not _looks_like_reference(text):
        raise InvalidInput(f"{what} {text!r} does not exist: check the path (relative paths start at "
                           f"{Path.cwd()}), or give {FORMATS}")
    version_ref, frame = _read_version(text, workspace, what)
    return Frame(_blank_as_missing(frame), version_ref, "dataset")


def _blank_as_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """Empty text values as missing (the module docstring says why)."""
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            if "" in column.cat.categories:
                frame[name] = column.cat.remove_categories([""])
        elif pd.api.types.is_string_dtype(column.dtype) or column.dtype == object:
            blank = column.eq("").fillna(False).to_numpy(dtype=bool)
            if blank.any():
                frame[name] = column.mask(blank)
    return frame


def _looks_like_reference(text: str) -> bool:
    """A dataset version reference, not a path: NAME or NAME@VERSION, without a table file's suffix."""
    name, at, _ = text.partition("@")
    if not NAME_PATTERN.match(name):
        return False
    return bool(at) or table_format(Path(name)) is None


def _read_file(path: Path, encoding: str, what: str) -> pd.DataFrame:
    if table_format(path) is None:
        raise InvalidInput(f"cannot tell the format of {what} {str(path)!r} from its name "
                           f"(suffix {path.suffix or 'none'!r}): give {FORMATS}; rename the file if it is a "
                           "CSV or Parquet file under another name")
    try:
        table = read_table(path, encoding)
    except InvalidInput as exc:  # read_table words its checks for `steward data add`
        raise InvalidInput(exc.message.replace("cannot add ", "cannot read ", 1)) from None
    return table.to_pandas()


def _read_folder(folder: Path, what: str) -> pd.DataFrame:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and table_format(p) == "parquet"
                   and not any(part.startswith((".", "_")) for part in p.relative_to(folder).parts))
    if not files:
        raise InvalidInput(f"the folder {str(folder)!r} ({what}) holds no Parquet files (*.parquet, *.pq): give a "
                           "folder of Parquet files, or a CSV or Parquet file")
    tables = []
    for file in files:
        try:
            tables.append(pq.read_table(file))
        except (pa.ArrowException, OSError) as exc:
            raise InvalidInput(f"cannot read {str(file)!r} (in {str(folder)!r}) as Parquet: {exc}. Check the file "
                               "is complete, or move it out of the folder") from exc
    try:
        table = pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowException, TypeError) as exc:
        raise InvalidInput(f"the Parquet files in {str(folder)!r} do not share one schema ({exc}): give files "
                           "whose shared columns have the same types") from exc
    if table.num_rows == 0:
        raise InvalidInput(f"the Parquet files in {str(folder)!r} ({what}) hold no rows")
    return table.to_pandas()


def _read_version(ref: str, workspace: Callable[[], Workspace] | None, what: str) -> tuple[str, pd.DataFrame]:
    settings = None
    try:
        if workspace is None:
            settings = resolve_settings()
            opened = Workspace(settings, create=False)
        else:
            opened = workspace()
        store = opened.store
    except NotFound as exc:
        where = "" if settings is None or settings.spec_path is None else f" ({settings.spec_path})"
        raise NotFound(f"{what} {ref!r} is not a file here, so it was taken for a dataset version, but the project"
                       f"{where} has no store to look it up in ({exc.message}). Give the path of a CSV or Parquet "
                       "file, or run the command inside a Steward project") from None
    try:
        version = store.datasets.get(ref)
    except NotFound as exc:
        hint = "" if "@" in ref else f" (nor a file or folder named {ref!r} here)"
        raise NotFound(f"{what}: {exc.message}{hint}") from None
    return version.ref, load_dataset(opened, version.ref)


__all__ = ["FORMATS", "Frame", "read_frame"]
