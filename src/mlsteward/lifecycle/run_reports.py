"""A run's HTML report, kept twice: as the run's artifact and as a file under ``.steward/reports/`` beside
steward.yaml (where people open it)."""

from __future__ import annotations

from pathlib import Path

from mlsteward.lifecycle.data_stage import REPORTS_DIR
from mlsteward.report import write_report
from mlsteward.tracking.run import Run
from mlsteward.workspace import Workspace


def keep_report(workspace: Workspace, run: Run, html: str, name: str) -> Path:
    """Log ``html`` as the run's artifact ``name`` and write it to ``.steward/reports/name``; returns the file."""
    run.log_bytes(html.encode(), name)
    return write_report(html, Path(workspace.settings.project_root) / REPORTS_DIR / name)


__all__ = ["keep_report"]
