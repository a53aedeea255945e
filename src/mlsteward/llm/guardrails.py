"""Output guardrails: filters that every answer passes through before anyone sees it, with the time they add.

In order: a **blocked category** (``toxicity`` and ``profanity`` from the lexicons, or a project's own named
regular expressions) replaces the whole answer with ``BLOCKED``; **PII redaction** replaces each span
``find_pii`` finds with ``[REDACTED <kind>]``; **length** cuts an answer longer than ``max_chars`` at the last
sentence end before the limit (or at the limit, with "…", when there is none). An ``Application`` given
guardrails passes every generated answer through them, so an evaluation, a red team or a service sees only
guarded answers (a cached answer was guarded when it was generated).
"""

from __future__ import annotations

import re
import time

import numpy as np
from pydantic import BaseModel

from mlsteward.llm.lexicons import is_profane, toxic_phrases
from mlsteward.llm.text_pii import find_pii
from mlsteward.spec_llm import Guardrails

BLOCKED = "I can't share that answer."
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


class Guarded(BaseModel):
    text: str
    actions: list[str]  # what the filters did: "blocked: toxicity", "redacted: email", "truncated: 1200"
    latency_ms: float


def apply_guardrails(answer: str, config: Guardrails) -> Guarded:
    """The answer as the guardrails let it through (module docstring)."""
    started = time.perf_counter()
    actions: list[str] = []
    blocked = _blocked_category(answer, config)
    if blocked is not None:
        return Guarded(text=BLOCKED, actions=[f"blocked: {blocked}"], latency_ms=_since(started))
    text = answer
    if config.redact_pii:
        for span in sorted(find_pii(text), key=lambda s: s.start, reverse=True):
            text = f"{text[:span.start]}[REDACTED {span.kind}]{text[span.end:]}"
            actions.append(f"redacted: {span.kind}")
        actions.reverse()
    if config.max_chars is not None and len(text) > config.max_chars:
        ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, config.max_chars)]
        text = text[:ends[-1]] if ends else text[:config.max_chars - 1] + "…"
        actions.append(f"truncated: {config.max_chars}")
    return Guarded(text=text, actions=actions, latency_ms=_since(started))


def guardrail_metrics(answers: list) -> dict[str, float]:
    """Over the guarded answers (``Answer.guardrails`` not None): the share a filter changed, and the time the
    filters added (p50, p95)."""
    seen = [a for a in answers if a.guardrails is not None]
    if not seen:
        return {}
    latencies = sorted(a.guardrail_ms for a in seen)
    return {"guardrail_interventions": sum(bool(a.guardrails) for a in seen) / len(seen),
            "guardrail_latency_p50_ms": float(np.percentile(latencies, 50)),
            "guardrail_latency_p95_ms": float(np.percentile(latencies, 95))}


def _blocked_category(answer: str, config: Guardrails) -> str | None:
    for category in config.blocked:
        if category == "toxicity" and toxic_phrases(answer):
            return category
        if category == "profanity" and is_profane(answer):
            return category
        pattern = config.block_patterns.get(category)
        if pattern is not None and re.search(pattern, answer, flags=re.IGNORECASE):
            return category
    return None


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


__all__ = ["BLOCKED", "Guarded", "apply_guardrails", "guardrail_metrics"]
