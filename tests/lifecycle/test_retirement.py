"""Retiring a model version on a copy of the quickstart's project: the live version is refused; the shadow
challenger is retired with its triggers checked (superseded, open alerts, still serving), taken off the endpoint,
its scoped token revoked, its final artifacts archived (hash-verified) and the sunset record written; afterwards
it is read-only and the audit trail still verifies."""

from __future__ import annotations

import io
import json
import shutil
import tarfile

import pytest
from typer.testing import CliRunner

from mlsteward.cli.main import app
from mlsteward.errors import Conflict, InvalidInput, NotPermitted
from mlsteward.lifecycle.deployment import deploy_model, endpoint_of
from mlsteward.lifecycle.retirement import retire_model
from mlsteward.lifecycle.signoffs import acting_as
from mlsteward.settings import resolve_settings
from mlsteward.spec import load_spec
from mlsteward.workspace import Workspace

MODEL = "gss-income-model"


@pytest.fixture
def qs(quickstart_project: tuple[str, str], tmp_path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001, ANN201
    folder = tmp_path / "qs"
    shutil.copytree(quickstart_project[0], folder)
    monkeypatch.chdir(folder)
    workspace = Workspace(resolve_settings(start=folder))
    spec = load_spec(folder / "steward.yaml")
    yield workspace, spec, {p.role: p.email for p in spec.charter.stakeholders}
    workspace.store.close()


def test_the_shadow_challenger_is_retired_with_its_evidence_kept(qs) -> None:  # noqa: ANN001
    workspace, spec, people = qs
    store = workspace.store
    scoped, _ = store.tokens.create("ci@example.org", "shadow checks", scope=f"{MODEL}@2")
    whole, _ = store.tokens.create("app@example.org", "the product", scope=MODEL)
    with pytest.raises(NotPermitted, match="may not retire"):
        retire_model(workspace, spec, MODEL, "2", "superseded")
    engineer = people["ml_engineer"]
    with acting_as(store, engineer):
        with pytest.raises(InvalidInput, match="is live on its endpoint: deploy its successor first"):
            retire_model(workspace, spec, MODEL, "1", "old")
        with pytest.raises(InvalidInput, match="needs its reason"):
            retire_model(workspace, spec, MODEL, "2", " ")
        outcome = retire_model(workspace, spec, MODEL, "2", "the parity gap is not fixable on this data")

    triggers = {t.trigger: t for t in outcome.triggers}
    assert triggers["superseded"].observed and f"{MODEL}@1 in production" in triggers["superseded"].detail
    open_alerts = [a for a in store.monitoring.alerts(status="open") if a.model == MODEL]
    assert triggers["sustained_decay"].observed == bool(open_alerts)
    assert not triggers["not_serving"].observed and triggers["not_serving"].detail == "serving as shadow"
    assert not triggers["data_unavailable"].observed
    assert outcome.left_endpoint == "shadow" and endpoint_of(workspace, MODEL)[0].shadow is None
    assert outcome.version.status == "retired" and outcome.version.aliases == []
    assert outcome.monitors == [m.name for m in spec.monitoring.monitors]

    tokens = {t.id: t for t in store.tokens.list()}
    assert outcome.revoked_tokens == [_id(scoped)] and tokens[_id(scoped)].revoked_at_ms is not None
    assert tokens[_id(whole)].revoked_at_ms is None  # scoped to the model, not to the retired version
    assert store.tokens.identify(scoped) is None

    with tarfile.open(fileobj=io.BytesIO(workspace.artifacts.get_bytes(outcome.archive))) as archive:
        names = archive.getnames()
        model_bytes = archive.extractfile(f"{MODEL}-2/model.skops").read()
        sunset = json.loads(archive.extractfile(f"{MODEL}-2/sunset.json").read())
    version = store.models.resolve(f"{MODEL}@2")
    assert f"{MODEL}-2/model.skops" in names and f"{MODEL}-2/feature-set.skops" in names
    assert model_bytes == workspace.artifacts.get_bytes(version.artifact_digest)
    assert any(n.endswith("model-card.md") for n in names)
    assert sunset["reason"] == "the parity gap is not fixable on this data" and sunset["retired_by"] == engineer

    change = next(c for c in store.governance.list_changes(spec.project) if c.kind == "retired")
    assert change.details["archive"] == outcome.archive and change.details["from"] == "staging"
    assert store.audit.verify().ok

    with acting_as(store, engineer):
        with pytest.raises(Conflict, match="is retired: a retired version is read-only"):
            store.models.set_alias(MODEL, "challenger", 2)
        with pytest.raises(InvalidInput, match="is retired"):
            deploy_model(workspace, spec, MODEL, "2", mode="shadow")
        with pytest.raises(Conflict, match="is retired"):
            retire_model(workspace, spec, MODEL, "2", "again")


def test_the_cli_retires_and_shows_the_triggers(qs, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    _, _, people = qs
    monkeypatch.setenv("STEWARD_USER", people["ml_engineer"])
    result = CliRunner().invoke(app, ["models", "retire", MODEL, "2", "--reason", "superseded by version 1"])
    assert result.exit_code == 0, result.output
    assert f"{MODEL}@2 is retired" in result.output and "● superseded" in result.output
    shown = CliRunner().invoke(app, ["models", "list", "--json"])
    assert '"retired"' in shown.output


def _id(secret: str) -> str:
    return secret.split("_")[1]
