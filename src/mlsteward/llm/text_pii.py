"""PII in free text (an LLM's answer), found with the data stage's detectors (``mlsteward.data.pii_detectors``).

Candidate spans are cut from the text by shape (something@something, runs of digits with separators, dotted or
colon-separated addresses, the UK National Insurance shape); each detector's own value test then decides, so a
card number still has to pass the Luhn check and an IP address the address parser. People's names are not
looked for: in prose, capitalised words are mostly not names.
"""

from __future__ import annotations

import re

import pandas as pd
from pydantic import BaseModel

from mlsteward.data.pii_detectors import BUILTIN_DETECTORS

KINDS = ("email", "phone", "card_number", "national_id", "ip_address")
_CANDIDATES = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"                       # e-mail shape
    r"|\+?\(?\d[\d ().-]{5,}\d"                           # phone, card, SSN: digits with separators
    r"|\b(?:\d{1,3}\.){3}\d{1,3}\b"                       # IPv4
    r"|\b[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}\b"    # IPv6
    r"|\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")         # UK National Insurance number
_DETECTORS = [d for d in BUILTIN_DETECTORS if d.name in KINDS]


class PiiSpan(BaseModel):
    kind: str
    text: str
    start: int
    end: int


def find_pii(text: str) -> list[PiiSpan]:
    """Each PII span in ``text``, in order (a span is reported once, under the first detector that takes it)."""
    found = [(m.start(), m.end(), m.group().strip(" .,;:()")) for m in _CANDIDATES.finditer(text)]
    if not found:
        return []
    values = pd.Series([value for _, _, value in found], dtype="string")
    spans: list[PiiSpan] = []
    taken = [False] * len(found)
    for detector in _DETECTORS:
        for i, hit in enumerate(detector.match_values(values)):
            if hit and not taken[i]:
                start, end, value = found[i]
                offset = text.find(value, start, end)
                spans.append(PiiSpan(kind=detector.name, text=value, start=offset, end=offset + len(value)))
                taken[i] = True
    return sorted(spans, key=lambda s: s.start)


__all__ = ["KINDS", "PiiSpan", "find_pii"]
