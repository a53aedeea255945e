"""The LLM page: each prompt version with its aliases, its newest evaluation and red-team, and the newest
promotion checklist decision; the application in service (the newest LLM monitor run, its open alerts, the
month's answers, tokens, cost and cache savings); then the newest evaluation and red-team runs with their
reports."""

from __future__ import annotations

from mlsteward.lifecycle.llm_eval import KIND as EVALUATION
from mlsteward.lifecycle.llm_eval import REPORT_ARTIFACT
from mlsteward.lifecycle.llm_monitor import month_start_ms
from mlsteward.lifecycle.llm_redteam import KIND as REDTEAM
from mlsteward.spec_monitoring import LLM_MONITOR
from mlsteward.store._sql import now_ms
from mlsteward.store.prompts import prompt_subject
from mlsteward.ui.links import artifact_href
from mlsteward.ui.view import Page, View

RECENT = 20


def llm(view: View) -> Page:
    store = view.store
    runs = store.runs.search(f"tags.kind in ('{EVALUATION}', '{REDTEAM}')", experiment=view.project, limit=500)
    newest: dict[tuple[str, str], object] = {}
    for run in runs:  # newest first: the first of each (kind, prompt) is its newest
        newest.setdefault((run.tags.get("kind"), run.params.get("prompt")), run)
    versions = []
    for prompt in store.prompts.list(view.project):
        for version in store.prompts.versions(prompt.name):
            gates = store.models.gate_history(prompt_subject(version.ref))
            versions.append({"v": version, "evaluation": newest.get((EVALUATION, version.ref)),
                             "redteam": newest.get((REDTEAM, version.ref)), "gate": gates[0] if gates else None})
    recent = [{"run": r, "report": _report(r)} for r in runs[:RECENT]]
    monitored = store.monitoring.runs(project=view.project, monitor=LLM_MONITOR, limit=1, with_result=False)
    alerts = [a for a in store.monitoring.alerts(status="open", monitor=LLM_MONITOR) if a.project == view.project]
    month = store.llm.usage(view.project, since_ms=month_start_ms(now_ms())) if view.project else None
    return Page("llm.html", "LLM", {"versions": versions, "recent": recent,
                                    "gate": view.spec.llm.gate if view.spec else None,
                                    "monitored": monitored[0] if monitored else None, "alerts": alerts,
                                    "month": month})


def _report(run) -> str | None:  # noqa: ANN001 - a RunRecord
    digest = next((a.digest for a in run.artifacts if a.path == REPORT_ARTIFACT), None)
    return artifact_href(digest, REPORT_ARTIFACT) if digest else None


__all__ = ["llm"]
