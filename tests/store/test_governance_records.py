"""Governance records in the store, on SQLite and PostgreSQL: charter versions (only when the charter
changed), risk owners' actions, the decision log and the change log, each write audited."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa

from mlsteward.errors import InvalidInput, NotFound
from mlsteward.store import Store
from mlsteward.store.changelog import append_change
from mlsteward.store.schema import charter_versions


def test_registering_a_project_versions_its_charter_only_when_it_changed(store: Store) -> None:
    store.projects.register("churn", {"problem": "p", "kpis": {"ml": []}})
    store.projects.register("churn", {"kpis": {"ml": []}, "problem": "p"})  # same charter, other key order
    assert [v.version for v in store.governance.list_charters("churn")] == [1]
    store.projects.register("churn", {"problem": "q", "kpis": {"ml": []}})
    versions = store.governance.list_charters("churn")
    assert [(v.version, v.charter["problem"], v.created_by) for v in versions] == [(1, "p", "tester"),
                                                                                   (2, "q", "tester")]
    canonical = json.dumps({"kpis": {"ml": []}, "problem": "q"}, sort_keys=True, separators=(",", ":"))
    assert versions[1].digest == hashlib.sha256(canonical.encode()).hexdigest()
    # each version is audited by the project event of its transaction
    assert [e.action for e in store.audit.list(entity_id="churn")] == ["project.charter_updated",
                                                                       "project.registered"]
    assert store.audit.list(action="charter.versioned") == []
    assert store.audit.verify().ok


def test_a_project_from_before_charter_versions_gets_version_1_audited(store: Store) -> None:
    store.projects.register("churn", {"problem": "p"})
    with store.engine.begin() as conn:  # as a store migrated from before revision 0006 would be
        conn.execute(sa.delete(charter_versions))
    store.projects.register("churn", {"problem": "p"})
    assert [v.version for v in store.governance.list_charters("churn")] == [1]
    event = store.audit.list(action="charter.versioned")[0]
    assert (event.entity_type, event.entity_id, event.details["version"]) == ("charter", "churn@1", 1)
    assert event.details["digest"] == store.governance.get_charter("churn").digest
    store.projects.register("churn", {"problem": "p"})
    assert len(store.audit.list(action="charter.versioned")) == 1


def test_record_and_get_charter_versions(store: Store) -> None:
    assert store.governance.record_charter("churn", {"problem": "p"}) == (1, True)
    assert store.governance.record_charter("churn", {"problem": "p"}) == (1, False)
    assert [e.entity_id for e in store.audit.list(action="charter.versioned")] == ["churn@1"]
    assert store.governance.record_charter("churn", {"problem": "r"}) == (2, True)
    assert store.governance.record_charter("other", {"problem": "r"}) == (1, True)
    assert store.governance.get_charter("churn").version == 2
    assert store.governance.get_charter("churn", 1).charter == {"problem": "p"}
    with pytest.raises(NotFound, match="version 9 of the charter of project 'churn'"):
        store.governance.get_charter("churn", 9)
    with pytest.raises(NotFound, match="charter history"):
        store.governance.get_charter("nope")


def test_risk_actions_are_recorded_audited_and_listed_newest_first(store: Store) -> None:
    first = store.governance.record_risk_action("churn", "R1", "checked the label delay", "ml_engineer")
    second = store.governance.record_risk_action("churn", "R2", "fairness review", "compliance_officer")
    third = store.governance.record_risk_action("churn", "R1", "  re-ran the backtest  ", "ml_engineer")
    assert (first.person, first.role, third.action) == ("tester", "ml_engineer", "re-ran the backtest")
    assert [a.id for a in store.governance.list_risk_actions("churn")] == [third.id, second.id, first.id]
    assert [a.id for a in store.governance.list_risk_actions("churn", "R1")] == [third.id, first.id]
    assert store.governance.list_risk_actions("other") == []
    events = store.audit.list(action="risk.action_recorded")
    assert [(e.entity_id, e.details["role"]) for e in events][-1] == ("churn:R1", "ml_engineer")
    assert len(events) == 3
    with pytest.raises(InvalidInput, match="action must not be empty"):
        store.governance.record_risk_action("churn", "R1", "   ", "ml_engineer")
    assert len(store.governance.list_risk_actions("churn")) == 3


def test_decisions_are_recorded_audited_and_listed(store: Store) -> None:
    first = store.governance.record_decision("churn", title="Keep the baseline rule as a fallback",
                                             decision="serve the rule when the model is down",
                                             rationale="the rule is cheap and known")
    second = store.governance.record_decision("churn", title="Ship gbm", decision="promote gbm",
                                              rationale="ROC AUC 0.84 against 0.79", alternatives="logreg: simpler",
                                              subject="model:churn@3")
    assert (second.decided_by, second.subject, second.alternatives) == ("tester", "model:churn@3", "logreg: simpler")
    assert first.subject is None and first.alternatives == ""
    assert [d.id for d in store.governance.list_decisions("churn")] == [second.id, first.id]
    assert [d.title for d in store.governance.list_decisions("churn", "model:churn@3")] == ["Ship gbm"]
    event = store.audit.list(action="decision.recorded")[0]
    assert (event.entity_id, event.details["subject"]) == (str(second.id), "model:churn@3")
    with pytest.raises(InvalidInput, match="rationale must not be empty"):
        store.governance.record_decision("churn", title="t", decision="d", rationale="")
    with pytest.raises(InvalidInput, match="title is 301 characters long"):
        store.governance.record_decision("churn", title="t" * 301, decision="d", rationale="r")
    assert len(store.governance.list_decisions("churn")) == 2


def test_change_log_is_listed_newest_first_and_filtered(store: Store) -> None:
    with store.write() as tx:
        ids = [append_change(tx, project="churn", subject="model:churn", kind="registered", summary="version 1",
                             details={"version": 1}, actor="tester"),
               append_change(tx, project="churn", subject="model:churn", kind="promoted", summary="1 to production",
                             details={"roc_auc": {"from": None, "to": 0.81}}, actor="tester"),
               append_change(tx, project="fraud", subject="model:fraud", kind="registered", summary="version 1",
                             details={}, actor="tester")]
        tx.audit.append("model.registered", "model", "churn@1")
    assert [e.id for e in store.governance.list_changes()] == ids[::-1]
    churn = store.governance.list_changes("churn")
    assert [e.kind for e in churn] == ["promoted", "registered"]
    assert churn[0].details == {"roc_auc": {"from": None, "to": 0.81}} and churn[0].created_by == "tester"
    assert [e.id for e in store.governance.list_changes(kind="registered")] == [ids[2], ids[0]]
    assert [e.id for e in store.governance.list_changes("churn", subject="model:churn", kind="registered")] == [ids[0]]
    assert store.governance.list_changes(subject="model:none") == []
    assert [e.id for e in store.governance.list_changes(limit=1)] == [ids[2]]
