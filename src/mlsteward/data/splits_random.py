"""The shuffled splits: ``random``, ``stratified`` and ``grouped``, seeded.

``random`` and ``stratified`` — scikit-learn's ``train_test_split`` (``shuffle=True``), applied twice:

1. the test part is split off all rows with ``test_size=test`` (scikit-learn rounds the test
   part *up*: ``ceil(test * rows)`` rows);
2. if there is a validation part, the remaining rows are split again with
   ``test_size = validation / (train + validation)`` (again rounded up), the rest being train.

So a two-part split is exactly ``train_test_split(range(rows), test_size=test, stratify=...,
random_state=seed)``, and the test part of a three-part split is the same rows as the test part
of the two-part split with the same test fraction and seed. ``stratified`` passes
``stratify=`` the ``stratify_by`` column (default: the target) at both steps, coded by its sorted
distinct values (as scikit-learn's ``numpy.unique`` does), so the class shares of every part
follow the overall shares to within a row or so per class (scikit-learn's
``StratifiedShuffleSplit`` allocation). Every class needs at least 2 rows, and no missing values.

``grouped`` — scikit-learn's ``GroupShuffleSplit`` (one split), applied twice in the same way (test
groups first, then validation groups from the rest): no group appears in two parts. It matches the
fractions by the number of *groups*, not rows, so with groups of unequal size the row shares
differ from the fractions; the summary reports the achieved row shares (``share``) beside the
requested ones. Missing group values are refused (give each such row its own group id, or drop it).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupShuffleSplit, train_test_split

from mlsteward.data.splits_columns import _codes, _label, _no_missing
from mlsteward.data.splits_models import SplitConfig
from mlsteward.errors import InvalidInput


def _shuffle_counts(n: int, test_fraction: float) -> tuple[int, int]:
    """(train, test) sizes scikit-learn's shuffle splitters give for a float ``test_size``."""
    n_test = math.ceil(test_fraction * n)
    return n - n_test, n_test


def _planned_sizes(n: int, fractions: tuple[float, float, float], parts: tuple[str, ...]) -> dict[str, int]:
    """Sizes of the parts after the two steps (test first, then validation from the rest)."""
    train, validation, test = fractions
    rest, n_test = _shuffle_counts(n, test)
    if len(parts) == 2:
        return {"train": rest, "test": n_test}
    n_train, n_validation = _shuffle_counts(rest, validation / (train + validation))
    return {"train": n_train, "validation": n_validation, "test": n_test}


def _check_sizes(n: int, unit: str, config: SplitConfig, parts: tuple[str, ...]) -> None:
    sizes = _planned_sizes(n, config.fractions, parts) if n > 0 else dict.fromkeys(parts, 0)
    empty = [name for name in parts if sizes[name] < 1]
    if empty:
        planned = ", ".join(f"{name} {sizes[name]}" for name in parts)
        raise InvalidInput(
            f"too few {unit} for {len(parts)} parts: {n} {unit} with fractions {config.fractions} give {planned} "
            f"{unit}, and every part needs at least one; use more data, larger fractions for the small parts"
            + (", or a validation fraction of 0 for two parts." if len(parts) == 3 else ".")
        )


def _sklearn_failed(exc: ValueError, strategy: str) -> InvalidInput:
    advice = {
        "stratified": "use strategy='random', merge rare classes, or give the small parts larger fractions",
        "grouped": "use more groups or give the small parts larger fractions",
    }.get(strategy, "use more rows or give the small parts larger fractions")
    return InvalidInput(f"the {strategy} split cannot be made: {exc} ({advice}).")


# --- the strategies -------------------------------------------------------------------------------


def _shuffle_split(
    n: int, config: SplitConfig, parts: tuple[str, ...], stratify: np.ndarray | None
) -> dict[str, np.ndarray]:
    rng = np.random.RandomState(config.seed)
    train, validation, test = config.fractions
    positions = np.arange(n)
    rest, test_rows = train_test_split(
        positions, test_size=test, shuffle=True, random_state=rng, stratify=stratify
    )
    found = {"test": test_rows}
    if len(parts) == 2:
        found["train"] = rest
    else:
        rest = np.sort(rest)
        found["train"], found["validation"] = train_test_split(
            rest,
            test_size=validation / (train + validation),
            shuffle=True,
            random_state=rng,
            stratify=None if stratify is None else stratify[rest],
        )
    return found


def _stratified_codes(series: pd.Series) -> np.ndarray:
    _no_missing(
        series, "stratify column",
        "stratify by a column without missing values, fill them (e.g. as a class of their own), or drop those rows.",
    )
    codes, uniques = _codes(series)
    counts = np.bincount(codes, minlength=len(uniques))
    rare = [(uniques[i], int(counts[i])) for i in np.flatnonzero(counts < 2)]
    if rare:
        shown = ", ".join(f"{_label(value)!r} has {count} row" for value, count in rare[:10])
        more = f" and {len(rare) - 10} more" if len(rare) > 10 else ""
        raise InvalidInput(
            f"stratify column '{series.name}' has classes with fewer than 2 rows, which cannot be spread over "
            f"the parts: {shown}{more}. Use strategy='random', or merge rare classes into a larger one."
        )
    return codes


def _grouped_split(codes: np.ndarray, config: SplitConfig, parts: tuple[str, ...]) -> dict[str, np.ndarray]:
    rng = np.random.RandomState(config.seed)
    train, validation, test = config.fractions
    positions = np.arange(len(codes))
    splitter = GroupShuffleSplit(n_splits=1, test_size=test, random_state=rng)
    rest, test_rows = next(splitter.split(positions, groups=codes))
    found = {"test": test_rows}
    if len(parts) == 2:
        found["train"] = rest
    else:
        splitter = GroupShuffleSplit(n_splits=1, test_size=validation / (train + validation), random_state=rng)
        train_at, validation_at = next(splitter.split(rest, groups=codes[rest]))
        found["train"], found["validation"] = rest[train_at], rest[validation_at]
    return found
