"""The licence inventory: every package's licence under one name, counted, and the disallowed ones flagged.

Packages declare licences in many spellings ("MIT License", "MIT", "Apache Software License",
"GNU General Public License v3 (GPLv3)"). ``normalise_licence`` maps the common ones to SPDX identifiers
through ``ALIASES``, a small table kept by hand: only names that mean one licence are mapped. "BSD License"
states no clause count and stays ``BSD``; "Apache Software License" is mapped to ``Apache-2.0``, the only
Apache licence a maintained Python package uses today (1.1 is from 2000). Anything else is kept as written.

SPDX expressions (``MIT OR Apache-2.0``, ``(A AND B) OR C``, ``GPL-2.0-or-later WITH Classpath-exception-2.0``)
are parsed; operators are upper case, as SPDX writes them, so a name such as "Historical Permission Notice
and Disclaimer" is one licence. A package is flagged when its licence cannot be used without a disallowed
licence: every alternative of an ``OR`` is disallowed, or any part of an ``AND`` is. A disallowed entry
matches its ``-only``, ``-or-later`` and ``+`` forms (disallowing ``GPL-3.0`` flags ``GPL-3.0-or-later``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, computed_field

from mlsteward.security.inventory import UNKNOWN, Distribution

_MIT, _APACHE, _BSD3, _BSD2 = "MIT", "Apache-2.0", "BSD-3-Clause", "BSD-2-Clause"

# lower-case spelling (whitespace collapsed) -> the licence's name; SPDX identifiers where there is one
ALIASES: dict[str, str] = {
    **dict.fromkeys(["mit", "mit license", "mit licence", "the mit license", "mit license (mit)", "expat",
                     "expat license"], _MIT),
    **dict.fromkeys(["apache-2.0", "apache 2.0", "apache 2", "apache-2", "apache2", "apache license 2.0",
                     "apache license, version 2.0", "apache license version 2.0", "apache license (2.0)",
                     "apache software license 2.0", "apache software license", "apache license", "asl 2.0", "asl 2",
                     "apache-2.0 license", "apache license v2.0", "apache license v2", "apache v2"], _APACHE),
    **dict.fromkeys(["bsd-3-clause", "bsd 3-clause", "bsd 3-clause license", "3-clause bsd", "3-clause bsd license",
                     "new bsd", "new bsd license", "modified bsd", "modified bsd license", "revised bsd",
                     "bsd-3"], _BSD3),
    **dict.fromkeys(["bsd-2-clause", "bsd 2-clause", "bsd 2-clause license", "2-clause bsd",
                     "2-clause bsd license", "simplified bsd", "simplified bsd license", "freebsd"], _BSD2),
    **dict.fromkeys(["bsd", "bsd license", "bsd licence"], "BSD"),  # clause count not stated
    **dict.fromkeys(["isc", "isc license", "isc license (iscl)", "iscl"], "ISC"),
    **dict.fromkeys(["python software foundation license", "psf license", "psf", "psfl", "psf-2.0"], "PSF-2.0"),
    **dict.fromkeys(["mozilla public license 2.0 (mpl 2.0)", "mpl 2.0", "mpl-2.0", "mpl2", "mpl-2"], "MPL-2.0"),
    "mozilla public license 1.1 (mpl 1.1)": "MPL-1.1",
    **dict.fromkeys(["the unlicense (unlicense)", "unlicense", "the unlicense"], "Unlicense"),
    "historical permission notice and disclaimer (hpnd)": "HPND",
    "cc0 1.0 universal (cc0 1.0) public domain dedication": "CC0-1.0",
    "zlib/libpng license": "Zlib",
    "eclipse public license 2.0 (epl-2.0)": "EPL-2.0",
    **dict.fromkeys(["gnu general public license v2 (gplv2)", "gplv2", "gpl v2", "gpl-2", "gpl 2"], "GPL-2.0"),
    **dict.fromkeys(["gnu general public license v2 or later (gplv2+)", "gplv2+"], "GPL-2.0-or-later"),
    **dict.fromkeys(["gnu general public license v3 (gplv3)", "gplv3", "gpl v3", "gpl-3", "gpl 3"], "GPL-3.0"),
    **dict.fromkeys(["gnu general public license v3 or later (gplv3+)", "gplv3+"], "GPL-3.0-or-later"),
    **dict.fromkeys(["gnu lesser general public license v2 (lgplv2)", "lgplv2"], "LGPL-2.0"),
    **dict.fromkeys(["gnu lesser general public license v2 or later (lgplv2+)", "lgplv2+"], "LGPL-2.0-or-later"),
    **dict.fromkeys(["gnu lesser general public license v3 (lgplv3)", "lgplv3", "lgpl-3"], "LGPL-3.0"),
    **dict.fromkeys(["gnu lesser general public license v3 or later (lgplv3+)", "lgplv3+"], "LGPL-3.0-or-later"),
    **dict.fromkeys(["gnu affero general public license v3", "agplv3", "agpl v3", "agpl-3"], "AGPL-3.0"),
    **dict.fromkeys(["gnu affero general public license v3 or later (agplv3+)", "agplv3+"], "AGPL-3.0-or-later"),
    "public domain": "Public Domain",
}
# SPDX identifiers written in another case ("apache-2.0", "bsd-3-clause") get their canonical case
_CANONICAL = {v.lower(): v for v in ALIASES.values()} | {
    i.lower(): i for i in ("0BSD", "BSL-1.0", "CC-BY-4.0", "EPL-1.0", "GPL-2.0-only", "GPL-3.0-only",
                           "LGPL-2.1", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only", "AGPL-3.0-only",
                           "MIT-0", "MPL-1.1", "Python-2.0", "ZPL-2.1")}
_OPERATORS = ("AND", "OR", "WITH")
_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_VARIANT = re.compile(r"(-only|-or-later|\+)$", re.IGNORECASE)


class PackageLicence(BaseModel):
    name: str
    version: str
    licence: str  # normalised (see ALIASES)
    declared: str  # as the package declares it
    source: str  # where it was read: License-Expression, License, classifier, installed, none
    flagged: bool = False
    reason: str | None = None


class LicenceReport(BaseModel):
    """Every package's licence, how many packages use each, and the packages whose licence is disallowed."""

    packages: list[PackageLicence]
    counts: dict[str, int]  # normalised licence -> packages, most used first
    disallowed: list[str]  # the disallowed licences, normalised
    allowed_unknown: bool

    @computed_field
    @property
    def flagged(self) -> list[PackageLicence]:
        return [p for p in self.packages if p.flagged]

    @computed_field
    @property
    def unknown(self) -> list[str]:
        """Packages that declare no licence."""
        return [p.name for p in self.packages if p.licence == UNKNOWN]


def licence_inventory(distributions: Sequence[Distribution], disallowed: Sequence[str] = (),
                      allowed_unknown: bool = True) -> LicenceReport:
    """The licence of every distribution, normalised; a package is flagged when its licence needs a
    ``disallowed`` one (see the module docstring), or declares none and ``allowed_unknown`` is False."""
    banned = {_base(normalise_licence(d)): normalise_licence(d) for d in disallowed if str(d).strip()}
    rows = []
    for dist in distributions:
        tree = _parse(dist.licence)
        licence = _render(tree)
        reason = None
        if licence == UNKNOWN:
            if not allowed_unknown:
                reason = "no licence declared in the package's metadata; unknown licences are not allowed"
        else:
            hits = _disallowed(tree, banned)
            if hits is not None:
                names = ", ".join(dict.fromkeys(hits))
                reason = (f"every alternative is disallowed: {names}" if isinstance(tree, _Node) and tree.op == "OR"
                          else f"disallowed licence: {names}")
        rows.append(PackageLicence(name=dist.name, version=dist.version, licence=licence, declared=dist.licence,
                                   source=dist.licence_source, flagged=reason is not None, reason=reason))
    counts = Counter(r.licence for r in rows)
    return LicenceReport(packages=rows, counts=dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
                         disallowed=sorted(set(banned.values())), allowed_unknown=allowed_unknown)


def normalise_licence(text: str) -> str:
    """One licence name or SPDX expression in its normalised form: ``"MIT License"`` -> ``"MIT"``,
    ``"apache-2.0 OR MIT License"`` -> ``"Apache-2.0 OR MIT"``; empty -> ``UNKNOWN``."""
    return _render(_parse(text))


# --------------------------------------------------------------------------- expressions


@dataclass(frozen=True)
class _Leaf:
    name: str  # normalised
    exception: str | None = None  # the WITH exception


@dataclass(frozen=True)
class _Node:
    op: str  # AND, OR
    children: tuple[_Leaf | _Node, ...]


def _normal_name(text: str) -> str:
    key = " ".join(text.split()).lower()
    return ALIASES.get(key) or _CANONICAL.get(key) or " ".join(text.split())


def _parse(text: str) -> _Leaf | _Node:
    text = (text or "").strip()
    if not text or text.upper() == UNKNOWN:
        return _Leaf(UNKNOWN)
    if " ".join(text.split()).lower() in ALIASES:  # a known name, whatever it contains
        return _Leaf(_normal_name(text))
    tokens = _TOKEN.findall(text)
    try:
        tree, end = _expression(tokens, 0)
        if end != len(tokens):
            raise ValueError("trailing tokens")
    except (ValueError, IndexError):
        return _Leaf(" ".join(text.split()))  # not an expression: one licence named as written
    return tree


def _expression(tokens: list[str], i: int) -> tuple[_Leaf | _Node, int]:
    return _binary(tokens, i, "OR", lambda t, j: _binary(t, j, "AND", _factor))


def _binary(tokens: list[str], i: int, op: str, operand) -> tuple[_Leaf | _Node, int]:
    first, i = operand(tokens, i)
    parts = [first]
    while i < len(tokens) and tokens[i] == op:
        part, i = operand(tokens, i + 1)
        parts.append(part)
    flat: list[_Leaf | _Node] = []
    for p in parts:
        flat.extend(p.children if isinstance(p, _Node) and p.op == op else (p,))
    return (first, i) if len(parts) == 1 else (_Node(op, tuple(flat)), i)


def _factor(tokens: list[str], i: int) -> tuple[_Leaf | _Node, int]:
    if tokens[i] == "(":
        tree, i = _expression(tokens, i + 1)
        if tokens[i] != ")":
            raise ValueError("unbalanced parenthesis")
        return tree, i + 1
    name, i = _words(tokens, i)
    exception = None
    if i < len(tokens) and tokens[i] == "WITH":
        exception, i = _words(tokens, i + 1)
    return _Leaf(_normal_name(name), exception), i


def _words(tokens: list[str], i: int) -> tuple[str, int]:
    """A licence name: words up to an operator or a closing parenthesis; a parenthesised group right after
    a word is part of the name ("Mozilla Public License 2.0 (MPL 2.0)")."""
    words: list[str] = []
    while i < len(tokens) and tokens[i] not in _OPERATORS and tokens[i] != ")":
        if tokens[i] == "(":
            if not words:
                break
            depth, start = 0, i
            while True:
                depth += {"(": 1, ")": -1}.get(tokens[i], 0)
                i += 1
                if depth == 0:
                    break
            words.append("(" + " ".join(tokens[start + 1:i - 1]) + ")")
            continue
        words.append(tokens[i])
        i += 1
    if not words:
        raise ValueError("a licence name is missing")
    return " ".join(words), i


def _render(tree: _Leaf | _Node, parent: str | None = None) -> str:
    if isinstance(tree, _Leaf):
        return tree.name + (f" WITH {tree.exception}" if tree.exception else "")
    text = f" {tree.op} ".join(_render(c, tree.op) for c in tree.children)
    return f"({text})" if parent is not None and parent != tree.op else text


def _base(name: str) -> str:
    """What a disallowed entry is compared by: lower case, without -only / -or-later / +."""
    return _VARIANT.sub("", name.strip()).lower()


def _disallowed(tree: _Leaf | _Node, banned: dict[str, str]) -> list[str] | None:
    """The disallowed licences that make ``tree`` unusable, or None when it can be used without them."""
    if isinstance(tree, _Leaf):
        return [tree.name] if _base(tree.name) in banned else None
    found = [_disallowed(c, banned) for c in tree.children]
    if tree.op == "OR":
        return None if any(f is None for f in found) else [n for f in found for n in f]
    hits = [n for f in found if f is not None for n in f]
    return hits or None


__all__ = ["ALIASES", "LicenceReport", "PackageLicence", "licence_inventory", "normalise_licence"]
