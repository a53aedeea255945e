"""Where a project's store and artifacts live, and who is acting.

Resolution order for each setting: an explicit argument, then the environment
(``STEWARD_STORE_URL``, ``STEWARD_ARTIFACTS_URL``), then the ``store:`` section of the nearest
``steward.yaml``, then ``.steward/`` beside that file (or in the current folder when there is none).
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

from mlsteward.spec import find_spec_file, read_store_section

STORE_DIR = ".steward"


@dataclass(frozen=True)
class Settings:
    project_root: Path
    spec_path: Path | None
    store_url: str
    artifacts_url: str


def current_actor() -> str:
    """The person acting: ``STEWARD_USER``, else the operating-system user."""
    user = os.environ.get("STEWARD_USER")
    if user:
        return user
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers)
        return "unknown"


def resolve_settings(start: Path | None = None, store_url: str | None = None,
                     artifacts_url: str | None = None) -> Settings:
    spec_path = find_spec_file(start)
    root = spec_path.parent if spec_path else Path(start or Path.cwd()).resolve()
    section = read_store_section(spec_path) if spec_path else {}
    local = root / STORE_DIR
    store = (store_url or os.environ.get("STEWARD_STORE_URL") or section.get("url")
             or f"sqlite:///{local / 'steward.db'}")
    artifacts = (artifacts_url or os.environ.get("STEWARD_ARTIFACTS_URL")
                 or section.get("artifacts_url") or str(local / "artifacts"))
    return Settings(project_root=root, spec_path=spec_path, store_url=store, artifacts_url=artifacts)
