"""A workspace on a fresh SQLite store (files that test every backend override it)."""

from __future__ import annotations

import pytest

from mlsteward.settings import Settings
from mlsteward.workspace import Workspace


@pytest.fixture
def workspace(tmp_path) -> Workspace:  # noqa: ANN001
    ws = Workspace(Settings(project_root=tmp_path, spec_path=None, store_url=f"sqlite:///{tmp_path / 's.db'}",
                            artifacts_url=str(tmp_path / "artifacts")))
    yield ws
    ws.store.close()
