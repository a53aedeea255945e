"""`steward serve` as its own process, stopped with SIGTERM in the middle of traffic: every request it
answered is in the prediction log (the log is flushed on the graceful shutdown)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "registry"))
from registry_project import SPEC, build_project

from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.lifecycle.prediction_logs import read_predictions
from mlsteward.lifecycle.registry import register_model

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sigterm_under_load_loses_no_answered_prediction(tmp_path: Path) -> None:
    built = build_project(tmp_path)
    workspace = built["workspace"]
    register_model(workspace, built["spec"], built["runs"][0], "wages")
    workspace.store.models.set_alias("wages", "champion", 1)
    rows = load_dataset(workspace, built["parts"]["test"])[["prestg10", "childs", "educcat"]].head(2)
    (tmp_path / "steward.yaml").write_text(yaml.safe_dump(SPEC))
    port = _free_port()
    env = os.environ | {"STEWARD_STORE_URL": f"sqlite:///{tmp_path / 's.db'}",
                        "STEWARD_ARTIFACTS_URL": str(tmp_path / "artifacts"), "STEWARD_USER": "lee"}
    server = subprocess.Popen([sys.executable, "-m", "mlsteward.cli", "serve", "--no-auth", "--port", str(port),
                               "-m", "wages", "--log-level", "warning"], cwd=tmp_path, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "steward serve did not start"
            time.sleep(0.2)
        answered: list[str] = []
        payload = {"records": rows.to_dict("records")}

        def client() -> None:
            with httpx.Client(timeout=10) as http:
                while True:
                    try:
                        response = http.post(f"{url}/v1/models/wages/predict", json=payload)
                    except httpx.TransportError:
                        return  # the server has stopped accepting
                    if response.status_code != 200:
                        return
                    answered.append(response.json()["request_id"])

        clients = [threading.Thread(target=client) for _ in range(6)]
        for c in clients:
            c.start()
        time.sleep(2.0)
        server.send_signal(signal.SIGTERM)
        assert server.wait(60) in (0, -signal.SIGTERM)  # uvicorn shuts down, then re-raises the signal
        for c in clients:
            c.join(30)
    finally:
        if server.poll() is None:
            server.kill()
    assert len(answered) > 20
    logged = read_predictions(workspace, "wages", with_feedback=False)
    missing = set(answered) - set(logged["request_id"])
    assert not missing, f"{len(missing)} answered requests are not in the prediction log"
    assert (logged.groupby("request_id").size() == len(rows)).all()  # one log row per predicted row
