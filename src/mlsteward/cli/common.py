"""Options and helpers shared by the command groups."""

from __future__ import annotations

import typer

from mlsteward.settings import resolve_settings
from mlsteward.workspace import Workspace

JSON = typer.Option(False, "--json", help="Print JSON (the REST API's model) instead of a table.")


def open_workspace(create: bool = False) -> Workspace:
    """The current project's workspace; a missing store is an error unless ``create``."""
    return Workspace(resolve_settings(), create=create)
