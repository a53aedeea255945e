"""Options and helpers shared by the command groups."""

from __future__ import annotations

import typer

from mlsteward.settings import resolve_settings
from mlsteward.workspace import Workspace

JSON = typer.Option(False, "--json", help="Print JSON (the REST API's model) instead of a table.")


def open_workspace(create: bool = False) -> Workspace:
    """The current project's workspace; a missing store is an error unless ``create``."""
    return Workspace(resolve_settings(), create=create)


def project_spec(workspace: Workspace):  # noqa: ANN201 - mlsteward.spec.Spec
    """The project's steward.yaml, validated; an error when there is none."""
    from mlsteward.errors import InvalidInput
    from mlsteward.spec import load_spec

    if workspace.settings.spec_path is None:
        raise InvalidInput("no steward.yaml here or above: run `steward init` (or `steward quickstart`) first")
    return load_spec(workspace.settings.spec_path)
