"""The environment a run records on start: Python, platform, key package versions, git state."""

from __future__ import annotations

import platform
import subprocess
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

KEY_PACKAGES = ("mlsteward", "numpy", "pandas", "polars", "pyarrow", "scipy", "scikit-learn",
                "lightgbm", "xgboost", "torch", "optuna", "skops", "onnxruntime")


@lru_cache(maxsize=8)
def capture_environment(cwd: str | None = None) -> dict:
    """Captured once per process and folder: the git state is read when the first run starts."""
    packages = {}
    for name in KEY_PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "executable": sys.executable,
        "packages": packages,
        "git": git_state(Path(cwd) if cwd else Path.cwd()),
    }


def git_state(folder: Path) -> dict | None:
    """{commit, dirty, branch} of the git work tree holding ``folder``, or None outside one."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status), "branch": git("rev-parse", "--abbrev-ref", "HEAD")}
