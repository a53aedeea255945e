"""`steward llm monitor`: the answer log of the LLM application over ``llm.monitor.window``, through the
monitoring stage (recorded as a run of the reserved monitor ``llm``; its alerts are de-duplicated, cooled down,
delivered and resolved like every monitor's, and listed by `steward monitor alerts`).

Signals (``mlsteward.monitor.llm_quality`` has the formulas):

- the window's ``answers``, ``hallucination_rate``, ``groundedness``, ``answer_relevance``, ``refusal_rate``,
  ``effectiveness`` (answers neither refused, hallucinated nor under the relevance floor), ``cache_hit_rate``,
  ``tokens_in``, ``tokens_out``, ``cost_usd``, ``saved_usd``, ``cost_per_1k_tokens_usd``;
- **hallucination-rate drift** of the prompt version most answers used: its rate in the window against a
  baseline, one-sided two-proportion z-test (``hallucination_rate_change``, ``hallucination_drift_p_value``,
  ``hallucination_drifted`` 0/1). The baseline is that version's newest evaluation (`steward llm eval`), its
  answered cases; without one, its answers in the window before this one;
- **prompt-effectiveness decay** of that version: the OLS slope of its effectiveness over the buckets with at
  least ``min_answers`` answers, one-sided t-test (``effectiveness_slope``, ``effectiveness_decay_p_value``,
  ``effectiveness_decaying``);
- with guardrails, the share of answers they changed (``guardrail_interventions``) and the time they took
  (``guardrail_latency_p95_ms``); the index's freshness, the age in days of the oldest document an answer used
  (``oldest_document_age_days``, from the documents' ``updated``);
- the calendar month's ``month_tokens`` and ``month_cost_usd``, and against ``llm.budget`` ``token_budget_share``
  and ``usd_budget_share``.

Alert rules are ``llm.monitor.alerts``; without them: the hallucination rate above the promotion checklist's
ceiling, a drift, a decay, and (with ``llm.gate.index_max_age_days``) a document older than the freshness SLA
(warnings). A budget alerts at the highest share of ``llm.budget.alert_at`` reached.
An alert of severity sev1-sev3 opens an incident whose runbook names the prompt and the rollback command.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel

from mlsteward.lifecycle.alerting import deliver
from mlsteward.lifecycle.llm_eval import KIND as EVALUATION
from mlsteward.lifecycle.llm_eval import parsed_time
from mlsteward.llm.usage import cost_per_1k_tokens
from mlsteward.monitor.llm_quality import (
    COLUMNS,
    BucketQuality,
    RateDrift,
    Trend,
    answer_quality,
    decay_trend,
    rate_drift,
    window_quality,
)
from mlsteward.spec import Spec
from mlsteward.spec_monitoring import INCIDENT_SEVERITIES, LLM_MONITOR, AlertRule, duration_ms
from mlsteward.store.llm import AnswerUsage, LoggedAnswer
from mlsteward.store.monitoring import AlertRecord, FiredAlert, NewMonitorRun
from mlsteward.workspace import Workspace

NO_PROMPT = "-"  # the model column of a run whose answers named no prompt


class Baseline(BaseModel):
    source: str  # what the baseline is: an evaluation run, or the previous window
    hallucinated: int
    answered: int


class LLMMonitorResult(BaseModel):
    project: str
    window_start_ms: int
    window_end_ms: int
    prompt: str | None  # the prompt version most answers used
    window: BucketQuality
    buckets: list[BucketQuality]
    baseline: Baseline | None
    drift: RateDrift | None
    decay: Trend
    month: AnswerUsage
    signals: dict[str, float | None]
    notes: list[str] = []


class LLMMonitorOutcome(BaseModel):
    run_id: str
    result: LLMMonitorResult
    alerts: list[AlertRecord]
    delivery_problems: list[str] = []


def default_rules(spec: Spec) -> list[AlertRule]:
    """The rules when ``llm.monitor.alerts`` names none (module docstring)."""
    rules = [AlertRule(signal="hallucination_rate", max=spec.llm.gate.max_hallucination_rate),
             AlertRule(signal="hallucination_drifted", max=0), AlertRule(signal="effectiveness_decaying", max=0)]
    if spec.llm.gate.index_max_age_days is not None:
        rules.append(AlertRule(signal="oldest_document_age_days", max=spec.llm.gate.index_max_age_days))
    return rules


def monitor_llm(workspace: Workspace, spec: Spec, *, end_ms: int | None = None,
                spec_dir: Path | None = None) -> LLMMonitorOutcome:
    """Read the window ending at ``end_ms`` (default: now), record the run with its alerts, deliver the new ones."""
    result = llm_quality(workspace, spec, end_ms=end_ms)
    fired = _fired(spec, result)
    alerting = spec.monitoring.alerting
    run, alerts = workspace.store.monitoring.record_run(
        NewMonitorRun(project=spec.project, monitor=LLM_MONITOR, model=result.prompt or NO_PROMPT,
                      window_start_ms=result.window_start_ms, window_end_ms=result.window_end_ms,
                      rows=result.window.answers, signals=result.signals, result=result.model_dump(mode="json")),
        fired, cooldown_ms=duration_ms(alerting.cooldown))
    problems = deliver(spec_dir or Path.cwd(), alerts, webhook=alerting.webhook, log_path=alerting.log)
    return LLMMonitorOutcome(run_id=run.id, result=result, alerts=alerts, delivery_problems=problems)


def llm_quality(workspace: Workspace, spec: Spec, *, end_ms: int | None = None) -> LLMMonitorResult:
    """The window's quality, drift, decay and budget (module docstring), without recording anything."""
    settings, store = spec.llm.monitor, workspace.store.llm
    end = end_ms if end_ms is not None else int(time.time() * 1000)
    length = duration_ms(settings.window)
    start = end - length
    logged = store.answers(spec.project, since_ms=start, until_ms=end)
    frame = answer_frame(logged)
    whole = window_quality(frame, start_ms=start, end_ms=end, relevance_floor=settings.relevance_floor)
    prompts = Counter(a.prompt for a in logged if a.prompt)
    prompt = prompts.most_common(1)[0][0] if prompts else None
    focus = [a for a in logged if prompt is None or a.prompt == prompt]  # drift and decay: one prompt version's
    buckets = answer_quality(frame if len(focus) == len(logged) else answer_frame(focus), start_ms=start, end_ms=end,
                             bucket_ms=duration_ms(settings.bucket), relevance_floor=settings.relevance_floor)
    notes = [] if logged else ["no answer logged in the window: serve the application with `steward llm serve`"]
    if len(focus) < len(logged):
        notes.append(f"drift and decay read the {len(focus)} answers of {prompt}, of {len(logged)} in the window")
    answered = [a for a in focus if not a.refused]
    baseline = _baseline(workspace, spec, prompt, start, length)
    drift = None
    if baseline is not None and baseline.answered and answered:
        drift = rate_drift(baseline.hallucinated, baseline.answered, sum(a.hallucinated for a in answered),
                           len(answered), alpha=settings.alpha)
    elif logged:
        notes.append("no baseline for the hallucination rate: evaluate the prompt (`steward llm eval`) or wait "
                     "for a second window")
    decay = decay_trend([b.effectiveness for b in buckets], [b.answers for b in buckets],
                        min_answers=settings.min_answers, alpha=settings.alpha)
    month = store.usage(spec.project, since_ms=month_start_ms(end), until_ms=end)
    result = LLMMonitorResult(project=spec.project, window_start_ms=start, window_end_ms=end, prompt=prompt,
                              window=whole, buckets=buckets, baseline=baseline, drift=drift, decay=decay,
                              month=month, signals={}, notes=notes)
    result.signals = _signals(spec, result, saved=sum(a.saved_usd for a in logged)) | _service_signals(logged, end)
    return result


def answer_frame(logged: list[LoggedAnswer]) -> pd.DataFrame:
    """The logged answers as the columns ``mlsteward.monitor.llm_quality`` reads."""
    frame = pd.DataFrame([{c: getattr(a, c) for c in COLUMNS} for a in logged], columns=list(COLUMNS))
    return frame.astype({"time_ms": "int64", "hallucinated": bool, "refused": bool, "grounded": "float64",
                         "relevance": "float64", "tokens_in": "int64", "tokens_out": "int64", "cost_usd": "float64"})


def _baseline(workspace: Workspace, spec: Spec, prompt: str | None, start: int, length: int) -> Baseline | None:
    if prompt is not None:
        found = workspace.store.runs.search(f"tags.kind = '{EVALUATION}' and params.prompt = '{prompt}' and "
                                            "status = 'finished'", experiment=spec.project, limit=1)
        metrics = found[0].metrics if found else {}
        if "hallucination_rate" in metrics and metrics.get("cases"):
            answered = round(metrics["cases"] * (1 - metrics.get("refusal_rate", 0.0)))
            return Baseline(source=f"evaluation {found[0].id} of {prompt}", answered=answered,
                            hallucinated=round(metrics["hallucination_rate"] * answered))
    before = workspace.store.llm.answers(spec.project, since_ms=start - length, until_ms=start, prompt=prompt)
    answered = [a for a in before if not a.refused]
    if not answered:
        return None
    return Baseline(source="the previous window", answered=len(answered),
                    hallucinated=sum(a.hallucinated for a in answered))


def _signals(spec: Spec, result: LLMMonitorResult, *, saved: float) -> dict[str, float | None]:
    w, drift, decay, month, budget = result.window, result.drift, result.decay, result.month, spec.llm.budget
    signals: dict[str, float | None] = {
        "answers": float(w.answers), "hallucination_rate": w.hallucination_rate, "groundedness": w.groundedness,
        "answer_relevance": w.answer_relevance, "refusal_rate": w.refusal_rate, "effectiveness": w.effectiveness,
        "cache_hit_rate": w.cache_hit_rate, "tokens_in": float(w.tokens_in), "tokens_out": float(w.tokens_out),
        "cost_usd": w.cost_usd, "saved_usd": saved,
        "cost_per_1k_tokens_usd": cost_per_1k_tokens(w.cost_usd, w.tokens_in + w.tokens_out),
        "hallucination_rate_change": drift.change if drift else None,
        "hallucination_drift_p_value": drift.p_value if drift else None,
        "hallucination_drifted": float(drift.drifted) if drift else None,
        "effectiveness_slope": decay.slope_per_bucket, "effectiveness_decay_p_value": decay.p_value,
        "effectiveness_decaying": float(decay.decaying) if decay.p_value is not None else None,
        "month_tokens": float(month.tokens_in + month.tokens_out), "month_cost_usd": month.cost_usd}
    if budget.monthly_tokens:
        signals["token_budget_share"] = signals["month_tokens"] / budget.monthly_tokens
    if budget.monthly_usd:
        signals["usd_budget_share"] = month.cost_usd / budget.monthly_usd
    return signals


def _service_signals(logged: list[LoggedAnswer], end: int) -> dict[str, float | None]:
    """What the guardrails did and took, and the age of the oldest document an answer used."""
    guarded = [a for a in logged if a.guardrail_ms is not None]
    dated = [parsed_time(d["updated"]) for a in logged for d in a.documents if d.get("updated")]
    oldest = min((d for d in dated if d is not None), default=None)
    at = dt.datetime.fromtimestamp(end / 1000, dt.UTC)
    return {"guardrail_interventions": sum(bool(a.guardrails) for a in guarded) / len(guarded) if guarded else None,
            "guardrail_latency_p95_ms": float(np.percentile([a.guardrail_ms for a in guarded], 95)) if guarded
            else None,
            "oldest_document_age_days": (at - oldest).total_seconds() / 86_400 if oldest else None}


def _fired(spec: Spec, result: LLMMonitorResult) -> list[FiredAlert]:
    fired, prompt = [], result.prompt or "no prompt"
    for rule in spec.llm.monitor.alerts or default_rules(spec):
        observed = result.signals.get(rule.signal)
        if not rule.fires(observed):
            continue
        message = f"{LLM_MONITOR}: {rule.describe(observed)} ({prompt})"
        fired.append(FiredAlert(fingerprint=f"{LLM_MONITOR}:{rule.signal}:{'min' if rule.min is not None else 'max'}",
                                signal=rule.signal, severity=rule.severity, observed=observed,
                                threshold=rule.threshold, message=message,
                                incident=_incident(rule, observed, result, message)
                                if rule.severity in INCIDENT_SEVERITIES else None))
    budget = spec.llm.budget
    for signal, what in (("token_budget_share", "tokens"), ("usd_budget_share", "spend")):
        share = result.signals.get(signal)
        crossed = max((s for s in budget.alert_at if share is not None and share >= s), default=None)
        if crossed is not None:
            fired.append(FiredAlert(fingerprint=f"{LLM_MONITOR}:{signal}:{crossed:g}", signal=signal,
                                    severity="warning", observed=share, threshold=crossed,
                                    message=f"{LLM_MONITOR}: the month's LLM {what} reached {share:.0%} of "
                                            f"llm.budget (alert at {crossed:.0%})"))
    return fired


def _incident(rule: AlertRule, observed: float | None, result: LLMMonitorResult, message: str) -> dict:
    name = result.prompt.split("@")[0] if result.prompt else None
    return {"title": f"{result.prompt or 'LLM application'}: {rule.describe(observed)}",
            "note": f"opened by the alert: {message}",
            "fields": {"trigger": {"signal": rule.signal, "observed": observed, "threshold": rule.threshold},
                       "prompt": result.prompt,
                       "rollback_command": f"steward llm prompts rollback {name} --reason '...'" if name else None,
                       "artifacts_to_collect": ["the LLM monitor run (steward monitor runs --json)",
                                                "the answers of the window (steward llm answers --json)"]}}


def month_start_ms(at_ms: int) -> int:
    """The start of the calendar month (UTC) of ``at_ms``."""
    day = dt.datetime.fromtimestamp(at_ms / 1000, dt.UTC).date().replace(day=1)
    return int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp() * 1000)


__all__ = ["Baseline", "LLMMonitorOutcome", "LLMMonitorResult", "answer_frame", "default_rules", "llm_quality",
           "monitor_llm", "month_start_ms"]
