"""Dependency and licence review: the package inventory, the licence inventory, the vulnerability audit
against an OSV advisory database (or pip-audit's service), and the CycloneDX SBOM.

Pure computation over what is installed or locked: results are pydantic models; recording them as
evidence is ``mlsteward.lifecycle.security_scan``'s job.
"""

from mlsteward.security.advisories import (
    AdvisoryDatabase,
    Vulnerability,
    VulnerabilityReport,
    audit,
    load_advisories,
    not_audited,
)
from mlsteward.security.inventory import (
    Distribution,
    installed_distributions,
    locked_requirements,
    with_installed_licences,
)
from mlsteward.security.licences import LicenceReport, PackageLicence, licence_inventory, normalise_licence
from mlsteward.security.online_audit import AuditUnavailable, pip_audit_report
from mlsteward.security.sbom import build_sbom, sbom_components

__all__ = [
    "AdvisoryDatabase",
    "AuditUnavailable",
    "Distribution",
    "LicenceReport",
    "PackageLicence",
    "Vulnerability",
    "VulnerabilityReport",
    "audit",
    "build_sbom",
    "installed_distributions",
    "licence_inventory",
    "load_advisories",
    "locked_requirements",
    "normalise_licence",
    "not_audited",
    "pip_audit_report",
    "sbom_components",
    "with_installed_licences",
]
