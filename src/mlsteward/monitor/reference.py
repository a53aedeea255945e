"""Reference statistics, computed once: ``reference_profile`` and ``ReferenceProfile``.

A monitor compares every new window with the same reference. ``reference_profile(reference_df)``
reads the reference once and keeps, per column, what the drift tests need; ``dataset_drift(profile,
current)`` (and ``drift``) then read only the current window and give the numbers they give with the
reference frame itself, called with the same arguments: statistics, p-values, decisions,
histograms and frequency tables (the tests check every registered test for equality).

Per column, read with the rules of ``mlsteward.monitor.drift_columns``:

* numeric: the finite values as float64, sorted; the rows and missing values; the population
  standard deviation of the finite values (the scale of the normalised Wasserstein distance); the PSI
  bin edges and the reference's counts in them; the reference's notes (infinite values left out).
* categorical: the categories in order of first appearance and their counts; rows, missing values.
* datetime: the rows only (such columns are skipped, as with the frame).

The built-in tests run on these statistics directly: Wasserstein sorts only the current values and
merges them with the stored sorted ones, KS runs ``ks_test`` on the sorted reference (its result
depends only on the values),
PSI counts the current values in the stored bins, the categorical tests map the current values onto
the stored categories and use the stored counts, the reference's histogram is found by binary
search. A registered test of one's own receives the reference rebuilt from the profile: for a numeric
column its finite values *sorted* rather than in row order, for a categorical one the integer codes
of its categories grouped by category (``np.repeat`` of the codes by their counts). Whatever depends
only on the values and their counts is unchanged; a float sum (a mean) may differ in the last bits.

A profile remembers the ``prediction`` and ``target`` named when it was computed: ``dataset_drift``
uses them when its own ``prediction`` / ``target`` are not given.

Storage (``to_bytes`` / ``from_bytes``): a NumPy ``.npz`` archive without pickle, loaded with
``allow_pickle=False``, so loading runs no code. Entry ``meta`` holds UTF-8 JSON (format name and
version, rows, roles, and per column its name, type, counts, notes, standard deviation and
categories); the arrays are ``c<i>_values`` (or ``c<i>_distinct`` + ``c<i>_repeats`` when a column
repeats its values enough that distinct values and their counts take less room: the exact array is
rebuilt on load), ``c<i>_psi_edges``, ``c<i>_psi_counts`` and ``c<i>_counts``. Column names must be
text or integers (JSON keeps both).

Categories are kept as text, each with its kind, so that current values map onto them as they did onto
the original values: ``str`` (the text), ``int`` (its digits), ``float`` (``repr``, which round-trips
exactly), ``bool`` (``True``/``False``), and ``other:<type name>`` (``str(value)``) for any other type.
The first four come back as Python ``str``/``int``/``float``/``bool``, which compare with current
values exactly as the originals did (``1 == 1.0 == True``, ``"1" != 1``; numpy scalars included). A
category of another type (a date, a Decimal, a tuple in an object column) comes back as a stand-in
equal only to current values of the same type name printing the same text: such a category no
longer matches a current value of another type that the original compared equal to (``Decimal("1")``
and ``1``), and two such categories printing the same text are refused.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from mlsteward.errors import InvalidInput
from mlsteward.monitor.drift_columns import _frame, _kind_of, _numbers, _share
from mlsteward.monitor.drift_tests import psi_bin_counts, psi_bin_edges
from mlsteward.spec_gates import did_you_mean

FORMAT = "mlsteward.reference_profile"
FORMAT_VERSION = 1

ColumnName = str | int
ProfileType = Literal["numeric", "categorical", "datetime"]


# --- categories as text ---------------------------------------------------------------------------


class _OtherCategory:
    """Stands for a category of a type kept as text: equal to others of its type name and text."""

    __slots__ = ("text", "type_name")

    def __init__(self, type_name: str, text: str) -> None:
        self.type_name, self.text = type_name, text

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, _OtherCategory) and self.type_name == other.type_name
                and self.text == other.text)

    def __hash__(self) -> int:
        return hash((_OtherCategory, self.type_name, self.text))

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"<{self.type_name} {self.text!r}>"


def _plain(value: Any) -> Any:
    """``value`` as the Python object it is stored as (str, int, float, bool or a stand-in)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, _OtherCategory):
        return value
    return _OtherCategory(type(value).__name__, str(value))


def _matchable(value: Any) -> Any:
    """A current value as it is compared with stored categories (other types by name and text)."""
    if isinstance(value, (str, int, float, np.number, np.bool_)):  # bool is an int
        return value
    return _OtherCategory(type(value).__name__, str(value))


def _encode(category: Any) -> tuple[str, str]:
    if isinstance(category, bool):
        return "bool", str(category)
    if isinstance(category, str):
        return "str", category
    if isinstance(category, int):
        return "int", str(category)
    if isinstance(category, float):
        return "float", repr(category)
    return f"other:{category.type_name}", category.text


def _decode(kind: str, text: str) -> Any:
    if kind == "str":
        return text
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "bool":
        if text not in ("True", "False"):
            raise ValueError(f"bool category {text!r}")
        return text == "True"
    if kind.startswith("other:"):
        return _OtherCategory(kind[len("other:"):], text)
    raise ValueError(f"unknown category kind {kind!r}")


# --- the profile ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ColumnProfile:
    """What the drift tests need of one reference column (module docstring)."""

    name: ColumnName
    column_type: ProfileType
    rows: int
    missing: int = 0
    notes: tuple[str, ...] = ()
    values: np.ndarray | None = field(default=None, repr=False)  # numeric: finite, sorted
    std: float | None = None
    psi_edges: np.ndarray | None = field(default=None, repr=False)
    psi_counts: np.ndarray | None = field(default=None, repr=False)
    categories: tuple[Any, ...] = field(default=(), repr=False)  # categorical: first appearance
    counts: np.ndarray | None = field(default=None, repr=False)

    @property
    def count(self) -> int:
        """How many values a test reads (non-missing, finite)."""
        if self.column_type == "numeric":
            return len(self.values)
        return int(self.counts.sum()) if self.column_type == "categorical" else 0

    @property
    def missing_share(self) -> float:
        return _share(self.missing, self.rows)

    def reference_values(self) -> np.ndarray:
        """The values a registered test receives: sorted floats, or codes grouped by category."""
        if self.column_type == "numeric":
            return self.values
        return np.repeat(np.arange(len(self.counts)), self.counts)

    @cached_property
    def _index(self) -> pd.Index:
        return pd.Index(np.array(self.categories, dtype=object), dtype=object)

    def current_codes(self, current: pd.Series) -> tuple[np.ndarray, list[Any]]:
        """Codes of the non-missing ``current`` values over the stored categories followed by the
        new ones (in order of first appearance), and those categories."""
        cur_codes, cur_uniques = pd.factorize(current)
        cur_objects = np.asarray(cur_uniques, dtype=object)
        matchable = np.array([_matchable(v) for v in cur_objects], dtype=object)
        mapping = self._index.get_indexer(matchable)
        new = mapping < 0
        mapping[new] = len(self.categories) + np.arange(int(new.sum()))
        categories = list(self.categories) + list(cur_objects[new])
        return mapping[cur_codes], categories

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ColumnProfile):
            return NotImplemented
        same = (self.name, self.column_type, self.rows, self.missing, self.notes, self.std) == (
            other.name, other.column_type, other.rows, other.missing, other.notes, other.std)
        arrays = all(_same_array(getattr(self, a), getattr(other, a))
                     for a in ("values", "psi_edges", "psi_counts", "counts"))
        return (same and arrays and [_encode(c) for c in self.categories]
                == [_encode(c) for c in other.categories])

    __hash__ = None  # type: ignore[assignment]


def _same_array(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a, b))


@dataclass(frozen=True, eq=False)
class ReferenceProfile:
    """A reference's statistics, column by column: pass it to ``dataset_drift`` / ``drift`` in place
    of the reference frame. ``to_bytes`` / ``from_bytes`` store it (no pickle)."""

    rows: int
    columns: dict[ColumnName, ColumnProfile]
    prediction: ColumnName | None = None
    target: ColumnName | None = None

    def column(self, name: ColumnName) -> ColumnProfile:
        """The profile of column ``name``."""
        try:
            return self.columns[name]
        except KeyError:
            raise InvalidInput(f"Column {name!r} is not in the reference profile"
                               f"{did_you_mean(name, map(str, self.columns))}.") from None

    def __iter__(self) -> Iterator[ColumnName]:
        return iter(self.columns)

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ReferenceProfile):
            return NotImplemented
        return ((self.rows, self.prediction, self.target, list(self.columns))
                == (other.rows, other.prediction, other.target, list(other.columns))
                and all(self.columns[c] == other.columns[c] for c in self.columns))

    __hash__ = None  # type: ignore[assignment]

    def to_bytes(self) -> bytes:
        """The profile as an ``.npz`` archive (module docstring); ``from_bytes`` reads it back."""
        arrays: dict[str, np.ndarray] = {}
        described = []
        for i, col in enumerate(self.columns.values()):
            entry: dict[str, Any] = {"name": col.name, "type": col.column_type, "rows": col.rows,
                                     "missing": col.missing, "notes": list(col.notes)}
            if col.column_type == "numeric":
                entry["std"] = col.std
                entry["count"] = len(col.values)
                distinct, repeats = _runs(col.values)
                if 2 * len(distinct) < len(col.values):
                    arrays[f"c{i}_distinct"], arrays[f"c{i}_repeats"] = distinct, repeats
                else:
                    arrays[f"c{i}_values"] = col.values
                arrays[f"c{i}_psi_edges"] = col.psi_edges
                arrays[f"c{i}_psi_counts"] = col.psi_counts
            elif col.column_type == "categorical":
                kinds, texts = zip(*map(_encode, col.categories), strict=True) if col.categories else ((), ())
                entry["kinds"], entry["categories"] = list(kinds), list(texts)
                arrays[f"c{i}_counts"] = col.counts
            described.append(entry)
        meta = {"format": FORMAT, "version": FORMAT_VERSION, "rows": self.rows,
                "prediction": self.prediction, "target": self.target, "columns": described}
        buffer = io.BytesIO()
        np.savez(buffer, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> ReferenceProfile:
        """A profile from ``to_bytes``; raises ``InvalidInput`` for anything else."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                arrays = {key: archive[key] for key in archive.files}
            meta = json.loads(arrays.pop("meta").tobytes().decode())
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise ValueError("no reference profile format marker")
            if meta.get("version") != FORMAT_VERSION:
                raise ValueError(f"format version {meta.get('version')!r}, this Steward reads "
                                 f"version {FORMAT_VERSION}")
            columns = [_column_from(i, entry, arrays) for i, entry in enumerate(meta["columns"])]
            return cls(rows=int(meta["rows"]), columns={c.name: c for c in columns},
                       prediction=meta.get("prediction"), target=meta.get("target"))
        except (ValueError, KeyError, TypeError, OSError, zipfile.BadZipFile, EOFError,
                UnicodeDecodeError) as exc:
            raise InvalidInput(f"These bytes are not a readable reference profile ({exc}). Compute it "
                               "again with reference_profile(reference_df) and store "
                               "profile.to_bytes().") from exc

    def __repr__(self) -> str:
        kinds = [c.column_type for c in self.columns.values()]
        return (f"ReferenceProfile(rows={self.rows}, columns={len(kinds)} "
                f"({kinds.count('numeric')} numeric, {kinds.count('categorical')} categorical))")


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of a sorted array (bit for bit, so -0.0 and 0.0 stay apart) and run lengths."""
    if len(values) == 0:
        return values, np.zeros(0, dtype=np.int64)
    bits = values.view(np.int64)
    starts = np.flatnonzero(np.concatenate([[True], bits[1:] != bits[:-1]]))
    return values[starts], np.diff(np.append(starts, len(values)))


def _array(arrays: dict[str, np.ndarray], key: str, dtype: type, length: int | None = None) -> np.ndarray:
    array = arrays[key]
    if array.dtype != np.dtype(dtype) or array.ndim != 1 or (length is not None and len(array) != length):
        raise ValueError(f"array {key} has dtype {array.dtype} and shape {array.shape}")
    return array


def _column_from(i: int, entry: dict, arrays: dict[str, np.ndarray]) -> ColumnProfile:
    kind = entry["type"]
    common = {"name": entry["name"], "column_type": kind, "rows": int(entry["rows"]),
              "missing": int(entry["missing"]), "notes": tuple(str(n) for n in entry["notes"])}
    if not isinstance(common["name"], (str, int)):
        raise ValueError(f"column name {common['name']!r}")  # noqa: TRY004 - reported as unreadable bytes
    if kind == "numeric":
        count = int(entry["count"])
        if f"c{i}_values" in arrays:
            values = _array(arrays, f"c{i}_values", np.float64, count)
        else:
            distinct = _array(arrays, f"c{i}_distinct", np.float64)
            repeats = _array(arrays, f"c{i}_repeats", np.int64, len(distinct))
            values = np.repeat(distinct, repeats)
            if len(values) != count:
                raise ValueError(f"column {i} holds {len(values)} values, not {count}")
        edges = _array(arrays, f"c{i}_psi_edges", np.float64)
        psi_counts = _array(arrays, f"c{i}_psi_counts", np.int64, len(edges) + 1)
        std = None if entry["std"] is None else float(entry["std"])
        return ColumnProfile(**common, values=values, std=std, psi_edges=edges, psi_counts=psi_counts)
    if kind == "categorical":
        categories = tuple(_decode(str(k), str(t)) for k, t in zip(entry["kinds"], entry["categories"],
                                                                    strict=True))
        counts = _array(arrays, f"c{i}_counts", np.int64, len(categories))
        return ColumnProfile(**common, categories=categories, counts=counts)
    if kind == "datetime":
        return ColumnProfile(**common)
    raise ValueError(f"column type {kind!r}")


# --- computing it ---------------------------------------------------------------------------------


def reference_profile(reference_df: Any, *, columns: Sequence[ColumnName] | None = None,
                      prediction: ColumnName | None = None,
                      target: ColumnName | None = None) -> ReferenceProfile:
    """The statistics of ``reference_df`` the drift tests need, computed once (module docstring).

    ``columns``: the feature columns to profile (default: all); ``prediction`` / ``target``: the
    prediction and label columns, profiled too and remembered as such.
    """
    df = _frame(reference_df, "reference_df")
    known = list(df.columns)
    for name in known:
        if isinstance(name, bool) or not isinstance(name, (str, int, np.integer)):
            raise InvalidInput(f"A reference profile keeps column names as text or integers. Got "
                               f"{name!r}; rename the columns first, e.g. df.columns = "
                               "df.columns.map(str).")
    if columns is None:
        chosen = known
    else:
        if isinstance(columns, str):
            raise InvalidInput(f"columns must be a list of column names. Got the string "
                               f"{columns!r}; write [{columns!r}].")
        chosen = list(dict.fromkeys(columns))
    for role, col in (("prediction", prediction), ("target", target)):
        if col is not None and col not in chosen:
            chosen.append(col)
    unknown = [c for c in chosen if c not in df.columns]
    if unknown:
        raise InvalidInput(f"Column {unknown[0]!r} is not in the reference data"
                           f"{did_you_mean(unknown[0], map(str, known))}.")
    profiles = {}
    for col in chosen:
        name = int(col) if isinstance(col, np.integer) else col
        profiles[name] = _profile_column(name, df[col])
    return ReferenceProfile(rows=len(df), columns=profiles, prediction=prediction, target=target)


def _profile_column(name: ColumnName, series: pd.Series) -> ColumnProfile:
    if isinstance(series, pd.DataFrame):
        raise InvalidInput(f"The reference has more than one column named {name!r}: rename or drop "
                           "the copies.")
    kind = _kind_of(series)
    rows = len(series)
    if kind == "datetime":
        return ColumnProfile(name, "datetime", rows)
    if kind == "numeric":
        notes: list[str] = []
        values, missing = _numbers(series, "reference", notes)
        ordered = np.sort(values)
        if len(values):
            std = float(np.std(values))  # in row order, as the frame's test computes it
            edges = psi_bin_edges(ordered)
        else:
            std, edges = None, np.zeros(0)
        return ColumnProfile(name, "numeric", rows, missing, tuple(notes), values=ordered, std=std,
                             psi_edges=edges.astype(np.float64),
                             psi_counts=psi_bin_counts(ordered, edges).astype(np.int64))
    mask = series.isna().to_numpy(dtype=bool)
    codes, uniques = pd.factorize(series[~mask])
    categories = tuple(_plain(v) for v in np.asarray(uniques, dtype=object))
    profile = ColumnProfile(name, "categorical", rows, int(mask.sum()), categories=categories,
                            counts=np.bincount(codes, minlength=len(categories)).astype(np.int64))
    if not profile._index.is_unique:
        doubled = profile._index[profile._index.duplicated()][0]
        raise InvalidInput(f"Column {name!r} has two different categories that read {str(doubled)!r}; "
                           "a profile keeps categories of this type as text. Convert the column to "
                           "text first, e.g. df[col] = df[col].astype(str).")
    return profile


__all__ = ["ColumnProfile", "ReferenceProfile", "reference_profile"]
