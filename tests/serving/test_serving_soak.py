"""100 concurrent clients for 60 s against the live service, with a rollback in the middle: zero errors."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "registry"))
from registry_project import build_project
from test_serving_app import COLUMNS, LiveServer

from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.lifecycle.deployment import deploy_model, rollback_deployment
from mlsteward.lifecycle.registry import register_model
from mlsteward.serving.app import create_app
from mlsteward.serving.loadtest import run_load_test
from mlsteward.store.models import Change

pytestmark = pytest.mark.slow


def test_100_clients_for_60_seconds_with_a_rollback_in_the_middle_fail_no_request(tmp_path: Path) -> None:
    built = build_project(tmp_path)
    workspace, spec = built["workspace"], built["spec"]
    for run in built["runs"]:
        register_model(workspace, spec, run, "wages")
    models = workspace.store.models
    workspace.store.actor = "lee"  # the charter's ml_engineer
    for version in (1, 2):  # both through production (set-up: the promotion gate is tested elsewhere)
        models.set_status("wages", version, "production", expected_revision=models.model("wages").revision,
                          change=Change(kind="promoted", summary="test set-up"))
        deploy_model(workspace, spec, "wages", str(version))
    records = load_dataset(workspace, built["parts"]["test"])[COLUMNS].head(500).to_dict("records")
    outcome: dict = {}
    with LiveServer(create_app(workspace, require_token=False, preload=["wages@1", "wages@2"])) as url:
        load = threading.Thread(target=lambda: outcome.update(result=run_load_test(
            url, "wages", records, clients=100, seconds=60, warmup_seconds=2, timeout_s=60)))
        load.start()
        time.sleep(32)
        restored = rollback_deployment(workspace, spec, "wages", reason="mid-load rollback")
        load.join(120)
    result = outcome["result"]
    assert restored.state["live"] == 1
    assert result.errors == 0, (result.errors_by_status, result.latency_ms)
    assert result.requests > 1000 and result.duration_s >= 55
    workspace.store.close()
