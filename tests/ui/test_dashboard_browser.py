"""The web dashboard in a real browser (Playwright driving the system Chromium) on the quickstart's project:
every page renders with no console error and shows the project's evidence; comparing two runs; opening a
drift chart; a rollback refused without the role and done with it.

Screenshots of each page go to ``$STEWARD_SCREENSHOTS`` when it is set (the README's come from here)."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from playwright import sync_api as playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "serving"))
from test_serving_app import LiveServer

from mlsteward.lifecycle.deployment import deploy_model
from mlsteward.lifecycle.quickstart import take_through_gate
from mlsteward.lifecycle.signoffs import acting_as
from mlsteward.serving.app import create_app
from mlsteward.settings import resolve_settings
from mlsteward.spec import load_spec
from mlsteward.stages import Stage
from mlsteward.workspace import Workspace

CHROMIUM = os.environ.get("STEWARD_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = os.environ.get("STEWARD_SCREENSHOTS")


def test_the_quickstart_ends_with_every_stages_gate_and_its_reports(quickstart_project: tuple[str, str]) -> None:
    shown = quickstart_project[1]
    board = shown.split("lifecycle", 1)[1].split("project ", 1)[0]  # the closing table
    assert "gate" in board and all(stage.label in board for stage in Stage)
    assert len(re.findall(r"│ (pass|fail|missing) +│", board)) == len(Stage)
    assert "reports:" in shown and "champion-challenger" in shown and "steward ui" in shown


@pytest.fixture(scope="module")
def project(quickstart_project: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A copy of the quickstart's project (the README's main command), its workspace, spec and API tokens for
    its people and a visitor; its challenger promoted by its stakeholders and deployed live."""
    folder = tmp_path_factory.mktemp("dashboard") / "qs"
    shutil.copytree(quickstart_project[0], folder)
    workspace = Workspace(resolve_settings(start=folder))
    spec = load_spec(folder / "steward.yaml")
    people = {p.role: p.email for p in spec.charter.stakeholders}
    tokens = {role: workspace.store.tokens.create(email)[0] for role, email in people.items()}
    tokens["visitor"] = workspace.store.tokens.create("visitor@example.org")[0]
    model = workspace.store.models.resolve("gss-income-model@champion").ref
    # the quickstart's challenger promoted by its stakeholders and deployed live: version 1 is the rollback target
    challenger, _ = take_through_gate(workspace, spec, "gss-income-model@2")
    with acting_as(workspace.store, people["ml_engineer"]):
        deploy_model(workspace, spec, "gss-income-model", challenger.split("@")[1], reason="the retrained challenger")
    return {"workspace": workspace, "spec": spec, "tokens": tokens, "people": people, "model": model}


@pytest.fixture(scope="module")
def site(project: dict):
    app = create_app(project["workspace"], require_token=True, dashboard_open=True)
    with LiveServer(app) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}: `apt-get install chromium` (.ci/run installs it)"
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                           "--disable-component-update", "--disable-sync"])
        yield launched
        launched.close()


class Watched:
    """A page whose console errors and uncaught exceptions are collected."""

    def __init__(self, browser, base: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("dialog", lambda d: d.accept())

    def open(self, path: str, shot: str | None = None):
        response = self.page.goto(path)
        self.page.wait_for_load_state("networkidle")
        if shot:
            self.shoot(shot)
        return response

    def shoot(self, name: str) -> None:
        """A screenshot of the viewport into ``$STEWARD_SCREENSHOTS`` (JPEG: the README shows them)."""
        if SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.jpg"), type="jpeg", quality=80)

    def sign_in(self, token: str) -> None:
        self.page.goto("/ui/sign-in?next=/ui/deployments")
        self.page.fill("#token", token)
        self.page.click("form.panel button[type=submit]")
        self.page.wait_for_url(re.compile(r".*/ui/deployments$"))

    def refused(self, status: int) -> bool:
        """The page's only errors were the browser noting the expected refusal (its status); forget them."""
        expected = [f"console error: Failed to load resource: the server responded with a status of {status} "]
        found = [e for e in self.errors if not any(e.startswith(x) for x in expected)]
        was_there = len(found) < len(self.errors)
        self.errors = found
        return was_there and not found

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser, site):
    page = Watched(browser, site)
    yield page
    page.close()


def _charts(page) -> int:
    """Plotly charts drawn on the page (each has its SVG once plotly.js ran)."""
    return page.locator(".js-plotly-plot:has(.main-svg)").count()


def test_every_page_renders_the_quickstarts_evidence_without_console_errors(watched: Watched, project: dict) -> None:
    store = project["workspace"].store
    run = store.runs.search("name = 'train'", limit=1)[0]
    monitor_run = store.monitoring.runs(limit=1)[0]
    evaluation = store.evaluations.list()[0]
    model = project["model"]
    page = watched.page
    expectations = [  # path, screenshot, what must be on it
        ("/ui/", "lifecycle", lambda: page.locator("#stages section.stage").count() == 8
         and page.locator("#stages [data-stage=monitoring]").count() == 1),
        ("/ui/runs", "runs", lambda: page.locator("#runs-table tbody tr").count() >= 10),
        (f"/ui/runs/{run.id}", None, lambda: "best_candidate" in page.content()),
        ("/ui/data", "data", lambda: page.locator("#data-table td:first-child a", has_text=re.compile("^gss@1$")).count() == 1),
        ("/ui/data/gss-train-joined@1", "dataset", lambda: _charts(page) == 1 and "gss-train@1" in page.content()),
        ("/ui/data/gss@1", None, lambda: page.locator("#evidence tbody tr").count() >= 5),
        ("/ui/features", "features", lambda: page.locator("#catalog tbody tr").count() == 9
         and page.locator("#dictionary tbody tr").count() == 9),
        ("/ui/models", "models", lambda: model in page.content()),
        (f"/ui/models/{model}", "model", lambda: page.locator("#model-card h2").count() >= 3
         and page.locator("#evaluations tbody tr").count() >= 1 and "waived" in page.content()),
        (f"/ui/evaluations/{evaluation.id}", None, lambda: "performance report" in page.content()),
        ("/ui/deployments", "deployments", lambda: page.locator("section.endpoint").count() == 1
         and _charts(page) == 1),
        ("/ui/monitoring", "monitoring", lambda: page.locator("#drift-table tbody tr").count() >= 5
         and _charts(page) >= 3 and page.locator("#incidents a", has_text="INC-1").count() == 1),
        (f"/ui/monitoring/runs/{monitor_run.id}", None, lambda: _charts(page) == 1),
        ("/ui/incidents/INC-1", None, lambda: "Runbook" in page.content()),
        ("/ui/governance", "governance", lambda: page.locator("#audit-status.good").count() == 1
         and page.locator("#deliverables tbody tr").count() >= 20 and "ROI" in page.content()
         and page.locator("#decisions tbody tr").count() >= 1),
    ]
    for path, shot, shows in expectations:
        response = watched.open(path, shot)
        assert response.status == 200, path
        assert shows(), f"{path} does not show what it should"
    assert watched.errors == []
    report = watched.open(f"/ui/monitoring/runs/{monitor_run.id}/drift-report")
    assert report.status == 200 and "Drift" in watched.page.title() and watched.errors == []


def test_comparing_two_runs_shows_their_metrics_side_by_side_and_their_histories(watched: Watched) -> None:
    page = watched.page
    watched.open("/ui/runs?filter=" + "metrics.best_roc_auc is not null")
    rows = page.locator("#runs-table tbody tr")
    assert rows.count() >= 2
    compare = page.locator("button[data-compare]")
    assert compare.is_disabled()
    rows.nth(0).locator("input[name=id]").check()
    rows.nth(1).locator("input[name=id]").check()
    assert compare.is_enabled() and compare.inner_text() == "Compare 2 runs"
    compare.click()
    page.wait_for_url(re.compile(r".*/ui/runs/compare\?id=.*&id=.*"))
    page.wait_for_load_state("networkidle")
    assert page.locator("#compare-table thead th").count() == 3  # the label column and the two runs
    assert page.locator(".metric-history").count() >= 1  # best_roc_auc was logged at several steps
    assert _charts(page) >= 2 and watched.errors == []
    watched.shoot("compare")


def test_opening_a_drift_chart_from_the_monitoring_page(watched: Watched, project: dict) -> None:
    page = watched.page
    watched.open("/ui/monitoring")
    drifted = page.locator("#drift-table tbody tr", has=page.locator(".b-drifted")).first
    column = drifted.locator("td").first.inner_text()
    drifted.locator("a.open-drift").click()
    page.wait_for_url(re.compile(rf".*/ui/monitoring/drift/{re.escape(column)}$"))
    page.wait_for_load_state("networkidle")
    assert page.locator("#drift-history .js-plotly-plot:has(.main-svg)").count() == 1
    bars = page.locator("#drift-distribution .barlayer .point")
    assert bars.count() >= 4  # reference and current, two or more bins or categories each
    stored = project["workspace"].store.monitoring.runs(limit=1)[0].signals[f"drift.{column}"]
    assert f"{stored:.4g}" in page.locator("main").inner_text()
    assert watched.errors == []
    watched.shoot("drift")


def test_a_rollback_is_refused_without_the_role_and_done_with_it(watched: Watched, project: dict) -> None:
    page, store = watched.page, project["workspace"].store
    endpoint = store.deployments.endpoint("gss-income-model")
    assert (endpoint.state["live"], endpoint.state["previous"]) == (2, 1)
    button = page.locator("section.endpoint button.danger")

    watched.open("/ui/deployments")
    assert button.inner_text() == "Roll back to version 1"
    button.click()
    page.wait_for_load_state("networkidle")
    assert "sign in with an API token to roll back" in page.locator("#outcome").inner_text()
    assert watched.refused(401)

    watched.sign_in(project["tokens"]["product_owner"])  # a stakeholder, but not a role that may deploy
    assert "(product_owner)" in page.locator("header .who").inner_text()
    page.fill("section.endpoint input[name=reason]", "I would like the old one back")
    button.click()
    page.wait_for_load_state("networkidle")
    refused = page.locator("#outcome").inner_text()
    assert refused.startswith("refused:") and "may not roll back" in refused and "ml_engineer" in refused
    assert store.deployments.endpoint("gss-income-model").revision == endpoint.revision  # nothing changed
    assert watched.refused(403)
    watched.shoot("rollback-refused")

    page.click("header .who button")  # sign out
    watched.sign_in(project["tokens"]["ml_engineer"])
    page.fill("section.endpoint input[name=reason]", "the challenger's calibration is off on new traffic")
    button.click()
    page.wait_for_load_state("networkidle")
    assert "rolled back: version 1 is live again (by lee.moreau@example.org)" in page.locator("#outcome").inner_text()
    after = store.deployments.endpoint("gss-income-model")
    assert (after.state["live"], after.state["previous"]) == (1, 2) and after.updated_by == project["people"]["ml_engineer"]
    latest = store.deployments.history("gss-income-model")[0]
    assert (latest.action, latest.created_by) == ("rollback", "lee.moreau@example.org")
    assert latest.reason == "the challenger's calibration is off on new traffic"
    assert page.locator("section.endpoint tbody tr").first.inner_text().count("rollback") == 1
    assert watched.errors == []
