"""Governance: the charter and its versions, KPIs, ROI, the risk register, decision and change logs, the
deliverables registry, and the audit trail with its verification."""

from __future__ import annotations

from mlsteward.governance import roi
from mlsteward.lifecycle.calendar import governance_calendar
from mlsteward.lifecycle.deliverables import deliverables
from mlsteward.lifecycle.governance import charter_history, read_risk_register
from mlsteward.ui.links import evidence_href
from mlsteward.ui.view import Page, View

AUDIT_EVENTS = 200


def governance(view: View) -> Page:
    if view.spec is None:
        return Page("message.html", "No project here", {"message": "governance reads the project's steward.yaml: "
                                                                   "start `steward ui` in its folder"})
    spec, store = view.spec, view.store
    inputs = spec.governance.roi
    registry = deliverables(view.workspace, spec)
    items = [{"item": d, "links": [(e, evidence_href(e)) for e in d.evidence]} for d in registry.deliverables]
    return Page("governance.html", "Governance", {
        "charter": spec.charter, "charters": charter_history(view.workspace, spec),
        "roi": roi(inputs.annual_benefit, inputs.annual_cost, inputs.initial_investment) if inputs else None,
        "currency": inputs.currency if inputs else "",
        "risks": read_risk_register(store, spec), "calendar": governance_calendar(view.workspace, spec),
        "decisions": store.governance.list_decisions(spec.project),
        "changes": store.governance.list_changes(spec.project, limit=AUDIT_EVENTS),
        "deliverables": registry, "deliverable_items": items,
        "audit": store.audit.list(limit=AUDIT_EVENTS), "verification": store.audit.verify()})
