"""`steward scan`: the dependency and licence review, recorded as evidence for the deployment gate.

``run_scan`` reads the packages (this environment, or a lock file's pins with the licences of the
installed copies), builds the licence inventory against ``security.disallowed_licences`` of steward.yaml,
audits the packages for known vulnerabilities (pip-audit's service when pip-audit is installed and
answers, else the OSV database given by ``advisories`` or ``security.advisories``, else nothing: the
scan then says it was not audited) and builds the CycloneDX SBOM.

It records one finished run in the project's experiment tagged ``kind=security-scan``,
``stage=deployment``, ``audit_status`` (audited / not_audited) and ``passed``; metrics ``packages``,
``licences_flagged`` and, only when the audit ran, ``vulnerabilities`` (a scan that audited nothing logs
no vulnerability count, so no reader can take it for zero); artifacts ``sbom.cdx.json``,
``licences.json``, ``vulnerabilities.json`` and the HTML report ``security-scan.html``, also written to
``.steward/reports/security-scan.html`` beside steward.yaml.

A scan passed when no licence is flagged, no vulnerability was found, and the audit ran.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, computed_field

from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.run_reports import keep_report
from mlsteward.lifecycle.training import start_run_record
from mlsteward.report._security_report import render_security_report
from mlsteward.security.advisories import VulnerabilityReport, audit, load_advisories
from mlsteward.security.inventory import installed_distributions, locked_requirements, with_installed_licences
from mlsteward.security.licences import LicenceReport, licence_inventory
from mlsteward.security.online_audit import AuditUnavailable, pip_audit_report
from mlsteward.security.sbom import SPEC_VERSION, build_sbom
from mlsteward.spec_security import SecuritySpec
from mlsteward.workspace import Workspace

KIND = "security-scan"
SBOM_ARTIFACT = "sbom.cdx.json"
LICENCES_ARTIFACT = "licences.json"
VULNERABILITIES_ARTIFACT = "vulnerabilities.json"
REPORT_ARTIFACT = "security-scan.html"


class ScanResult(BaseModel):
    """One security scan: what was scanned, the licence inventory, the vulnerability audit, the SBOM's size,
    and where it was recorded."""

    project: str
    target: str  # "environment" or "lock file PATH"
    packages: int
    licences: LicenceReport
    vulnerabilities: VulnerabilityReport
    sbom_format: str  # "CycloneDX 1.6"
    sbom_components: int
    scanned_at_ms: int
    run_id: str | None = None
    report_path: str | None = None

    @computed_field
    @property
    def problems(self) -> list[str]:
        """Why the scan did not pass (empty when it passed)."""
        found = [f"{p.name} {p.version}: {p.reason}" for p in self.licences.flagged]
        if self.vulnerabilities.status != "audited":
            found.append(self.vulnerabilities.message)
        found += [f"{v.package} {v.version}: {v.advisory}" for v in self.vulnerabilities.findings]
        return found

    @computed_field
    @property
    def passed(self) -> bool:
        return not self.problems


def run_scan(workspace: Workspace, spec: Any, *, lock_file: str | Path | None = None,
             advisories: str | Path | None = None, disallowed: list[str] | None = None,
             online: bool = True) -> ScanResult:
    """Scan, record the scan as a run of experiment ``spec.project`` and write its report (see the module
    docstring). ``lock_file`` and ``advisories`` given here are read as given (relative to the current
    folder); ``security.advisories`` of steward.yaml is relative to steward.yaml. ``disallowed`` replaces
    ``security.disallowed_licences``; ``online=False`` skips pip-audit's service even when it is installed.

    Inputs are checked before anything is recorded: an unpinned lock line or an unreadable advisory
    database raises InvalidInput and records nothing."""
    security = getattr(spec, "security", None) or SecuritySpec()
    root = Path(workspace.settings.project_root)  # steward.yaml's folder
    lock = Path(lock_file) if lock_file is not None else None
    if lock is not None and not lock.is_file():
        raise InvalidInput(f"no lock file at {str(lock)!r}: give a pinned requirements file (pip freeze > FILE)")
    database_path = Path(advisories) if advisories is not None else (
        _beside(root, security.advisories) if security.advisories else None)

    installed = installed_distributions()
    packages = with_installed_licences(locked_requirements(lock), installed) if lock is not None else installed
    database = load_advisories(database_path) if database_path is not None else None
    licences = licence_inventory(packages, security.disallowed_licences if disallowed is None else disallowed,
                                 allowed_unknown=security.allow_unknown_licences)
    vulnerabilities = _audit(packages, database, lock, online)
    sbom = build_sbom(lock)

    target = f"lock file {lock}" if lock is not None else "environment"
    result = ScanResult(project=spec.project, target=target, packages=len(packages), licences=licences,
                        vulnerabilities=vulnerabilities,
                        sbom_format=f"CycloneDX {sbom.get('specVersion', SPEC_VERSION)}",
                        sbom_components=len(sbom.get("components", [])), scanned_at_ms=time.time_ns() // 1_000_000)
    return _record(workspace, result, sbom)


def _audit(packages: list, database: Any, lock: Path | None, online: bool) -> VulnerabilityReport:
    """pip-audit's service first (when installed and asked for), then the OSV database, else not audited."""
    reasons = []
    if online:
        try:
            return pip_audit_report(lock)
        except AuditUnavailable as exc:
            reasons.append(f"online audit unavailable: {exc}")
    report = audit(packages, database)
    return report.model_copy(update={"notes": reasons + report.notes})


def _record(workspace: Workspace, result: ScanResult, sbom: dict) -> ScanResult:
    vulnerabilities = result.vulnerabilities
    tags = {"kind": KIND, "stage": "deployment", "audit_status": vulnerabilities.status,
            "passed": str(result.passed).lower()}
    with start_run_record(workspace, result.project, KIND, None, None, tags) as run:
        params = {"target": result.target, "advisory_source": vulnerabilities.source,
                  "disallowed_licences": ", ".join(result.licences.disallowed) or "-", "sbom_format": result.sbom_format}
        if vulnerabilities.database_date:
            params["database_date"] = vulnerabilities.database_date
        run.log_params(params)
        metrics = {"packages": result.packages, "licences_flagged": len(result.licences.flagged)}
        if vulnerabilities.status == "audited":
            metrics["vulnerabilities"] = len(vulnerabilities.findings)
        run.log_metrics(metrics)
        run.log_bytes(json.dumps(sbom, indent=2).encode(), SBOM_ARTIFACT)
        run.log_bytes(result.licences.model_dump_json(indent=2).encode(), LICENCES_ARTIFACT)
        run.log_bytes(vulnerabilities.model_dump_json(indent=2).encode(), VULNERABILITIES_ARTIFACT)
        result = result.model_copy(update={"run_id": run.id})
        path = keep_report(workspace, run, render_security_report(result), REPORT_ARTIFACT)
    return result.model_copy(update={"report_path": str(path)})


def _beside(root: Path, path: str) -> Path:
    given = Path(path).expanduser()
    return given if given.is_absolute() else root / given


__all__ = ["KIND", "LICENCES_ARTIFACT", "REPORT_ARTIFACT", "SBOM_ARTIFACT", "VULNERABILITIES_ARTIFACT", "ScanResult",
           "run_scan"]
