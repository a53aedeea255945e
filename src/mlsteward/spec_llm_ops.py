"""The running side of ``llm:`` in steward.yaml: what tokens cost, the response cache, the token budget and the
LLM monitor::

    llm:
      model: small-llm                      # the price row of an answer whose application does not name its model
      prices:                               # USD per 1,000 tokens, per model
        small-llm: {input_per_1k_tokens_usd: 0.0005, output_per_1k_tokens_usd: 0.0015}
      cache: {enabled: true, similarity: 0.95, ttl: 7d, max_entries: 10000}
      budget: {monthly_tokens: 5000000, monthly_usd: 50, alert_at: [0.8, 1.0]}
      monitor:
        window: 7d                          # the answers a run reads, back from now
        bucket: 1d                          # the windows the trends are computed over
        min_answers: 20                     # answers a bucket needs to count in the trend
        alerts: [{signal: hallucination_rate, max: 0.1, severity: sev3}]   # default: mlsteward.lifecycle.llm_monitor
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from mlsteward.spec_costs import DEFAULT_THRESHOLDS
from mlsteward.spec_gates import SpecModel
from mlsteward.spec_monitoring import AlertRule, Duration, duration_ms


def _valid_duration(value: str) -> str:
    duration_ms(value)
    return value


class Price(SpecModel):
    """What one model charges, per 1,000 tokens in (the prompt and context) and out (the answer)."""

    input_per_1k_tokens_usd: float = Field(0.0, ge=0, description="USD per 1,000 tokens sent to the model")
    output_per_1k_tokens_usd: float = Field(0.0, ge=0, description="USD per 1,000 tokens the model answers")

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        """tokens_in / 1000 × input price + tokens_out / 1000 × output price."""
        return tokens_in / 1000 * self.input_per_1k_tokens_usd + tokens_out / 1000 * self.output_per_1k_tokens_usd


class CacheSettings(SpecModel):
    """The response cache (``mlsteward.llm.cache``): an exact match of the normalised question, else the most
    similar cached question at or above ``similarity``; both only for the same prompt version, application and
    retrieved documents."""

    enabled: bool = Field(False, description="answer repeated questions from the cache (`steward llm serve`)")
    similarity: float = Field(0.95, gt=0, le=1, description="the cosine a cached question needs to answer a new "
                                                             "one; 1 keeps exact matches only")
    ttl: Duration = Field("7d", description="how long an entry answers, e.g. 7d, 12h")
    max_entries: int = Field(10_000, ge=1, description="entries kept per prompt version; the least recently used "
                                                       "go first")

    _ttl = field_validator("ttl")(_valid_duration)


class TokenBudget(SpecModel):
    """A calendar month's tokens and spend on the model, with the shares that raise an alert."""

    monthly_tokens: int | None = Field(None, gt=0, description="tokens in and out a month may use")
    monthly_usd: float | None = Field(None, gt=0, description="what answers may cost in a month (USD)")
    alert_at: list[Annotated[float, Field(gt=0, le=10)]] = Field(list(DEFAULT_THRESHOLDS), min_length=1)

    @field_validator("alert_at")
    @classmethod
    def _sorted(cls, shares: list[float]) -> list[float]:
        return sorted(set(shares))


class LLMMonitorSettings(SpecModel):
    """How `steward llm monitor` reads the answer log (``mlsteward.lifecycle.llm_monitor``)."""

    window: Duration = Field("7d", description="how many logged answers a run reads, back from now")
    bucket: Duration = Field("1d", description="the windows the trends are computed over")
    min_answers: int = Field(20, ge=1, description="answers a bucket needs to count in a trend")
    relevance_floor: float = Field(0.5, ge=0, le=1, description="the answer relevance an effective answer needs")
    alpha: float = Field(0.05, gt=0, lt=1, description="significance of the drift and decay tests")
    alerts: list[AlertRule] = Field([], description="alert rules on the run's signals; empty: the defaults")

    _durations = field_validator("window", "bucket")(_valid_duration)

    @model_validator(mode="after")
    def _bucket_fits(self) -> LLMMonitorSettings:
        if duration_ms(self.bucket) > duration_ms(self.window):
            raise ValueError(f"llm.monitor.bucket ({self.bucket}) is longer than its window ({self.window})")
        return self


__all__ = ["CacheSettings", "LLMMonitorSettings", "Price", "TokenBudget"]
