"""Data profile: what every column of a dataset holds, how clean it is, and how it relates to a target.

``profile_dataset(df, target=..., config=ProfileConfig(...))`` returns a ``DatasetProfile``, the
core of the data-quality and EDA reports (``report/`` renders it; this module only computes). It
reads each column once: numeric columns are sorted once, every other column is factorised once. No
per-row Python loops.

This module is the public API of the profile and runs the dataset-level steps; the rules are
documented where they are applied:

* ``mlsteward.data.profile_models``: ``ProfileConfig`` (every threshold) and the result models.
* ``mlsteward.data.profile_types``: the inferred types, in the order they are decided.
* ``mlsteward.data.profile_columns``: one column: flags, numeric statistics, IQR outliers,
  histograms, top values, warnings.
* ``mlsteward.data.profile_stats``: mergeable pieces (``Moments``, histograms, quantiles) and
  chunked computation.
* ``mlsteward.data.profile_duplicates``: duplicate rows.
* ``mlsteward.data.profile_target_column`` and ``mlsteward.data.profile_target``: the target kind,
  class balance, associations and correlation matrices.

Dataset: ``memory_bytes`` is ``DataFrame.memory_usage(deep=True)`` including the index.

Correlations: Pearson and Spearman over numeric (not identifier) columns with at least two distinct
finite values, pairwise-complete rows; above ``correlation_max_rows`` rows (default 100,000), that
many rows are drawn without replacement with ``seed`` (the result says ``sampled``): a correlation
estimated from 100,000 rows is within about 0.01 of the full-data value, at a tenth of the cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlsteward.data.profile_columns import _analyse_column, _Work
from mlsteward.data.profile_duplicates import _row_hash_part, _RowHasher
from mlsteward.data.profile_models import (
    ColumnFlags,
    ColumnProfile,
    DatasetProfile,
    DatetimeStats,
    Histogram,
    InferredType,
    NumericStats,
    ProfileConfig,
    ValueCount,
)
from mlsteward.data.profile_stats import (
    Moments,
    histogram_counts,
    histogram_edges,
    sorted_quantiles,
)
from mlsteward.data.profile_target import (  # noqa: F401 - importable from here, as before the split
    ClassCount,
    Correlations,
    TargetAssociation,
    TargetKind,
    TargetProfile,
    class_balance,
    correlation_matrices,
    correlation_ratio,
    cramers_v,
    finite_or_none,
    pearson,
    regression_advice,
)
from mlsteward.data.profile_target_column import (
    _associate,
    _EncodedTarget,
    _profile_target,
)
from mlsteward.errors import InvalidInput
from mlsteward.spec_gates import did_you_mean


def profile_dataset(
    data: Any,
    *,
    target: str | None = None,
    config: ProfileConfig | None = None,
) -> DatasetProfile:
    """Profile every column of ``data`` (pandas; polars and pyarrow tables are converted).

    With ``target``, also profile the target (kind, class balance or distribution, advice) and
    each feature's association with it. Raises ``InvalidInput`` for an empty frame, duplicate
    column names or a target that is not a column.
    """
    config = config if config is not None else ProfileConfig()
    if not isinstance(config, ProfileConfig):
        raise InvalidInput(f"The 'config' parameter of profile_dataset must be a ProfileConfig; "
                           f"got {type(config).__name__} instead.")
    df = _as_pandas(data)
    names = _column_names(df)
    n_rows, n_cols = df.shape
    position = {name: i for i, name in enumerate(names)}
    if target is not None and target not in position:
        if not isinstance(target, str):
            raise InvalidInput(f"The 'target' parameter must be a column name (str); got "
                               f"{type(target).__name__} {target!r}.")
        shown = ", ".join(f"'{n}'" for n in names[:50]) + (" …" if len(names) > 50 else "")
        raise InvalidInput(f"Target column '{target}' is not in the data{did_you_mean(target, names)}. "
                           f"Available columns ({len(names)}): {shown}.")

    memory = df.memory_usage(deep=True, index=True).to_numpy()  # [index, col0, col1, ...]
    sample = None
    if n_rows > config.correlation_max_rows:
        rng = np.random.default_rng(config.seed)
        sample = np.sort(rng.choice(n_rows, size=config.correlation_max_rows, replace=False))

    hasher = _RowHasher(n_rows)
    profiles: dict[int, ColumnProfile] = {}
    numeric_for_corr: dict[int, np.ndarray] = {}
    associations: list[tuple[int, TargetAssociation]] = []
    target_profile: TargetProfile | None = None
    encoded: _EncodedTarget | None = None
    target_pos = position[target] if target is not None else -1
    order = list(range(n_cols))
    if target is not None:  # the target first: each feature's association needs its encoding
        order.remove(target_pos)
        order.insert(0, target_pos)
    for pos in order:
        result = _profile_column(df.iloc[:, pos], pos, names[pos], config, int(memory[pos + 1]),
                                 sample, encoded, keep_work=pos == target_pos,
                                 need_hash=hasher.hash is not None)
        if pos == target_pos:
            target_profile, encoded = _profile_target(result.work, config)
            result.work = None
        profiles[pos] = result.profile
        hasher.add(result.row_hash, result.all_distinct)
        if result.corr_values is not None:
            numeric_for_corr[pos] = result.corr_values
        if result.association is not None:
            associations.append((pos, result.association))

    correlations = None
    if len(numeric_for_corr) >= 2:
        cols = sorted(numeric_for_corr)
        correlations = correlation_matrices({names[i]: numeric_for_corr[i] for i in cols},
                                            sampled=sample is not None)
    duplicates = hasher.duplicates(df)
    warnings = []
    if duplicates:
        warnings.append(f"{duplicates} rows ({duplicates / n_rows:.1%}) repeat an earlier row; "
                        "drop them before splitting, or they leak between train and test.")
    if target_profile is not None:
        warnings.extend(f"Target: {w}" for w in target_profile.warnings)
    associations.sort(key=lambda item: (item[1].value is None,
                                        -abs(item[1].value or 0.0), item[0]))
    return DatasetProfile(
        rows=n_rows,
        columns=n_cols,
        duplicate_rows=duplicates,
        duplicate_share=duplicates / n_rows,
        memory_bytes=int(memory.sum()),
        column_profiles=[profiles[i] for i in range(n_cols)],
        correlations=correlations,
        target=target_profile,
        associations=[a for _, a in associations],
        warnings=warnings,
        config=config,
    )


# --- the boundary ---------------------------------------------------------------------------------


def _as_pandas(data: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        df = data
    else:
        module = type(data).__module__.split(".")[0]
        if module in ("polars", "pyarrow") and hasattr(data, "to_pandas") and hasattr(data, "schema"):
            df = data.to_pandas()  # a polars DataFrame, a pyarrow Table or RecordBatch
        else:
            raise InvalidInput("profile_dataset expects a pandas DataFrame, a polars DataFrame or a "
                               f"pyarrow Table; got {type(data).__module__}.{type(data).__name__}.")
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise InvalidInput(f"The data is empty ({df.shape[0]} rows, {df.shape[1]} columns); "
                           "a profile needs at least one row and one column.")
    return df


def _column_names(df: pd.DataFrame) -> list[str]:
    names = [str(c) for c in df.columns]
    seen: set[str] = set()
    repeated = sorted({n for n in names if n in seen or seen.add(n)})
    if repeated:
        raise InvalidInput(f"Column names must be unique; repeated: {', '.join(repr(n) for n in repeated)}. "
                           "Rename them (e.g. df.columns = [...]) and profile again.")
    return names


# --- one column -----------------------------------------------------------------------------------


@dataclass
class _ColumnResult:
    """What the dataset-level steps need from one column; its large arrays are already dropped."""

    pos: int
    profile: ColumnProfile
    association: TargetAssociation | None
    corr_values: np.ndarray | None  # the correlation sample of a numeric column
    row_hash: np.ndarray | None  # this column's share of the row hashes
    all_distinct: bool
    work: _Work | None = None  # kept for the target only


def _profile_column(s: pd.Series, pos: int, name: str, cfg: ProfileConfig, memory: int,
                    sample: np.ndarray | None, target: _EncodedTarget | None,
                    keep_work: bool = False, need_hash: bool = True) -> _ColumnResult:
    work = _analyse_column(s, name, cfg, memory, pos)
    p = work.profile
    corr_values = None
    if p.inferred_type == "numeric" and p.numeric is not None and p.numeric.min < p.numeric.max:
        corr_values = work.values[sample] if sample is not None else work.values
    association = _associate(work, target) if target is not None else None
    row_hash = _row_hash_part(work) if need_hash and not work.all_distinct else None
    return _ColumnResult(pos, p, association, corr_values, row_hash, work.all_distinct,
                         work if keep_work else None)


__all__ = [
    "ClassCount",
    "ColumnFlags",
    "ColumnProfile",
    "Correlations",
    "DatasetProfile",
    "DatetimeStats",
    "Histogram",
    "InferredType",
    "Moments",
    "NumericStats",
    "ProfileConfig",
    "TargetAssociation",
    "TargetProfile",
    "ValueCount",
    "histogram_counts",
    "histogram_edges",
    "profile_dataset",
    "sorted_quantiles",
]
