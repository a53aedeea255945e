"""The prediction service on a real server (uvicorn on a loopback port, called with httpx), serving real
model versions trained and registered on the bundled GSS data."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
import uvicorn
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "registry"))
from registry_project import build_project

from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.lifecycle.registry import load_model_version, register_model
from mlsteward.serving.app import create_app
from mlsteward.serving.batcher import BatchingConfig
from mlsteward.serving.host import ENDPOINT_TTL_S
from mlsteward.settings import Settings
from mlsteward.workspace import Workspace

COLUMNS = ["prestg10", "childs", "educcat"]


class LiveServer:
    """uvicorn serving ``app`` in a thread on a free loopback port, lifespan included."""

    def __init__(self, app) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                                    lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(20)
        assert not self.thread.is_alive()


class RecordingSink:
    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.closed = False
        self.arrived = threading.Event()

    def append(self, rows: list[dict]) -> None:
        self.rows.extend(rows)
        self.arrived.set()

    def close(self) -> None:
        self.closed = True


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict:
    built = build_project(tmp_path_factory.mktemp("serving"))
    workspace, spec = built["workspace"], built["spec"]
    for run in built["runs"]:
        register_model(workspace, spec, run, "wages")
    workspace.store.models.set_alias("wages", "champion", 1)
    workspace.store.models.set_alias("wages", "challenger", 2)
    token, _ = workspace.store.tokens.create("lee", "serving tests")
    revoked, record = workspace.store.tokens.create("lee", "revoked")
    workspace.store.tokens.revoke(record.id)
    test = load_dataset(workspace, built["parts"]["test"])[COLUMNS].head(60).reset_index(drop=True)
    built.update(token=token, revoked=revoked, rows=test,
                 models={v: load_model_version(workspace, f"wages@{v}") for v in (1, 2)})
    yield built
    workspace.store.close()


@pytest.fixture(scope="module")
def server(project: dict) -> str:
    app = create_app(project["workspace"], require_token=True, max_body_bytes=100_000,
                     batching=BatchingConfig(max_wait_ms=20))
    with LiveServer(app) as url:
        yield url


@pytest.fixture(scope="module")
def client(server: str, project: dict) -> httpx.Client:
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {project['token']}"},
                      timeout=30) as c:
        yield c


def records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def metric(url: str, name: str, **labels: str) -> float:
    text = httpx.get(f"{url}/metrics").text
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def test_v1_predictions_equal_the_registered_models_on_records_and_columns(client: httpx.Client,
                                                                            project: dict) -> None:
    rows, model = project["rows"], project["models"][1]
    expected_proba, expected = model.predict_proba(rows), model.predict(rows)
    by_records = client.post("/v1/models/wages@1/predict", json={"records": records(rows)},
                             headers={"X-Request-ID": "req-42"})
    assert by_records.status_code == 200, by_records.text
    body = by_records.json()
    assert body["model"] == "wages@1" and body["request_id"] == "req-42"
    assert by_records.headers["x-request-id"] == "req-42"
    assert body["classes"] == [0, 1] and body["predictions"] == expected.tolist()
    np.testing.assert_allclose(body["probabilities"], expected_proba, rtol=0, atol=1e-12)
    columnar = {c: [r[c] for r in records(rows)] for c in COLUMNS}
    by_columns = client.post("/v1/models/wages@1/predict", json={"columns": columnar})
    assert by_columns.status_code == 200, by_columns.text
    assert by_columns.json()["probabilities"] == body["probabilities"]
    assert len(by_columns.headers["x-request-id"]) == 32  # made up when not given
    one = client.post("/v1/models/wages@1/predict", json={"records": records(rows.head(1))[0]}).json()
    assert one["predictions"] == expected[:1].tolist()
    assert one["probabilities"] == body["probabilities"][:1]


def test_names_resolve_to_champion_then_production_and_aliases_move_without_restart(client: httpx.Client,
                                                                                    project: dict) -> None:
    rows, models, store = project["rows"], project["models"], project["workspace"].store
    payload = {"records": records(rows.head(5))}
    assert client.post("/v1/models/wages/predict", json=payload).json()["model"] == "wages@1"
    challenger = client.post("/v1/models/wages@challenger/predict", json=payload).json()
    assert challenger["model"] == "wages@2"
    np.testing.assert_allclose(challenger["probabilities"], models[2].predict_proba(rows.head(5)), atol=1e-12)
    store.models.set_alias("wages", "champion", 2)
    try:
        time.sleep(ENDPOINT_TTL_S + 0.1)  # the service re-reads references within this
        assert client.post("/v1/models/wages/predict", json=payload).json()["model"] == "wages@2"
    finally:
        store.models.set_alias("wages", "champion", 1)
    time.sleep(ENDPOINT_TTL_S + 0.1)
    assert client.post("/v1/models/wages/predict", json=payload).json()["model"] == "wages@1"


def test_rows_that_do_not_fit_the_schema_are_422_naming_each_field_and_why(client: httpx.Client,
                                                                           project: dict) -> None:
    rows = records(project["rows"].head(3))
    for row in rows:
        del row["childs"]
    rows[1]["prestg10"] = "forty"
    response = client.post("/v1/models/wages/predict", json={"records": rows})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_input" and body["request_id"] == response.headers["x-request-id"]
    problems = {p["field"]: p for p in body["problems"]}
    assert set(problems) == {"prestg10", "childs"}
    assert problems["childs"]["problem"].startswith("missing")
    assert "expected a number, got the string 'forty'" in problems["prestg10"]["problem"]
    assert problems["prestg10"]["rows"] == [1]
    assert "prestg10" in body["message"] and "childs" in body["message"]
    # not JSON at all, and the wrong shape
    bad = client.post("/v1/models/wages/predict", content=b"{not json", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.json()["error"] == "malformed_json"
    shape = client.post("/v1/models/wages/predict", json={"rows": []})
    assert shape.status_code == 422 and "records" in shape.json()["message"]
    # a category never seen in training and nulls where training had missing values are served
    unseen = client.post("/v1/models/wages/predict", json={"records": [
        {"prestg10": None, "childs": 2, "educcat": "Doctorate from Mars"}]})
    assert unseen.status_code == 200, unseen.text


def test_unknown_models_versions_and_aliases_are_404(client: httpx.Client) -> None:
    payload = {"records": [{"prestg10": 40, "childs": 1, "educcat": "Bachelor"}]}
    for name in ("nosuch", "wages@9", "wages@nosuchalias"):
        response = client.post(f"/v1/models/{name}/predict", json=payload)
        assert response.status_code == 404, name
        assert response.json()["error"] == "not_found"
    unknown_route = client.get("/v1/nothing-here")
    assert unknown_route.status_code == 404 and unknown_route.json()["error"] == "not_found"


def test_model_endpoints_need_a_valid_token_and_health_does_not(server: str, project: dict) -> None:
    payload = {"records": [{"prestg10": 40, "childs": 1, "educcat": "Bachelor"}]}
    for headers in ({}, {"Authorization": "Bearer stw_nope"}, {"Authorization": f"Bearer {project['revoked']}"},
                    {"Authorization": project["token"]}):
        response = httpx.post(f"{server}/v1/models/wages/predict", json=payload, headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["error"] == "unauthenticated"
        assert response.headers["www-authenticate"] == "Bearer"
        assert httpx.get(f"{server}/v2/models/wages", headers=headers).status_code == 401
    for path in ("/healthz", "/readyz", "/metrics", "/v2/health/live", "/v2/health/ready", "/openapi.json"):
        assert httpx.get(f"{server}{path}").status_code == 200, path
    ready = httpx.get(f"{server}/readyz").json()
    assert ready["ready"] is True and ready["models"]
    docs = httpx.get(f"{server}/docs")  # Swagger UI from the bundled files: no CDN, so it works offline
    assert docs.status_code == 200 and "/docs/assets/swagger-ui-bundle.js" in docs.text and "cdn." not in docs.text
    script = httpx.get(f"{server}/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"] and len(script.content) > 1e5
    store = project["workspace"].store
    fresh, record = store.tokens.create("lee", "revoked while serving")
    headers = {"Authorization": f"Bearer {fresh}"}
    assert httpx.post(f"{server}/v1/models/wages/predict", json=payload, headers=headers).status_code == 200
    store.tokens.revoke(record.id)
    time.sleep(ENDPOINT_TTL_S + 0.1)  # identities are cached this long
    assert httpx.post(f"{server}/v1/models/wages/predict", json=payload, headers=headers).status_code == 401


def test_a_body_over_the_limit_is_413(client: httpx.Client) -> None:
    big = {"records": [{"prestg10": 40.0, "childs": 1, "educcat": "Bachelor", "note": "x" * 100}] * 1000}
    response = client.post("/v1/models/wages/predict", json=big)
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large" and "100,000 bytes" in response.json()["message"]

    def chunks():  # no Content-Length: refused while reading
        for _ in range(30):
            yield b"x" * 10_000

    streamed = client.post("/v1/models/wages/predict", content=chunks())
    assert streamed.status_code == 413


def test_metrics_count_requests_errors_and_rows_per_version(client: httpx.Client, server: str,
                                                            project: dict) -> None:
    before = {v: metric(server, "steward_prediction_requests_total", model="wages", version=v) for v in "12"}
    rows_before = metric(server, "steward_prediction_rows_total", model="wages", version="2")
    errors_before = metric(server, "steward_prediction_errors_total", model="wages", version="2",
                           code="invalid_input")
    payload = {"records": records(project["rows"].head(4))}
    for _ in range(3):
        assert client.post("/v1/models/wages@1/predict", json=payload).status_code == 200
    for _ in range(2):
        assert client.post("/v1/models/wages@2/predict", json=payload).status_code == 200
    assert client.post("/v1/models/wages@2/predict", json={"records": [{"prestg10": "x"}]}).status_code == 422
    assert metric(server, "steward_prediction_requests_total", model="wages", version="1") - before["1"] == 3
    assert metric(server, "steward_prediction_requests_total", model="wages", version="2") - before["2"] == 3
    assert metric(server, "steward_prediction_rows_total", model="wages", version="2") - rows_before == 8
    assert metric(server, "steward_prediction_errors_total", model="wages", version="2",
                  code="invalid_input") - errors_before == 1
    assert metric(server, "steward_prediction_latency_seconds_count", model="wages", version="1") >= 3
    assert metric(server, "steward_models_loaded") >= 2


def test_open_inference_protocol_v2_metadata_and_infer_equal_v1(client: httpx.Client, project: dict) -> None:
    meta = client.get("/v2/models/wages")
    assert meta.status_code == 200, meta.text
    body = meta.json()
    assert body["name"] == "wages" and body["versions"] == ["1", "2"] and body["parameters"]["version"] == "1"
    assert [(i["name"], i["datatype"]) for i in body["inputs"]] == [("prestg10", "FP64"), ("childs", "FP64"),
                                                                    ("educcat", "BYTES")]
    assert [(o["name"], o["datatype"]) for o in body["outputs"]] == [("predict", "INT64"), ("predict_proba", "FP64")]
    assert client.get("/v2/models/wages/versions/2").json()["parameters"]["version"] == "2"
    assert client.get("/v2/models/wages/ready").json()["ready"] is True
    assert client.get("/v2/models/nosuch/ready").status_code == 404
    assert client.get("/v2").json()["name"] == "mlsteward"

    rows = records(project["rows"].head(20))
    inputs = [{"name": "prestg10", "shape": [20], "datatype": "FP64", "data": [r["prestg10"] for r in rows]},
              {"name": "childs", "shape": [20, 1], "datatype": "FP64", "data": [[r["childs"]] for r in rows]},
              {"name": "educcat", "shape": [20], "datatype": "BYTES", "data": [r["educcat"] for r in rows]}]
    v1 = client.post("/v1/models/wages@2/predict", json={"records": rows}).json()
    for path in ("/v2/models/wages@2/infer", "/v2/models/wages/versions/2/infer"):
        response = client.post(path, json={"id": "abc", "inputs": inputs})
        assert response.status_code == 200, response.text
        out = response.json()
        assert (out["model_name"], out["model_version"], out["id"]) == ("wages", "2", "abc")
        outputs = {o["name"]: o for o in out["outputs"]}
        assert outputs["predict"]["shape"] == [20] and outputs["predict"]["data"] == v1["predictions"]
        assert outputs["predict_proba"]["shape"] == [20, 2]
        assert np.reshape(outputs["predict_proba"]["data"], (20, 2)).tolist() == v1["probabilities"]
    only = client.post("/v2/models/wages@2/infer", json={"inputs": inputs, "outputs": [{"name": "predict"}]}).json()
    assert [o["name"] for o in only["outputs"]] == ["predict"]
    wrong = client.post("/v2/models/wages/infer", json={"inputs": [{**inputs[0], "datatype": "BYTES",
                                                                    "data": ["a"] * 20}, *inputs[1:]]})
    assert wrong.status_code == 422 and wrong.json()["problems"][0]["field"] == "prestg10"


def test_concurrent_requests_are_batched_and_each_gets_its_own_rows(server: str, project: dict) -> None:
    rows, model = project["rows"], project["models"][1]
    slices = [rows.iloc[i:i + 1 + i % 3] for i in range(32)]
    batches_before = metric(server, "steward_prediction_batch_requests_count", model="wages", version="1")

    async def call_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server, timeout=30,
                                     headers={"Authorization": f"Bearer {project['token']}"}) as c:
            return await asyncio.gather(*(c.post("/v1/models/wages@1/predict", json={"records": records(s)})
                                          for s in slices))

    responses = asyncio.run(call_all())
    for part, response in zip(slices, responses, strict=True):
        assert response.status_code == 200, response.text
        np.testing.assert_allclose(response.json()["probabilities"], model.predict_proba(part), atol=1e-12)
    batches = metric(server, "steward_prediction_batch_requests_count", model="wages", version="1") - batches_before
    assert 1 <= batches < 32


def test_an_unexpected_error_is_a_500_with_a_request_id_and_no_stack_trace(project: dict) -> None:
    app = create_app(project["workspace"], require_token=False)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals at /srv/app.py line 3")

    with LiveServer(app) as url:
        response = httpx.get(f"{url}/boom", headers={"X-Request-ID": "trace-me"})
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "internal_error" and body["request_id"] == "trace-me"
    assert response.headers["x-request-id"] == "trace-me"
    assert "secret" not in response.text and "Traceback" not in response.text and "RuntimeError" not in response.text


def test_the_sink_receives_every_predicted_row_and_is_closed_on_shutdown(project: dict) -> None:
    sink = RecordingSink()
    app = create_app(project["workspace"], require_token=False, sink=sink, preload=["wages@1"])
    rows = project["rows"].head(3)
    with LiveServer(app) as url:
        response = httpx.post(f"{url}/v1/models/wages@1/predict", json={"records": records(rows)})
        assert response.status_code == 200
        assert sink.arrived.wait(10)
    assert sink.closed
    assert [r["request_id"] for r in sink.rows] == [response.headers["x-request-id"]] * 3
    first = sink.rows[0]
    assert set(first) == {"request_id", "time_ms", "model", "version", "inputs", "outputs", "latency_ms", "arm"}
    assert (first["model"], first["version"], first["arm"]) == ("wages", 1, "live")
    assert first["inputs"] == records(rows)[0]
    assert first["outputs"]["prediction"] == response.json()["predictions"][0]
    assert first["outputs"]["probabilities"] == dict(zip(["0", "1"], response.json()["probabilities"][0],
                                                         strict=True))
    assert first["latency_ms"] > 0 and first["time_ms"] > 1_700_000_000_000


class LabelSink(RecordingSink):
    def append(self, rows: list[dict]) -> None:
        if any("label" not in r for r in rows):
            raise InvalidInput("feedback needs a 'label'")
        super().append(rows)


class FailingSink(RecordingSink):
    def append(self, rows: list[dict]) -> None:
        raise OSError("disk full")


def test_feedback_goes_to_its_sink_and_a_failing_prediction_sink_never_fails_a_prediction(project: dict) -> None:
    feedback, failing = LabelSink(), FailingSink()
    app = create_app(project["workspace"], require_token=True, sink=failing, feedback_sink=feedback)
    headers = {"Authorization": f"Bearer {project['token']}"}
    with LiveServer(app) as url:
        predicted = httpx.post(f"{url}/v1/models/wages@1/predict", headers=headers,
                               json={"records": records(project["rows"].head(2))})
        assert predicted.status_code == 200
        rid = predicted.json()["request_id"]
        sent = httpx.post(f"{url}/v1/feedback", headers=headers, json={"request_id": rid, "label": 1})
        assert sent.status_code == 202 and sent.json()["accepted"] == 1
        many = httpx.post(f"{url}/v1/feedback", headers=headers, json=[{"request_id": rid, "label": 0}] * 2)
        assert many.status_code == 202 and many.json()["accepted"] == 2
        refused = httpx.post(f"{url}/v1/feedback", headers=headers, json={"request_id": rid})
        assert refused.status_code == 422 and "label" in refused.json()["message"]
        assert httpx.post(f"{url}/v1/feedback", json={"request_id": rid, "label": 1}).status_code == 401
        deadline = time.monotonic() + 10
        while metric(url, "steward_prediction_log_lost_rows_total") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert metric(url, "steward_prediction_log_lost_rows_total") == 2
    assert [r["label"] for r in feedback.rows] == [1, 0, 0] and feedback.closed and failing.closed
    without = create_app(project["workspace"], require_token=False)
    with LiveServer(without) as url:
        assert httpx.post(f"{url}/v1/feedback", json={"request_id": "x", "label": 1}).status_code == 404


def test_readiness_is_503_when_no_model_can_be_served(tmp_path: Path) -> None:
    empty = Workspace(Settings(project_root=tmp_path, spec_path=None, store_url=f"sqlite:///{tmp_path / 's.db'}",
                               artifacts_url=str(tmp_path / "artifacts")))
    with LiveServer(create_app(empty, require_token=False)) as url:
        assert httpx.get(f"{url}/healthz").status_code == 200
        ready = httpx.get(f"{url}/readyz")
        assert ready.status_code == 503 and ready.json()["ready"] is False
        assert httpx.get(f"{url}/v2/health/ready").status_code == 400
    empty.store.close()


def test_the_serve_command_runs_uvicorn_on_the_projects_registry(project: dict) -> None:
    settings = project["workspace"].settings
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = ("import typer, sys; from mlsteward.cli import serve; app = typer.Typer(); "
              "app.command('serve')(serve.serve); app.command('other')(lambda: None); app()")
    env = {**os.environ, "STEWARD_STORE_URL": settings.store_url, "STEWARD_ARTIFACTS_URL": settings.artifacts_url}
    process = subprocess.Popen([sys.executable, "-c", script, "serve", "--port", str(port), "--no-auth",
                                "--max-wait-ms", "0", "-m", "wages@2", "--log-level", "warning"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stdout.read().decode()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "steward serve did not become ready"
            time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").json()["models"] == ["wages@2"]  # preloaded
        response = httpx.post(f"http://127.0.0.1:{port}/v1/models/wages@2/predict",
                              json={"records": records(project["rows"].head(2))})
        assert response.status_code == 200 and response.json()["model"] == "wages@2"
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0].decode()
    assert "serving the registry of" in output and "no auth" in output
