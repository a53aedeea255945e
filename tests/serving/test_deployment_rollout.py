"""Deployments on a real server: a live switch, a canary sticky by request key, a shadow that is logged and
never answers, and a rollback under load with no failed request; every change recorded and audited."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "registry"))
from registry_project import build_project
from test_serving_app import COLUMNS, LiveServer, RecordingSink

from mlsteward.errors import InvalidInput, NotPermitted
from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.lifecycle.deployment import deploy_model, rollback_deployment
from mlsteward.lifecycle.registry import register_model
from mlsteward.serving.app import create_app
from mlsteward.serving.host import ENDPOINT_TTL_S
from mlsteward.store.models import Change


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict:
    built = build_project(tmp_path_factory.mktemp("deploy"))
    workspace, spec = built["workspace"], built["spec"]
    for run in built["runs"]:
        register_model(workspace, spec, run, "wages")
    models = workspace.store.models
    models.set_status("wages", 1, "production", expected_revision=models.model("wages").revision,
                      change=Change(kind="promoted", summary="test set-up"))
    workspace.store.actor = "lee"  # the charter's ml_engineer: a promoter
    rows = load_dataset(workspace, built["parts"]["test"])[COLUMNS].head(3).to_dict("records")
    sink = RecordingSink()
    built.update(rows=rows, sink=sink)
    with LiveServer(create_app(workspace, require_token=False, sink=sink)) as url:
        built["url"] = url
        yield built
    workspace.store.close()


def _ask(url: str, rows: list[dict], key: str | None = None) -> httpx.Response:
    headers = {"X-Request-Key": key} if key else {}
    return httpx.post(f"{url}/v1/models/wages/predict", json={"records": rows}, headers=headers, timeout=30)


def _settle() -> None:
    time.sleep(ENDPOINT_TTL_S + 0.2)  # the service re-reads the endpoint's state within this


def test_live_canary_shadow_and_rollback(project: dict) -> None:
    workspace, spec, url, rows, sink = (project[k] for k in ("workspace", "spec", "url", "rows", "sink"))
    with pytest.raises(InvalidInput, match="wages@2 is in staging, not production"):
        deploy_model(workspace, spec, "wages", "2")
    deploy_model(workspace, spec, "wages", "1", reason="first release")
    _settle()
    assert _ask(url, rows).json()["model"] == "wages@1"

    deploy_model(workspace, spec, "wages", "2", "canary", share=0.5)
    _settle()
    keys = [f"user-{i}" for i in range(120)]
    served = {k: _ask(url, rows[:1], k).json()["model"] for k in keys}
    share = sum(v == "wages@2" for v in served.values()) / len(keys)
    assert 0.3 < share < 0.7  # 4 sigma of a binomial(120, 0.5)
    assert all(_ask(url, rows[:1], k).json()["model"] == served[k] for k in keys[:20])  # sticky by key

    deploy_model(workspace, spec, "wages", "1", "live")  # clears the canary
    deploy_model(workspace, spec, "wages", "2", "shadow")
    _settle()
    sink.rows.clear()
    answer = _ask(url, rows)
    assert answer.json()["model"] == "wages@1"
    request_id = answer.headers["x-request-id"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(r["arm"] == "shadow" for r in sink.rows):
        time.sleep(0.05)
    mine = [r for r in sink.rows if r["request_id"] == request_id]
    assert sorted((r["arm"], r["version"]) for r in mine) == [("live", 1)] * 3 + [("shadow", 2)] * 3


def test_a_rollback_under_load_fails_no_request(project: dict) -> None:
    workspace, spec, url, rows = (project[k] for k in ("workspace", "spec", "url", "rows"))
    models = workspace.store.models
    models.set_status("wages", 2, "production", expected_revision=models.model("wages").revision,
                      change=Change(kind="promoted", summary="test set-up"))
    deploy_model(workspace, spec, "wages", "2", reason="v2 promoted")
    _settle()
    results: list[tuple[int, str]] = []
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                response = client.post(f"{url}/v1/models/wages/predict", json={"records": rows})
                results.append((response.status_code, response.json().get("model", "")))

    workers = [threading.Thread(target=hammer) for _ in range(8)]
    for w in workers:
        w.start()
    time.sleep(1.0)
    restored = rollback_deployment(workspace, spec, "wages", reason="latency regression")
    time.sleep(ENDPOINT_TTL_S + 1.0)
    stop.set()
    for w in workers:
        w.join(30)
    assert restored.state["live"] == 1 and restored.state["previous"] == 2
    assert results and all(status == 200 for status, _ in results), {s for s, _ in results}
    assert results[0][1] == "wages@2" and results[-1][1] == "wages@1"

    history = workspace.store.deployments.history("wages")
    assert [h.action for h in history][:2] == ["rollback", "live"] and history[0].reason == "latency regression"
    assert history[0].created_by == "lee"
    changes = workspace.store.governance.list_changes("wages", subject="endpoint:wages")
    assert changes[0].kind == "deployed_rollback"
    from mlsteward.lifecycle.stage_gates import stage_gate

    gate = stage_gate(workspace, spec, "deployment")
    items = {i.name: i for i in gate.items}
    assert items["rollback plan"].passed is True and "rollback to v2" in items["rollback plan"].detail
    assert items["load test"].passed is None and "steward loadtest" in items["load test"].command
    assert workspace.store.audit.verify().ok


def test_only_a_promoter_may_deploy(project: dict) -> None:
    workspace, spec = project["workspace"], project["spec"]
    workspace.store.actor = "dana@example.com"  # product_owner, not in promoter_roles
    try:
        with pytest.raises(NotPermitted, match="needs one of the roles ml_engineer"):
            deploy_model(workspace, spec, "wages", "1")
        with pytest.raises(NotPermitted):
            rollback_deployment(workspace, spec, "wages")
    finally:
        workspace.store.actor = "lee"


def test_the_admin_api_deploys_as_the_tokens_user(project: dict, tmp_path) -> None:  # noqa: ANN001
    import dataclasses

    import yaml
    from registry_project import SPEC

    from mlsteward.workspace import Workspace

    workspace = project["workspace"]
    spec_path = tmp_path / "steward.yaml"
    spec_path.write_text(yaml.safe_dump(SPEC))
    served = Workspace(dataclasses.replace(workspace.settings, spec_path=spec_path))
    engineer, _ = workspace.store.tokens.create("lee", "deploys")
    owner, _ = workspace.store.tokens.create("dana@example.com", "reads")
    with LiveServer(create_app(served, require_token=False)) as url:
        admin = f"{url}/v1/admin/endpoints/wages"
        assert httpx.put(admin, json={"version": "1", "mode": "canary", "share": 0.2}).status_code == 401
        refused = httpx.put(admin, json={"version": "1", "mode": "shadow"},
                            headers={"Authorization": f"Bearer {owner}"})
        assert refused.status_code == 403 and "needs one of the roles ml_engineer" in refused.json()["message"]
        live = workspace.store.deployments.endpoint("wages").state["live"]
        other = 2 if live == 1 else 1
        done = httpx.put(admin, json={"version": str(other), "mode": "shadow", "reason": "try it"},
                         headers={"Authorization": f"Bearer {engineer}"})
        assert done.status_code == 200, done.text
        assert done.json()["state"]["shadow"] == other and done.json()["updated_by"] == "lee"
        shown = httpx.get(admin, headers={"Authorization": f"Bearer {engineer}"}).json()
        assert shown["history"][0]["action"] == "shadow" and shown["history"][0]["created_by"] == "lee"
        back = httpx.post(f"{admin}/rollback", json={"reason": "done"}, headers={"Authorization": f"Bearer {engineer}"})
        assert back.status_code == 200 and back.json()["state"]["shadow"] is None
    events = workspace.store.audit.list(entity_type="endpoint", limit=2)
    assert [e.actor for e in events] == ["lee", "lee"] and workspace.store.audit.verify().ok


def test_the_previous_version_answers_when_the_live_one_raises(project: dict,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from mlsteward.serving.host import LoadedModel

    workspace, url, rows, sink = (project[k] for k in ("workspace", "url", "rows", "sink"))
    state = workspace.store.deployments.endpoint("wages").state
    assert state["previous"] is not None
    broken, fallback = f"wages@{state['live']}", f"wages@{state['previous']}"
    original = LoadedModel.score

    def score(self: LoadedModel, frame):  # noqa: ANN001, ANN202
        if self.ref == broken:
            raise RuntimeError("the model's native library crashed")
        return original(self, frame)

    monkeypatch.setattr(LoadedModel, "score", score)
    sink.rows.clear()
    answer = _ask(url, rows)
    assert answer.status_code == 200 and answer.json()["model"] == fallback
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not sink.rows:
        time.sleep(0.05)
    assert {(r["arm"], f"{r['model']}@{r['version']}") for r in sink.rows} == {("fallback", fallback)}
    direct = httpx.post(f"{url}/v1/models/{broken}/predict", json={"records": rows}, timeout=30)
    assert direct.status_code == 500 and "Traceback" not in direct.text  # a pinned version has no fallback
