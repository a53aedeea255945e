"""The online vulnerability audit: pip-audit's service (the PyPI advisory database), when pip-audit is installed.

Thin by design. pip-audit is not a dependency of Steward and its Python API is not stable, so it is run as
``python -m pip_audit --format json`` with a short timeout, and any failure (not installed, no network, a
timeout, output it cannot parse, or a package it reports as "could not be audited") raises
``AuditUnavailable`` with the reason: the caller then falls back to an OSV file, or reports the scan as
not audited. A partial audit is not accepted: a package pip-audit skipped would read as clean.
"""

from __future__ import annotations

import datetime as _dt
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from mlsteward.security.advisories import Vulnerability, VulnerabilityReport

SOURCE = "pip-audit"
REQUEST_TIMEOUT = 10  # seconds per request to the service
TOTAL_TIMEOUT = 120  # seconds for the whole audit


class AuditUnavailable(Exception):
    """pip-audit could not give a complete audit; ``str(exc)`` says why."""


def pip_audit_available() -> bool:
    return importlib.util.find_spec("pip_audit") is not None


def pip_audit_report(lock_file: str | Path | None = None, *, timeout: float = TOTAL_TIMEOUT) -> VulnerabilityReport:
    """Audit this environment (or the pinned ``lock_file``) through pip-audit's service. Raises
    AuditUnavailable when that is not possible (see the module docstring)."""
    if not pip_audit_available():
        raise AuditUnavailable("pip-audit is not installed (pip install pip-audit to query the PyPI advisory service)")
    command = [sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off", "--desc", "on",
               "--timeout", str(REQUEST_TIMEOUT)]
    if lock_file is not None:
        command += ["--requirement", str(lock_file), "--no-deps", "--disable-pip"]
    started = _dt.datetime.now(_dt.UTC)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AuditUnavailable(f"pip-audit did not answer ({exc})") from exc
    if done.returncode not in (0, 1):  # 1: vulnerabilities found
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise AuditUnavailable(f"pip-audit failed (exit {done.returncode}: {tail[0]})")
    try:
        dependencies = json.loads(done.stdout)["dependencies"]
    except (ValueError, KeyError, TypeError) as exc:
        raise AuditUnavailable(f"pip-audit's output could not be read ({exc})") from exc
    skipped = [d for d in dependencies if "skip_reason" in d]
    if skipped:
        raise AuditUnavailable(f"pip-audit could not audit {len(skipped)} of {len(dependencies)} packages "
                               f"({skipped[0].get('name')}: {skipped[0].get('skip_reason')})")
    findings = [Vulnerability(package=d["name"], version=d["version"], advisory=v["id"],
                              aliases=list(v.get("aliases") or []), summary=(v.get("description") or None),
                              fixed_versions=list(v.get("fix_versions") or []))
                for d in dependencies for v in d.get("vulns") or []]
    return VulnerabilityReport(status="audited", source=SOURCE,
                               database_date=started.isoformat(timespec="seconds").replace("+00:00", "Z"),
                               audited_packages=len(dependencies), findings=findings,
                               notes=["audited through pip-audit's live service: advisories as of the scan"])


__all__ = ["AuditUnavailable", "pip_audit_available", "pip_audit_report"]
