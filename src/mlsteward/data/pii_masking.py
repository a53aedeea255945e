"""Masking the tagged columns: ``mask_columns`` and the salted hash it applies (``hash_value``).

``mask_columns`` hashes (salted SHA-256) or drops the tagged columns, except those the
project declares sensitive for fairness analysis (``keep``): those are kept as they are so that
fairness can be measured. The workflow layer records the lineage; this module does no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Literal

import numpy as np
import pandas as pd

from mlsteward.data.pii_models import PiiReport
from mlsteward.errors import InvalidInput


def _value_text(value: object) -> str:
    """The text that is hashed for one value: strings as they are, whole numbers as decimal digits."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value)


def hash_value(value: object, salt: str) -> str:
    """``sha256(salt + text of value)`` as 64 hex digits, the masking ``mask_columns`` applies."""
    return hashlib.sha256((salt + _value_text(value)).encode("utf-8")).hexdigest()


def _hash_series(series: pd.Series, salt: str) -> pd.Series:
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    digests = np.array([hash_value(value, salt) for value in uniques] + [None], dtype=object)
    return pd.Series(digests[codes], index=series.index, name=series.name, dtype=object)


def mask_columns(
    df: pd.DataFrame,
    tags: PiiReport | Mapping[str, Iterable[str]],
    *,
    method: Literal["hash", "drop"] = "hash",
    salt: str | None = None,
    keep: Iterable[str] = frozenset(),
) -> pd.DataFrame:
    """A new frame with the tagged columns hashed or dropped; ``df`` itself is not changed.

    ``tags`` is a ``PiiReport`` or ``{column: [detector, …]}`` (columns with no detector are left
    alone). ``method="hash"`` replaces each non-null value by ``sha256(salt + text)`` in hex (see
    ``hash_value``: the same value and salt always give the same digest, so joins and group counts
    survive, while the raw value does not); missing values stay missing. ``method="drop"`` removes
    the columns. Columns in ``keep`` (the attributes ``steward.yaml`` declares sensitive for
    fairness analysis) are never masked, even when tagged.
    """
    if not isinstance(df, pd.DataFrame):
        raise InvalidInput(f"mask_columns needs a pandas DataFrame; got {type(df).__name__}.")
    if method not in ("hash", "drop"):
        raise InvalidInput(
            f"The 'method' parameter of mask_columns must be 'hash' or 'drop'. Got {method!r} instead."
        )
    if method == "hash" and (not isinstance(salt, str) or not salt):
        raise InvalidInput(
            "mask_columns(method='hash') needs a non-empty 'salt' string, kept secret and stable across runs "
            f"(without it, hashed values can be recovered by hashing guesses). Got {salt!r} instead."
        )
    tagged = tags.tagged() if isinstance(tags, PiiReport) else {name: list(found) for name, found in tags.items()}
    keep_names = {str(name) for name in ([keep] if isinstance(keep, str) else keep)}
    by_text = {str(label): label for label in df.columns}
    missing = [name for name, found in tagged.items() if found and str(name) not in by_text]
    if missing:
        available = ", ".join(map(str, df.columns))
        raise InvalidInput(
            f"tagged column(s) {', '.join(map(repr, missing))} not in the data frame; "
            f"available columns: {available}. "
            "Pass the tags detected on this frame."
        )
    labels = [by_text[str(name)] for name, found in tagged.items() if found and str(name) not in keep_names]
    if method == "drop":
        return df.drop(columns=labels)
    masked = df.copy()
    for label in labels:
        masked[label] = _hash_series(df[label], salt)
    return masked
