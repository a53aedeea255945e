"""The LLM page: each prompt version with its aliases, its newest evaluation and red-team, and the newest
promotion checklist decision; then the newest evaluation and red-team runs with their reports."""

from __future__ import annotations

from mlsteward.lifecycle.llm_eval import KIND as EVALUATION
from mlsteward.lifecycle.llm_eval import REPORT_ARTIFACT
from mlsteward.lifecycle.llm_redteam import KIND as REDTEAM
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
    return Page("llm.html", "LLM", {"versions": versions, "recent": recent,
                                    "gate": view.spec.llm.gate if view.spec else None})


def _report(run) -> str | None:  # noqa: ANN001 - a RunRecord
    digest = next((a.digest for a in run.artifacts if a.path == REPORT_ARTIFACT), None)
    return artifact_href(digest, REPORT_ARTIFACT) if digest else None


__all__ = ["llm"]
