"""schemathesis against the running service's OpenAPI: generated requests for every operation, valid and
not, never get a 5xx (the contract: bad input is a 4xx that says what is wrong)."""

from __future__ import annotations

import sys
from pathlib import Path

import hypothesis
import pytest
import schemathesis

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "registry"))
from registry_project import build_project
from test_serving_app import LiveServer, RecordingSink

from mlsteward.lifecycle.registry import register_model
from mlsteward.serving.app import create_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    built = build_project(tmp_path_factory.mktemp("fuzz"))
    workspace = built["workspace"]
    register_model(workspace, built["spec"], built["runs"][0], "wages")
    workspace.store.models.set_alias("wages", "champion", 1)
    token, _ = workspace.store.tokens.create("lee", "fuzz")
    app = create_app(workspace, require_token=True, sink=RecordingSink(), feedback_sink=RecordingSink())
    with LiveServer(app) as url:
        yield url, token
    workspace.store.close()


def test_no_generated_request_gets_a_server_error(service: tuple[str, str]) -> None:
    url, token = service
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    failures: list[str] = []
    statuses: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    for operation in operations:
        @hypothesis.settings(max_examples=15, deadline=None, database=None, derandomize=True,
                             suppress_health_check=list(hypothesis.HealthCheck))
        @hypothesis.given(case=operation.as_strategy())
        def probe(case) -> None:  # noqa: ANN001
            if "{name}" in operation.path and case.path_parameters:  # half the cases name the real model
                case.path_parameters["name"] = "wages" if hash(str(case.body)) % 2 else case.path_parameters["name"]
            response = case.call(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
            statuses.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.body!r:.200} -> {response.status_code} "
                                f"{response.text[:200]}")

        probe()
    assert failures == []
    assert len(statuses) >= 5 * len(operations) and 200 in statuses and 422 in statuses  # it did probe
