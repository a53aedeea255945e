"""What every dashboard page is built from: the workspace, the project's spec, and who is looking."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlsteward.spec import Spec
from mlsteward.store import Store
from mlsteward.workspace import Workspace


@dataclass
class View:
    workspace: Workspace
    spec: Spec | None
    user: str | None  # the signed-in token's user; None when reading anonymously on loopback
    query: dict[str, list[str]] = field(default_factory=dict)

    @property
    def store(self) -> Store:
        return self.workspace.store

    @property
    def project(self) -> str | None:
        return self.spec.project if self.spec else None

    @property
    def roles(self) -> list[str]:
        return self.spec.charter.roles_of(self.user) if self.spec and self.user else []

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        return self.query.get(name, [])


@dataclass
class Page:
    """A page to render: its template, its title and what the template reads."""

    template: str
    title: str
    context: dict[str, Any] = field(default_factory=dict)
    status: int = 200


__all__ = ["Page", "View"]
