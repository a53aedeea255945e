"""Sensitivity (PII) tagging: which columns hold personal data, and masking them.

``detect_pii`` looks at each column two ways, with every registered detector (``PII_DETECTORS``):

* **by name**: the column name, normalised (camelCase split, lower-cased, runs of other characters
  turned into ``_``: ``CustomerEmail`` -> ``customer_email``), is matched in full against the
  detector's name pattern. Patterns accept a qualifying prefix and a trailing number
  (``billing_phone_2``) but the PII word must be the last one, so ``email_sent`` or ``phone_count``
  do not match.
* **by values**: up to ``sample_size`` non-null values are drawn at random (seeded, so the same frame
  always gives the same sample) and each value's text is tested. The column is tagged when at least
  ``min_share`` of the sampled values match.

Which columns are examined: text (object, string, category) and integer columns; floats whose
non-null values are all whole numbers are read as integers (an integer column with missing values
loads as float). Booleans, datetimes, timedeltas and other floats cannot hold these identifiers
and are skipped, by name and by value (so ``email_opened_at`` or ``is_mobile`` is never tagged).

This module holds the registry (``PII_DETECTORS``, ``register_detector``) and the detection; the
rest is documented where it is defined:

* ``mlsteward.data.pii_detectors``: ``Detector`` and the built-in detectors with their exact rules.
* ``mlsteward.data.pii_models``: ``PiiReport`` and its tags (confidence, matched share, evidence).
* ``mlsteward.data.pii_masking``: ``mask_columns``, which hashes (salted SHA-256) or drops the
  tagged columns, except those the project declares sensitive for fairness analysis (``keep``).
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches

import numpy as np
import pandas as pd

from mlsteward.data.pii_detectors import (
    BUILTIN_DETECTORS,
    Detector,
    ValueTest,  # noqa: F401 - importable from here, as before the split
    luhn_valid,
    normalise_column_name,
)
from mlsteward.data.pii_masking import hash_value, mask_columns
from mlsteward.data.pii_models import ColumnPii, Confidence, PiiReport, PiiTag
from mlsteward.errors import InvalidInput

# The registry lives here, where detection reads it: ``monkeypatch.setattr(pii, "PII_DETECTORS", ...)``
# gives a test its own registry.
PII_DETECTORS: dict[str, Detector] = {}


def register_detector(detector: Detector, *, replace: bool = False) -> Detector:
    """Add ``detector`` to ``PII_DETECTORS`` under its name; returns it.

    A detector needs a name pattern, a value test or both. A name already taken is an error unless
    ``replace=True``.
    """
    if not isinstance(detector, Detector):
        raise TypeError(f"a PII detector must be a Detector; got {detector!r}")
    if not detector.name:
        raise ValueError("a PII detector needs a non-empty name")
    if detector.name_pattern is None and detector.value_test is None:
        raise ValueError(f"PII detector '{detector.name}' needs a name_pattern, a value_test or both")
    if not replace and PII_DETECTORS.get(detector.name, detector) is not detector:
        raise ValueError(f"PII detector '{detector.name}' is already registered; pass replace=True to replace it")
    PII_DETECTORS[detector.name] = detector
    return detector


for _detector in BUILTIN_DETECTORS:
    register_detector(_detector)


# --- detection ------------------------------------------------------------------------------------


def _percent(share: float) -> str:
    text = f"{share:.0%}"
    if text in ("100%", "0%") and 0 < share < 1:
        text = f"{share:.1%}"
    return text


def _column_text(series: pd.Series) -> tuple[pd.Series | None, str | None]:
    """The column as text for value tests, or ``None`` and the reason it is not examined."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return None, "boolean values cannot hold PII identifiers"
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return None, "date and time values cannot hold PII identifiers"
    if isinstance(dtype, pd.PeriodDtype | pd.IntervalDtype) or pd.api.types.is_complex_dtype(dtype):
        return None, f"{dtype} values cannot hold PII identifiers"
    values = series.dropna()
    if pd.api.types.is_float_dtype(dtype):
        numbers = values.to_numpy(dtype=float)
        finite = np.isfinite(numbers).all()
        if not (finite and (numbers == np.round(numbers)).all() and (np.abs(numbers) < 2**63).all()):
            return None, "non-integral numbers cannot hold PII identifiers"
        return pd.Series(numbers.astype(np.int64), index=values.index).astype(str), None
    if pd.api.types.is_integer_dtype(dtype):
        return values.astype(str), None
    text = values.astype(str).str.strip()
    return text.astype(object), None


def _validate_share(name: str, value: float, function: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise InvalidInput(
            f"The '{name}' parameter of {function} must be a share in (0, 1], e.g. 0.8. Got {value!r} instead."
        )


def _selected_detectors(names: Iterable[str] | None) -> list[Detector]:
    if names is None:
        return list(PII_DETECTORS.values())
    if isinstance(names, str):
        names = [names]
    chosen = []
    for name in names:
        if name not in PII_DETECTORS:
            close = get_close_matches(str(name), list(PII_DETECTORS), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            known = ", ".join(sorted(PII_DETECTORS))
            raise InvalidInput(f"unknown PII detector '{name}'{hint} Known detectors: {known}.")
        chosen.append(PII_DETECTORS[name])
    return chosen


def detect_pii(
    df: pd.DataFrame,
    *,
    sample_size: int = 1000,
    min_share: float = 0.8,
    seed: int = 0,
    detectors: Iterable[str] | None = None,
) -> PiiReport:
    """Tag the columns of ``df`` that hold personal data, by column name and by sampled values.

    Up to ``sample_size`` non-null values per column are sampled with ``seed`` (all of them when
    the column has fewer); a detector tags the column by values when at least ``min_share`` of
    the sample matches, and by name when the normalised name matches its pattern (whatever the
    values; the evidence then reports the share that did match). ``detectors`` restricts the run
    to some registered detectors by name (default: all of ``PII_DETECTORS``). See the module
    documentation for each detector's rules.
    """
    if not isinstance(df, pd.DataFrame):
        raise InvalidInput(f"detect_pii needs a pandas DataFrame; got {type(df).__name__}.")
    if isinstance(sample_size, bool) or not isinstance(sample_size, int) or sample_size < 1:
        raise InvalidInput(
            "The 'sample_size' parameter of detect_pii must be a positive integer, e.g. 1000. "
            f"Got {sample_size!r} instead."
        )
    _validate_share("min_share", min_share, "detect_pii")
    duplicated = df.columns[df.columns.duplicated()].unique().tolist()
    if duplicated:
        names = ", ".join(map(str, duplicated))
        raise InvalidInput(f"column names must be unique to tag columns; duplicated: {names}. Rename them first.")
    chosen = _selected_detectors(detectors)

    results = []
    for label in df.columns:
        series = df[label]
        non_null = int(series.notna().sum())
        text, note = _column_text(series)
        if text is None:
            results.append(ColumnPii(column=str(label), dtype=str(series.dtype), examined=False, note=note,
                                     non_null=non_null, sampled=0))
            continue
        sample = text.sample(n=sample_size, random_state=seed) if len(text) > sample_size else text
        sample = sample.reset_index(drop=True)
        tags = [tag for detector in chosen if (tag := _tag(detector, label, sample, min_share)) is not None]
        results.append(ColumnPii(column=str(label), dtype=str(series.dtype), examined=True, non_null=non_null,
                                 sampled=len(sample), tags=tags))
    return PiiReport(columns=results, detectors=[d.name for d in chosen], sample_size=sample_size,
                     min_share=min_share, seed=seed)


def _tag(detector: Detector, label: object, sample: pd.Series, min_share: float) -> PiiTag | None:
    """The detector's tag for one column (its sampled text), or ``None`` when it finds nothing."""
    by_name = detector.matches_name(label)
    share: float | None = None
    by_values = False
    values_text = ""
    if detector.value_test is not None and len(sample):
        matched = detector.match_values(sample)
        share = float(matched.mean())
        by_values = share >= min_share
        values_text = f"{_percent(share)} of {len(sample):,} sampled non-null values match"
        if not by_values:
            values_text += f", below the {_percent(min_share)} required"
        elif detector.min_distinct_share:
            distinct = sample[matched].nunique() / int(matched.sum())
            by_values = distinct >= detector.min_distinct_share
            values_text += (f"; {_percent(distinct)} of the matching values are distinct "
                            f"({_percent(detector.min_distinct_share)} required)")
    if not (by_name or by_values):
        return None
    parts = [f"name '{label}' matches '{detector.name}'"] if by_name else []
    if values_text:
        parts.append(values_text)
    elif detector.value_test is not None:
        parts.append("no non-null values to sample")
    confidence: Confidence = "name_and_values" if by_name and by_values else ("name" if by_name else "values")
    return PiiTag(detector=detector.name, confidence=confidence, evidence="; ".join(parts), name_matched=by_name,
                  matched_share=share)


__all__ = [
    "PII_DETECTORS",
    "ColumnPii",
    "Confidence",
    "Detector",
    "PiiReport",
    "PiiTag",
    "detect_pii",
    "hash_value",
    "luhn_valid",
    "mask_columns",
    "normalise_column_name",
    "register_detector",
]
