"""The governance parts of ``steward.yaml``: the charter's risk register and who may waive a gate check.

A risk is written in the charter beside the problem and the KPIs, so it is versioned with them; what
its owner did about it (an action, a review) is recorded in the store with ``steward risks act``::

    charter:
      risks:
        - id: R1
          description: Training labels lag the outcome by 30 days.
          category: data
          impact: high
          likelihood: medium
          owner: ml_engineer          # a stakeholder role
          mitigation: Time-based splits; label-delay monitoring.
          residual: low
          review_by: 2027-01-15       # flagged for escalation when passed with no owner action

    governance:
      waiver_roles: [compliance_officer]   # roles that may waive a failing gate check, with a reason
      promoter_roles: [ml_engineer]        # roles that may promote, archive or roll back (default: any stakeholder)
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from mlsteward.spec_calendar import SEED_CALENDAR, ReviewCadence
from mlsteward.spec_gates import SpecModel

Level = Literal["low", "medium", "high"]
RISK_CATEGORIES = ("data", "model", "fairness", "privacy", "security", "operational", "compliance", "business",
                   "other")


def _check_risk_id(value: str) -> str:
    if not value.replace("-", "").replace("_", "").isalnum() or len(value) > 40:
        raise ValueError("a short id of letters, digits, '-' or '_', e.g. R1")
    return value


class Risk(SpecModel):
    """One entry of the risk register."""

    id: Annotated[str, AfterValidator(_check_risk_id)] = Field(description="a short id, e.g. R1")
    description: str = Field(min_length=1, description="what could go wrong, and its effect")
    category: Literal[RISK_CATEGORIES] = "other"  # type: ignore[valid-type]
    impact: Level = Field(description="low, medium or high")
    likelihood: Level = Field(description="low, medium or high")
    owner: str = Field(min_length=1, description="the stakeholder role that owns the risk, e.g. ml_engineer")
    mitigation: str = Field(min_length=1, description="what is done to reduce it")
    residual: Level = Field(description="the level left once mitigated: low, medium or high")
    review_by: dt.date | None = Field(None, description="the next review date (YYYY-MM-DD)")
    review_every_days: int = Field(30, gt=0, description="after an owner action, the next review is this much later")


class RoiInputs(SpecModel):
    """The project's expected economics, for the ROI the dashboard and `steward roi` show (any one currency)."""

    annual_benefit: float = Field(ge=0, description="yearly benefit the model brings (B)")
    annual_cost: float = Field(gt=0, description="yearly cost of running it: compute, upkeep, people (C)")
    initial_investment: float | None = Field(None, ge=0, description="one-off cost to build it (I), for payback")
    currency: str = "USD"


class GovernanceSpec(SpecModel):
    """Who may waive a failing gate check (always with a reason, always audited) and who may change a model
    version's status (promote, archive, roll back)."""

    waiver_roles: list[Annotated[str, Field(min_length=1)]] = Field(
        [], description="stakeholder roles that may waive a failing gate check, e.g. [compliance_officer]")
    promoter_roles: list[Annotated[str, Field(min_length=1)]] = Field(
        [], description="stakeholder roles that may promote, archive or roll back a model version, e.g. "
                        "[ml_engineer]; default: any stakeholder")
    roi: RoiInputs | None = Field(None, description="expected yearly benefit and cost (and the initial "
                                                    "investment): the ROI and payback shown on the dashboard")
    calendar: list[ReviewCadence] | None = Field(None, description="the recurring reviews (default: the seed's "
                                                                   "weekly, monthly and quarterly reviews)")

    @property
    def reviews(self) -> list[ReviewCadence]:
        """The calendar's reviews: steward.yaml's, or the seed's cadence when it sets none."""
        return list(SEED_CALENDAR) if self.calendar is None else self.calendar


__all__ = ["RISK_CATEGORIES", "GovernanceSpec", "Level", "Risk", "RoiInputs"]
