"""PII detectors: the ``Detector`` type and the built-in detectors, with their exact rules.

A detector recognises one kind of personal data by the column name (a pattern matched in full
against the normalised name, ``normalise_column_name``), by the values (a test of each sampled
value's text), or both. ``BUILTIN_DETECTORS`` are registered in ``PII_DETECTORS`` by
``mlsteward.data.pii``, which runs them.

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
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

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

BUILTIN_DETECTORS: tuple[Detector, ...] = (
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
)
