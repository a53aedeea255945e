"""A workspace: the store and artifact store of one project, opened once per process."""

from __future__ import annotations

import threading
from functools import cached_property

from mlsteward.artifacts import ArtifactStore
from mlsteward.settings import Settings, current_actor, resolve_settings
from mlsteward.store import Store


class Workspace:
    def __init__(self, settings: Settings, *, create: bool = True) -> None:
        self.settings = settings
        self._create = create

    @cached_property
    def store(self) -> Store:
        return Store.open(self.settings.store_url, actor=current_actor(), create=self._create)

    @cached_property
    def artifacts(self) -> ArtifactStore:
        return ArtifactStore.from_url(self.settings.artifacts_url)

    def acting_as(self, actor: str) -> Workspace:
        """The same store and artifacts, with writes made and audited as ``actor`` (an API token's user)."""
        other = Workspace(self.settings, create=self._create)
        other.__dict__["store"] = Store(self.store.url, self.store.engine, actor)
        other.__dict__["artifacts"] = self.artifacts
        return other


_lock = threading.Lock()
_open: dict[tuple[str, str], Workspace] = {}


def get_workspace(store_url: str | None = None, artifacts_url: str | None = None) -> Workspace:
    """The workspace for these URLs (resolved as in ``mlsteward.settings``), cached per process."""
    settings = resolve_settings(store_url=store_url, artifacts_url=artifacts_url)
    key = (settings.store_url, settings.artifacts_url)
    with _lock:
        if key not in _open:
            _open[key] = Workspace(settings)
        return _open[key]
