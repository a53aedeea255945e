"""The charter's baseline rule answers when the live model raises and the endpoint has no previous version."""

from __future__ import annotations

import shutil

import pytest
import yaml
from starlette.testclient import TestClient

from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.serving.app import create_app
from mlsteward.serving.host import LoadedModel
from mlsteward.settings import resolve_settings
from mlsteward.workspace import Workspace

RULE = "prestg10 >= 60"


class Sink:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def append(self, rows: list[dict]) -> None:
        self.rows.extend(rows)

    def close(self) -> None:
        pass


def _project(quickstart_project: tuple[str, str], folder, rule: str | None) -> Workspace:
    shutil.copytree(quickstart_project[0], folder)
    spec = yaml.safe_load((folder / "steward.yaml").read_text())
    if rule:
        spec["charter"]["baseline"]["rule"] = rule
    (folder / "steward.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return Workspace(resolve_settings(start=folder))


def _broken(monkeypatch: pytest.MonkeyPatch) -> None:
    def score(self: LoadedModel, frame):
        raise RuntimeError("the model's native library crashed")

    monkeypatch.setattr(LoadedModel, "score", score)


def _rows(workspace: Workspace) -> list[dict]:
    """Rows of the test split with the model's input columns."""
    columns = [c["name"] for c in workspace.store.models.resolve("gss-income-model@1").input_schema["columns"]]
    frame = load_dataset(workspace, "gss-test-joined@1").dropna(subset=["prestg10"]).head(25)[columns]
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def test_the_baseline_rule_answers_when_the_model_raises(quickstart_project, tmp_path, monkeypatch) -> None:
    workspace = _project(quickstart_project, tmp_path / "qs", RULE)
    endpoint = workspace.store.deployments.endpoint("gss-income-model").state
    assert endpoint["previous"] is None  # the quickstart's first deployment: no version to fall back on
    rows, sink = _rows(workspace), Sink()
    _broken(monkeypatch)
    with TestClient(create_app(workspace, require_token=False, sink=sink, dashboard=False)) as client:
        answer = client.post("/v1/models/gss-income-model/predict", json={"records": rows})
        pinned = client.post("/v1/models/gss-income-model@1/predict", json={"records": rows})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["fallback"] == f"the charter's baseline rule: {RULE}" and body["model"] == "gss-income-model@1"
    expected = [1 if r["prestg10"] >= 60 else 0 for r in rows]  # the rule, worked out by hand
    assert body["predictions"] == expected and 0 < sum(expected) < len(expected)
    assert body["probabilities"] == [[1.0 - p, float(p)] for p in expected] and body["classes"] == [0, 1]
    assert {r["arm"] for r in sink.rows} == {"fallback"} and len(sink.rows) == len(rows)
    assert pinned.status_code == 500  # a pinned version is that version or nothing


def test_without_a_rule_or_when_it_cannot_answer_the_error_stands(quickstart_project, tmp_path, monkeypatch) -> None:
    _broken(monkeypatch)
    for folder, rule in (("none", None), ("unreadable", "no_such_column > 3")):
        workspace = _project(quickstart_project, tmp_path / folder, rule)
        with TestClient(create_app(workspace, require_token=False, dashboard=False)) as client:
            answer = client.post("/v1/models/gss-income-model/predict", json={"records": _rows(workspace)})
        assert answer.status_code == 500 and "fallback" not in answer.text and "Traceback" not in answer.text
