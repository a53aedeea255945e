"""Drift of a reference against partitioned Parquet (prediction logs), on one machine or on Ray.

``drift_over_partitions(reference, sources)`` is ``dataset_drift(reference, current)`` where the current data
is the rows of ``sources`` (Parquet partitions, in the order given) stacked together. Each source is a path
(a Parquet file, or a folder ``pyarrow.parquet.read_table`` reads) or a zero-argument callable returning a
``pyarrow.Table`` (or a pandas data frame): the prediction log's segments live content-addressed in the
artifact store, so the caller may hand in readers, such as ``functools.partial(read_segment, uri)``. Only
the columns the drift needs are read. ``rename`` maps logged column names to the reference's (the
prediction log names inputs ``input.<column>``: ``{f"input.{c}": c for c in features}``); a renamed
logged column is read instead of any column that already has the reference's name.

Engines (the same numbers from both; the tests compare ``model_dump()`` of the two results):

* ``engine="local"``: read each source in turn (``.to_pandas()`` of its table), ``pandas.concat`` them
  (``ignore_index=True``; a column a source lacks is missing on its rows) and call ``dataset_drift``.
* ``engine="ray"`` (the ``[ray]`` extra): one Ray task per source reads it and reduces each wanted column
  to a compact partial result; the driver merges the partials in source order, rebuilds from them a
  current frame on which the core reads exactly the values it reads from the stacked frame, and calls the
  same ``dataset_drift``. A running Ray is used as it is (``ray.init`` called already, or ``address=`` /
  ``RAY_ADDRESS`` naming a cluster); otherwise a local one is started with ``num_cpus`` CPUs (None: all)
  and no dashboard, and shut down at the end. Errors raised in a task (an unreadable source) are raised
  as themselves.

What crosses the wire. To each task: its source (the path, or the pickled reader: it must be picklable,
so a module-level function or a ``functools.partial`` of one, not a lambda of a test module) and the plan
(logged name -> reference name and the reference column's type). Back from each task: its row count and,
per wanted column present in the source,

* numeric reference column: the finite values as float64 *in row order*, dictionary-encoded (distinct
  values + ``uint8``/``uint16`` codes) when that is smaller (columns with few distinct values, such as
  ages, years or counts, shrink about eightfold), plus the counts of missing, unreadable (text that is
  not a number: the core counts it as missing, with a note), +inf and -inf values. The values are read
  with the core's own rules (timedelta in seconds; text through ``pandas.to_numeric``). Row order is kept
  rather than sorted because the core may depend on it: the Wasserstein scale of a constant reference is
  the standard deviation of both samples pooled, whose float sum depends on the order, and any
  registered test may compute a mean; the concatenation of the partials in source order is then exactly
  the stacked column's values.
* categorical reference column: the distinct non-missing values in order of first appearance, their
  counts, and the missing count (a few kilobytes, however many rows). First appearance matters: a
  category new in the current data gets its place in the frequency table and the chi-squared table by it.
* datetime reference column: nothing but its presence (the core skips datetime columns).

The rebuilt current column holds the merged finite values, then the missing, infinite and unreadable
entries (as NaN, +-inf and a text placeholder), or each category repeated its count; the core's results
depend on the values, their counts and, for categories, their order of first appearance, which the
rebuild keeps, so the results equal the local engine's. Mixed types across sources are the exception
the tests do not cover: a categorical column logged as integers in one source and floats in another is
stacked by pandas into floats (``1.0``) but merged as the first-seen ``1``.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from mlsteward.errors import InvalidInput, StewardError
from mlsteward.monitor.drift_columns import _kind_of
from mlsteward.ray_engine import import_ray, start_ray, task_result
from mlsteward.spec_gates import did_you_mean

if TYPE_CHECKING:
    from mlsteward.monitor.drift_results import DatasetDrift

Source = str | os.PathLike | Callable[[], Any]
Engine = Literal["local", "ray"]
ENGINES: tuple[str, ...] = ("local", "ray")

_UNREADABLE = "<not a number>"
"""Stands for a value that was not readable as a number in a rebuilt numeric column."""


# --- the public function --------------------------------------------------------------------------


def drift_over_partitions(reference: Any, sources: Sequence[Source], *, engine: Engine = "local",
                          columns: Sequence[str] | None = None, rename: Mapping[str, str] | None = None,
                          num_cpus: int | None = None, address: str | None = None,
                          **drift_kwargs: Any) -> DatasetDrift:
    """Drift of ``reference`` against the rows of ``sources`` stacked, on this machine or on Ray.

    ``reference``: a data frame (pandas, polars or Arrow). ``sources``: a list of Parquet paths or
    zero-argument readers returning a ``pyarrow.Table``. ``engine``: ``"local"`` or ``"ray"``.
    ``columns``: the feature columns to test (default: every reference column but the prediction and
    target). ``rename``: logged column name -> reference column name. ``num_cpus`` / ``address``: the
    local Ray to start / the Ray cluster to join (Ray engine only). ``drift_kwargs``: passed to
    ``dataset_drift`` (``tests``, ``thresholds``, ``effect_floor``, ``correction``, ``drift_share``,
    ``prediction``, ``target``). Everything is checked before a source is read or Ray starts.
    """
    dataset_drift = _dataset_drift()
    ref = _reference(reference)
    sources = _sources(sources)
    if engine not in ENGINES:
        raise InvalidInput(f"engine must be 'local' or 'ray'; got {engine!r}{did_you_mean(engine, ENGINES)}")
    if num_cpus is not None and (isinstance(num_cpus, bool) or not isinstance(num_cpus, int) or num_cpus < 1):
        raise InvalidInput(f"num_cpus must be a whole number of at least 1, or None (all CPUs); got {num_cpus!r}")
    if address is not None and not isinstance(address, str):
        raise InvalidInput(f"address must be a Ray address such as 'ray://head:10001' or 'auto'; got {address!r}")
    _check_drift_kwargs(dataset_drift, drift_kwargs)
    dataset_drift(ref, ref.iloc[:0], columns=columns, **drift_kwargs)  # refuses bad options before any read
    wanted = _wanted(ref, columns, drift_kwargs)
    plan = _plan(ref, wanted, rename)

    if engine == "local":
        frames = [_read(source, plan) for source in sources]
        current = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    else:
        current = _rebuild(_summaries_on_ray(sources, plan, num_cpus, address), plan)
    return dataset_drift(ref, current, columns=columns, **drift_kwargs)


# --- checking the call ----------------------------------------------------------------------------


def _dataset_drift() -> Callable[..., DatasetDrift]:
    # from the package, not a submodule: the module that holds it may move
    from mlsteward.monitor import dataset_drift

    return dataset_drift


def _reference(reference: Any) -> pd.DataFrame:
    if not isinstance(reference, pd.DataFrame) and hasattr(reference, "to_pandas"):
        reference = reference.to_pandas()
    if not isinstance(reference, pd.DataFrame):
        raise InvalidInput(f"the reference must be a data frame (pandas, polars or Arrow); got "
                           f"{type(reference).__name__}: read it first, e.g. pd.read_parquet(path)")
    if reference.columns.has_duplicates:
        doubled = sorted({str(c) for c in reference.columns[reference.columns.duplicated()]})
        raise InvalidInput(f"the reference has duplicate column names {doubled}: rename or drop the copies")
    return reference


def _sources(sources: Any) -> list[Source]:
    if isinstance(sources, str | os.PathLike) or callable(sources):
        raise InvalidInput(f"sources must be a list of Parquet paths or readers; got one {type(sources).__name__}: "
                           "write [source], or list a folder's files with sorted(Path(folder).glob('*.parquet'))")
    if not isinstance(sources, Sequence) or not sources:
        raise InvalidInput(f"sources must be a non-empty list of Parquet paths or zero-argument readers returning "
                           f"a pyarrow.Table; got {sources!r}")
    checked: list[Source] = []
    for i, source in enumerate(sources):
        if callable(source):
            checked.append(source)
        elif isinstance(source, str | os.PathLike):
            if not Path(source).exists():
                raise InvalidInput(f"source {i} ({os.fspath(source)!r}) does not exist: pass the path of a Parquet "
                                   "file (or folder) of the logs")
            checked.append(os.fspath(source))
        else:
            raise InvalidInput(f"source {i} must be a Parquet path or a zero-argument reader returning a "
                               f"pyarrow.Table; got {type(source).__name__}")
    return checked


def _check_drift_kwargs(dataset_drift: Callable[..., Any], drift_kwargs: dict[str, Any]) -> None:
    accepted = [name for name in inspect.signature(dataset_drift).parameters
                if name not in ("reference_df", "current_df", "columns")]
    for name in drift_kwargs:
        if name not in accepted:
            raise InvalidInput(f"drift_over_partitions got an unknown option {name!r}"
                               f"{did_you_mean(name, accepted)}; it passes these to dataset_drift: "
                               f"{', '.join(accepted)}")


def _wanted(ref: pd.DataFrame, columns: Sequence[str] | None, drift_kwargs: dict[str, Any]) -> list[Any]:
    """The reference columns dataset_drift will look at."""
    if columns is None:
        return list(ref.columns)
    special = [drift_kwargs.get(role) for role in ("prediction", "target")]
    return list(dict.fromkeys([*columns, *(c for c in special if c is not None)]))


@dataclass(frozen=True)
class _Plan:
    """What a task reads: logged name -> reference name, and each reference column's type."""

    names: dict[str, Any]
    kinds: dict[Any, str]


def _plan(ref: pd.DataFrame, wanted: list[Any], rename: Mapping[str, str] | None) -> _Plan:
    if rename is None:
        rename = {}
    if not isinstance(rename, Mapping):
        raise InvalidInput(f"rename must map logged column names to reference column names, e.g. "
                           f"{{'input.age': 'age'}}; got {type(rename).__name__}")
    reference_names = [str(c) for c in ref.columns]
    logged_for: dict[Any, str] = {}
    for logged, name in rename.items():
        if name not in ref.columns:
            raise InvalidInput(f"rename maps {logged!r} to {name!r}, which is not a reference column"
                               f"{did_you_mean(name, reference_names)}")
        if name in logged_for:
            raise InvalidInput(f"rename maps both {logged_for[name]!r} and {logged!r} to {name!r}: map one "
                               "logged column to each reference column")
        logged_for[name] = logged
    names = {logged_for.get(c, str(c)): c for c in wanted}
    return _Plan(names=names, kinds={c: _kind_of(ref[c]) for c in wanted})


# --- reading a source -----------------------------------------------------------------------------


def _read(source: Source, plan: _Plan) -> pd.DataFrame:
    """The source's wanted columns (those it has), under their reference names."""
    import pyarrow as pa

    label = source if isinstance(source, str) else getattr(source, "__name__", type(source).__name__)
    try:
        if callable(source):
            table = source()
        else:
            import pyarrow.dataset as ds

            dataset = ds.dataset(source, format="parquet", partitioning="hive")
            present = [name for name in plan.names if name in dataset.schema.names]
            table = dataset.to_table(columns=present)
    except StewardError:
        raise
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise InvalidInput(f"cannot read source {label!r} as Parquet ({type(exc).__name__}: {exc}); check the "
                           "path, or that the reader returns a pyarrow.Table") from exc
    if isinstance(table, pa.Table):
        present = [name for name in plan.names if name in table.column_names]
        frame = table.select(present).to_pandas()
    elif isinstance(table, pd.DataFrame):
        frame = table[[name for name in plan.names if name in table.columns]]
    else:
        raise InvalidInput(f"reader {label!r} returned {type(table).__name__}; a reader must return a "
                           "pyarrow.Table (e.g. pyarrow.parquet.read_table(path))")
    if frame.columns.has_duplicates:
        doubled = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise InvalidInput(f"source {label!r} has duplicate column names {doubled}: fix the log's columns")
    return frame.set_axis([plan.names[c] for c in frame.columns], axis=1)


# --- partial results (one Ray task each) and their merge ------------------------------------------


@dataclass
class _Numbers:
    """A numeric column of one source: its finite values in row order, and what else it held."""

    values: np.ndarray  # float64 values, or codes into ``distinct``
    distinct: np.ndarray | None = None
    missing: int = 0
    unreadable: int = 0
    positive_infinite: int = 0
    negative_infinite: int = 0

    def finite(self) -> np.ndarray:
        return self.values if self.distinct is None else self.distinct[self.values]


@dataclass
class _Categories:
    """A categorical column of one source: its distinct values (first appearance first) and counts."""

    values: list[Any]
    counts: list[int]
    missing: int = 0


@dataclass
class _Summary:
    rows: int
    columns: dict[Any, _Numbers | _Categories | None] = field(default_factory=dict)  # None: datetime, present


def summarise(source: Source, plan: _Plan) -> _Summary:
    """One task: read ``source`` and reduce each wanted column to its partial result."""
    frame = _read(source, plan)
    summary = _Summary(rows=len(frame))
    for name in frame.columns:
        kind = plan.kinds[name]
        column = frame[name]
        if kind == "numeric":
            summary.columns[name] = _numbers(column)
        elif kind == "categorical":
            summary.columns[name] = _categories(column)
        else:
            summary.columns[name] = None
    return summary


def _numbers(column: pd.Series) -> _Numbers:
    """The core's reading of a current numeric column (``drift_columns._numbers``), kept as counts."""
    unreadable = 0
    if getattr(column.dtype, "kind", "O") == "m":
        column = column.dt.total_seconds()
    elif _kind_of(column) != "numeric":
        missing_before = int(column.isna().sum())
        column = pd.to_numeric(column.astype(object), errors="coerce")
        unreadable = int(column.isna().sum()) - missing_before
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    finite = np.isfinite(values)
    nan = int(np.isnan(values).sum())
    positive = int((values == np.inf).sum())
    packed = _Numbers(values=values[finite], missing=nan - unreadable, unreadable=unreadable,
                      positive_infinite=positive, negative_infinite=len(values) - int(finite.sum()) - nan - positive)
    return _dictionary_encoded(packed)


def _dictionary_encoded(numbers: _Numbers) -> _Numbers:
    """Distinct values + codes when that is smaller than the float64 values (and exactly reversible)."""
    values = numbers.values
    if not len(values) or np.signbit(values[values == 0.0]).any():  # np.unique would merge -0.0 into 0.0
        return numbers
    distinct, codes = np.unique(values, return_inverse=True)
    width = 1 if len(distinct) <= 1 << 8 else 2 if len(distinct) <= 1 << 16 else 0
    if not width or distinct.nbytes + width * len(values) >= values.nbytes:
        return numbers
    numbers.values = codes.reshape(-1).astype(np.uint8 if width == 1 else np.uint16)
    numbers.distinct = distinct
    return numbers


def _categories(column: pd.Series) -> _Categories:
    missing = column.isna().to_numpy(dtype=bool)
    codes, uniques = pd.factorize(column[~missing])
    counts = np.bincount(codes, minlength=len(uniques))
    return _Categories(values=list(np.asarray(uniques, dtype=object)), counts=counts.tolist(),
                       missing=int(missing.sum()))


def _rebuild(summaries: list[_Summary], plan: _Plan) -> pd.DataFrame:
    """A current frame the core reads exactly as it reads the stacked sources (module docstring)."""
    rows = sum(s.rows for s in summaries)
    built: dict[Any, Any] = {}
    for name, kind in plan.kinds.items():
        parts = [(s.rows, s.columns[name]) for s in summaries if name in s.columns]
        if not parts:
            continue  # in no source: the core reports it missing from the current data
        absent = rows - sum(n for n, _ in parts)  # rows of sources without the column: missing
        if kind == "numeric":
            built[name] = _rebuilt_numbers([p for _, p in parts], absent)
        elif kind == "categorical":
            built[name] = _rebuilt_categories([p for _, p in parts], absent)
        else:
            built[name] = np.full(rows, None, dtype=object)  # datetime: skipped by the core
    return pd.DataFrame(built, index=pd.RangeIndex(rows))


def _rebuilt_numbers(parts: list[Any], absent: int) -> np.ndarray:
    finite = np.concatenate([p.finite() for p in parts]) if parts else np.empty(0)
    missing = absent + sum(p.missing for p in parts)
    filled = [finite, np.full(missing, np.nan), np.full(sum(p.positive_infinite for p in parts), np.inf),
              np.full(sum(p.negative_infinite for p in parts), -np.inf)]
    unreadable = sum(p.unreadable for p in parts)
    if not unreadable:
        return np.concatenate(filled)
    column = np.concatenate(filled).astype(object)  # text: the core reads it as numbers and counts the rest
    return np.concatenate([column, np.full(unreadable, _UNREADABLE, dtype=object)])


def _rebuilt_categories(parts: list[Any], absent: int) -> np.ndarray:
    merged: dict[Any, int] = {}
    for part in parts:
        for value, count in zip(part.values, part.counts, strict=True):
            merged[value] = merged.get(value, 0) + count
    values = np.empty(len(merged), dtype=object)
    values[:] = list(merged)
    repeated = np.repeat(values, np.fromiter(merged.values(), dtype=np.int64, count=len(merged)))
    missing = absent + sum(p.missing for p in parts)
    return np.concatenate([repeated, np.full(missing, None, dtype=object)])


# --- Ray ------------------------------------------------------------------------------------------






def _summaries_on_ray(sources: list[Source], plan: _Plan, num_cpus: int | None,
                      address: str | None) -> list[_Summary]:
    ray = import_ray("use the local engine (engine='local')")
    started = start_ray(ray, address, num_cpus)
    try:
        task = ray.remote(num_cpus=1, max_retries=0)(summarise)
        futures = [task.remote(source, plan) for source in sources]
        return [task_result(ray, future) for future in futures]  # in source order
    finally:
        if started:
            ray.shutdown()




__all__ = ["ENGINES", "drift_over_partitions", "summarise"]
