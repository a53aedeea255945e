"""The cost-optimisation review's findings: where the recorded spending bought little, each with its evidence
and, where it can be worked out, what acting on it would have saved.

- **Tuning past its last improvement**: a candidate whose best trial came early, so the later trials improved
  nothing (at least 4 trials and at least half of them after the best).
- **A candidate that did not pay**: it cost more to tune than a cheaper candidate of the same training and
  scored no better than it (within ``tolerance`` of the metric).
- **Idle serving**: infrastructure is most of the inference cost (over 80%) while the traffic is thin (under
  60 predictions per infrastructure hour): scheduled batch scoring or a smaller machine would do.
- **Over the charter's cost per prediction**, **a budget forecast to be exceeded**, and **failed runs** (what
  runs that failed or were killed cost).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

IDLE_INFRASTRUCTURE_SHARE = 0.8
IDLE_PREDICTIONS_PER_HOUR = 60
LATE_TRIALS_SHARE = 0.5
MIN_TRIALS = 4


class CandidateSpend(BaseModel):
    """One candidate of one `steward train`: what tuning it cost and what it scored."""

    training_run: str
    candidate: str
    cost_usd: float  # its tuning run and the refit of its best trial
    trials: int
    best_trial: int | None  # the index (0-based) of the first trial reaching the best value
    value: float | None  # the refit's metric on the validation split
    uplift: float | None  # over the best baseline
    metric: str
    greater_is_better: bool

    @property
    def trials_after_best(self) -> int:
        return 0 if self.best_trial is None else self.trials - self.best_trial - 1


class Recommendation(BaseModel):
    area: str  # tuning, candidates, serving, budgets, runs
    finding: str
    action: str
    saving_usd: float | None = None


def best_trial(values: Sequence[float | None], greater_is_better: bool) -> int | None:
    """The index of the first trial that reached the best value (None when no trial completed)."""
    scored = [(i, v) for i, v in enumerate(values) if v is not None]
    if not scored:
        return None
    best = max(v for _, v in scored) if greater_is_better else min(v for _, v in scored)
    return next(i for i, v in scored if v == best)


def tuning_findings(candidates: Sequence[CandidateSpend]) -> list[Recommendation]:
    out = []
    for c in candidates:
        late = c.trials_after_best
        if c.best_trial is None or c.trials < MIN_TRIALS or late / c.trials < LATE_TRIALS_SHARE:
            continue
        saving = c.cost_usd * late / c.trials
        out.append(Recommendation(
            area="tuning", saving_usd=saving,
            finding=f"{c.candidate} (training {c.training_run[:8]}): the best of {c.trials} trials was trial "
                    f"{c.best_trial + 1}; the {late} after it improved nothing and cost about ${saving:,.4f}",
            action=f"lower training.tuning.trials (or costs.quota.max_trials) towards {2 * (c.best_trial + 1)}, or "
                   "turn on pruning (training.tuning.pruning)"))
    return out


def candidate_findings(candidates: Sequence[CandidateSpend], tolerance: float) -> list[Recommendation]:
    out = []
    by_training: dict[str, list[CandidateSpend]] = {}
    for c in candidates:
        if c.value is not None:
            by_training.setdefault(c.training_run, []).append(c)
    for group in by_training.values():
        for costly in group:
            cheaper = [o for o in group if o is not costly and o.cost_usd < costly.cost_usd and _no_worse(o, costly,
                                                                                                          tolerance)]
            if not cheaper:
                continue
            rival = min(cheaper, key=lambda o: o.cost_usd)
            out.append(Recommendation(
                area="candidates", saving_usd=costly.cost_usd - rival.cost_usd,
                finding=f"{costly.candidate} cost ${costly.cost_usd:,.4f} to tune and scored {costly.metric} "
                        f"{costly.value:.4f}; {rival.candidate} cost ${rival.cost_usd:,.4f} and scored {rival.value:.4f} "
                        f"(training {costly.training_run[:8]})",
                action=f"drop {costly.candidate} from training.candidates, or narrow its search space"))
    return out


def _no_worse(cheap: CandidateSpend, costly: CandidateSpend, tolerance: float) -> bool:
    """Whether the cheap candidate scored at least as well as the costly one, less ``tolerance``."""
    if costly.greater_is_better:
        return cheap.value >= costly.value - tolerance
    return cheap.value <= costly.value + tolerance


def serving_findings(*, predictions: int, infrastructure_hours: float, predictions_usd: float,
                     infrastructure_usd: float, per_prediction_ceiling: float | None) -> list[Recommendation]:
    out = []
    total = predictions_usd + infrastructure_usd
    if total > 0 and infrastructure_hours > 0:
        share = infrastructure_usd / total
        rate = predictions / infrastructure_hours
        if share > IDLE_INFRASTRUCTURE_SHARE and rate < IDLE_PREDICTIONS_PER_HOUR:
            out.append(Recommendation(
                area="serving", finding=f"the serving infrastructure is {share:.0%} of the inference cost "
                                        f"(${infrastructure_usd:,.2f}) for {rate:,.1f} predictions an hour",
                action="score on a schedule with `steward score` instead of a standing service, or serve from a "
                       "smaller machine (monitoring.cost.per_hour_usd)"))
    if per_prediction_ceiling is not None and predictions > 0 and total / predictions > per_prediction_ceiling:
        out.append(Recommendation(
            area="serving", finding=f"a prediction cost ${total / predictions:,.6f}, above the charter's "
                                    f"ceiling of ${per_prediction_ceiling:,.6f} (charter.constraints)",
            action="cut the infrastructure per prediction (more traffic per machine, a smaller machine) or a "
                   "cheaper model (see the candidates' efficiency profiles)"))
    return out


__all__ = ["CandidateSpend", "Recommendation", "best_trial", "candidate_findings", "serving_findings",
           "tuning_findings"]
