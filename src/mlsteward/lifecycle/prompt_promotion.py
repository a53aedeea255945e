"""`steward llm prompts promote`: move an alias (``production`` by default) to a prompt version only when the LLM
promotion checklist (``mlsteward.llm.gate``) passes, reading the version's newest evaluation and red-team runs.

The checklist is stored with the alias move (``gate_results``, subject ``prompt:NAME@V``) in one transaction; a
refusal is stored too (audited) and raised as ``GateRefused`` naming each failing item.

Moving any alias (promote, set, roll back) needs a role of ``governance.promoter_roles`` (any stakeholder role
when that list is empty), as for model versions; ``production`` moves forward only through the checklist.
"""

from __future__ import annotations

from pydantic import BaseModel

from mlsteward.errors import GateRefused, InvalidInput
from mlsteward.lifecycle.llm_eval import KIND as EVALUATION
from mlsteward.lifecycle.llm_redteam import KIND as REDTEAM
from mlsteward.lifecycle.signoffs import require_promoter
from mlsteward.llm.gate import ChecklistItem, RunFacts, llm_checklist
from mlsteward.spec import Spec
from mlsteward.store.models import RecordedGate
from mlsteward.store.prompts import AliasChange
from mlsteward.workspace import Workspace

GATE = "llm_promotion"
GATED_ALIAS = "production"


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
    require_promoter(spec, workspace.store.actor, f"promote the prompt {ref} to {alias}")
    checklist = prompt_checklist(workspace, spec, ref)
    gate = RecordedGate(gate=GATE, decision="pass" if checklist.passed else "fail",
                        checks=[i.model_dump() for i in checklist.items], evidence={"alias": alias, "reason": reason})
    if not checklist.passed:
        workspace.store.prompts.record_refusal(checklist.prompt, gate)
        failing = "; ".join(f"{i.check}: required {i.required}, observed {i.observed or 'nothing'}"
                            for i in checklist.items if not i.passed)
        raise GateRefused(f"the LLM promotion checklist refused {checklist.prompt} for {alias}: {failing}", checklist)
    return workspace.store.prompts.set_alias(checklist.prompt, alias, reason, gate=gate), checklist


def set_prompt_alias(workspace: Workspace, spec: Spec, ref: str, alias: str, *, reason: str) -> AliasChange:
    """Point an alias other than ``production`` at a version (``production`` moves through ``promote_prompt``)."""
    if alias == GATED_ALIAS:
        raise InvalidInput(f"{GATED_ALIAS} moves through the LLM promotion checklist: "
                           f"`steward llm prompts promote {ref} --reason ...`")
    require_promoter(spec, workspace.store.actor, f"point {alias} at the prompt {ref}")
    return workspace.store.prompts.set_alias(ref, alias, reason)


def roll_back_prompt(workspace: Workspace, spec: Spec, name: str, alias: str, *, reason: str) -> AliasChange:
    """Return ``alias`` to the version it pointed at before its last move."""
    require_promoter(spec, workspace.store.actor, f"roll back {name}@{alias}")
    return workspace.store.prompts.rollback(name, alias, reason)


def _newest(workspace: Workspace, project: str, kind: str, prompt: str) -> RunFacts | None:
    found = workspace.store.runs.search(f"tags.kind = '{kind}' and params.prompt = '{prompt}' and status = 'finished'",
                                        experiment=project, limit=1)
    return RunFacts(run_id=found[0].id, metrics=found[0].metrics) if found else None


__all__ = ["GATE", "GATED_ALIAS", "PromptChecklist", "promote_prompt", "prompt_checklist", "roll_back_prompt",
           "set_prompt_alias"]
