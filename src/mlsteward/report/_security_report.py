"""The security scan report of `steward scan`: the verdict, the vulnerability audit (or that nothing was
audited), the flagged licences, the licence counts and the package list. Renders the result only."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from mlsteward.report._format import package_version, timestamp_text
from mlsteward.report._html import render_template


def render_security_report(result: Any, *, generated_at: _dt.datetime | None = None) -> str:
    """HTML of the report; ``result`` is a ``mlsteward.lifecycle.security_scan.ScanResult``."""
    scanned = _dt.datetime.fromtimestamp(result.scanned_at_ms / 1000, tz=_dt.UTC)
    return render_template("security_scan.html.j2", {
        "r": result, "licences": result.licences, "vulns": result.vulnerabilities, "version": package_version(),
        "scanned_at": timestamp_text(scanned), "generated_at": timestamp_text(generated_at or _dt.datetime.now(_dt.UTC))})


__all__ = ["render_security_report"]
