"""Writing a whole folder (an evidence pack, a model bundle) so that a crash leaves no half of it: check the
target, build in a hidden sibling folder, flush it, then rename it into place."""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from pathlib import Path

from mlsteward.errors import InvalidInput


def check_target(target: Path, force: bool, what: str) -> None:
    """``target`` must be a new or empty folder, or any folder with ``force``; ``what`` names the output."""
    if target.exists() and not target.is_dir():
        raise InvalidInput(f"{str(target)!r} is a file: give a folder (new or empty) for the {what}")
    if target.is_dir() and any(target.iterdir()) and not force:
        entries = sum(1 for _ in target.iterdir())
        raise InvalidInput(f"the folder {str(target)!r} is not empty ({entries} entries): give a new or empty folder, "
                           f"or pass --force to replace its content with the {what}")


def building_folder(target: Path) -> Path:
    """A new hidden sibling of ``target`` to build the output in."""
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.parent / f".{target.name}.building-{uuid.uuid4().hex[:8]}"
    building.mkdir()
    return building


def install(building: Path, target: Path, force: bool, what: str) -> None:
    """Flush ``building`` and rename it into place; an existing folder (empty, or any with ``force``) is replaced."""
    fsync_tree(building)
    old = None
    if target.exists():
        check_target(target, force, what)  # nothing was written into it meanwhile
        old = target.parent / f".{target.name}.replaced-{uuid.uuid4().hex[:8]}"
        target.rename(old)
    try:
        building.rename(target)
    except BaseException:
        if old is not None:
            old.rename(target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def fsync_tree(folder: Path) -> None:
    """Flush the folder's files to disk."""
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as fh:
                try:
                    os.fsync(fh.fileno())
                except OSError:
                    pass


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


__all__ = ["building_folder", "check_target", "file_sha256", "fsync_tree", "install"]
