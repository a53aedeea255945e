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

A tag records which of the two found it (``confidence``: ``name``, ``values`` or
``name_and_values``), the matched share and a sentence of evidence.

Which columns are examined: text (object, string, category) and integer columns; floats whose
non-null values are all whole numbers are read as integers (an integer column with missing values
loads as float). Booleans, datetimes, timedeltas and other floats cannot hold these identifiers
and are skipped, by name and by value (so ``email_opened_at`` or ``is_mobile`` is never tagged).

The built-in detectors and their exact rules:

``email``
    name ``email``, ``e_mail``, ``email_address``…; value ``local@domain.tld``: an RFC 5322 "atom"
    local part, dot-separated domain labels, a top-level domain of two letters or more.
``phone``
    name ``phone``, ``telephone``, ``tel``, ``mobile``, ``cell``, ``fax``, ``msisdn`` (optionally
    ``_number``/``_no``); value, 7-15 digits in total and one of: international form ``+`` country
    code and digit groups (E.164, ``+14155552671``, ``+44 20 7946 0958``, ``+1 (415) 555-2671``);
    North American ``(415) 555-2671``, ``415-555-2671``, ``415.555.2671``; trunk-prefixed national
    form ``020 7946 0958``, ``07700 900123``, ``06 12 34 56 78``, ``0612345678``. A bare run of
    digits without ``+`` or a leading ``0`` is never a phone number by value, so integers (ages,
    years, zip codes, amounts) are not flagged; phone numbers stored as integers are found by name.
``card_number``
    name ``card_number``, ``credit_card``, ``cc_number``…; value 13-19 digits, optionally grouped
    by spaces or dashes, first digit 1-9 (no card's issuer number starts with 0), passing the Luhn
    checksum (computed in numpy over the sample).
``national_id``
    name ``ssn``, ``social_security_number``, ``national_id``, ``national_insurance_number``,
    ``nino``, ``ni_number``, ``passport_number``, ``tax_id``; value, two patterns only: US Social
    Security number ``###-##-####`` with dashes (area not 000, 666 or 900-999, group not 00,
    serial not 0000; the undashed nine-digit form is too ambiguous to match by value), and UK
    National Insurance number ``AB 12 34 56 C`` (spaces optional; HMRC's letter rules: first letter
    not D F I Q U V, second not D F I O Q U V, prefixes BG GB KN NK NT TN ZZ never issued, suffix
    A-D). Other national identifiers are found by name only.
``ip_address``
    name ``ip``, ``ip_address``, ``ipv4``, ``ipv6``, ``client_ip``, ``remote_addr``…; value, any
    text the standard library's ``ipaddress.ip_address`` accepts (IPv4 dotted quad, IPv6).
``person_name``
    name ``name``, ``first_name``, ``last_name``, ``surname``, ``forename``, ``full_name``,
    ``given_name``, ``family_name``, ``customer_name``, ``patient_name``… (not ``file_name``,
    ``product_name`` or ``username``); value, conservatively: two or three space-separated
    capitalised alphabetic tokens (``Ada Lovelace``, ``Mary O'Brien``, ``Jean-Luc Picard``,
    ``John F. Kennedy``, ``Smith, John``; a middle token may be an initial; Latin-1 accents
    allowed) **and** at least half of the matching sampled values distinct, so repeated category
    labels such as ``Gold Member`` are not taken for names. Known limit: a column of distinct
    two-word proper nouns (cities, ``New York``) also matches; such a tag says ``values`` only.

``mask_columns`` then hashes (salted SHA-256) or drops the tagged columns, except those the
project declares sensitive for fairness analysis (``keep``): those are kept as they are so that
fairness can be measured. The workflow layer records the lineage; this module does no I/O.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from mlsteward.errors import InvalidInput

Confidence = Literal["name", "values", "name_and_values"]
ValueTest = Callable[[pd.Series], np.ndarray]


@dataclass(frozen=True)
class Detector:
    """A named PII detector: a column-name pattern, a value test, or both.

    ``name_pattern`` is matched in full against the normalised column name (see
    ``normalise_column_name``). ``value_test`` receives the sampled non-null values as text (a
    string Series, stripped of surrounding whitespace) and returns a boolean numpy array, one entry
    per value. ``min_distinct_share`` additionally requires that share of the matching sampled
    values to be distinct before a value-based tag is given (used by ``person_name``).
    """

    name: str
    description: str
    name_pattern: re.Pattern[str] | None = None
    value_test: ValueTest | None = None
    min_distinct_share: float = 0.0

    def matches_name(self, column: object) -> bool:
        """Whether the column's normalised name is one this detector recognises."""
        if self.name_pattern is None:
            return False
        return self.name_pattern.fullmatch(normalise_column_name(column)) is not None

    def match_values(self, values: pd.Series) -> np.ndarray:
        """A boolean mask: which of ``values`` (text) look like this kind of data."""
        if self.value_test is None or values.empty:
            return np.zeros(len(values), dtype=bool)
        return np.asarray(self.value_test(values), dtype=bool)


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


def normalise_column_name(column: object) -> str:
    """``'CustomerEmail'`` -> ``'customer_email'``, ``'IPAddress'`` -> ``'ip_address'``, ``'e-mail'`` -> ``'e_mail'``.

    camelCase is split into words, the text lower-cased and every run of other characters made one ``_``.
    """
    text = str(column)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    return re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_").lower()


# --- built-in detectors ---------------------------------------------------------------------------

_QUALIFIED = r"(?:[a-z0-9]+_)*"  # any qualifying words before the PII word: billing_, customer_…
_NUMBERED = r"(?:_?\d+)?"  # phone_2, email1
_NUMBER_WORD = r"(?:_?(?:number|num|no|nr))"


def _name_pattern(core: str, *, qualified: bool = True) -> re.Pattern[str]:
    prefix = _QUALIFIED if qualified else ""
    return re.compile(f"{prefix}(?:{core}){_NUMBERED}")


def _fullmatch(pattern: re.Pattern[str]) -> ValueTest:
    def test(values: pd.Series) -> np.ndarray:
        return values.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)

    return test


_EMAIL_VALUE = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)

_PHONE_VALUE = re.compile(
    r"\+[1-9]\d{0,3}(?:[ .-]?\(?\d{1,5}\)?){1,6}"  # international / E.164
    r"|(?:\+?1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}"  # North American
    r"|0\d{2,4}[ -]?\d{3,4}[ -]?\d{3,4}"  # trunk-prefixed national (UK and similar)
    r"|0\d(?:[ .-]?\d{2}){4}"  # trunk-prefixed pairs (FR and similar)
)


def _phone_test(values: pd.Series) -> np.ndarray:
    shape = values.str.fullmatch(_PHONE_VALUE).fillna(False).to_numpy(dtype=bool)
    digits = values.str.count(r"\d").to_numpy()
    return shape & (digits >= 7) & (digits <= 15)


_CARD_VALUE = re.compile(r"[1-9](?:[ -]?\d){12,18}")


def luhn_valid(digits: Iterable[str]) -> np.ndarray:
    """Luhn checksum of each string of digits (no separators), vectorised per length in numpy."""
    digits = pd.Series(list(digits), dtype=object)
    valid = np.zeros(len(digits), dtype=bool)
    if digits.empty:
        return valid
    lengths = digits.str.len().to_numpy()
    for length in np.unique(lengths):
        rows = np.flatnonzero(lengths == length)
        if length == 0:
            continue
        buffer = "".join(digits.iloc[rows]).encode("ascii")
        matrix = np.frombuffer(buffer, dtype=np.uint8).reshape(len(rows), length).astype(np.int64) - 48
        # Every second digit counted from the right (the check digit is position 0) is doubled.
        weights = np.where((length - 1 - np.arange(length)) % 2 == 1, 2, 1)
        products = matrix * weights
        products -= 9 * (products > 9)
        valid[rows] = products.sum(axis=1) % 10 == 0
    return valid


def _card_test(values: pd.Series) -> np.ndarray:
    shape = values.str.fullmatch(_CARD_VALUE).fillna(False).to_numpy(dtype=bool)
    result = np.zeros(len(values), dtype=bool)
    if shape.any():
        digits = values[shape].str.replace(r"[ -]", "", regex=True)
        result[np.flatnonzero(shape)] = luhn_valid(digits)
    return result


_SSN_VALUE = r"(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}"
_NINO_VALUE = r"(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]"
_NATIONAL_ID_VALUE = re.compile(f"{_SSN_VALUE}|{_NINO_VALUE}")

_IP_CANDIDATE = re.compile(r"[0-9A-Fa-f:.]*[:.][0-9A-Fa-f:.%A-Za-z]*")


def _ip_test(values: pd.Series) -> np.ndarray:
    candidate = values.str.fullmatch(_IP_CANDIDATE).fillna(False).to_numpy(dtype=bool)
    result = np.zeros(len(values), dtype=bool)
    for position in np.flatnonzero(candidate):
        try:
            ipaddress.ip_address(values.iloc[position])
        except ValueError:
            continue
        result[position] = True
    return result


_UPPER = "A-ZÀ-ÖØ-Þ"
_LOWER = "a-zß-öø-ÿ"
_NAME_TOKEN = (
    f"(?:[{_UPPER}]')?[{_UPPER}][{_LOWER}]+(?:[{_UPPER}][{_LOWER}]+)?(?:-[{_UPPER}][{_LOWER}]+)?"
)
_PERSON_NAME_VALUE = re.compile(f"{_NAME_TOKEN},?(?: (?:{_NAME_TOKEN}|[{_UPPER}]\\.))? {_NAME_TOKEN}")

_PERSON_WORDS = (
    "first|last|given|family|middle|maiden|full|legal|customer|client|patient|person|contact|"
    "employee|applicant|student|member|card_?holder|account_?holder|holder|owner|sender|recipient|"
    "beneficiary|guardian|parent|spouse|emergency_contact"
)

for _detector in (
    Detector(
        name="email",
        description="e-mail addresses",
        name_pattern=_name_pattern(r"e_?mail(?:_?addr(?:ess)?)?s?"),
        value_test=_fullmatch(_EMAIL_VALUE),
    ),
    Detector(
        name="phone",
        description="telephone numbers (E.164, North American, trunk-prefixed national forms)",
        name_pattern=_name_pattern(rf"(?:(?:tele)?phone|tel|mobile|cell(?:_?phone)?|fax|msisdn){_NUMBER_WORD}?"),
        value_test=_phone_test,
    ),
    Detector(
        name="card_number",
        description="payment card numbers (13-19 digits passing the Luhn check)",
        name_pattern=_name_pattern(
            rf"(?:(?:credit|debit|payment|bank)_?)?card{_NUMBER_WORD}|cc{_NUMBER_WORD}|credit_?card|pan"
        ),
        value_test=_card_test,
    ),
    Detector(
        name="national_id",
        description="national identifiers (US Social Security number, UK National Insurance number)",
        name_pattern=_name_pattern(
            rf"ssn|social_?security{_NUMBER_WORD}?|national_?(?:id|identifier|insurance){_NUMBER_WORD}?"
            rf"|nino|ni{_NUMBER_WORD}|passport{_NUMBER_WORD}?|tax_?id"
        ),
        value_test=_fullmatch(_NATIONAL_ID_VALUE),
    ),
    Detector(
        name="ip_address",
        description="IPv4 and IPv6 addresses",
        name_pattern=_name_pattern(r"ip(?:_?v[46])?(?:_?addr(?:ess)?)?|remote_?addr(?:ess)?"),
        value_test=_ip_test,
    ),
    Detector(
        name="person_name",
        description="people's names (by column name; by value, 2-3 capitalised alphabetic tokens)",
        name_pattern=_name_pattern(
            rf"(?:(?:{_PERSON_WORDS})_?)?names?|sur_?names?|fore_?names?|name_(?:first|last|full)",
            qualified=False,
        ),
        value_test=_fullmatch(_PERSON_NAME_VALUE),
        min_distinct_share=0.5,
    ),
):
    register_detector(_detector)


# --- results --------------------------------------------------------------------------------------


class PiiTag(BaseModel):
    """One kind of personal data found in a column, with the evidence."""

    detector: str = Field(description="the registered detector that found it, e.g. email")
    confidence: Confidence = Field(description="found by the column name, by its values, or both")
    evidence: str = Field(description="what was observed, in words")
    name_matched: bool = Field(description="whether the column name matches the detector's name pattern")
    matched_share: float | None = Field(
        description="share of the sampled non-null values that match; None when no value was tested"
    )


class ColumnPii(BaseModel):
    """What detection found in one column."""

    column: str
    dtype: str
    examined: bool = Field(description="False when the column's type cannot hold PII identifiers")
    note: str | None = Field(None, description="why the column was not examined")
    non_null: int = Field(description="non-null values in the column")
    sampled: int = Field(description="non-null values whose text was tested")
    tags: list[PiiTag] = Field(default_factory=list)

    @property
    def detectors(self) -> list[str]:
        """The names of the detectors that tagged this column."""
        return [tag.detector for tag in self.tags]


class PiiReport(BaseModel):
    """Sensitivity tags of every column of a data frame."""

    columns: list[ColumnPii]
    detectors: list[str] = Field(description="the detectors that were run")
    sample_size: int
    min_share: float
    seed: int

    def tagged(self) -> dict[str, list[str]]:
        """``{column: [detector, …]}`` for the columns with at least one tag (``mask_columns`` takes it)."""
        return {column.column: column.detectors for column in self.columns if column.tags}

    def column(self, name: str) -> ColumnPii:
        """The result for column ``name``."""
        for column in self.columns:
            if column.column == name:
                return column
        raise KeyError(name)


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


# --- masking --------------------------------------------------------------------------------------


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
