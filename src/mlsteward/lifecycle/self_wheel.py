"""A wheel of the installed mlsteward, for a model bundle (`steward package`).

A fitted feature pipeline holds Steward's transformers, so a bundle needs mlsteward's code to load its
model. The wheel is made from the package folder Python imports ``mlsteward`` from, which works alike for
an editable install (the source tree) and a regular one (site-packages): every file under it except
compiled caches and hidden files, with the installed distribution's METADATA and entry points. It is
installed with ``pip install --no-deps``, so only the bundle's pinned requirements come from the index.

The archive is reproducible: files sorted, fixed timestamps, so the same code gives the same digest.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zipfile
from importlib import metadata
from pathlib import Path

from pydantic import BaseModel

from mlsteward.errors import InvalidInput

_SKIPPED_DIRS = frozenset({"__pycache__"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip file holds: a reproducible archive


class BuiltWheel(BaseModel):
    path: str
    sha256: str  # "sha256:<hex>" of the wheel file
    version: str
    files: int  # files of the package in it
    source: dict  # where the code came from: {"kind": "editable"|"installed", "location", "url"?}


def build_self_wheel(dest: Path) -> BuiltWheel:
    """Write ``mlsteward-<version>-py3-none-any.whl`` of the installed mlsteward into folder ``dest``."""
    import mlsteward

    try:
        dist = metadata.distribution("mlsteward")
    except metadata.PackageNotFoundError as exc:
        raise InvalidInput("mlsteward is not installed (running from a source tree?): install it (`pip install "
                           "-e .` in its folder) so its code can be packaged with the model") from exc
    package = Path(mlsteward.__file__).resolve().parent
    version = dist.version
    info = f"mlsteward-{version}.dist-info"
    members: list[tuple[str, bytes]] = [(f"mlsteward/{p.relative_to(package).as_posix()}", p.read_bytes())
                                        for p in _package_files(package)]
    files = len(members)
    meta = dist.read_text("METADATA")
    if not meta:
        raise InvalidInput(f"the installed mlsteward {version} has no METADATA: reinstall it (`pip install -e .`)")
    members.append((f"{info}/METADATA", meta.encode()))
    entry_points = dist.read_text("entry_points.txt")
    if entry_points:
        members.append((f"{info}/entry_points.txt", entry_points.encode()))
    wheel = b"Wheel-Version: 1.0\nGenerator: mlsteward (steward package)\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    members.append((f"{info}/WHEEL", wheel))
    record = "".join(f"{name},sha256={_urlsafe_digest(data)},{len(data)}\n" for name, data in members)
    members.append((f"{info}/RECORD", (record + f"{info}/RECORD,,\n").encode()))

    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"mlsteward-{_escape(version)}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            entry = zipfile.ZipInfo(name, date_time=_EPOCH)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return BuiltWheel(path=str(path), sha256=f"sha256:{digest}", version=version, files=files,
                      source=_source(dist, package))


def _package_files(package: Path) -> list[Path]:
    out = []
    for path in sorted(package.rglob("*")):
        parts = path.relative_to(package).parts
        if not path.is_file() or _SKIPPED_DIRS.intersection(parts) or any(p.startswith(".") for p in parts):
            continue
        if path.suffix in _SKIPPED_SUFFIXES:
            continue
        out.append(path)
    return out


def _source(dist: metadata.Distribution, package: Path) -> dict:
    direct = dist.read_text("direct_url.json")
    url = json.loads(direct) if direct else {}
    editable = bool((url.get("dir_info") or {}).get("editable"))
    source = {"kind": "editable" if editable else "installed", "location": str(package)}
    if url.get("url"):
        source["url"] = url["url"]
    return source


def _urlsafe_digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _escape(version: str) -> str:
    """A version as a wheel file name spells it (PEP 427: a run of characters other than letters, digits and
    dots becomes one _)."""
    return re.sub(r"[^\w\d.]+", "_", version)


__all__ = ["BuiltWheel", "build_self_wheel"]
