"""The thin pip-audit path, against a stand-in ``pip_audit`` module that prints pip-audit's JSON: a
complete answer becomes the report; any package it could not audit means falling back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlsteward.security import AuditUnavailable, pip_audit_report
from mlsteward.security.online_audit import pip_audit_available


def _fake_pip_audit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: dict, exit_code: int = 0) -> None:
    package = tmp_path / "fake" / "pip_audit"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(f"import sys\nprint({json.dumps(json.dumps(answer))})\nsys.exit({exit_code})\n")
    monkeypatch.syspath_prepend(str(package.parent))
    monkeypatch.setenv("PYTHONPATH", str(package.parent))


def test_a_complete_pip_audit_answer_is_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = {"dependencies": [
        {"name": "jinja2", "version": "2.11.2", "vulns": [
            {"id": "PYSEC-2021-66", "fix_versions": ["2.11.3"], "aliases": ["CVE-2020-28493"], "description": "ReDoS"}]},
        {"name": "numpy", "version": "2.0.0", "vulns": []}], "fixes": []}
    _fake_pip_audit(tmp_path, monkeypatch, answer, exit_code=1)  # pip-audit exits 1 when it finds any
    assert pip_audit_available()
    report = pip_audit_report()
    assert (report.status, report.source, report.audited_packages) == ("audited", "pip-audit", 2)
    (finding,) = report.findings
    assert (finding.package, finding.version, finding.advisory, finding.fixed_versions, finding.aliases) == \
        ("jinja2", "2.11.2", "PYSEC-2021-66", ["2.11.3"], ["CVE-2020-28493"])


def test_packages_pip_audit_could_not_audit_mean_falling_back(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    answer = {"dependencies": [{"name": "numpy", "version": "2.0.0", "vulns": []},
                               {"name": "jinja2", "skip_reason": "Dependency not found on PyPI and could not be "
                                                                 "audited: jinja2 (3.1.6)"}], "fixes": []}
    _fake_pip_audit(tmp_path, monkeypatch, answer)
    with pytest.raises(AuditUnavailable, match=r"could not audit 1 of 2 packages \(jinja2: Dependency not found"):
        pip_audit_report()


def test_a_failing_pip_audit_means_falling_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_pip_audit(tmp_path, monkeypatch, {"error": "connection refused"}, exit_code=2)
    with pytest.raises(AuditUnavailable, match=r"pip-audit failed \(exit 2"):
        pip_audit_report()
