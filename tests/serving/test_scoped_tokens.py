"""API tokens scoped to one model version: answered only by that version, refused by the admin API, and revoked
when the version retires (on a copy of the quickstart's project, through a real server)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import httpx

from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.lifecycle.retirement import retire_model
from mlsteward.lifecycle.signoffs import acting_as
from mlsteward.serving.app import create_app
from mlsteward.settings import resolve_settings
from mlsteward.spec import load_spec
from mlsteward.workspace import Workspace

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_serving_app import LiveServer

MODEL = "gss-income-model"


def test_a_scoped_token_calls_only_its_model_version(quickstart_project: tuple[str, str], tmp_path) -> None:  # noqa: ANN001
    folder = tmp_path / "qs"
    shutil.copytree(quickstart_project[0], folder)
    workspace = Workspace(resolve_settings(start=folder))
    spec = load_spec(folder / "steward.yaml")
    store = workspace.store
    live, _ = store.tokens.create("app@example.org", "live only", scope=f"{MODEL}@1")
    shadow, _ = store.tokens.create("ci@example.org", "challenger checks", scope=f"{MODEL}@2")
    schema = [c["name"] for c in store.models.resolve(f"{MODEL}@1").input_schema["columns"]]
    rows = load_dataset(workspace, "gss-test-joined@1")[schema].head(3)
    body = {"records": rows.astype(object).where(rows.notna(), None).to_dict("records")}

    def call(token: str, path: str, **kwargs) -> httpx.Response:  # noqa: ANN003
        return client.post(path, headers={"Authorization": f"Bearer {token}"}, **kwargs)

    with LiveServer(create_app(workspace, require_token=True, dashboard=False)) as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        assert call(live, f"/v1/models/{MODEL}/predict", json=body).status_code == 200  # live is version 1
        assert call(live, f"/v1/models/{MODEL}@1/predict", json=body).status_code == 200
        refused = call(shadow, f"/v1/models/{MODEL}/predict", json=body)
        assert refused.status_code == 403 and f"may only call {MODEL}@2" in refused.json()["message"]
        assert call(shadow, f"/v1/models/{MODEL}@2/predict", json=body).status_code == 200
        admin = call(live, f"/v1/admin/endpoints/{MODEL}/rollback", json={"reason": "x"})
        assert admin.status_code == 403 and "scoped to" in admin.json()["message"]

        with acting_as(store, next(p.email for p in spec.charter.stakeholders if p.role == "ml_engineer")):
            retire_model(workspace, spec, MODEL, "2", "checks done")
    with LiveServer(create_app(workspace, require_token=True, dashboard=False)) as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        assert call(shadow, f"/v1/models/{MODEL}@2/predict", json=body).status_code == 401  # revoked
        assert call(live, f"/v1/models/{MODEL}/predict", json=body).status_code == 200
    store.close()
