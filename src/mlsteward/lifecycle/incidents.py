"""The postmortem draft of an incident: the runbook's sections filled from what was recorded."""

from __future__ import annotations

from datetime import UTC, datetime

from mlsteward.store.incidents import IncidentRecord


def postmortem_draft(incident: IncidentRecord) -> str:
    """A Markdown postmortem with the facts filled in and the judgement left to write."""
    fields, trigger = incident.fields, incident.fields.get("trigger") or {}
    lines = [f"# Postmortem {incident.ref}: {incident.title}", "",
             f"- Severity: {incident.severity}; status: {incident.status}",
             f"- Model: {fields.get('model', incident.model)}",
             f"- Opened: {_at(incident.opened_at_ms)} by {incident.opened_by}",
             f"- Resolved: {_at(incident.resolved_at_ms) if incident.resolved_at_ms else 'not yet'}"]
    if trigger:
        lines.append(f"- Trigger: {trigger.get('signal')} = {trigger.get('observed')} "
                     f"({trigger.get('bound')} {trigger.get('threshold')})")
    if fields.get("rollback_target"):
        lines.append(f"- Rollback target: {fields['rollback_target']}")
    if fields.get("roles"):
        lines.append("- Roles: " + ", ".join(f"{role}: {who}" for role, who in fields["roles"].items()))
    lines += ["", "## Timeline", ""]
    lines += [f"- {_at(e.at_ms)} {e.by}: {e.note}" for e in incident.timeline]
    lines += ["", "## Impact", "", "_Who and what was affected, for how long._", "",
              "## Root cause", "", "_Why it happened (the data, the model, the service)._", "",
              "## What went well, what did not", "", "_…_", "", "## Actions", "",
              "| action | owner | due |", "|---|---|---|", "| | | |", ""]
    artifacts = fields.get("artifacts_to_collect") or []
    if artifacts:
        lines += ["## Evidence collected", ""] + [f"- [ ] {a}" for a in artifacts] + [""]
    return "\n".join(lines)


def _at(ms: int | None) -> str:
    return "-" if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


__all__ = ["postmortem_draft"]
