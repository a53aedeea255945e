"""Retention and erasure: a customer's rows removed from every dataset version holding them (successors with
lineage, old snapshots deleted, the model trained on them flagged, the audit keeping a hash not the value),
versions past retention expired, and the same erasure on the quickstart's project."""

from __future__ import annotations

import hashlib
import json
import shutil

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from typer.testing import CliRunner

import mlsteward
from mlsteward.cli.main import app
from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.datasets import add_dataset, load_dataset
from mlsteward.lifecycle.registry import register_model
from mlsteward.lifecycle.retention import DAY_MS, erase_subject, expire_datasets, parse_where
from mlsteward.settings import Settings, resolve_settings
from mlsteward.spec import Spec, load_spec
from mlsteward.workspace import Workspace

SPEC = Spec.model_validate({"project": "shop", "charter": {"problem": "p", "decision": "d", "prediction_target": "t"},
                            "data": {"retention": {"customers": "30d", "*": "1y"}}})


@pytest.fixture
def shop(tmp_path):  # noqa: ANN001, ANN201
    workspace = Workspace(Settings(project_root=tmp_path, spec_path=None, store_url=f"sqlite:///{tmp_path / 's.db'}",
                                   artifacts_url=str(tmp_path / "artifacts")))
    customers = pd.DataFrame({"customer_id": range(1, 21), "email": [f"c{i}@example.org" for i in range(1, 21)],
                              "spend": [float(i * 3 % 17) for i in range(1, 21)], "churned": [i % 2 for i in range(1, 21)]})
    raw, _ = add_dataset(workspace, customers, name="customers")
    train, _ = add_dataset(workspace, customers[customers.customer_id <= 14], name="customers-train",
                           parents=[raw.ref], transformation="the first 14 customers")
    other, _ = add_dataset(workspace, pd.DataFrame({"store": [1, 2], "city": ["Oslo", "Lima"]}), name="stores")
    mlsteward.set_store(workspace.settings.store_url, workspace.settings.artifacts_url)
    mlsteward.autolog()
    try:
        with mlsteward.start_run(experiment="shop") as run:
            frame = load_dataset(workspace, train.ref, run_id=run.id)
            LogisticRegression().fit(frame[["spend"]], frame["churned"])
    finally:
        mlsteward.autolog(disable=True)
        mlsteward.set_store(None, None)
    workspace.store.projects.register("shop", {})
    model = register_model(workspace, SPEC, run.id, "churn").version
    yield workspace, {"raw": raw, "train": train, "other": other, "model": model, "customers": customers}
    workspace.store.close()


def test_where_conditions_parse_and_bad_ones_say_how() -> None:
    assert [(c.column, c.value) for c in parse_where(["customer_id = 7", "name='Ana Ruiz'"])] == [
        ("customer_id", "7"), ("name", "Ana Ruiz")]
    with pytest.raises(InvalidInput, match="COLUMN = VALUE"):
        parse_where(["customer_id > 7"])
    with pytest.raises(InvalidInput, match="say whose data"):
        parse_where([])


def test_an_erasure_removes_the_subject_everywhere_and_flags_the_model(shop) -> None:  # noqa: ANN001
    workspace, made = shop
    store = workspace.store
    result = erase_subject(workspace, SPEC, ["customer_id = 7"])
    assert result.rows_removed == {"customers@1": 1, "customers-train@1": 1}
    assert result.replaced == {"customers@1": "customers@2", "customers-train@1": "customers-train@2"}
    assert result.models_to_retrain == [made["model"].ref] and result.deleted_snapshots == 2

    expected = made["customers"][made["customers"].customer_id != 7].reset_index(drop=True)
    pd.testing.assert_frame_equal(load_dataset(workspace, "customers@2"), expected)
    assert 7 not in load_dataset(workspace, "customers-train@2")["customer_id"].tolist()
    assert len(load_dataset(workspace, "customers-train@2")) == 13
    for old in ("customers@1", "customers-train@1"):
        version = store.datasets.get(old)
        assert version.removed_kind == "erased" and not workspace.artifacts.exists(version.digest)
        with pytest.raises(InvalidInput, match="was erased"):
            load_dataset(workspace, old)
    assert "customers-train@1" in {e.parent for e in store.datasets.lineage("customers-train@2").ancestors}
    assert store.models.resolve(made["model"].ref).retrain_reason.startswith(f"erasure {result.erasure}")
    assert workspace.artifacts.exists(made["other"].digest)  # a dataset without the column is untouched

    events = [e for e in store.audit.list(limit=200) if e.action == "dataset.erased"]
    assert {e.entity_id for e in events} == {"customers@1", "customers-train@1"}
    assert events[0].details["subject_sha256"] == hashlib.sha256(b"customer_id=7").hexdigest()
    recorded = json.dumps([e.details for e in events])
    assert '"7"' not in recorded and "customer_id=7" not in recorded and "customer_id = 7" not in recorded
    assert store.audit.verify().ok
    with pytest.raises(InvalidInput, match="was erased"):  # the old content may not come back
        add_dataset(workspace, made["customers"], name="customers")
    assert erase_subject(workspace, SPEC, ["customer_id = 7"]).replaced == {}  # nothing left to erase
    assert erase_subject(workspace, SPEC, ["email = c3@example.org"], dry_run=True).rows_removed == {
        "customers@2": 1, "customers-train@2": 1}


def test_versions_past_retention_expire(shop) -> None:  # noqa: ANN001
    workspace, made = shop
    created = made["raw"].created_at_ms
    assert expire_datasets(workspace, SPEC, now_ms=created + 29 * DAY_MS).expired == []
    preview = expire_datasets(workspace, SPEC, now_ms=created + 31 * DAY_MS, dry_run=True)
    assert preview.expired == ["customers@1"] and workspace.store.datasets.get("customers@1").removed_kind is None
    done = expire_datasets(workspace, SPEC, now_ms=created + 31 * DAY_MS)
    assert done.expired == ["customers@1"] and "customers (30d" in done.reasons["customers@1"]
    assert done.deleted_snapshots == 1 and not workspace.artifacts.exists(made["raw"].digest)
    later = expire_datasets(workspace, SPEC, now_ms=created + 366 * DAY_MS)  # '*': 1y for the others
    assert later.expired == ["customers-train@1", "stores@1"]
    with pytest.raises(InvalidInput, match="sets no data.retention"):
        expire_datasets(workspace, Spec.model_validate({**SPEC.model_dump(exclude={"data"}), "data": {}}))


def test_erasure_on_the_quickstart_project(quickstart_project: tuple[str, str], tmp_path,  # noqa: ANN001
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "qs"
    shutil.copytree(quickstart_project[0], folder)
    monkeypatch.chdir(folder)
    workspace = Workspace(resolve_settings(start=folder))
    spec = load_spec(folder / "steward.yaml")
    raw = load_dataset(workspace, "gss@1")
    subject = (raw["year"] == 1974) & (raw["age"] == 21)
    shown = CliRunner().invoke(app, ["data", "erase", "--where", "year = 1974", "--where", "age = 21", "--json"])
    assert shown.exit_code == 0, shown.output
    result = json.loads(shown.output)
    assert result["rows_removed"]["gss@1"] == int(subject.sum())
    assert set(result["models_to_retrain"]) == {v.ref for v in workspace.store.models.versions(project=spec.project)}
    for new in result["replaced"].values():
        fresh = load_dataset(workspace, new)
        assert not ((fresh["year"] == 1974) & (fresh["age"] == 21)).any()
    workspace.store.close()
