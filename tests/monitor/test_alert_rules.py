"""Alert rules: the defaults from the promotion gate and the charter's budgets, firing, the runbook fields of a
SEV alert's incident, delivery to the log and a webhook that fails, and the postmortem draft."""

from __future__ import annotations

import json

import pytest

from mlsteward.lifecycle.alerting import alert_rules, deliver, fire
from mlsteward.lifecycle.incidents import postmortem_draft
from mlsteward.spec import Spec
from mlsteward.spec_monitoring import MonitoringSpec, Rule, duration_ms
from mlsteward.store.incidents import IncidentRecord, TimelineEntry
from mlsteward.store.monitoring import AlertRecord

SPEC = {
    "project": "p",
    "charter": {"problem": "x", "decision": "y", "prediction_target": "z",
                "constraints": {"p95_latency_ms": 100, "cost_per_prediction_usd": 0.01},
                "stakeholders": [{"name": "Dana", "role": "product_owner"}, {"name": "Lee", "role": "ml_engineer"}]},
    "gates": {"promotion": [{"metric": "roc_auc", "min": 0.8},
                            {"fairness": {"metric": "demographic_parity_difference", "by": "gender", "max": 0.1}},
                            {"signoff": ["product_owner"]}]},
    "monitoring": {"monitors": [{"name": "main", "model": "m"}]},
}


@pytest.fixture
def spec() -> Spec:
    return Spec.model_validate(SPEC)


def test_default_rules_come_from_the_gate_and_the_budgets(spec: Spec) -> None:
    rules = {(r.signal, r.min, r.max, r.severity) for r in alert_rules(spec, spec.monitoring.monitor(None))}
    assert rules == {("dataset_drifted", None, 0.0, "warning"), ("roc_auc", 0.8, None, "sev2"),
                     ("demographic_parity_difference.gender", None, 0.1, "sev2"),
                     ("p95_latency_ms", None, 100.0, "warning"), ("cost_per_prediction_usd", None, 0.01, "warning")}


def test_rules_fire_on_their_side_and_not_on_missing_signals(spec: Spec) -> None:
    signals = {"dataset_drifted": 1.0, "roc_auc": 0.7, "p95_latency_ms": 99.0, "cost_per_prediction_usd": None}
    fired = fire(spec, spec.monitoring.monitor(None), signals, model_ref="m@2", rollback_target="m@1",
                 reference="d@1", window=(0, 86_400_000))
    assert [(a.signal, a.severity) for a in fired] == [("dataset_drifted", "warning"), ("roc_auc", "sev2")]
    assert fired[0].incident is None
    incident = fired[1].incident
    assert incident["fields"]["trigger"] == {**incident["fields"]["trigger"], "signal": "roc_auc", "observed": 0.7,
                                             "threshold": 0.8, "bound": "min"}
    assert incident["fields"]["rollback_target"] == "m@1" and "steward rollback m" in incident["fields"][
        "rollback_command"]
    assert incident["fields"]["roles"] == {"product_owner": "Dana", "ml_engineer": "Lee"}
    assert any("1970-01-01" in a for a in incident["fields"]["artifacts_to_collect"])
    assert Rule(signal="x", max=1).fires(1.0) is False and Rule(signal="x", min=1).fires(0.99) is True


def _alert(notify: bool) -> AlertRecord:
    return AlertRecord(id=1, project="p", monitor="main", model="m", fingerprint="f", signal="roc_auc",
                       severity="sev2", status="open", observed=0.7, threshold=0.8, message="roc_auc low", count=1,
                       first_run="r", last_run="r", first_seen_ms=0, last_seen_ms=0, notified_at_ms=0,
                       resolved_at_ms=None, incident_id=4, notify=notify)


def test_delivery_writes_the_log_and_reports_a_failing_webhook(tmp_path) -> None:  # noqa: ANN001
    problems = deliver(tmp_path, [_alert(True), _alert(False)], webhook="http://127.0.0.1:9/unreachable",
                       log_path=".steward/alerts.log")
    (line,) = (tmp_path / ".steward" / "alerts.log").read_text().splitlines()
    assert json.loads(line)["incident"] == "INC-4" and json.loads(line)["severity"] == "sev2"
    assert len(problems) == 1 and "could not be reached" in problems[0]
    assert deliver(tmp_path, [_alert(False)], webhook=None, log_path="x.log") == []


def test_spec_errors_name_the_fix() -> None:
    with pytest.raises(ValueError, match="exactly one of min"):
        Rule(signal="x", min=1, max=2)
    with pytest.raises(ValueError, match="e.g. 7d"):
        duration_ms("a week")
    assert duration_ms("1h") == 3_600_000 and duration_ms("500ms") == 500 and duration_ms("2w") == 14 * 86_400_000
    with pytest.raises(Exception, match="name one of"):
        MonitoringSpec(monitors=[{"name": "a", "model": "m"}, {"name": "b", "model": "m"}]).monitor(None)
    with pytest.raises(Exception, match="did you mean 'main'"):
        MonitoringSpec(monitors=[{"name": "main", "model": "m"}]).monitor("mian")


def test_the_postmortem_draft_holds_the_recorded_facts() -> None:
    incident = IncidentRecord(
        id=3, project="p", model="m", title="roc_auc low", severity="sev2", status="resolved",
        fields={"trigger": {"signal": "roc_auc", "observed": 0.7, "threshold": 0.8, "bound": "min"},
                "rollback_target": "m@1", "roles": {"ml_engineer": "Lee"}, "artifacts_to_collect": ["the log"]},
        timeline=[TimelineEntry(at_ms=0, by="monitor", note="opened"), TimelineEntry(at_ms=60_000, by="lee",
                                                                                     note="rolled back")],
        postmortem=None, revision=2, opened_by="monitor", opened_at_ms=0, resolved_at_ms=120_000)
    draft = postmortem_draft(incident)
    assert draft.startswith("# Postmortem INC-3: roc_auc low")
    for text in ("roc_auc = 0.7 (min 0.8)", "m@1", "ml_engineer: Lee", "1970-01-01 00:01 UTC lee: rolled back",
                 "## Root cause", "- [ ] the log"):
        assert text in draft


def test_the_rollback_rule_needs_a_sustained_regression_on_the_live_version() -> None:
    from types import SimpleNamespace

    from mlsteward.lifecycle.monitoring import sustained_regression
    from mlsteward.spec_monitoring import RollbackRule

    version = SimpleNamespace(version=2, ref="m@2", metrics={"roc_auc": 0.80, "log_loss": 0.40})
    auc = RollbackRule(signal="roc_auc", max_regression=0.1, sustained_runs=2)  # below 0.72
    runs = [{"roc_auc": 0.70, "live_version": 2}, {"roc_auc": 0.71, "live_version": 2}]
    assert "roc_auc 0.7 is more than 10% below m@2's evaluation (0.8) for 2" in sustained_regression(auc, version, runs)
    assert sustained_regression(auc, version, runs[:1]) is None  # not sustained yet
    assert sustained_regression(auc, version, [runs[0], {"roc_auc": 0.73, "live_version": 2}]) is None
    assert sustained_regression(auc, version, [runs[0], {"roc_auc": 0.70, "live_version": 1}]) is None
    assert sustained_regression(auc, version, [runs[0], {"roc_auc": None, "live_version": 2}]) is None
    loss = RollbackRule(signal="log_loss", max_regression=0.25, sustained_runs=1)  # above 0.5: worse
    assert "above" in sustained_regression(loss, version, [{"log_loss": 0.51, "live_version": 2}])
    assert sustained_regression(loss, version, [{"log_loss": 0.30, "live_version": 2}]) is None
    unknown = RollbackRule(signal="f1", sustained_runs=1)
    assert sustained_regression(unknown, version, [{"f1": 0.1, "live_version": 2}]) is None
