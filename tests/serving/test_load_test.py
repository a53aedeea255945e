"""Load tests against a real prediction service (uvicorn on a loopback port) serving a model trained and
registered on the bundled GSS data; the recorded run is the deployment stage's load-test evidence."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import typer
import yaml
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "registry"))
from registry_project import SPEC, build_project
from test_serving_app import LiveServer

from mlsteward.cli.loadtest import loadtest
from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.evidence_lookup import latest_load_test
from mlsteward.lifecycle.load_test import record_load_test, sample_records
from mlsteward.lifecycle.registry import register_model
from mlsteward.serving.app import create_app
from mlsteward.serving.loadtest import drive_endpoint, run_load_test, summarise_latencies


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("loadtest")
    built = build_project(root)
    workspace, spec = built["workspace"], built["spec"]
    register_model(workspace, spec, built["runs"][0], "wages")
    workspace.store.models.set_alias("wages", "champion", 1)
    token, _ = workspace.store.tokens.create("lee", "load tests")
    built.update(root=root, token=token)
    yield built
    workspace.store.close()


@pytest.fixture(scope="module")
def server(project: dict) -> str:
    with LiveServer(create_app(project["workspace"], require_token=True)) as url:
        yield url


def test_sixteen_clients_for_three_seconds_fail_nothing_and_the_run_holds_the_evidence(project: dict,
                                                                                       server: str) -> None:
    workspace, test = project["workspace"], project["parts"]["test"]
    records, columns = sample_records(workspace, test, "wages")
    assert columns == ["prestg10", "childs", "educcat"] and set(records[0]) == set(columns)
    result = run_load_test(server, "wages", records, clients=16, seconds=3, token=project["token"],
                           warmup_seconds=0.5)
    assert result.errors == 0 and result.errors_by_status == {}, result.errors_by_status
    assert result.requests > 50  # a closed loop of 16 clients for 3 s on loopback
    assert 2.9 <= result.duration_s < 10
    lat = result.latency_ms
    assert 0 < lat.p50 <= lat.p95 <= lat.p99 <= lat.max
    assert result.throughput_rps == pytest.approx(result.requests / result.duration_s, rel=1e-3)
    assert result.answered_by and set(result.answered_by) == {"wages@1"}

    run = record_load_test(workspace, "wages", "wages", result, data_ref=test)
    assert run.status == "finished" and run.experiment == "wages"
    assert run.tags["kind"] == "load-test" and run.tags["stage"] == "deployment" and run.tags["model"] == "wages"
    metrics = run.metrics
    assert metrics["latency_p99_ms"] == pytest.approx(lat.p99)
    assert metrics["throughput_rps"] == pytest.approx(result.throughput_rps)
    assert metrics["errors"] == 0 and metrics["requests"] == result.requests
    artifact = next(a for a in run.artifacts if a.path == "load-test.json")
    stored = json.loads(workspace.artifacts.get_bytes(artifact.digest))
    assert stored == json.loads(result.model_dump_json())
    newest = workspace.store.runs.search("tags.kind = 'load-test' and status = 'finished'", experiment="wages",
                                         limit=1)
    assert [r.id for r in newest] == [run.id]
    evidence = latest_load_test(workspace, "wages")  # what the deployment stage gate reads
    assert evidence.ref == run.id and evidence.digest == artifact.digest


def test_failed_requests_are_counted_by_status_and_a_request_limit_is_kept(project: dict, server: str) -> None:
    records, _ = sample_records(project["workspace"], project["parts"]["test"], "wages")
    no_token = run_load_test(server, "wages", records, clients=4, seconds=5, requests=40, warmup_seconds=0)
    assert no_token.requests == 40 and no_token.errors == 40 and no_token.errors_by_status == {"401": 40}
    assert no_token.latency_ms is None and no_token.throughput_rps == 0
    unknown = run_load_test(server, "nosuch", records, clients=2, seconds=5, requests=10, token=project["token"],
                            warmup_seconds=0, rows_per_request=3)
    assert unknown.errors_by_status == {"404": 10}
    nobody = drive_endpoint("http://127.0.0.1:9/nothing", [b"{}"], clients=2, seconds=0.3, warmup_seconds=0)
    assert nobody.errors == nobody.requests > 0 and set(nobody.errors_by_status) == {"ConnectError"}


def test_percentiles_are_numpys_and_bad_settings_say_what_to_do() -> None:
    latencies = np.random.default_rng(0).lognormal(-6, 0.5, 1001)
    summary = summarise_latencies(latencies)
    expected = np.percentile(latencies * 1000, [50, 95, 99])
    assert [summary.p50, summary.p95, summary.p99] == pytest.approx(expected, abs=1e-3)
    assert summary.max == pytest.approx(latencies.max() * 1000, abs=1e-3)
    hand = summarise_latencies([0.001, 0.002, 0.003, 0.004])  # linear interpolation: p50 = 2.5 ms, p99 = 3.97 ms
    assert (hand.p50, hand.p99, hand.max) == (2.5, 3.97, 4.0)
    assert summarise_latencies([]) is None
    with pytest.raises(InvalidInput, match="clients must be at least 1. Got 0"):
        drive_endpoint("http://127.0.0.1:9/", [b"{}"], clients=0)
    with pytest.raises(InvalidInput, match="give the load test a limit"):
        drive_endpoint("http://127.0.0.1:9/", [b"{}"], seconds=None)


def test_the_command_loads_the_service_and_records_the_evidence(project: dict, server: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    root, workspace = project["root"], project["workspace"]
    (root / "steward.yaml").write_text(yaml.safe_dump(SPEC))
    monkeypatch.chdir(root)
    monkeypatch.setenv("STEWARD_STORE_URL", workspace.settings.store_url)
    monkeypatch.setenv("STEWARD_ARTIFACTS_URL", str(workspace.settings.artifacts_url))
    monkeypatch.delenv("STEWARD_TOKEN", raising=False)
    app = typer.Typer()
    app.command()(loadtest)
    test = project["parts"]["test"]
    result = CliRunner().invoke(app, [server, "--model", "wages@1", "--data", test, "--clients", "4", "--seconds",
                                      "1", "--warmup", "0", "--rows", "2", "--token", project["token"], "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["errors"] == 0 and body["rows_per_request"] == 2 and body["model"] == "wages@1"
    assert body["rows_per_second"] == pytest.approx(2 * body["throughput_rps"], rel=1e-3)
    newest = workspace.store.runs.search("tags.kind = 'load-test' and status = 'finished'", experiment="wages",
                                         limit=1)[0]
    assert newest.tags["model"] == "wages@1" and newest.params["dataset"] == test
    failing = CliRunner().invoke(app, [server, "--model", "wages", "--data", test, "--seconds", "0.5", "--warmup",
                                       "0", "--no-record"])
    assert failing.exit_code == 1 and "401" in failing.output
