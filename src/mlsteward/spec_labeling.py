"""The labeling part of ``steward.yaml``: who labels, who settles disagreements, and what an hour costs::

    charter:
      constraints:
        labeling_budget_usd: 5000        # what labeling may cost in all
      stakeholders:
        - {name: Ana Ruiz, role: annotator, user: ana}
        - {name: Ben Okafor, role: annotator, user: ben}
        - {name: Dana Whitfield, role: data_scientist, user: dana}

    labeling:
      hourly_rate_usd: 30                # an annotator's hour, for the cost per item
      adjudicator_roles: [data_scientist]  # roles that settle ties (default: any stakeholder)
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from mlsteward.spec_gates import SpecModel


class LabelingSpec(SpecModel):
    """Labeling: the annotator role, who adjudicates, and the hourly rate behind the cost per item."""

    annotator_role: str = Field("annotator", min_length=1,
                                description="the stakeholder role whose members label items in the web UI")
    adjudicator_roles: list[Annotated[str, Field(min_length=1)]] = Field(
        [], description="stakeholder roles that may settle a tie or a conflict; default: any stakeholder")
    hourly_rate_usd: float | None = Field(None, ge=0, description="what an annotator's hour costs (USD)")


__all__ = ["LabelingSpec"]
