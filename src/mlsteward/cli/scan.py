"""``steward scan``: the dependency and licence review (SBOM, licence inventory, vulnerability audit),
recorded as the deployment gate's security evidence."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from mlsteward.cli.common import JSON, open_workspace, project_spec
from mlsteward.cli.output import console, err_console, print_json

if TYPE_CHECKING:
    from mlsteward.lifecycle.security_scan import ScanResult


def scan(
    lock: Path | None = typer.Option(None, "--lock", metavar="FILE", help="Scan the packages this pip lock file "
                                     "pins (NAME==VERSION lines, e.g. a bundle's requirements.lock) instead of "
                                     "this environment."),
    advisories: Path | None = typer.Option(None, "--advisories", metavar="PATH", help="An OSV advisory database: "
                                           "a JSON file, a folder of them or a .zip (default: security.advisories "
                                           "of steward.yaml)."),
    offline: bool = typer.Option(False, "--offline", help="Do not query pip-audit's service, even when pip-audit "
                                                          "is installed: audit against the OSV database only."),
    json_: bool = JSON,
) -> None:
    """Write the SBOM (CycloneDX), the licence inventory and the vulnerability audit of this environment (or of
    a lock file), record them as the project's security evidence (a run tagged kind=security-scan) and write
    .steward/reports/security-scan.html. Exits with 1 unless the scan passed: no disallowed licence, no known
    vulnerability, and the audit ran."""
    from mlsteward.lifecycle.security_scan import run_scan

    workspace = open_workspace()
    spec = project_spec(workspace)
    if not json_:
        err_console.print(f"scanning {lock or 'this environment'} (the SBOM takes a few seconds)", highlight=False)
    result = run_scan(workspace, spec, lock_file=lock, advisories=advisories, online=not offline)
    if json_:
        print_json(result)
    else:
        _print(result)
    if not result.passed:
        raise typer.Exit(1)


def _print(result: ScanResult) -> None:
    licences, vulns = result.licences, result.vulnerabilities
    console.print(f"{result.packages} packages ({result.target}); SBOM {result.sbom_format}, "
                  f"{result.sbom_components} components", highlight=False, soft_wrap=True)
    if licences.flagged:
        console.print(f"licences flagged: {len(licences.flagged)}", style="red", highlight=False)
        for p in licences.flagged:
            console.print(f"  {p.name} {p.version}: {p.reason}", highlight=False, soft_wrap=True)
    else:
        disallowed = ", ".join(licences.disallowed) or "none set"
        console.print(f"licences flagged: 0 (disallowed: {disallowed})", highlight=False, soft_wrap=True)
    if vulns.status != "audited":
        console.print(f"vulnerabilities: NOT AUDITED: {vulns.message}", style="bold red", highlight=False,
                      soft_wrap=True)
    else:
        console.print(f"vulnerabilities: {vulns.message}", style="red" if vulns.findings else None, highlight=False,
                      soft_wrap=True)
        for v in vulns.findings:
            fixed = f"fixed in {', '.join(v.fixed_versions)}" if v.fixed_versions else "no fix yet"
            console.print(f"  {v.package} {v.version}: {v.advisory} ({fixed}) {v.summary or ''}".rstrip(),
                          highlight=False, soft_wrap=True)
    for note in vulns.notes:
        err_console.print(f"note: {note}", style="dim", highlight=False, soft_wrap=True)
    console.print(f"{'passed' if result.passed else 'NOT passed'}; report: {result.report_path}", highlight=False,
                  soft_wrap=True)
    if result.run_id:
        err_console.print(f"recorded as run {result.run_id[:8]} (kind=security-scan) in {result.project}",
                          highlight=False)


__all__ = ["scan"]
