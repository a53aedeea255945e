"""The lifecycle board: the eight stages with their recorded status, each gate, and what it still misses."""

from __future__ import annotations

from mlsteward.lifecycle.stage_gates import project_status
from mlsteward.ui.links import evidence_href
from mlsteward.ui.view import Page, View


def board(view: View) -> Page:
    if view.spec is None:
        return Page("message.html", "No project here", {"message": "the dashboard runs outside a project: start "
                                                                   "`steward ui` in the folder of steward.yaml"})
    status = project_status(view.workspace, view.spec)
    gates = {gate.stage: gate for gate in status.gates}
    stages = [{"record": record, "gate": gates[record.stage],
               "checks": [{"item": item, "href": evidence_href(item.evidence)} for item in gates[record.stage].items]}
              for record in status.stages]
    counts = {d: sum(1 for g in status.gates if g.decision == d) for d in ("pass", "fail", "missing")}
    return Page("board.html", f"{status.project}: lifecycle", {"status": status, "stages": stages, "counts": counts})
