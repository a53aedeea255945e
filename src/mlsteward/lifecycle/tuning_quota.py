"""The experiment quota (``costs.quota`` of steward.yaml) as one `steward train` keeps to it.

- ``max_trials``: each candidate runs at most this many tuning trials, whatever ``training.tuning.trials`` asks.
- ``max_runtime_minutes``: the tuning of all candidates together. Each candidate gets an equal share of the
  time left (and at most ``training.tuning.timeout_s``); Optuna stops starting trials when it is spent (a trial
  under way finishes). A candidate reached with no time left is not tuned, and the result says so.
- ``monthly_training_cpu_hours``: `steward train` refuses to start once the project's runs used this many CPU
  hours in the calendar month (UTC).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from mlsteward.errors import QuotaExceeded
from mlsteward.lifecycle.costs import training_cpu_hours
from mlsteward.spec import Spec
from mlsteward.workspace import Workspace


class TuningQuota:
    """Trials and time for each candidate of one training (module docstring)."""

    def __init__(self, spec: Spec, *, clock: Callable[[], float] = time.monotonic) -> None:
        quota, tuning = spec.costs.quota, spec.training.tuning
        self.max_trials = quota.max_trials
        self.max_runtime_minutes = quota.max_runtime_minutes
        self.trials = min(tuning.trials, quota.max_trials) if quota.max_trials else tuning.trials
        self._timeout_s = tuning.timeout_s
        self._clock = clock
        self._deadline: float | None = None  # set when tuning starts (the first call of timeout_s)

    def timeout_s(self, candidates_left: int) -> float | None:
        """Optuna's timeout for the next candidate: None for no limit, 0 when the runtime quota is spent."""
        if self.max_runtime_minutes is None:
            return self._timeout_s
        if self._deadline is None:
            self._deadline = self._clock() + self.max_runtime_minutes * 60
        share = max(0.0, self._deadline - self._clock()) / max(1, candidates_left)
        return share if self._timeout_s is None else min(share, self._timeout_s)

    def params(self) -> dict[str, object]:
        """The quota as run params (only what is set)."""
        return {k: v for k, v in (("quota_max_trials", self.max_trials),
                                  ("quota_max_runtime_minutes", self.max_runtime_minutes)) if v is not None}


def check_monthly_quota(workspace: Workspace, spec: Spec, *, now: dt.datetime | None = None) -> None:
    """Refuse (QuotaExceeded) when the month's training CPU hours reached ``monthly_training_cpu_hours``."""
    limit = spec.costs.quota.monthly_training_cpu_hours
    if limit is None:
        return
    used = training_cpu_hours(workspace, spec, now=now)
    if used >= limit:
        now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        following = (now.date().replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        raise QuotaExceeded(f"project {spec.project} used {used:.2f} of its {limit:g} training CPU hours this month "
                            f"(costs.quota.monthly_training_cpu_hours): training starts again on {following}, or "
                            "raise the quota in steward.yaml")


__all__ = ["TuningQuota", "check_monthly_quota"]
