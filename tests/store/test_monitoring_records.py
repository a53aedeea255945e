"""Monitor runs, alerts (de-duplication, cooldown, resolution) and incidents, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from mlsteward.errors import Conflict, InvalidInput, NotFound
from mlsteward.store.monitoring import FiredAlert, NewMonitorRun


def _run(rows: int = 100, **signals: float) -> NewMonitorRun:
    return NewMonitorRun(project="p", monitor="main", model="m", window_start_ms=0, window_end_ms=1000, rows=rows,
                         signals=signals, result={"notes": ["x"]})


def _alert(signal: str = "drift_share", severity: str = "warning", incident: dict | None = None) -> FiredAlert:
    return FiredAlert(fingerprint=f"main:{signal}", signal=signal, severity=severity, observed=0.6, threshold=0.3,
                      message=f"{signal} = 0.6, above the maximum 0.3", incident=incident)


def test_a_run_is_stored_with_its_signals_and_result(store) -> None:
    run, alerts = store.monitoring.record_run(_run(drift_share=0.2), [], cooldown_ms=0)
    assert alerts == [] and run.alerts == 0 and run.signals == {"drift_share": 0.2}
    assert store.monitoring.run(run.id).result == {"notes": ["x"]}
    listed = store.monitoring.runs(monitor="main", with_result=False)
    assert [r.id for r in listed] == [run.id] and listed[0].result == {}
    with pytest.raises(NotFound, match="steward monitor runs"):
        store.monitoring.run("nope")
    assert store.audit.verify().ok


def test_an_open_alert_is_deduplicated_then_resolved_when_it_stops_firing(store) -> None:
    _, first = store.monitoring.record_run(_run(), [_alert()], cooldown_ms=3_600_000)
    assert len(first) == 1 and first[0].notify and first[0].count == 1 and first[0].status == "open"
    _, again = store.monitoring.record_run(_run(), [_alert()], cooldown_ms=3_600_000)
    assert [a.id for a in again] == [first[0].id] and again[0].count == 2 and not again[0].notify
    store.monitoring.record_run(_run(), [], cooldown_ms=3_600_000)  # no longer firing
    (resolved,) = store.monitoring.alerts(monitor="main")
    assert resolved.status == "resolved" and resolved.resolved_at_ms is not None
    # it fires again within the cooldown: a new episode, recorded but not re-sent
    _, third = store.monitoring.record_run(_run(), [_alert()], cooldown_ms=3_600_000)
    assert third[0].id != first[0].id and not third[0].notify
    store.monitoring.record_run(_run(), [], cooldown_ms=0)
    _, fourth = store.monitoring.record_run(_run(), [_alert()], cooldown_ms=0)  # cooldown over: sent again
    assert fourth[0].notify
    assert len(store.monitoring.alerts(status="open")) == 1


def test_a_sev_alert_opens_an_incident_in_the_same_transaction(store) -> None:
    fields = {"trigger": {"signal": "roc_auc", "observed": 0.6, "threshold": 0.75}, "rollback_target": "m@1"}
    _, (alert,) = store.monitoring.record_run(
        _run(), [_alert("roc_auc", "sev2", {"title": "roc_auc below 0.75", "fields": fields, "note": "opened"})],
        cooldown_ms=0)
    incident = store.incidents.get(alert.incident_id)
    assert incident.ref == f"INC-{alert.incident_id}" and incident.status == "open" and incident.severity == "sev2"
    assert incident.fields == fields and incident.timeline[0].note == "opened"
    updated = store.incidents.update(incident.ref, note="rolled back to m@1", status="mitigated",
                                     fields={"owner": "lee"}, expected_revision=1)
    assert updated.status == "mitigated" and updated.fields["owner"] == "lee" and len(updated.timeline) == 2
    with pytest.raises(Conflict):
        store.incidents.update(incident.id, note="x", expected_revision=1)
    done = store.incidents.update(str(incident.id), note="fixed", status="resolved", postmortem="# What happened")
    assert done.resolved_at_ms is not None and done.postmortem == "# What happened"
    assert [i.id for i in store.incidents.list(status="resolved")] == [incident.id]


def test_incident_input_errors_say_what_to_do(store) -> None:
    with pytest.raises(InvalidInput, match="INC-3"):
        store.incidents.get("three")
    with pytest.raises(NotFound, match="steward incident list"):
        store.incidents.get("INC-99")
    opened = store.incidents.open(project="p", model="m", title="t", severity="sev3", fields={}, note="by hand")
    with pytest.raises(InvalidInput, match="note"):
        store.incidents.update(opened.id, note=" ")
    with pytest.raises(InvalidInput, match="open, mitigated, resolved"):
        store.incidents.update(opened.id, note="x", status="closed")  # type: ignore[arg-type]


def test_a_failed_run_write_leaves_nothing(store, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlsteward.store.monitoring as module

    def boom(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("disk full")

    monkeypatch.setattr(module, "insert_incident", boom)
    with pytest.raises(RuntimeError):
        store.monitoring.record_run(_run(), [_alert("roc_auc", "sev1", {"title": "t", "fields": {}, "note": "n"})],
                                    cooldown_ms=0)
    assert store.monitoring.runs() == [] and store.monitoring.alerts() == [] and store.incidents.list() == []
