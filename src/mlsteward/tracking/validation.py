"""Checks on what a user logs, made at the call so mistakes surface where they were made."""

from __future__ import annotations

import math
import numbers
import re

from mlsteward.errors import InvalidInput

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_\-./: ]{1,250}$")
MAX_VALUE_CHARS = 65_536


def check_key(kind: str, key: object) -> str:
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise InvalidInput(
            f"{kind} name {key!r} is not allowed: use 1-250 letters, digits, spaces and _ - . / :")
    return key


def metric_value(key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidInput(f"metric {key!r} must be a number; got {value!r} ({type(value).__name__}). "
                           "Log text as a param or a tag instead")
    return float(value)


def text_value(kind: str, key: str, value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_VALUE_CHARS:
        raise InvalidInput(f"{kind} {key!r} is {len(text)} characters long; the limit is "
                           f"{MAX_VALUE_CHARS}. Log large values as an artifact")
    return text


def step_value(key: str, step: object) -> int:
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise InvalidInput(f"step of metric {key!r} must be a whole number; got {step!r}")
    return int(step)


def timestamp_value(timestamp: object) -> int:
    if not isinstance(timestamp, numbers.Real) or math.isnan(float(timestamp)):
        raise InvalidInput(f"timestamp must be milliseconds since the epoch; got {timestamp!r}")
    return int(timestamp)
