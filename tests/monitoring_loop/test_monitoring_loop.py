"""The loop closed, on the bundled GSS data: a model trained on the 1974-1999 surveys serves requests from the
2010-2018 surveys (a different period: more degrees, older respondents, other occupations). The drift
drives alerts and an incident; the retraining trigger fires; `retrain` trains a challenger on the new
period, replays the logged traffic through both, writes the champion–challenger report and is refused
promotion until the gate's sign-off is given; later, labels that turn against the new live version roll it
back automatically. Everything is recorded: runs, alerts, incidents, the retrain run, the audit trail."""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import pytest
from fairlearn.metrics import demographic_parity_difference

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "serving"))
from test_serving_app import LiveServer

from mlsteward.data.splits import SplitConfig
from mlsteward.datasets import gss_wages_with_target
from mlsteward.lifecycle.datasets import add_dataset
from mlsteward.lifecycle.deployment import deploy_model, endpoint_of
from mlsteward.lifecycle.evaluation import evaluate_model
from mlsteward.lifecycle.features import fit_features
from mlsteward.lifecycle.monitoring import run_monitor
from mlsteward.lifecycle.prediction_logs import read_predictions
from mlsteward.lifecycle.promotion import promote
from mlsteward.lifecycle.registry import register_model
from mlsteward.lifecycle.retraining import retrain
from mlsteward.lifecycle.signoffs import acting_as, sign_off
from mlsteward.lifecycle.splits import split_and_register
from mlsteward.lifecycle.training import train_models
from mlsteward.serving.app import create_app
from mlsteward.serving.prediction_log import FeedbackLog, PredictionLog
from mlsteward.settings import Settings
from mlsteward.spec import Spec
from mlsteward.store.models import Change
from mlsteward.workspace import Workspace

COLUMNS = ["prestg10", "childs", "educcat", "maritalcat", "occrecode"]
OWNER = "dana@example.com"
SPEC = {
    "project": "wages",
    "charter": {"problem": "Outreach reaches the wrong people", "decision": "who gets the advanced material",
                "prediction_target": "income above 20k",
                "kpis": {"ml": [{"name": "roc_auc", "target": 0.7, "timeframe": "now"}]},
                "constraints": {"p95_latency_ms": 500},
                "stakeholders": [{"name": "Dana", "role": "product_owner", "email": OWNER},
                                 {"name": "Lee", "role": "ml_engineer", "user": "lee"}]},
    "data": {"target": "high_income", "sensitive_attributes": ["gender"]},
    "features": {"definitions": [
        {"name": "prestige", "transform": "impute", "inputs": ["prestg10"]},
        {"name": "children", "transform": "impute", "inputs": ["childs"]},
        {"name": "education", "transform": "one_hot", "inputs": ["educcat"]},
        {"name": "marital", "transform": "one_hot", "inputs": ["maritalcat"]},
        {"name": "occupation", "transform": "one_hot", "inputs": ["occrecode"]}]},
    "training": {"seed": 0, "tuning": {"trials": 1}, "candidates": [
        {"name": "logreg", "model": "sklearn.linear_model.LogisticRegression", "params": {"max_iter": 500}}]},
    "evaluation": {"checks": ["metrics", "calibration", "gates"], "bootstrap": 20},
    "gates": {"promotion": [{"metric": "roc_auc", "min": 0.6}, {"signoff": ["product_owner"]}]},
    "governance": {"promoter_roles": ["ml_engineer"]},
    "monitoring": {
        "monitors": [{"name": "wages", "model": "wages", "window": "1d", "bucket": "1h", "cohorts": ["educcat"],
                      "explainability": True,
                      "alerts": [{"signal": "drift_share", "max": 0.3, "severity": "sev2"},
                                 {"signal": "p95_latency_ms", "max": 500, "severity": "warning"},
                                 {"signal": "roc_auc", "min": 0.6, "severity": "sev2"}]}],
        "cost": {"per_prediction_usd": 0.0001, "per_hour_usd": 0.5},
        "alerting": {"cooldown": "1h"},
        "retraining": {"triggers": [{"signal": "drift_share", "max": 0.3}],
                       "rollback": {"signal": "roc_auc", "max_regression": 0.1, "sustained_runs": 2}}},
}


class _Webhook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Webhook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("loop")
    hook = HTTPServer(("127.0.0.1", 0), _Webhook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    raw = dict(SPEC, monitoring=dict(SPEC["monitoring"], alerting={"cooldown": "1h",
                                                                   "webhook": f"http://127.0.0.1:{hook.server_port}/"}))
    spec = Spec.model_validate(raw)
    workspace = Workspace(Settings(project_root=root, spec_path=None, store_url=f"sqlite:///{root / 's.db'}",
                                   artifacts_url=str(root / "artifacts")))
    workspace.store.actor = "lee"
    data = gss_wages_with_target()
    early = data[data.year < 2000].sample(4000, random_state=0).reset_index(drop=True)
    late = data[data.year >= 2010].sample(frac=1.0, random_state=1).reset_index(drop=True)
    parts = _trained(workspace, spec, early, "gss-early")
    evaluate_model(workspace, spec, "best", parts["test"])
    register_model(workspace, spec, "best", "wages")
    models = workspace.store.models
    models.set_status("wages", 1, "production", expected_revision=models.model("wages").revision,
                      change=Change(kind="promoted", summary="test set-up"))
    deploy_model(workspace, spec, "wages", "1")
    yield {"workspace": workspace, "spec": spec, "root": root, "late": late, "hook": hook}
    hook.shutdown()
    workspace.store.close()


def _trained(workspace: Workspace, spec: Spec, frame, name: str) -> dict:  # noqa: ANN001
    source, _ = add_dataset(workspace, frame, name=name)
    parts = split_and_register(workspace, source.ref, SplitConfig(strategy="stratified", seed=0),
                               target="high_income").parts
    fit_features(workspace, spec, parts["train"])
    train_models(workspace, spec, train=parts["train"], validation=parts["validation"])
    return parts


def _serve(workspace: Workspace, rows, labels, genders=None) -> None:  # noqa: ANN001
    """Send each row as a request to a real server with real prediction and feedback logs; label most (with the
    respondent's gender, which the model does not read, for the fairness audit)."""
    app = create_app(workspace, require_token=False, sink=PredictionLog(workspace, max_seconds=0.5),
                     feedback_sink=FeedbackLog(workspace, max_seconds=0.5))
    with LiveServer(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        feedback = []
        for i, row in enumerate(rows.astype(object).where(rows.notna(), None).to_dict("records")):
            answer = client.post("/v1/models/wages/predict", json={"records": [row]})
            assert answer.status_code == 200, answer.text
            if i % 5:  # four in five labels have arrived
                feedback.append({"request_id": answer.json()["request_id"], "label": int(labels[i]),
                                 **({"gender": genders[i]} if genders is not None else {})})
        assert client.post("/v1/feedback", json=feedback).status_code == 202


def test_drift_alerts_an_incident_and_the_retraining_trigger(loop: dict) -> None:
    workspace, spec, late = loop["workspace"], loop["spec"], loop["late"]
    traffic = late.iloc[:1200]
    _serve(workspace, traffic[COLUMNS], traffic["high_income"].to_numpy(), traffic["gender"].to_numpy())
    outcome = run_monitor(workspace, spec, spec_dir=loop["root"])
    result, signals = outcome.result, outcome.result.signals
    assert result.rows == 1200 and signals["labelled_rows"] == 960 and signals["labels_since_training"] == 960
    assert signals["days_since_training"] < 1 and signals["reference_age_days"] < 1
    drifted = {c.column for c in result.drift.columns if c.drifted}
    assert {"educcat", "occrecode"} <= drifted and signals["drift_share"] > 0.3
    assert signals["p95_latency_ms"] > 0 and signals["cost_per_prediction_usd"] > 0.0001
    assert 0.5 < signals["estimated_accuracy"] <= 1 and signals["roc_auc"] > 0.6
    assert -1 <= signals["importance_spearman"] <= 1 and result.importance["features"]
    assert {c["column"] for c in result.performance["overall"]["cohorts"]} == {"input.educcat"}
    logged = read_predictions(workspace, "wages")
    audited = logged[logged["feedback.gender"].notna()]  # gender came with the feedback
    assert signals["demographic_parity_difference.gender"] == pytest.approx(demographic_parity_difference(
        audited["label"].astype(int), audited["prediction"].astype(int), sensitive_features=audited["feedback.gender"]))
    (alert,) = outcome.alerts
    assert alert.signal == "drift_share" and alert.severity == "sev2" and alert.notify
    incident = workspace.store.incidents.get(alert.incident_id)
    assert incident.fields["trigger"]["signal"] == "drift_share"
    assert incident.fields["roles"] == {"product_owner": "Dana", "ml_engineer": "Lee"}
    assert any("prediction log" in a for a in incident.fields["artifacts_to_collect"])
    assert outcome.retrain_due and "drift_share" in outcome.retrain_due[0]
    assert [a["signal"] for a in loop["hook"].RequestHandlerClass.received] == ["drift_share"]
    log_lines = (loop["root"] / ".steward" / "alerts.log").read_text().splitlines()
    assert json.loads(log_lines[-1])["incident"] == incident.ref
    again = run_monitor(workspace, spec, spec_dir=loop["root"])  # the same alert: counted, not re-sent
    assert [a.id for a in again.alerts] == [alert.id] and again.alerts[0].count == 2 and not again.incidents
    assert len(loop["hook"].RequestHandlerClass.received) == 1
    assert [r.id for r in workspace.store.monitoring.runs(monitor="wages")] == [again.run.id, outcome.run.id]


def test_retrain_shadows_the_challenger_and_promotes_only_through_the_gate(loop: dict) -> None:
    workspace, spec, late = loop["workspace"], loop["spec"], loop["late"]
    parts = _split(workspace, late.iloc[1200:5200], "gss-late")
    outcome = retrain(workspace, spec, "wages", train=parts["train"], validation=parts["validation"],
                      test=parts["test"], shadow=True, promote_if_passed=True)
    assert outcome.champion == "wages@1" and outcome.challenger == "wages@2" and "drift_share" in outcome.triggers[0]
    comparison = outcome.comparison
    assert comparison.rows == 1200 and comparison.labelled_rows == 960 and 0.5 < comparison.agreement <= 1
    assert set(comparison.differences) >= {"accuracy", "roc_auc"}
    assert not outcome.promoted and outcome.gate.decision == "pending"
    assert any("product_owner" in c.check for c in outcome.gate.blocking)
    html = Path(outcome.report_path).read_text()
    assert "wages@2" in html and "Both on the same logged traffic" in html and "<script" not in html
    assert endpoint_of(workspace, "wages")[0].shadow == 2
    run = workspace.store.runs.get(outcome.run_id)
    assert run.tags["kind"] == "retrain" and "agreement" in run.metrics
    with acting_as(workspace.store, OWNER):
        sign_off(workspace, spec, "model:wages@2", "product_owner", "approve", "the new period's model")
    assert promote(workspace, spec, "wages@2").status == "production"
    deploy_model(workspace, spec, "wages", "2")
    assert endpoint_of(workspace, "wages")[0].previous == 1


def test_a_sustained_regression_rolls_back_automatically(loop: dict) -> None:
    workspace, spec, late = loop["workspace"], loop["spec"], loop["late"]
    traffic = late.iloc[5200:5800]
    _serve(workspace, traffic[COLUMNS], 1 - traffic["high_income"].to_numpy())  # the world turned: labels flip
    first = run_monitor(workspace, spec, spec_dir=loop["root"])
    assert first.result.live_version == 2 and first.result.signals["roc_auc"] < 0.6 and first.rolled_back is None
    second = run_monitor(workspace, spec, spec_dir=loop["root"])
    assert second.rolled_back and "automatic rollback" in second.rolled_back
    assert endpoint_of(workspace, "wages")[0].live == 1
    history = workspace.store.deployments.history("wages")
    assert history[0].action == "rollback" and "roc_auc" in history[0].reason
    incident = workspace.store.incidents.get(second.incidents[0] if second.incidents else first.incidents[0])
    assert any("automatic rollback" in e.note for e in incident.timeline)
    assert workspace.store.audit.verify().ok


def workspace_feature_sets(loop: dict) -> list:
    return loop["workspace"].store.feature_sets.list()


def _split(workspace: Workspace, frame, name: str) -> dict:  # noqa: ANN001
    source, _ = add_dataset(workspace, frame.reset_index(drop=True), name=name)
    return split_and_register(workspace, source.ref, SplitConfig(strategy="stratified", seed=0),
                              target="high_income").parts




def test_the_commands_and_the_dashboard_api_show_it_all(loop: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml
    from typer.testing import CliRunner

    from mlsteward.cli.main import app

    root = loop["root"]
    spec = loop["spec"]
    (root / "steward.yaml").write_text(yaml.safe_dump(spec.model_dump(mode="json", exclude_none=True),
                                                      sort_keys=False))
    monkeypatch.chdir(root)
    for key, value in (("STEWARD_STORE_URL", f"sqlite:///{root / 's.db'}"),
                       ("STEWARD_ARTIFACTS_URL", str(root / "artifacts")), ("STEWARD_USER", "lee")):
        monkeypatch.setenv(key, value)
    runner = CliRunner()

    def steward(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output
        return result.output

    runs = json.loads(steward("monitor", "runs", "--json"))
    assert len(runs) == 4 and all("result" not in r or r["result"] == {} for r in runs)
    shown = steward("monitor", "show", runs[-1]["id"][:8], "--html", str(root / "drift.html"))
    assert "drift of" in shown and "educcat" in shown and (root / "drift.html").read_text().startswith("<!DOCTYPE")
    alerts = json.loads(steward("monitor", "alerts", "--status", "all", "--json"))
    assert {a["signal"] for a in alerts} >= {"drift_share", "roc_auc"} and alerts[0]["count"] >= 1
    steward("monitor", "alerts")
    watched = steward("monitor", "watch", "--every", "1s", "--max-runs", "2")
    assert watched.count("wages run ") == 2 and "seen" in watched
    outcome = json.loads(steward("monitor", "run", "--json", code=1))  # the drift alert still fires: exit 1
    assert outcome["result"]["rows"] == 1800 and outcome["alerts"]
    assert len(json.loads(steward("monitor", "runs", "--json"))) == 7
    assert "INC-1" in steward("incident", "list")
    shown = steward("incident", "show", "1")
    assert "trigger: drift_share" in shown and "roles: product_owner Dana" in shown and "timeline:" in shown
    steward("incident", "update", "INC-1", "--note", "retrained on 2010-2018", "--status", "mitigated",
            "--field", "owner=lee")
    steward("incident", "postmortem", "INC-1", "-o", str(root / "pm.md"))
    draft = (root / "pm.md").read_text()
    assert "retrained on 2010-2018" in draft and "## Root cause" in draft
    steward("incident", "resolve", "INC-1", "--note", "challenger promoted", "--postmortem", str(root / "pm.md"))
    resolved = json.loads(steward("incident", "show", "INC-1", "--json"))
    assert resolved["status"] == "resolved" and resolved["postmortem"] == draft and resolved["fields"]["owner"] == "lee"
    deliverables = {d["key"]: d for d in json.loads(steward("deliverables", "--json"))["deliverables"]}
    for key in ("monitoring_dashboard", "drift_alerts", "champion_challenger", "retraining_triggers"):
        assert deliverables[key]["status"] == "present", deliverables[key]
    gate = next(g for g in json.loads(steward("status", "--json"))["gates"] if g["stage"] == "monitoring")
    assert gate["decision"] == "pass", gate
    refused = runner.invoke(app, ["retrain", "wages", "--train", "x@1", "--validation", "y@1", "--test", "z@1"])
    assert refused.exit_code == 2 and "x" in refused.output
    feature_sets = len(workspace_feature_sets(loop))
    refused = runner.invoke(app, ["retrain", "wages", "--train", "gss-late-train@1", "--validation",
                                  "gss-late-validation@1", "--test", "gss-late-test@1", "--monitor", "nope"])
    assert refused.exit_code == 2 and "no monitor 'nope'" in refused.output
    assert len(workspace_feature_sets(loop)) == feature_sets  # refused before anything was written

    workspace = loop["workspace"]
    token, _ = workspace.store.tokens.create("dana@example.com")
    with LiveServer(create_app(workspace)) as url, httpx.Client(base_url=url, timeout=30) as client:
        assert client.get("/v1/monitor/runs").status_code == 401
        auth = {"Authorization": f"Bearer {token}"}
        series = client.get("/v1/monitor/runs", params={"monitor": "wages", "limit": 3}, headers=auth).json()
        assert len(series) == 3 and all("drift_share" in r["signals"] for r in series)
        one = client.get(f"/v1/monitor/runs/{series[0]['id']}", headers=auth).json()
        assert one["result"]["drift"]["columns"]
        assert client.get("/v1/monitor/alerts", params={"status": "open"}, headers=auth).status_code == 200
        assert client.get("/v1/incidents/INC-1", headers=auth).json()["status"] == "resolved"
        assert client.get("/v1/incidents/INC-99", headers=auth).status_code == 404


@pytest.mark.slow
def test_the_monitor_on_ray_gives_the_single_machine_numbers(loop: dict) -> None:
    import time

    workspace, spec = loop["workspace"], loop["spec"]
    end = int(time.time() * 1000)
    local = run_monitor(workspace, spec, end_ms=end, spec_dir=loop["root"])
    on_ray = run_monitor(workspace, spec, end_ms=end, spec_dir=loop["root"], engine="ray")
    assert on_ray.result.drift.model_dump() == local.result.drift.model_dump()
    assert on_ray.result.drift.target is not None and on_ray.result.rows == 1800
