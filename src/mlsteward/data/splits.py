"""Train / validation / test splits: random, stratified, grouped and time-based, seeded.

``split_dataset(df, config, target=...)`` returns a ``SplitResult``: the row positions of each part
(``indices``, sorted, kept out of the JSON) and a pydantic ``SplitSummary`` (per part: rows, share,
class distribution, group count, time range, a fingerprint of its rows; and the config) for the
report and the gate evidence. ``result.parts(df)`` cuts the frame. Storing each part as a dataset
version with lineage is the workflow layer's job; this module only computes.

**Deterministic.** The same config on the same data (same rows in the same order) gives identical
indices. Indices are *positions* (``df.iloc``), not index labels. One ``numpy.random.RandomState(seed)``
drives every random step of a split, in the order below.

This module is the public API; the rules are documented where they are applied:

* ``mlsteward.data.splits_models``: the parts and fractions (``SplitConfig``) and the results.
* ``mlsteward.data.splits_random``: ``random``, ``stratified`` and ``grouped``, with scikit-learn.
* ``mlsteward.data.splits_time``: ``time``, by cutoffs or by the fractions, ties kept together.
* ``mlsteward.data.splits_columns``: the class distribution reported per part.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mlsteward.data.splits_columns import (
    MAX_NUMERIC_CLASSES,  # noqa: F401 - importable from here, as before
    _class_counts,
    _codes,
    _column,
    _no_missing,
    _reads_as_classes,
    _time_value,
)
from mlsteward.data.splits_models import (  # noqa: F401 - importable from here, as before the split
    FRACTION_TOLERANCE,
    PART_NAMES,
    PartSummary,
    SplitConfig,
    SplitResult,
    SplitSummary,
    Strategy,
    TimeValue,
)
from mlsteward.data.splits_random import (
    _check_sizes,
    _grouped_split,
    _shuffle_split,
    _sklearn_failed,
    _stratified_codes,
)
from mlsteward.data.splits_time import _time_series, _time_split
from mlsteward.errors import InvalidInput


def split_dataset(
    df: pd.DataFrame, config: SplitConfig | Mapping[str, Any] | None = None, *, target: str | None = None
) -> SplitResult:
    """Split ``df`` into train / (validation) / test parts as ``config`` says (default: random 70/15/15).

    ``target`` names the label column: the default ``stratify_by`` of a stratified split, and the
    column whose class distribution each part reports. See the module documentation for the rules.
    """
    if config is None:
        config = SplitConfig()
    elif isinstance(config, Mapping):
        config = SplitConfig.model_validate(dict(config))
    elif not isinstance(config, SplitConfig):
        raise InvalidInput(
            f"The 'config' parameter of split_dataset must be a SplitConfig (or a dict of its settings). "
            f"Got {config!r} instead."
        )
    if not isinstance(df, pd.DataFrame):
        raise InvalidInput(f"split_dataset needs a pandas DataFrame; got {type(df).__name__}.")
    target_column = _column(df, target, "target") if target is not None else None
    parts = config.part_names
    n = len(df)
    notes: list[str] = []
    group_codes: np.ndarray | None = None
    cutoffs: tuple[Any, Any] | None = None
    time_series: pd.Series | None = None
    class_series = target_column

    if config.strategy in ("random", "stratified"):
        stratify = None
        if config.strategy == "stratified":
            name = config.stratify_by or target
            if name is None:
                raise InvalidInput(
                    "strategy='stratified' needs the class column: give stratify_by in the config or target= to "
                    "split_dataset."
                )
            stratify_series = _column(df, name, "stratify column")
            stratify = _stratified_codes(stratify_series)
            if class_series is None:
                class_series = stratify_series
        _check_sizes(n, "rows", config, parts)
        try:
            found = _shuffle_split(n, config, parts, stratify)
        except ValueError as exc:
            raise _sklearn_failed(exc, config.strategy) from exc
        notes.append("test part split off first with train_test_split(test_size=test)")
        if len(parts) == 3:
            train, validation, _ = config.fractions
            notes.append(
                f"validation split from the remaining rows with test_size = validation / (train + validation) = "
                f"{validation:g} / {train + validation:g} = {validation / (train + validation):.6g}"
            )
    elif config.strategy == "grouped":
        group_series = _column(df, config.group_by, "group column")
        _no_missing(
            group_series, "group column",
            "give each such row a group id of its own (or a shared 'unknown' group), or drop those rows.",
        )
        group_codes, uniques = _codes(group_series)
        _check_sizes(len(uniques), "groups", config, parts)
        try:
            found = _grouped_split(group_codes, config, parts)
        except ValueError as exc:
            raise _sklearn_failed(exc, "grouped") from exc
        notes.append(
            "GroupShuffleSplit matches the fractions by number of groups, not rows; the row shares achieved are "
            "the parts' 'share'"
        )
    else:
        time_series = _time_series(_column(df, config.time_column, "time column"))
        if n < len(parts):
            raise InvalidInput(f"too few rows for {len(parts)} parts: the data frame has {n}.")
        found, cutoffs, time_notes = _time_split(time_series, config, parts)
        notes.extend(time_notes)

    if class_series is not None and not _reads_as_classes(class_series):
        notes.append(f"'{class_series.name}' does not read as classes: no class distribution reported")
        class_series = None

    indices: dict[str, np.ndarray] = {}
    summaries: dict[str, PartSummary] = {}
    for i, name in enumerate(parts):
        positions = np.sort(np.asarray(found[name], dtype=np.int64))
        positions.flags.writeable = False
        indices[name] = positions
        counts = _class_counts(class_series.iloc[positions]) if class_series is not None else None
        times = time_series.iloc[positions] if time_series is not None else None
        summaries[name] = PartSummary(
            name=name,
            rows=len(positions),
            share=len(positions) / n,
            requested_share=config.fractions[PART_NAMES.index(name)],
            rows_sha256=hashlib.sha256(positions.astype("<i8").tobytes()).hexdigest(),
            class_counts=counts,
            class_shares={k: v / len(positions) for k, v in counts.items()} if counts is not None else None,
            group_count=len(np.unique(group_codes[positions])) if group_codes is not None else None,
            time_min=_time_value(times.min()) if times is not None else None,
            time_max=_time_value(times.max()) if times is not None else None,
        )
    summary = SplitSummary(
        config=config,
        rows=n,
        target=target,
        class_column=None if class_series is None else str(class_series.name),
        class_counts=_class_counts(class_series) if class_series is not None else None,
        group_count=len(np.unique(group_codes)) if group_codes is not None else None,
        cutoffs=None if cutoffs is None else (_time_value(cutoffs[0]), _time_value(cutoffs[1])),
        parts=summaries,
        notes=notes,
    )
    return SplitResult(indices=indices, summary=summary)


__all__ = [
    "PART_NAMES",
    "PartSummary",
    "SplitConfig",
    "SplitResult",
    "SplitSummary",
    "Strategy",
    "TimeValue",
    "split_dataset",
]
