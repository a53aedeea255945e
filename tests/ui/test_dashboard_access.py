"""Who may read and act on the dashboard, and every page on an empty project (no browser: the HTTP contract)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from starlette.testclient import TestClient

from mlsteward.serving.app import create_app
from mlsteward.settings import resolve_settings
from mlsteward.ui.access import COOKIE
from mlsteward.ui.routes import NAV
from mlsteward.workspace import Workspace

SPEC = {
    "project": "empty",
    "charter": {"problem": "p", "decision": "d", "prediction_target": "t",
                "stakeholders": [{"name": "Lee", "role": "ml_engineer", "email": "lee@example.org"},
                                 {"name": "Dana", "role": "product_owner", "email": "dana@example.org"}]},
    "governance": {"promoter_roles": ["ml_engineer"],
                   "roi": {"annual_benefit": 150000, "annual_cost": 50000, "initial_investment": 40000}},
}


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    (tmp_path / "steward.yaml").write_text(yaml.safe_dump(SPEC))
    return Workspace(resolve_settings(start=tmp_path))


def client(workspace: Workspace, *, open_reading: bool) -> TestClient:
    return TestClient(create_app(workspace, require_token=True, dashboard_open=open_reading),
                      follow_redirects=False)


def test_every_page_needs_a_token_off_loopback(workspace: Workspace) -> None:
    web = client(workspace, open_reading=False)
    for path, _ in NAV:
        answer = web.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/ui/sign-in?next=%2Fui")
    for path in ("/ui/reports/x.html", "/ui/artifacts/sha256:00/report.html", "/ui/monitoring/runs/x/drift-report"):
        assert web.get(path).status_code == 303
    token, _ = workspace.store.tokens.create("dana@example.org")
    shown = web.get("/ui/", headers={"Authorization": f"Bearer {token}"})
    assert shown.status_code == 200 and "signed in as <strong>dana@example.org</strong> (product_owner)" in shown.text
    assert web.get("/ui/", headers={"Authorization": "Bearer not-a-token"}).status_code == 303


def test_signing_in_sets_an_http_only_cookie_and_only_returns_to_the_dashboard(workspace: Workspace) -> None:
    web = client(workspace, open_reading=False)
    refused = web.post("/ui/sign-in", data={"token": "wrong", "next": "/ui/runs"})
    assert refused.status_code == 401 and "unknown or revoked" in refused.text and COOKIE not in refused.cookies
    token, _ = workspace.store.tokens.create("lee@example.org")
    signed = web.post("/ui/sign-in", data={"token": token, "next": "/ui/runs"})
    assert signed.status_code == 303 and signed.headers["location"] == "/ui/runs"
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert web.get("/ui/runs").status_code == 200  # the cookie is sent back
    elsewhere = web.post("/ui/sign-in", data={"token": token, "next": "https://example.net/ui"})
    assert elsewhere.headers["location"] == "/ui/"  # never to another site
    web.post("/ui/sign-out")
    assert web.get("/ui/runs").status_code == 303


def test_every_page_of_an_empty_project_says_what_to_run(workspace: Workspace) -> None:
    web = client(workspace, open_reading=True)
    expected = {"/ui/runs": "0 runs", "/ui/data": "steward data add", "/ui/features": "steward features fit",
                "/ui/models": "steward models register", "/ui/deployments": "steward deploy",
                "/ui/monitoring": "steward monitor run", "/ui/governance": "ROI = (B − C) / C",
                "/ui/labeling": "steward label create", "/ui/llm": "steward llm prompts register"}
    for path, _ in NAV:
        page = web.get(path)
        assert page.status_code == 200, path
        assert expected.get(path, "lifecycle") in page.text, path
    assert "200.0%" in web.get("/ui/governance").text  # (150,000 - 50,000) / 50,000
    missing = web.get("/ui/models/nothing@1")
    assert missing.status_code == 404 and "no model version nothing@1" in missing.text
    assert web.get("/ui/runs?filter=metrics.x >").status_code == 200  # a bad filter is a message, not a crash
    assert "filter" in web.get("/ui/runs?filter=metrics.x >").text.lower()


def test_documents_only_from_the_reports_folder_and_never_models_or_data(workspace: Workspace) -> None:
    web = client(workspace, open_reading=True)
    reports = Path(workspace.settings.project_root) / ".steward" / "reports"
    reports.mkdir(parents=True)
    (reports / "gss@1-data-report.html").write_text("<!DOCTYPE html><p>report</p>")
    assert web.get("/ui/reports/gss@1-data-report.html").text == "<!DOCTYPE html><p>report</p>"
    assert web.get("/ui/reports/..%2Fsteward.db").status_code == 404
    assert web.get("/ui/reports/%2E%2E%2F%2E%2E%2Fsteward.yaml").status_code == 404
    stored = workspace.artifacts.put_bytes(b"# card")
    assert web.get(f"/ui/artifacts/{stored.digest}/model-card.md").text == "# card"
    assert web.get(f"/ui/artifacts/{stored.digest}/model.skops").status_code == 404
    assert web.get("/ui/artifacts/sha256:" + "0" * 64 + "/report.html").status_code == 404


def test_a_rollback_needs_a_token_a_role_and_this_dashboards_form(workspace: Workspace) -> None:
    web = client(workspace, open_reading=True)
    origin = {"Origin": "http://testserver"}
    anonymous = web.post("/ui/deployments/m/rollback", data={"reason": "x"}, headers=origin)
    assert anonymous.status_code == 401 and "sign in" in anonymous.text
    owner, _ = workspace.store.tokens.create("dana@example.org")
    web.cookies.set(COOKIE, owner)
    refused = web.post("/ui/deployments/m/rollback", data={"reason": "x"}, headers=origin)
    assert refused.status_code == 403 and "may not roll back" in refused.text and "ml_engineer" in refused.text
    engineer, _ = workspace.store.tokens.create("lee@example.org")
    web.cookies.set(COOKIE, engineer)
    forged = web.post("/ui/deployments/m/rollback", data={"reason": "x"}, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403 and "not sent from this dashboard" in forged.text
    nothing = web.post("/ui/deployments/m/rollback", data={"reason": "x"}, headers=origin)
    assert nothing.status_code == 409 and "never been deployed" in nothing.text
