"""The model registry in the store, on SQLite and PostgreSQL: versions, aliases, status changes with
their change-log entries and audit events, and the revision check that lets one of two concurrent
promotions win."""

from __future__ import annotations

import pytest

from mlsteward.errors import Conflict, InvalidInput, NotFound
from mlsteward.store import Store
from mlsteward.store.models import Change, NewModelVersion, RecordedGate, metric_deltas


def _new(store: Store, name: str = "churn", auc: float = 0.8) -> NewModelVersion:
    run = store.runs.create(experiment="proj", name="best-logreg")
    return NewModelVersion(name=name, project="proj", run_id=run.id, artifact_digest="sha256:" + "a" * 64,
                           input_schema={"columns": [{"name": "age", "dtype": "int64"}]},
                           metrics={"roc_auc": auc})


def _promote(store: Store, version: int, revision: int):
    return store.models.set_status("churn", version, "production", expected_revision=revision,
                                   change=Change(kind="promoted", summary=f"churn@{version} to production"),
                                   gate=RecordedGate(gate="promotion", decision="pass", checks=[]))


def test_versions_are_numbered_and_a_run_is_registered_once(store: Store) -> None:
    first, created = store.models.register(_new(store))
    again, created_again = store.models.register(_new(store).model_copy(update={"run_id": first.run_id}))
    second, _ = store.models.register(_new(store, auc=0.85))
    assert (first.version, created, again.version, created_again, second.version) == (1, True, 1, False, 2)
    assert first.status == "staging" and first.ref == "churn@1" and first.subject == "model:churn@1"
    assert [v.version for v in store.models.versions("churn")] == [2, 1]
    assert store.models.get("churn").version == 2
    assert store.models.resolve("churn@1").input_schema["columns"][0]["name"] == "age"
    assert [e.entity_id for e in store.audit.list(action="model.registered")] == ["churn@2", "churn@1"]


def test_promotion_archives_the_previous_version_moves_champion_and_logs_deltas(store: Store) -> None:
    store.models.register(_new(store, auc=0.80))
    store.models.register(_new(store, auc=0.86))
    v1 = _promote(store, 1, store.models.model("churn").revision)
    assert v1.status == "production" and v1.aliases == ["champion"]
    v2 = _promote(store, 2, store.models.model("churn").revision)
    assert v2.aliases == ["champion"] and store.models.get("churn", "1").status == "archived"
    model = store.models.model("churn")
    assert model.production_version == 2 and model.aliases == {"champion": 2} and model.latest_version == 2
    assert store.models.get("churn", "champion").version == 2
    history = store.models.gate_history("model:churn@2")
    assert len(history) == 1 and history[0]["decision"] == "pass"
    events = [e.action for e in store.audit.list(entity_type="model")]
    assert events[:2] == ["model.promoted", "model.promoted"]


def test_a_stale_revision_is_a_conflict_and_writes_nothing(store: Store) -> None:
    store.models.register(_new(store))
    store.models.register(_new(store))
    revision = store.models.model("churn").revision
    _promote(store, 1, revision)
    with pytest.raises(Conflict, match="changed while this change was being decided.*churn@1 is in production"):
        _promote(store, 2, revision)
    assert store.models.get("churn", "2").status == "staging"
    assert store.models.gate_history("model:churn@2") == []


def test_aliases_and_bad_references(store: Store) -> None:
    store.models.register(_new(store))
    assert store.models.set_alias("churn", "challenger", 1).aliases == ["challenger"]
    with pytest.raises(InvalidInput, match="alias '9'"):
        store.models.set_alias("churn", "9", 1)
    with pytest.raises(NotFound, match="no version or alias 'nope'.*challenger"):
        store.models.get("churn", "nope")
    with pytest.raises(NotFound, match="no model version churn@7"):
        store.models.get("churn", "7")
    with pytest.raises(InvalidInput, match="model name"):
        store.models.get("bad name")
    store.models.remove_alias("churn", "challenger")
    assert store.models.get("churn", "1").aliases == []


def test_signoffs_waivers_and_tokens(store: Store) -> None:
    signed = store.signoffs.sign(project="proj", subject="model:churn@1", role="product_owner", decision="approve",
                                 comment="fine")
    assert signed.person == "tester" and store.signoffs.signoffs("model:churn@1")[0].comment == "fine"
    with pytest.raises(InvalidInput, match="reason"):
        store.signoffs.waive(project="proj", subject="model:churn@1", check="x", role="r", reason=" ")
    assert store.signoffs.waivers() == []
    secret, record = store.tokens.create("dana@example.com", "ci")
    assert store.tokens.identify(secret) == "dana@example.com" and store.tokens.identify(secret + "x") is None
    assert secret not in str(store.tokens.list()) and record.id in secret
    store.tokens.revoke(record.id)
    assert store.tokens.identify(secret) is None
    assert [e.action for e in store.audit.list(limit=3)] == ["token.revoked", "token.created", "signoff.recorded"]


def test_metric_deltas_against_the_version_before() -> None:
    assert metric_deltas({"roc_auc": 0.8}, {"roc_auc": 0.85, "brier_score": 0.1}) == {
        "brier_score": {"before": None, "after": 0.1, "delta": None},
        "roc_auc": {"before": 0.8, "after": 0.85, "delta": pytest.approx(0.05)}}


def test_a_version_number_past_the_column_range_is_not_found(store) -> None:  # noqa: ANN001
    from mlsteward.errors import NotFound

    with pytest.raises(NotFound, match="no model version churn@9999999999"):
        store.models.get("churn", "9" * 30)  # not an OverflowError (SQLite) or a DataError (PostgreSQL): a 404
