"""Governance records, computed: ROI and payback, the risk register's status, charter changes.

Pure functions of the numbers, the charter and the recorded owner actions handed in: no store.
"""

from mlsteward.governance.charter import changed_keys
from mlsteward.governance.risks import (
    OwnerAction,
    RiskRegister,
    RiskStatus,
    assess_risk,
    assess_risks,
    listed_on,
    risk_score,
)
from mlsteward.governance.roi import ROIResult, payback_months, roi

__all__ = [
    "OwnerAction",
    "ROIResult",
    "RiskRegister",
    "RiskStatus",
    "assess_risk",
    "assess_risks",
    "changed_keys",
    "listed_on",
    "payback_months",
    "risk_score",
    "roi",
]
