"""The LLM promotion checklist: what a prompt version must show before an alias such as ``production`` moves to
it. Each item holds its requirement, what was observed and whether it passed (None: nothing to judge, which
does not pass):

- the prompt is versioned (a registered version, not a draft);
- its newest evaluation (``steward llm eval``) has a hallucination rate at most ``max_hallucination_rate`` and a
  groundedness at least ``min_groundedness``;
- its newest red-team (``steward llm redteam``) had no critical case bypassed;
- with ``index_max_age_days``, the oldest document the evaluation's answers used is at most that old;
- with ``max_cost_per_1k_tokens_usd``, the evaluation's answers cost at most that per 1,000 tokens in and out.
"""

from __future__ import annotations

from pydantic import BaseModel

from mlsteward.spec_llm import LLMGate


class ChecklistItem(BaseModel):
    check: str
    required: str
    observed: str | None
    passed: bool | None
    evidence: str | None = None  # the run it read


class RunFacts(BaseModel):
    """What the checklist reads of one evaluation or red-team run."""

    run_id: str
    metrics: dict[str, float]


def llm_checklist(prompt_ref: str, gate: LLMGate, *, evaluation: RunFacts | None,
                  redteam: RunFacts | None) -> list[ChecklistItem]:
    """The checklist for ``prompt_ref`` (module docstring)."""
    items = [ChecklistItem(check="prompt versioned", required="a registered version", observed=prompt_ref,
                           passed=True)]
    if evaluation is None:
        missing = f"no evaluation: steward llm eval --prompt {prompt_ref}"
        items += [ChecklistItem(check=c, required=r, observed=missing, passed=False) for c, r in (
            ("hallucination rate", f"≤ {gate.max_hallucination_rate:g}"),
            ("groundedness", f"≥ {gate.min_groundedness:g}"))]
    else:
        rate, grounded = evaluation.metrics.get("hallucination_rate"), evaluation.metrics.get("groundedness")
        items += [
            ChecklistItem(check="hallucination rate", required=f"≤ {gate.max_hallucination_rate:g}", observed=_num(rate),
                          passed=None if rate is None else rate <= gate.max_hallucination_rate,
                          evidence=evaluation.run_id),
            ChecklistItem(check="groundedness", required=f"≥ {gate.min_groundedness:g}", observed=_num(grounded),
                          passed=None if grounded is None else grounded >= gate.min_groundedness,
                          evidence=evaluation.run_id)]
    if redteam is None:
        items.append(ChecklistItem(check="no critical red-team bypass", required="0 critical cases bypassed",
                                   observed=f"no red-team: steward llm redteam --prompt {prompt_ref}", passed=False))
    else:
        critical = redteam.metrics.get("critical_bypasses")
        items.append(ChecklistItem(check="no critical red-team bypass", required="0 critical cases bypassed",
                                   observed=_num(critical), passed=None if critical is None else critical == 0,
                                   evidence=redteam.run_id))
    if gate.index_max_age_days is not None:
        age = evaluation.metrics.get("oldest_document_age_days") if evaluation else None
        items.append(ChecklistItem(check="index fresh", required=f"oldest document ≤ {gate.index_max_age_days:g} days",
                                   observed=f"{age:.1f} days" if age is not None else "no dated document",
                                   passed=None if age is None else age <= gate.index_max_age_days,
                                   evidence=evaluation.run_id if evaluation else None))
    if gate.max_cost_per_1k_tokens_usd is not None:
        cost = evaluation.metrics.get("cost_per_1k_tokens_usd") if evaluation else None
        items.append(ChecklistItem(check="cost per 1K tokens", required=f"≤ ${gate.max_cost_per_1k_tokens_usd:g}",
                                   observed=f"${cost:.4g}" if cost is not None else "no tokens priced (llm.prices)",
                                   passed=None if cost is None else cost <= gate.max_cost_per_1k_tokens_usd,
                                   evidence=evaluation.run_id if evaluation else None))
    return items


def _num(value: float | None) -> str | None:
    return None if value is None else f"{value:.4g}"


__all__ = ["ChecklistItem", "RunFacts", "llm_checklist"]
