"""The governance calendar of ``steward.yaml``: the reviews a project keeps, how often, who holds them and the
deliverables each reviews. Without ``governance.calendar`` the seed's cadence applies::

    governance:
      calendar:
        - {name: experiment-review, every: weekly, covers: [experimentation_logs, baseline_vs_candidate]}
        - {name: risk-update, every: weekly, covers: [risk_register]}
        - {name: performance-drift-audit, every: monthly, owner: ml_engineer,
           covers: [monitoring_dashboard, drift_alerts, performance_report]}
        - {name: fairness-compliance-review, every: quarterly, owner: compliance_officer,
           covers: [performance_report, model_card, security_checklist, risk_register]}

``every``: weekly (7 days), monthly (30 days), quarterly (91 days), or a number of days such as ``14d``.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from mlsteward.spec_gates import SpecModel

PERIODS = {"weekly": 7, "monthly": 30, "quarterly": 91}


def _check_every(value: str) -> str:
    if value not in PERIODS and not re.fullmatch(r"[1-9]\d{0,3}d", value):
        raise ValueError("weekly, monthly, quarterly or a number of days such as 14d")
    return value


def _check_name(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,59}", value):
        raise ValueError("a short name of lower-case letters, digits, '-' or '_', e.g. risk-update")
    return value


class ReviewCadence(SpecModel):
    """A recurring review: its name, how often, the role that holds it, and the deliverables it looks at."""

    name: Annotated[str, AfterValidator(_check_name)] = Field(description="e.g. performance-drift-audit")
    every: Annotated[str, AfterValidator(_check_every)] = Field(description="weekly, monthly, quarterly or Nd")
    owner: str | None = Field(None, description="the stakeholder role that completes it (default: anyone)")
    covers: list[str] = Field([], description="the deliverables it reviews (keys of `steward deliverables`)")

    @property
    def days(self) -> int:
        return PERIODS.get(self.every) or int(self.every[:-1])


SEED_CALENDAR = (
    ReviewCadence(name="experiment-review", every="weekly", covers=["experimentation_logs", "baseline_vs_candidate"]),
    ReviewCadence(name="risk-update", every="weekly", covers=["risk_register"]),
    ReviewCadence(name="performance-drift-audit", every="monthly",
                  covers=["monitoring_dashboard", "drift_alerts", "performance_report"]),
    ReviewCadence(name="fairness-compliance-review", every="quarterly",
                  covers=["performance_report", "model_card", "security_checklist", "risk_register"]),
)

__all__ = ["PERIODS", "SEED_CALENDAR", "ReviewCadence"]
