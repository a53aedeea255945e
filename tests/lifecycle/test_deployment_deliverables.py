"""The deployment stage's deliverables, generated from what the quickstart's deployment recorded."""

from __future__ import annotations

import shutil

from mlsteward.lifecycle.deliverables import deliverables
from mlsteward.settings import resolve_settings
from mlsteward.spec import load_spec
from mlsteward.workspace import Workspace


def test_serving_docs_pipeline_and_observability_come_from_the_deployment(quickstart_project, tmp_path) -> None:
    folder = tmp_path / "qs"
    shutil.copytree(quickstart_project[0], folder)
    workspace, spec = Workspace(resolve_settings(start=folder)), load_spec(folder / "steward.yaml")
    view = {d.key: d for d in deliverables(workspace, spec).deliverables}

    docs = view["serving_docs"]
    assert docs.status == "present" and "gss-income-model@1: POST /v1/models/gss-income-model/predict" in docs.note
    assert "7 input column(s)" in docs.note and "/openapi.json" in docs.note

    pipeline = view["deployment_pipeline"]
    history = workspace.store.deployments.history("gss-income-model")
    assert [h.action for h in history[::-1]] == ["live", "shadow"]  # the quickstart's rollout
    assert pipeline.status == "present" and "gss-income-model: live v1 → shadow v2" in pipeline.note
    assert "only ml_engineer may deploy or roll back" in pipeline.note
    assert pipeline.evidence[0].command == "steward deployments history gss-income-model"

    observability = view["observability_spec"]
    logged = sum(s.rows for s in workspace.store.predictions.segments("predictions"))
    labels = sum(s.rows for s in workspace.store.predictions.segments("feedback"))
    assert logged == 1_500 + 2 * 300 and labels == 1_200 + 240  # live answers and shadow scorings; labels sent
    assert observability.status == "present" and f"{logged:,} predictions rows" in observability.note
    assert f"{labels:,} feedback rows" in observability.note and "steward_prediction_latency_seconds" in observability.note
    assert view["security_checklist"].status == "missing" and "steward scan" in view["security_checklist"].note
