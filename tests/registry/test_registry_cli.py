"""`steward models`, `steward signoff` and `steward tokens` on a trained project: tables, --json, refusals
with exit codes, and nothing written by a refused command."""

from __future__ import annotations

import json

import pytest
import yaml
from registry_project import COMPLIANCE, PRODUCT_OWNER, SPEC, build_project
from typer.testing import CliRunner

from mlsteward.cli.main import app
from mlsteward.errors import NotPermitted
from mlsteward.lifecycle.signoffs import identity_for_token

runner = CliRunner()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("registry-cli")
    built = build_project(root)
    (root / "steward.yaml").write_text(yaml.safe_dump(SPEC))
    built["root"] = root
    yield built
    built["workspace"].store.close()


@pytest.fixture
def steward(project: dict, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(project["root"])
    monkeypatch.setenv("STEWARD_STORE_URL", f"sqlite:///{project['root'] / 's.db'}")
    monkeypatch.setenv("STEWARD_ARTIFACTS_URL", str(project["root"] / "artifacts"))

    def invoke(*args: str, user: str = "lee"):
        monkeypatch.setenv("STEWARD_USER", user)
        return runner.invoke(app, list(args))
    return invoke


def test_register_list_show_lineage(steward, project: dict) -> None:
    done = steward("models", "register", project["runs"][0], "--name", "wages-cli")
    assert done.exit_code == 0, done.output
    assert "registered wages-cli@1" in done.output and "ONNX: converted" in done.output
    listed = json.loads(steward("models", "list", "wages-cli", "--json").output)
    assert [(v["version"], v["status"]) for v in listed] == [(1, "staging")]
    shown = steward("models", "show", "wages-cli@1")
    assert "sha256:" in shown.output and "prestg10" in shown.output
    lineage = json.loads(steward("models", "lineage", "wages-cli@1", "--json").output)
    assert lineage["datasets"]["train"] == project["parts"]["train"]
    assert steward("models", "alias", "wages-cli", "challenger", "1").exit_code == 0
    assert json.loads(steward("models", "show", "wages-cli@challenger", "--json").output)["version"]["version"] == 1


def test_promote_is_refused_with_the_table_then_passes(steward) -> None:
    steward("models", "register", "best", "--name", "wages-gate")
    refused = steward("models", "promote", "wages-gate", "1", "--to", "production")
    assert refused.exit_code == 1
    assert "not met" in refused.output and "pending" in refused.output and "refused:" in refused.output
    dry = json.loads(steward("models", "promote", "wages-gate", "1", "--dry-run", "--json").output)
    assert dry["decision"] == "fail" and {c["kind"] for c in dry["checks"]} >= {"fairness", "signoff"}
    not_allowed = steward("signoff", "wages-gate@1", "--role", "product_owner", "--decision", "approve")
    assert not_allowed.exit_code == 2 and "needs the role 'product_owner'" in not_allowed.output
    assert steward("signoff", "wages-gate@1", "--role", "product_owner", "--decision", "maybe",
                   user=PRODUCT_OWNER).exit_code == 2
    assert steward("signoff", "wages-gate@1", "--role", "product_owner", "--decision", "approve",
                   user=PRODUCT_OWNER).exit_code == 0
    no_reason = steward("models", "waive", "wages-gate", "1", "--check", "fairness", "--reason", " ", user=COMPLIANCE)
    assert no_reason.exit_code == 2 and "reason" in no_reason.output
    assert steward("models", "waive", "wages-gate", "1", "--check", "fairness", "--reason", "R2",
                   user=COMPLIANCE).exit_code == 0
    assert steward("signoff", "wages-gate@1", "--role", "compliance_officer", "--decision", "approve",
                   user=COMPLIANCE).exit_code == 0
    stranger = steward("models", "promote", "wages-gate", "1", user="eve")
    assert stranger.exit_code == 2 and "'eve' may not move wages-gate@1 to production" in stranger.output
    done = steward("models", "promote", "wages-gate", "1")
    assert done.exit_code == 0, done.output
    assert "production" in done.output and "champion" in done.output


def test_tokens_are_shown_once_stored_hashed_and_revocable(steward, project: dict) -> None:
    created = steward("tokens", "create", "--user", PRODUCT_OWNER, "--name", "ci")
    secret = next(line for line in created.output.splitlines() if line.startswith("stw_"))
    store = project["workspace"].store
    assert identity_for_token(store, secret) == PRODUCT_OWNER
    listed = steward("tokens", "list", "--json").output
    assert secret not in listed and PRODUCT_OWNER in listed
    token_id = json.loads(listed)[-1]["id"]
    assert steward("tokens", "revoke", token_id).exit_code == 0
    with pytest.raises(NotPermitted, match="unknown or revoked"):
        identity_for_token(store, secret)
