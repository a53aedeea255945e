"""`steward llm prompts promote`: move an alias (``production`` by default) to a prompt version only when the LLM
promotion checklist (``mlsteward.llm.gate``) passes, reading the version's newest evaluation and red-team runs.

The checklist is stored with the alias move (``gate_results``, subject ``prompt:NAME@V``) in one transaction; a
refusal is stored too (audited) and raised as ``GateRefused`` naming each failing item.
"""

from __future__ import annotations

from pydantic import BaseModel

from mlsteward.errors import GateRefused
from mlsteward.lifecycle.llm_eval import KIND as EVALUATION
from mlsteward.lifecycle.llm_redteam import KIND as REDTEAM
from mlsteward.llm.gate import ChecklistItem, RunFacts, llm_checklist
from mlsteward.spec import Spec
from mlsteward.store.models import RecordedGate
from mlsteward.store.prompts import AliasChange
from mlsteward.workspace import Workspace

GATE = "llm_promotion"


class PromptChecklist(BaseModel):
    prompt: str
    items: list[ChecklistItem]

    @property
    def passed(self) -> bool:
        return all(i.passed for i in self.items)


def prompt_checklist(workspace: Workspace, spec: Spec, ref: str) -> PromptChecklist:
    """The checklist of the version ``ref`` names, from its newest finished evaluation and red-team."""
    version = workspace.store.prompts.get(ref)
    facts = {kind: _newest(workspace, spec.project, kind, version.ref) for kind in (EVALUATION, REDTEAM)}
    return PromptChecklist(prompt=version.ref, items=llm_checklist(version.ref, spec.llm.gate,
                                                                  evaluation=facts[EVALUATION],
                                                                  redteam=facts[REDTEAM]))


def promote_prompt(workspace: Workspace, spec: Spec, ref: str, *, alias: str = "production",
                   reason: str) -> tuple[AliasChange, PromptChecklist]:
    """Move ``alias`` to the version if the checklist passes; else store the refusal and raise GateRefused."""
    checklist = prompt_checklist(workspace, spec, ref)
    gate = RecordedGate(gate=GATE, decision="pass" if checklist.passed else "fail",
                        checks=[i.model_dump() for i in checklist.items], evidence={"alias": alias, "reason": reason})
    if not checklist.passed:
        workspace.store.prompts.record_refusal(checklist.prompt, gate)
        failing = "; ".join(f"{i.check}: required {i.required}, observed {i.observed or 'nothing'}"
                            for i in checklist.items if not i.passed)
        raise GateRefused(f"the LLM promotion checklist refused {checklist.prompt} for {alias}: {failing}", checklist)
    return workspace.store.prompts.set_alias(checklist.prompt, alias, reason, gate=gate), checklist


def _newest(workspace: Workspace, project: str, kind: str, prompt: str) -> RunFacts | None:
    found = workspace.store.runs.search(f"tags.kind = '{kind}' and params.prompt = '{prompt}' and status = 'finished'",
                                        experiment=project, limit=1)
    return RunFacts(run_id=found[0].id, metrics=found[0].metrics) if found else None


__all__ = ["GATE", "PromptChecklist", "promote_prompt", "prompt_checklist"]
