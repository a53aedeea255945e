"""What is installed, or what a lock file pins: the package list every security check reads.

``installed_distributions`` reads the running environment through ``importlib.metadata``; each
distribution's licence comes from, in order: the ``License-Expression`` field (PEP 639, an SPDX
expression), the ``License`` field when it is a short name rather than the whole licence text, the
``License ::`` trove classifiers (several are read as alternatives, ``A OR B``: that is how dual-licensed
packages such as ``cryptography`` declare themselves), else ``UNKNOWN``.

``locked_requirements`` parses a pip lock file (``pip freeze``, ``pip-compile``, ``uv pip compile``):
every requirement must be pinned as ``NAME==VERSION``; comments, options (``--index-url``) and hashes
are ignored, environment markers that do not hold for this interpreter drop their line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from pydantic import BaseModel

from mlsteward.errors import InvalidInput

UNKNOWN = "UNKNOWN"
SHORT_LICENCE = 80  # a ``License`` field longer than this (or on several lines) is the licence text, not its name

_COMMENT = re.compile(r"(^|\s)#.*$")
_INLINE_OPTION = re.compile(r"\s+--?[A-Za-z].*$")  # per-requirement options after the requirement: --hash=...
_INCLUDE = ("-r", "--requirement", "-c", "--constraint")
_EDITABLE = ("-e", "--editable")


class Distribution(BaseModel):
    """One package: its name as published, version, licence as declared, and where the licence was read."""

    name: str
    version: str
    licence: str = UNKNOWN
    licence_source: str = "none"  # License-Expression, License, classifier, installed (a lock file's), none

    @property
    def key(self) -> str:
        """The PEP 503 normalised name (``Jinja2`` and ``jinja2`` are one package)."""
        return canonicalize_name(self.name)


def installed_distributions(path: list[str] | None = None) -> list[Distribution]:
    """Every distribution installed in this environment (or on ``path``, a list of folders like sys.path),
    sorted by normalised name; a name found twice counts once, the first on the path (the one imported)."""
    found: dict[str, Distribution] = {}
    dists = metadata.distributions(path=path) if path is not None else metadata.distributions()
    for dist in dists:
        name = dist.metadata["Name"]
        if not name:
            continue  # a broken install without metadata
        licence, source = declared_licence(dist.metadata)
        found.setdefault(canonicalize_name(name),
                         Distribution(name=name, version=dist.version, licence=licence, licence_source=source))
    return [found[k] for k in sorted(found)]


def declared_licence(meta: metadata.PackageMetadata) -> tuple[str, str]:
    """(licence, where it was read) from a distribution's core metadata; see the module docstring."""
    expression = (meta.get("License-Expression") or "").strip()
    if expression:
        return expression, "License-Expression"
    field = (meta.get("License") or "").strip()
    if field and "\n" not in field and len(field) <= SHORT_LICENCE and field.upper() not in (UNKNOWN, "NONE"):
        return field, "License"
    names = _classifier_licences(meta.get_all("Classifier") or [])
    if names:
        return " OR ".join(names), "classifier"
    return UNKNOWN, "none"


def _classifier_licences(classifiers: Iterable[str]) -> list[str]:
    names = []
    for classifier in classifiers:
        parts = [p.strip() for p in classifier.split("::")]
        if parts[0] != "License" or len(parts) < 2:
            continue
        name = parts[-1]
        if name == "OSI Approved":
            continue  # "License :: OSI Approved" alone names no licence
        if name not in names:
            names.append(name)
    return names


def locked_requirements(path: str | Path) -> list[Distribution]:
    """The packages a pip lock file pins, in file order (licences UNKNOWN: see ``with_installed_licences``).

    Raises InvalidInput naming the file and line for a line that is not ``NAME==VERSION`` (a range, a URL,
    an editable install, an include of another file) or a package pinned twice."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read the lock file {str(source)!r} ({exc}): give a readable requirements "
                           f"file such as `pip freeze > requirements.lock`") from exc
    environment = default_environment()
    pinned: dict[str, tuple[int, Distribution]] = {}
    for number, line in _logical_lines(text):
        where = f"{source.name} line {number}"
        line = _COMMENT.sub("", line).strip()
        if not line:
            continue
        if line.startswith("-"):
            option = line.split(maxsplit=1)[0].split("=", 1)[0]
            if option in _EDITABLE:
                raise InvalidInput(f"{where}: {line!r} is an editable install, not a pinned version: lock the "
                                   f"environment with `pip freeze --exclude-editable` or pin it as NAME==VERSION")
            if option in _INCLUDE:
                raise InvalidInput(f"{where}: {line!r} includes another file: scan that file itself, or merge "
                                   f"the files into one lock file")
            continue  # --index-url, --hash on its own line, --no-binary, ...
        text_req = _INLINE_OPTION.sub("", line)
        try:
            requirement = Requirement(text_req)
        except InvalidRequirement as exc:
            raise InvalidInput(f"{where}: {line!r} is not a requirement ({exc}): write NAME==VERSION") from exc
        version = _pinned_version(requirement)
        if version is None:
            raise InvalidInput(f"{where}: {text_req!r} is not pinned with ==: a lock file pins every package "
                               f"exactly, e.g. {requirement.name}==1.2.3 (make one with `pip freeze` or "
                               f"`pip-compile`)")
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            continue  # for another platform or Python
        key = canonicalize_name(requirement.name)
        if key in pinned and pinned[key][1].version != version:
            first = pinned[key][0]
            raise InvalidInput(f"{where}: {requirement.name} is pinned again ({version}; line {first} pins "
                               f"{pinned[key][1].version}): keep one version per package")
        pinned.setdefault(key, (number, Distribution(name=requirement.name, version=version)))
    return [d for _, d in pinned.values()]


def with_installed_licences(locked: list[Distribution], installed: list[Distribution]) -> list[Distribution]:
    """``locked`` with the licence of the installed distribution of the same name and version (source
    ``installed``); a package not installed at that version keeps UNKNOWN."""
    by_key = {d.key: d for d in installed}
    result = []
    for dist in locked:
        match = by_key.get(dist.key)
        if match is not None and match.version == dist.version:
            dist = dist.model_copy(update={"licence": match.licence, "licence_source": "installed"})
        result.append(dist)
    return result


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """Lines with backslash continuations joined, each with the number of its first physical line."""
    start, parts = 0, []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not parts:
            start = number
        if raw.rstrip().endswith("\\"):
            parts.append(raw.rstrip()[:-1])
            continue
        parts.append(raw)
        yield start, " ".join(parts)
        parts = []
    if parts:
        yield start, " ".join(parts)


def _pinned_version(requirement: Requirement) -> str | None:
    if requirement.url:
        return None
    specs = list(requirement.specifier)
    if len(specs) != 1 or specs[0].operator not in ("==", "===") or "*" in specs[0].version:
        return None
    return specs[0].version


__all__ = ["UNKNOWN", "Distribution", "declared_licence", "installed_distributions", "locked_requirements",
           "with_installed_licences"]
