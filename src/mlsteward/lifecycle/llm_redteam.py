"""`steward llm redteam`: send the adversarial cases to the application, judge each answer
(``mlsteward.llm.redteam``), and record the outcome of every case; compare two prompt versions' outcomes.

Recorded as a finished run of the project's experiment tagged ``kind=red-team``, ``stage=evaluation`` and
``passed`` (no critical bypass), with params ``prompt`` (the version attacked: its lineage), ``app`` and
``suites``; metrics ``cases``, ``bypasses``, ``critical_bypasses``, ``pass_rate`` and ``pass_rate.<suite>``; the
artifact ``redteam.json``; and one child run per case (tags ``case``, ``suite``, ``severity``, ``outcome``
pass / fail; metric ``bypassed``).
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from mlsteward.errors import InvalidInput, NotFound
from mlsteward.lifecycle.llm_eval import application_under_test, resolve_prompt
from mlsteward.lifecycle.training import WorkStart, start_run_record
from mlsteward.llm.redteam import AttackCase, Verdict, builtin_cases, judge, read_cases
from mlsteward.spec import Spec
from mlsteward.workspace import Workspace

KIND = "red-team"
ARTIFACT = "redteam.json"


class CaseOutcome(BaseModel):
    case: AttackCase
    answer: str
    verdict: Verdict


class RedTeamResult(BaseModel):
    project: str
    app: str
    guardrails: bool = False
    prompt: str | None
    suites: list[str]
    outcomes: list[CaseOutcome]
    run_id: str | None = None

    @property
    def bypasses(self) -> list[CaseOutcome]:
        return [o for o in self.outcomes if o.verdict.bypassed]

    @property
    def critical_bypasses(self) -> list[CaseOutcome]:
        return [o for o in self.bypasses if o.case.severity == "critical"]

    def pass_rates(self) -> dict[str, float]:
        """The share of cases that held, in all and per suite."""
        rates = {"pass_rate": 1 - len(self.bypasses) / len(self.outcomes)}
        for suite in self.suites:
            mine = [o for o in self.outcomes if o.case.suite == suite]
            rates[f"pass_rate.{suite}"] = 1 - sum(o.verdict.bypassed for o in mine) / len(mine)
        return rates


class CaseChange(BaseModel):
    case: str
    suite: str
    severity: str
    before: str  # pass, fail, or absent
    after: str


class RedTeamComparison(BaseModel):
    before: str  # prompt refs
    after: str
    before_run: str
    after_run: str
    changes: list[CaseChange]  # every case whose outcome differs
    fixed: int
    regressed: int


def run_redteam(workspace: Workspace, spec: Spec, *, app: str | None = None, prompt: str | None = None,
                suites: list[str] | None = None, case_file: str | Path | None = None,
                guardrails: bool = True) -> RedTeamResult:
    """Attack the application (``app``, else ``llm.app``) with the built-in ``suites`` (default: all; ``[]``: none)
    and the cases of ``case_file``, with the prompt (``prompt``, else ``llm.prompt``); record it."""
    began = WorkStart()
    application = application_under_test(spec, app, guardrails, purpose="attack")
    version = resolve_prompt(workspace, prompt or spec.llm.prompt)
    cases = builtin_cases(suites) + (read_cases(case_file) if case_file is not None else [])
    if not cases:
        raise InvalidInput("no red-team case to run: choose a built-in suite or give --cases FILE")
    duplicate = sorted({c.id for c in cases if sum(o.id == c.id for o in cases) > 1})
    if duplicate:
        raise InvalidInput(f"red-team case ids must be unique: {duplicate} appear more than once")
    outcomes = []
    for case in cases:
        answer = application.answer(case.attack, prompt=version).answer
        outcomes.append(CaseOutcome(case=case, answer=answer,
                                    verdict=judge(case, answer, version.template if version else None)))
    result = RedTeamResult(project=spec.project, app=application.name, guardrails=application.guardrails is not None,
                           prompt=version.ref if version else None,
                           suites=list(dict.fromkeys(c.suite for c in cases)), outcomes=outcomes)
    return _record(workspace, result, began)


def compare_redteams(workspace: Workspace, project: str, before: str, after: str) -> RedTeamComparison:
    """The case outcomes of the newest red-team of prompt ``before`` against those of ``after`` (NAME@VERSION)."""
    runs = {}
    for ref in (before, after):
        version = workspace.store.prompts.get(ref)
        found = workspace.store.runs.search(f"tags.kind = '{KIND}' and params.prompt = '{version.ref}' and "
                                            "status = 'finished'", experiment=project, limit=1)
        if not found:
            raise NotFound(f"no red-team of {version.ref}: `steward llm redteam --prompt {version.ref}` runs one")
        runs[ref] = found[0]
    outcomes = {ref: _outcomes(workspace, run) for ref, run in runs.items()}
    changes = []
    for case_id in dict.fromkeys([*outcomes[before], *outcomes[after]]):
        old, new = outcomes[before].get(case_id), outcomes[after].get(case_id)
        was, now = _state(old), _state(new)
        if was != now:
            case = (new or old).case
            changes.append(CaseChange(case=case_id, suite=case.suite, severity=case.severity, before=was, after=now))
    return RedTeamComparison(before=runs[before].params["prompt"], after=runs[after].params["prompt"],
                             before_run=runs[before].id, after_run=runs[after].id, changes=changes,
                             fixed=sum(c.before == "fail" and c.after == "pass" for c in changes),
                             regressed=sum(c.before == "pass" and c.after == "fail" for c in changes))


def _state(outcome: CaseOutcome | None) -> str:
    return "absent" if outcome is None else "fail" if outcome.verdict.bypassed else "pass"


def _outcomes(workspace: Workspace, run) -> dict[str, CaseOutcome]:  # noqa: ANN001 - a RunRecord
    digest = next((a.digest for a in run.artifacts if a.path == ARTIFACT), None)
    if digest is None:
        raise NotFound(f"red-team run {run.id[:8]} has no {ARTIFACT}")
    result = RedTeamResult.model_validate_json(workspace.artifacts.get_bytes(digest))
    return {o.case.id: o for o in result.outcomes}


def _record(workspace: Workspace, result: RedTeamResult, began: WorkStart) -> RedTeamResult:
    tags = {"kind": KIND, "stage": "evaluation", "passed": str(not result.critical_bypasses).lower()}
    with start_run_record(workspace, result.project, KIND, None, None, tags, began) as run:
        run.log_params({"app": result.app, "prompt": result.prompt or "-", "suites": ",".join(result.suites),
                        "guardrails": "on" if result.guardrails else "off"})
        run.log_metrics({"cases": len(result.outcomes), "bypasses": len(result.bypasses),
                         "critical_bypasses": len(result.critical_bypasses), **result.pass_rates()})
        result = result.model_copy(update={"run_id": run.id})
        run.log_bytes(json.dumps(result.model_dump(mode="json"), indent=1).encode(), ARTIFACT)
        for outcome in result.outcomes:
            child = start_run_record(workspace, result.project, f"attack-{outcome.case.id}", run.id, None, {
                "kind": "red-team-case", "case": outcome.case.id, "suite": outcome.case.suite,
                "severity": outcome.case.severity, "outcome": "fail" if outcome.verdict.bypassed else "pass"})
            child.log_params({"expect": outcome.case.expect})
            child.log_metric("bypassed", float(outcome.verdict.bypassed))
            child.end("finished")
    return result


__all__ = ["ARTIFACT", "KIND", "CaseChange", "CaseOutcome", "RedTeamComparison", "RedTeamResult", "compare_redteams",
           "run_redteam"]
