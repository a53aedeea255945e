"""From a monitor run's signals to alerts: the rules (configured or default), the incident a SEV alert
opens with the runbook's fields, and delivery of new alerts to the log file and the webhook.

Delivery never fails a monitor run: the run and its alerts are recorded first; a webhook that does not
answer 2xx within 5 seconds is reported in the run's outcome and logged, and the alert stays in the
store (`steward monitor alerts`).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import httpx

from mlsteward.spec import Spec
from mlsteward.spec_gates import FairnessThreshold, MetricThreshold
from mlsteward.spec_monitoring import INCIDENT_SEVERITIES, AlertRule, Monitor
from mlsteward.store.monitoring import AlertRecord, FiredAlert

log = logging.getLogger("mlsteward.alerts")
WEBHOOK_TIMEOUT_S = 5.0


def alert_rules(spec: Spec, monitor: Monitor) -> list[AlertRule]:
    """The monitor's rules, or the defaults (spec_monitoring's docstring) when it names none."""
    if monitor.alerts:
        return list(monitor.alerts)
    rules = [AlertRule(signal="dataset_drifted", max=0, severity="warning")]
    for check in spec.gates.get("promotion", []):
        if isinstance(check, MetricThreshold):
            rules += [AlertRule(signal=check.metric, severity="sev2", **{side: bound})
                      for side, bound in (("min", check.min), ("max", check.max)) if bound is not None]
        elif isinstance(check, FairnessThreshold) and check.fairness.max is not None:
            rules.append(AlertRule(signal=f"{check.fairness.metric}.{check.fairness.by}", max=check.fairness.max,
                                   severity="sev2"))
    constraints = spec.charter.constraints
    if constraints.p95_latency_ms is not None:
        rules.append(AlertRule(signal="p95_latency_ms", max=constraints.p95_latency_ms, severity="warning"))
    if constraints.cost_per_prediction_usd is not None:
        rules.append(AlertRule(signal="cost_per_prediction_usd", max=constraints.cost_per_prediction_usd,
                               severity="warning"))
    return rules


def fire(spec: Spec, monitor: Monitor, signals: dict[str, float | None], *, model_ref: str,
         rollback_target: str | None, reference: str, window: tuple[int, int]) -> list[FiredAlert]:
    """The alerts the rules raise on ``signals``; a SEV alert carries the incident it opens."""
    fired = []
    for rule in alert_rules(spec, monitor):
        observed = signals.get(rule.signal)
        if not rule.fires(observed):
            continue
        message = f"{monitor.name}: {rule.describe(observed)} ({model_ref})"
        incident = None
        if rule.severity in INCIDENT_SEVERITIES:
            incident = {"title": f"{model_ref}: {rule.describe(observed)}", "note": f"opened by the alert: {message}",
                        "fields": runbook_fields(spec, rule, observed, model_ref=model_ref, reference=reference,
                                                 rollback_target=rollback_target, window=window)}
        fired.append(FiredAlert(fingerprint=f"{monitor.name}:{rule.signal}:{'min' if rule.min is not None else 'max'}",
                                signal=rule.signal, severity=rule.severity, observed=observed,
                                threshold=rule.threshold, message=message, incident=incident))
    return fired


def runbook_fields(spec: Spec, rule: AlertRule, observed: float | None, *, model_ref: str, reference: str,
                   rollback_target: str | None, window: tuple[int, int]) -> dict:
    """The incident runbook's fields, filled from what the monitor knows."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    roles = {s.role: s.name for s in spec.charter.stakeholders}
    return {
        "trigger": {"signal": rule.signal, "observed": observed, "threshold": rule.threshold,
                    "bound": "min" if rule.min is not None else "max", "at": now},
        "model": model_ref,
        "rollback_target": rollback_target,
        "rollback_command": (f"steward rollback {model_ref.split('@')[0]} --reason '...'" if rollback_target
                             else None),
        "roles": roles,
        "artifacts_to_collect": [
            "the monitor run (steward monitor runs --json) and its drift report (steward monitor show RUN --html)",
            f"the prediction log of the window {_iso(window[0])} to {_iso(window[1])}",
            f"the model version {model_ref} (steward models show {model_ref.replace('@', ' ')})",
            f"the reference data {reference}",
            "the service's /metrics and logs for the window",
        ],
    }


def deliver(spec_dir: Path, alerts: list[AlertRecord], *, webhook: str | None, log_path: str) -> list[str]:
    """Send the alerts marked ``notify`` to the log file and the webhook; returns the delivery problems."""
    due = [a for a in alerts if a.notify]
    problems: list[str] = []
    if not due:
        return problems
    path = Path(log_path) if Path(log_path).is_absolute() else spec_dir / log_path
    payloads = [alert_payload(a) for a in due]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            for payload in payloads:
                out.write(json.dumps(payload, sort_keys=True) + "\n")
    except OSError as exc:
        problems.append(f"could not append to the alert log {path}: {exc}")
    for payload in payloads:
        log.warning("%s alert: %s", payload["severity"], payload["message"])
        if webhook:
            try:
                answer = httpx.post(webhook, json=payload, timeout=WEBHOOK_TIMEOUT_S)
                if answer.status_code >= 300:
                    problems.append(f"the webhook answered {answer.status_code} to alert {payload['id']}")
            except httpx.HTTPError as exc:
                problems.append(f"the webhook {webhook} could not be reached for alert {payload['id']}: {exc}")
    for problem in problems:
        log.error(problem)
    return problems


def alert_payload(alert: AlertRecord) -> dict:
    return {"id": alert.id, "monitor": alert.monitor, "model": alert.model, "signal": alert.signal,
            "severity": alert.severity, "observed": alert.observed, "threshold": alert.threshold,
            "message": alert.message, "first_seen": _iso(alert.first_seen_ms),
            "incident": f"INC-{alert.incident_id}" if alert.incident_id else None}


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="seconds")


__all__ = ["alert_payload", "alert_rules", "deliver", "fire", "runbook_fields"]
