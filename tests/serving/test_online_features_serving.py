"""Features a model reads that the request leaves out, fetched from the online store by entity id (the
quickstart's model reads the occupation view's ``occupation_high_income_rate``, keyed by ``occ10``)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from starlette.testclient import TestClient

from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.serving.app import create_app
from mlsteward.settings import resolve_settings
from mlsteward.workspace import Workspace

MODEL = "gss-income-model@1"
FEATURE = "occupation_high_income_rate"


@pytest.fixture(scope="module")
def served(quickstart_project: tuple[str, str], tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("online") / "qs"
    shutil.copytree(quickstart_project[0], folder)
    workspace = Workspace(resolve_settings(start=folder))
    with TestClient(create_app(workspace, require_token=False, dashboard=False)) as client:
        yield workspace, client


def _latest_rates(workspace: Workspace) -> pd.Series:
    """Each occupation's newest high-income rate, read from the view's source data (not the online store)."""
    history = load_dataset(workspace, "occupation_history@1").sort_values("as_of")
    return history.groupby("occ10")[FEATURE].last()


def test_the_service_fetches_a_view_feature_by_entity_id(served) -> None:
    workspace, client = served
    schema = [c["name"] for c in workspace.store.models.resolve(MODEL).input_schema["columns"]]
    assert FEATURE in schema and "occ10" not in schema  # the model reads the rate, the caller knows the id
    rates = _latest_rates(workspace)
    rows = load_dataset(workspace, "gss-test-joined@1").dropna(subset=["occ10"]).head(40)
    rows = rows[rows["occ10"].isin(rates.index)]
    asked = rows[[c for c in schema if c != FEATURE] + ["occ10"]]
    records = asked.astype(object).where(asked.notna(), None).to_dict("records")
    by_id = client.post(f"/v1/models/{MODEL}/predict", json={"records": records})
    assert by_id.status_code == 200, by_id.text

    explicit = [{**r, FEATURE: float(rates[r["occ10"]])} for r in records]  # the same rows, the value sent
    sent = client.post(f"/v1/models/{MODEL}/predict", json={"records": explicit}).json()
    assert by_id.json()["probabilities"] == sent["probabilities"]
    assert by_id.json()["predictions"] == sent["predictions"]

    overridden = [{**r, FEATURE: 0.99} for r in records]  # a value the request sends wins over the store
    assert client.post(f"/v1/models/{MODEL}/predict", json={"records": overridden}).json()["probabilities"] \
        != sent["probabilities"]


def test_an_unknown_or_missing_entity_is_a_missing_value_and_without_an_id_the_422_names_the_feature(served) -> None:
    workspace, client = served
    schema = [c["name"] for c in workspace.store.models.resolve(MODEL).input_schema["columns"]]
    row = load_dataset(workspace, "gss-test-joined@1").iloc[0]
    base = {c: (None if pd.isna(row[c]) else row[c].item() if hasattr(row[c], "item") else row[c])
            for c in schema if c != FEATURE}
    unknown = client.post(f"/v1/models/{MODEL}/predict", json={"records": [{**base, "occ10": 987654321},
                                                                            {**base, "occ10": None}]})
    missing = client.post(f"/v1/models/{MODEL}/predict", json={"records": [{**base, FEATURE: None}] * 2})
    assert unknown.status_code == missing.status_code == 200, unknown.text
    assert unknown.json()["probabilities"] == missing.json()["probabilities"]  # imputed as in training
    no_id = client.post(f"/v1/models/{MODEL}/predict", json={"records": [base]})
    assert no_id.status_code == 422 and FEATURE in no_id.text


def test_the_v2_protocol_fetches_it_too(served) -> None:
    workspace, client = served
    rates = _latest_rates(workspace)
    occ10 = int(rates.index[0])
    schema = workspace.store.models.resolve(MODEL).input_schema["columns"]
    row = {"prestg10": 50.0, "childs": 1.0, "educcat": "Bachelor", "occrecode": "Professional",
           "wrkstat": "Full-Time", "maritalcat": "Married"}
    assert {c["name"] for c in schema} == {*row, FEATURE}

    def tensors(values: dict) -> list[dict]:
        return [{"name": k, "shape": [1], "datatype": "BYTES" if isinstance(v, str) else "FP64", "data": [v]}
                for k, v in values.items()]

    by_id = client.post(f"/v2/models/{MODEL}/infer", json={"inputs": tensors({**row, "occ10": occ10})})
    sent = client.post(f"/v2/models/{MODEL}/infer", json={"inputs": tensors({**row, FEATURE: float(rates[occ10])})})
    assert by_id.status_code == 200, by_id.text
    assert by_id.json()["outputs"] == sent.json()["outputs"]
