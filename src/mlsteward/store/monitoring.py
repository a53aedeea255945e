"""Monitor runs and their alerts in the system of record.

``record_run`` writes a run, its alerts and the incidents its SEV alerts open in one audited
transaction. An alert is one firing episode of a rule, keyed by project and ``fingerprint``: while it is
open, a run that fires the rule again raises its ``count`` and ``last_seen_ms`` (de-duplication); a run of
the same project's monitor that does not fire it resolves it (projects sharing a store never touch each
other's alerts). A new episode is *notified* unless the same
fingerprint was notified less than ``cooldown_ms`` ago (cooldown); the caller sends the notifications
of the alerts returned with ``notify=True``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

import sqlalchemy as sa
from pydantic import BaseModel

from mlsteward.errors import NotFound
from mlsteward.store._sql import now_ms
from mlsteward.store.incidents import insert_incident
from mlsteward.store.schema import alerts, monitor_runs

if TYPE_CHECKING:
    from mlsteward.store.store import Store


class NewMonitorRun(BaseModel):
    project: str
    monitor: str
    model: str
    window_start_ms: int
    window_end_ms: int
    rows: int
    signals: dict[str, float | None]
    result: dict


class MonitorRunRecord(NewMonitorRun):
    id: str
    alerts: int
    created_by: str
    created_at_ms: int


class FiredAlert(BaseModel):
    """A rule that fired in a run; ``incident`` (title, fields, note) opens one with the alert."""

    fingerprint: str
    signal: str
    severity: str
    observed: float | None
    threshold: float | None
    message: str
    incident: dict | None = None


class AlertRecord(BaseModel):
    id: int
    project: str
    monitor: str
    model: str
    fingerprint: str
    signal: str
    severity: str
    status: str  # open, resolved
    observed: float | None
    threshold: float | None
    message: str
    count: int
    first_run: str
    last_run: str
    first_seen_ms: int
    last_seen_ms: int
    notified_at_ms: int | None
    resolved_at_ms: int | None
    incident_id: int | None
    notify: bool = False  # set on the alerts record_run returns: send this one now


class MonitorStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    def record_run(self, new: NewMonitorRun, fired: list[FiredAlert], *,
                   cooldown_ms: int) -> tuple[MonitorRunRecord, list[AlertRecord]]:
        """Record a run and its alerts (rules in the module docstring); returns the run and the alerts it fired."""
        run_id, actor, now = uuid.uuid4().hex, self._store.actor, now_ms()
        touched: list[tuple[int, bool]] = []
        with self._store.write() as tx:
            tx.conn.execute(monitor_runs.insert().values(id=run_id, alerts=len(fired), created_by=actor,
                                                         created_at_ms=now, **new.model_dump()))
            open_rows = {r.fingerprint: r for r in tx.conn.execute(sa.select(alerts).where(
                alerts.c.project == new.project, alerts.c.monitor == new.monitor, alerts.c.status == "open"))}
            for alert in fired:
                row = open_rows.pop(alert.fingerprint, None)
                if row is not None:
                    tx.conn.execute(alerts.update().where(alerts.c.id == row.id).values(
                        count=row.count + 1, last_run=run_id, last_seen_ms=now, observed=alert.observed,
                        message=alert.message))
                    touched.append((row.id, False))
                    continue
                last_notified = tx.conn.execute(sa.select(sa.func.max(alerts.c.notified_at_ms)).where(
                    alerts.c.project == new.project, alerts.c.fingerprint == alert.fingerprint)).scalar()
                notify = last_notified is None or now - last_notified >= cooldown_ms
                incident = None
                if alert.incident is not None:
                    incident = insert_incident(tx, project=new.project, model=new.model, actor=actor,
                                               severity=alert.severity, **alert.incident)
                alert_id = tx.conn.execute(alerts.insert().values(
                    project=new.project, monitor=new.monitor, model=new.model, fingerprint=alert.fingerprint,
                    signal=alert.signal, severity=alert.severity, status="open", observed=alert.observed,
                    threshold=alert.threshold, message=alert.message, count=1, first_run=run_id, last_run=run_id,
                    first_seen_ms=now, last_seen_ms=now, notified_at_ms=now if notify else None,
                    resolved_at_ms=None, incident_id=incident)).inserted_primary_key[0]
                touched.append((int(alert_id), notify))
                tx.audit.append("alert.raised", "alert", str(alert_id), monitor=new.monitor, signal=alert.signal,
                                severity=alert.severity, observed=alert.observed, incident=incident)
            for row in open_rows.values():  # no longer firing
                tx.conn.execute(alerts.update().where(alerts.c.id == row.id).values(
                    status="resolved", resolved_at_ms=now))
                tx.audit.append("alert.resolved", "alert", str(row.id), monitor=new.monitor, run=run_id)
            tx.audit.append("monitor.run", "monitor", new.monitor, run=run_id, model=new.model, rows=new.rows,
                            alerts=len(fired))
        records = {a.id: a for a in self.alerts(ids=[i for i, _ in touched])}
        fired_records = [records[i].model_copy(update={"notify": notify}) for i, notify in touched]
        return self.run(run_id), fired_records

    def run(self, run_id: str) -> MonitorRunRecord:
        with self._store.read() as conn:
            row = conn.execute(sa.select(monitor_runs).where(monitor_runs.c.id == run_id)).first()
        if row is None:
            raise NotFound(f"no monitor run {run_id!r}: `steward monitor runs` lists them")
        return MonitorRunRecord.model_validate(row._asdict())

    def runs(self, *, project: str | None = None, monitor: str | None = None, model: str | None = None,
             since_ms: int | None = None, limit: int | None = None, with_result: bool = True,
             exclude_monitor: str | Iterable[str] | None = None) -> list[MonitorRunRecord]:
        """Runs, newest first (``with_result=False`` leaves the full results out, for time series)."""
        columns = list(monitor_runs.c) if with_result else [c for c in monitor_runs.c if c.name != "result"]
        query = sa.select(*columns).order_by(monitor_runs.c.created_at_ms.desc(), monitor_runs.c.id)
        if project:
            query = query.where(monitor_runs.c.project == project)
        if monitor:
            query = query.where(monitor_runs.c.monitor == monitor)
        if model:
            query = query.where(monitor_runs.c.model == model)
        if exclude_monitor:
            names = [exclude_monitor] if isinstance(exclude_monitor, str) else list(exclude_monitor)
            query = query.where(monitor_runs.c.monitor.not_in(names))
        if since_ms is not None:
            query = query.where(monitor_runs.c.created_at_ms >= since_ms)
        if limit:
            query = query.limit(limit)
        with self._store.read() as conn:
            rows = [r._asdict() for r in conn.execute(query)]
        return [MonitorRunRecord.model_validate({"result": {}, **r}) for r in rows]

    def alerts(self, *, status: str | None = None, monitor: str | None = None,
               ids: list[int] | None = None) -> list[AlertRecord]:
        query = sa.select(alerts).order_by(alerts.c.id.desc())
        if status:
            query = query.where(alerts.c.status == status)
        if monitor:
            query = query.where(alerts.c.monitor == monitor)
        if ids is not None:
            query = query.where(alerts.c.id.in_(ids))
        with self._store.read() as conn:
            return [AlertRecord.model_validate(r._asdict()) for r in conn.execute(query)]


__all__ = ["AlertRecord", "FiredAlert", "MonitorRunRecord", "MonitorStore", "NewMonitorRun"]
