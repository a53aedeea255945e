"""The web dashboard (`steward ui`): server-rendered pages over the project's store, served by the same FastAPI app
as the prediction service and the REST API. No front-end build: Jinja2 templates, a little plain JavaScript, and
plotly's own JavaScript served from the installed package (it works offline)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from mlsteward.workspace import Workspace


def add_dashboard(app: FastAPI, workspace: Workspace, *, open_reading: bool) -> None:
    """Serve the dashboard under ``/ui`` on ``app`` (``mlsteward.ui.routes``)."""
    from mlsteward.ui.routes import add_dashboard as add

    add(app, workspace, open_reading=open_reading)


__all__ = ["add_dashboard"]
