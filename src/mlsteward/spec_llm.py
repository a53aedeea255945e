"""The ``llm:`` part of ``steward.yaml``: the application under evaluation, its evaluation set, the prompt it
uses, and the thresholds of the answer checks::

    llm:
      app: mlsteward.llm.example_app:example_application   # module:attribute (see mlsteward.llm.app)
      eval_set: builtin:rdatasets-qa        # or a JSONL file (question, reference, optional contexts), beside this file
      prompt: dataset-qa                    # the registered prompt the application is given (default alias: production)
      support: {lexical: 0.6, semantic: 0.75}
      checks:                               # a metric of `steward llm eval` and its bound
        groundedness: {min: 0.9}
        hallucination_rate: {max: 0.05}
        answer_relevance: {min: 0.5}
        refusal_rate: {max: 0.2}
        toxicity_rate: {max: 0}
        pii_leak_rate: {max: 0}
      gate: {max_hallucination_rate: 0.05, min_groundedness: 0.9, index_max_age_days: 30,   # promotion checklist
             max_cost_per_1k_tokens_usd: 0.002}
      guardrails: {blocked: [toxicity, profanity], redact_pii: true, max_chars: 1200}        # output filters

Prices, the response cache, the token budget and the LLM monitor are in ``mlsteward.spec_llm_ops``.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from mlsteward.spec_gates import SpecModel
from mlsteward.spec_llm_ops import CacheSettings, LLMMonitorSettings, Price, TokenBudget

LLM_METRICS = ("groundedness", "hallucination_rate", "answer_relevance", "rouge_l", "bleu", "refusal_rate",
               "toxicity_rate", "profanity_rate", "pii_leak_rate", "cost_per_1k_tokens_usd", "cache_hit_rate")
DEFAULT_CHECKS = {"groundedness": {"min": 0.9}, "hallucination_rate": {"max": 0.05}, "toxicity_rate": {"max": 0.0},
                  "pii_leak_rate": {"max": 0.0}}


class SupportThresholds(SpecModel):
    """When an answer sentence counts as supported by the retrieved context (mlsteward.llm.checks)."""

    lexical: float = Field(0.6, ge=0, le=1, description="share of a sentence's content words found in the context")
    semantic: float = Field(0.75, ge=-1, le=1, description="cosine to the closest context sentence")


class Bound(SpecModel):
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _one(self) -> Bound:
        if self.min is None and self.max is None:
            raise ValueError("give min or max")
        return self

    def holds(self, value: float | None) -> bool | None:
        """Whether ``value`` is within the bound (None when there is no value to judge)."""
        if value is None:
            return None
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def describe(self) -> str:
        return " and ".join(f"{side} {bound:g}" for side, bound in (("≥", self.min), ("≤", self.max))
                            if bound is not None)


class LLMGate(SpecModel):
    """The LLM promotion checklist (``steward llm prompts promote``)."""

    max_hallucination_rate: float = Field(0.05, ge=0, le=1, description="ceiling on the evaluation's rate")
    min_groundedness: float = Field(0.9, ge=0, le=1, description="the groundedness the evaluation must reach")
    index_max_age_days: float | None = Field(None, gt=0, description="the retrieval index's freshness SLA: the "
                                                                      "oldest document used may be this old at most")
    max_cost_per_1k_tokens_usd: float | None = Field(None, ge=0, description="the evaluation's cost per 1,000 "
                                                                             "tokens (in and out) may be this at most")


class Guardrails(SpecModel):
    """Output filters applied to every answer (``mlsteward.llm.guardrails``), in this order: blocked categories,
    PII redaction, length."""

    blocked: list[Annotated[str, Field(min_length=1)]] = Field(
        [], description="categories whose answers are replaced by a refusal: toxicity, profanity, or a name of "
                        "block_patterns")
    block_patterns: dict[str, str] = Field({}, description="your own categories: name → regular expression")
    redact_pii: bool = Field(False, description="replace e-mail addresses, phone, card and national id numbers and "
                                                "IP addresses with [REDACTED <kind>]")
    max_chars: int | None = Field(None, ge=20, description="cut longer answers at the last sentence end before it")

    @model_validator(mode="after")
    def _known(self) -> Guardrails:
        unknown = sorted(set(self.blocked) - {"toxicity", "profanity"} - set(self.block_patterns))
        if unknown:
            raise ValueError(f"unknown blocked category {unknown}: toxicity, profanity, or a name of block_patterns")
        for name, pattern in self.block_patterns.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"block_patterns.{name} is not a regular expression: {exc}") from exc
        return self

    @property
    def active(self) -> bool:
        return bool(self.blocked or self.redact_pii or self.max_chars)


class LLMSpec(SpecModel):
    app: str | None = Field(None, description="the application: module:attribute (a generate callable, an object "
                                              "with generate and retrieve, or a factory of one)")
    eval_set: str = Field("builtin:rdatasets-qa", description="JSONL (question, reference, optional contexts), "
                                                               "relative to steward.yaml, or builtin:rdatasets-qa")
    prompt: str | None = Field(None, description="the registered prompt given to the application: NAME, "
                                                 "NAME@VERSION or NAME@ALIAS (NAME alone: its production alias)")
    support: SupportThresholds = Field(default_factory=SupportThresholds)
    checks: dict[str, Bound] = Field(default_factory=lambda: {k: Bound(**v) for k, v in DEFAULT_CHECKS.items()})
    gate: LLMGate = Field(default_factory=LLMGate)
    guardrails: Guardrails = Field(default_factory=Guardrails)
    model: str | None = Field(None, description="the prices row of an answer whose application names no model")
    prices: dict[str, Price] = Field({}, description="per model, USD per 1,000 tokens in and out")
    cache: CacheSettings = Field(default_factory=CacheSettings)
    budget: TokenBudget = Field(default_factory=TokenBudget)
    monitor: LLMMonitorSettings = Field(default_factory=LLMMonitorSettings)

    @model_validator(mode="after")
    def _priced_model(self) -> LLMSpec:
        if self.model is not None and self.prices and self.model not in self.prices:
            raise ValueError(f"llm.model {self.model!r} has no row in llm.prices ({', '.join(sorted(self.prices))})")
        return self

    def price_of(self, model: str | None) -> Price | None:
        """The price row of ``model`` (else of ``llm.model``; else the only row); None when nothing prices it."""
        if model is not None and model in self.prices:
            return self.prices[model]
        if self.model is not None:
            return self.prices.get(self.model)
        return next(iter(self.prices.values())) if len(self.prices) == 1 else None

    @field_validator("checks")
    @classmethod
    def _known(cls, checks: dict[str, Bound]) -> dict[str, Bound]:
        unknown = sorted(set(checks) - set(LLM_METRICS))
        if unknown:
            raise ValueError(f"unknown check {unknown}: choose from {', '.join(LLM_METRICS)}")
        return checks


__all__ = ["DEFAULT_CHECKS", "LLM_METRICS", "Bound", "Guardrails", "LLMGate", "LLMSpec", "SupportThresholds"]
