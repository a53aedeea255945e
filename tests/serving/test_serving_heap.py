"""The prediction service freezes its startup heap, so a full garbage collection no longer walks the libraries
and models (the pause every request in flight would pay)."""

from __future__ import annotations

import gc
import time
from pathlib import Path

from starlette.testclient import TestClient

from mlsteward.serving.app import create_app
from mlsteward.serving.heap import settle_heap
from mlsteward.settings import resolve_settings
from mlsteward.workspace import Workspace


def test_a_full_collection_after_settling_walks_only_new_objects() -> None:
    gc.unfreeze()
    try:
        started = time.perf_counter()
        gc.collect()
        before = time.perf_counter() - started
        frozen = settle_heap()
        assert frozen > 10_000 and gc.get_freeze_count() == frozen
        started = time.perf_counter()
        gc.collect()
        after = time.perf_counter() - started
        assert after < before / 3, (before, after)
    finally:
        gc.unfreeze()


def test_the_service_settles_its_heap_at_startup(tmp_path: Path) -> None:
    gc.unfreeze()
    try:
        workspace = Workspace(resolve_settings(start=tmp_path))
        with TestClient(create_app(workspace, require_token=False)) as client:
            assert client.get("/healthz").status_code == 200
            assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
