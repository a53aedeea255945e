"""`steward costs review`: the seed's cost-optimisation review, generated from the recorded spending.

Over the last ``days`` (default 90): the month so far and its forecast with the budgets, spending per month
(training and inference), the most expensive runs, each candidate's tuning cost against its score, serving per
day, and the findings of ``mlsteward.costs.review`` with their savings. Recorded as a finished run of the
project's experiment tagged ``kind=cost-review``, ``stage=monitoring`` (metrics ``spent_usd``,
``forecast_usd``, ``recommendations``, ``saving_usd``; artifacts ``cost-review.json`` and the HTML report
``cost-review.html``, also written to ``.steward/reports/cost-review.html`` beside steward.yaml).
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from mlsteward.costs import DayCost, RunCost
from mlsteward.costs.review import (
    CandidateSpend,
    Recommendation,
    best_trial,
    candidate_findings,
    serving_findings,
    tuning_findings,
)
from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.costs import CostSummary, cost_summary, counted, inference_costs, training_costs
from mlsteward.lifecycle.run_reports import keep_report
from mlsteward.lifecycle.training import start_run_record
from mlsteward.spec import Spec
from mlsteward.train.metrics import metric_named
from mlsteward.workspace import Workspace

KIND = "cost-review"
REPORT_ARTIFACT = "cost-review.html"
TOP_RUNS = 10


class MonthSpend(BaseModel):
    month: str
    training_usd: float
    inference_usd: float


class CostReview(BaseModel):
    project: str
    days: int
    since_ms: int
    at_ms: int
    summary: CostSummary
    months: list[MonthSpend]
    top_runs: list[RunCost]
    failed_runs_usd: float
    candidates: list[CandidateSpend]
    serving_days: list[DayCost]
    recommendations: list[Recommendation]
    notes: list[str]
    run_id: str | None = None
    report_path: str | None = None

    @property
    def saving_usd(self) -> float:
        return sum(r.saving_usd or 0.0 for r in self.recommendations)


def cost_review(workspace: Workspace, spec: Spec, *, days: int = 90, tolerance: float = 0.005,
                min_saving_usd: float = 0.01, now: dt.datetime | None = None) -> CostReview:
    """Review the last ``days`` of spending, record the review and write its report (module docstring). A finding
    that would save less than ``min_saving_usd`` is left out (it is not worth anyone's time)."""
    if days < 1:
        raise InvalidInput(f"a review covers at least one day; got --days {days}")
    if tolerance < 0 or min_saving_usd < 0:
        raise InvalidInput(f"the tolerance and the minimum saving are 0 or more; got {tolerance} and {min_saving_usd}")
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    at_ms = int(now.timestamp() * 1000)
    since_ms = at_ms - days * 86_400_000
    summary = cost_summary(workspace, spec, now=now)
    runs = training_costs(workspace, spec, since_ms=since_ms, until_ms=at_ms + 1)
    totals = counted(runs)
    serving = inference_costs(workspace, spec, since_ms=since_ms, now_ms=at_ms)
    candidates = _candidates(workspace, runs)
    failed = sum(c.cost_usd for c in totals if c.status in ("failed", "killed"))
    recommendations = [*tuning_findings(candidates), *candidate_findings(candidates, tolerance),
                       *serving_findings(predictions=sum(d.predictions for d in serving),
                                         infrastructure_hours=sum(d.infrastructure_hours for d in serving),
                                         predictions_usd=sum(d.predictions_usd for d in serving),
                                         infrastructure_usd=sum(d.infrastructure_usd for d in serving),
                                         per_prediction_ceiling=spec.charter.constraints.cost_per_prediction_usd)]
    recommendations += [Recommendation(area="budgets", finding=message, action="act on the findings above, or "
                                       "revise the budget in costs.budgets")
                        for b in summary.budgets if b.forecast_over or (b.crossed or 0) >= 1 for message in b.messages()]
    if failed > 0:
        recommendations.append(Recommendation(
            area="runs", saving_usd=failed, finding=f"runs that failed or were killed cost ${failed:,.4f}",
            action="look at them with `steward runs list` and fix what made them fail before running again"))
    recommendations = [r for r in recommendations if r.saving_usd is None or r.saving_usd >= min_saving_usd]
    review = CostReview(project=spec.project, days=days, since_ms=since_ms, at_ms=at_ms, summary=summary,
                        months=_months(totals, serving), failed_runs_usd=failed,
                        top_runs=sorted(totals, key=lambda c: -c.cost_usd)[:TOP_RUNS], candidates=candidates,
                        serving_days=serving, recommendations=recommendations, notes=summary.notes)
    return _record(workspace, review)


def _candidates(workspace: Workspace, runs: list[RunCost]) -> list[CandidateSpend]:
    """Each candidate of each `steward train` in the period: its tuning and refit cost, trials and score."""
    children: dict[str, list[RunCost]] = {}
    for c in runs:
        if c.parent_id:
            children.setdefault(c.parent_id, []).append(c)
    trainings = [c for c in runs if c.kind == "training" and c.status == "finished"]
    if not trainings:
        return []
    store = workspace.store.runs
    out = []
    for training in trainings:
        params = store.get(training.run_id).params
        metric = metric_named(params["metric"], params.get("task", "classification"))
        kids = store.get_many([c.run_id for c in children.get(training.run_id, [])])
        costs = {c.run_id: c.cost_usd for c in children.get(training.run_id, [])}
        for tune in (k for k in kids if k.tags.get("kind") == "tuning"):
            name = tune.tags.get("candidate", tune.name)
            fit = next((k for k in kids if k.tags.get("kind") == "candidate-fit" and k.tags.get("candidate") == name),
                       None)
            trials = sorted(store.get_many([c.run_id for c in children.get(tune.id, [])]),
                            key=lambda r: int(r.tags.get("trial_number", 0)))
            values = [r.metrics.get(metric.name) if r.tags.get("trial_state") == "COMPLETE" else None for r in trials]
            out.append(CandidateSpend(
                training_run=training.run_id, candidate=name, trials=len(trials), metric=metric.name,
                greater_is_better=metric.greater_is_better, best_trial=best_trial(values, metric.greater_is_better),
                cost_usd=costs.get(tune.id, 0.0) + (costs.get(fit.id, 0.0) if fit else 0.0),
                value=fit.metrics.get(metric.name) if fit else None,
                uplift=fit.metrics.get("uplift_over_baseline") if fit else None))
    return out


def _months(runs: list[RunCost], days: list[DayCost]) -> list[MonthSpend]:
    months: dict[str, list[float]] = {}
    for c in runs:
        month = dt.datetime.fromtimestamp(c.started_ms / 1000, dt.UTC).strftime("%Y-%m")
        months.setdefault(month, [0.0, 0.0])[0] += c.cost_usd
    for d in days:
        months.setdefault(f"{d.day:%Y-%m}", [0.0, 0.0])[1] += d.cost_usd
    return [MonthSpend(month=m, training_usd=t, inference_usd=i) for m, (t, i) in sorted(months.items())]


def _record(workspace: Workspace, review: CostReview) -> CostReview:
    from mlsteward.report._cost_review import render_cost_review

    with start_run_record(workspace, review.project, KIND, None, None, {"kind": KIND, "stage": "monitoring"}) as run:
        run.log_params({"days": review.days})
        run.log_metrics({"spent_usd": review.summary.total.spent_usd, "forecast_usd": review.summary.total.forecast_usd,
                         "recommendations": len(review.recommendations), "saving_usd": review.saving_usd})
        review = review.model_copy(update={"run_id": run.id})
        run.log_bytes(review.model_dump_json(indent=2).encode(), "cost-review.json")
        path = keep_report(workspace, run, render_cost_review(review), REPORT_ARTIFACT)
    return review.model_copy(update={"report_path": str(path)})


__all__ = ["KIND", "REPORT_ARTIFACT", "CostReview", "MonthSpend", "cost_review"]
