"""`steward scan` end to end: the workflow records one run with the SBOM, the licence inventory and the
audit as artifacts; a scan with no advisory database says it audited nothing and does not pass; bad
inputs record nothing; the command prints the summary and exits 1 unless the scan passed."""

from __future__ import annotations

import json
from importlib.metadata import version as installed_version
from pathlib import Path
from types import SimpleNamespace

import pytest
import typer
from packaging.version import Version
from typer.testing import CliRunner

from mlsteward.cli import scan
from mlsteward.cli.main import StewardGroup
from mlsteward.cli.main import app as main_app
from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.evidence_lookup import latest_security_scan
from mlsteward.lifecycle.security_scan import ScanResult, run_scan
from mlsteward.security import build_sbom
from mlsteward.settings import Settings
from mlsteward.spec import Spec
from mlsteward.spec_security import SecuritySpec
from mlsteward.workspace import Workspace

JINJA2 = installed_version("jinja2")
NUMPY = installed_version("numpy")
SPEC = Spec.model_validate({"project": "scanned", "charter": {"problem": "p", "decision": "d",
                                                              "prediction_target": "t"}})
ARTIFACTS = ["licences.json", "sbom.cdx.json", "security-scan.html", "vulnerabilities.json"]


def _advisories(path: Path, *, hits_jinja2: bool = True) -> Path:
    v = Version(JINJA2)
    fixed = f"{v.major}.{v.minor}.{v.micro + 1}" if hits_jinja2 else "2.11.3"
    records = [{"id": "TEST-JINJA", "modified": "2099-01-01T00:00:00Z", "summary": "template injection",
                "aliases": ["CVE-2099-1"],
                "affected": [{"package": {"ecosystem": "PyPI", "name": "Jinja2"},
                              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, {"fixed": fixed}]}]}]}]
    path.write_text(json.dumps(records))
    return path


def _workspace(root: Path) -> Workspace:
    return Workspace(Settings(project_root=root, spec_path=None, store_url=f"sqlite:///{root / 's.db'}",
                              artifacts_url=str(root / "artifacts")))


@pytest.fixture(scope="module")
def environment_scan(tmp_path_factory: pytest.TempPathFactory):
    """One scan of this environment (the SBOM subprocess runs once for the module)."""
    root = tmp_path_factory.mktemp("scan")
    workspace = _workspace(root)
    result = run_scan(workspace, SPEC, advisories=_advisories(root / "osv.json"), disallowed=["LGPL-3.0"],
                      online=False)
    yield workspace, result
    workspace.store.close()


def _artifact(workspace: Workspace, run_id: str, name: str) -> bytes:
    entry = next(a for a in workspace.store.runs.get(run_id).artifacts if a.path == name)
    return workspace.artifacts.get_bytes(entry.digest)


def test_the_scan_is_recorded_as_one_run_with_its_evidence(environment_scan: tuple[Workspace, ScanResult]) -> None:
    workspace, result = environment_scan
    (run,) = workspace.store.runs.search("tags.kind = 'security-scan'", experiment="scanned")
    assert run.id == result.run_id and run.status == "finished"
    assert run.tags == {"kind": "security-scan", "stage": "deployment", "audit_status": "audited", "passed": "false"}
    assert run.metrics == {"packages": result.packages, "licences_flagged": len(result.licences.flagged),
                           "vulnerabilities": 1}
    assert sorted(a.path for a in run.artifacts) == ARTIFACTS
    assert run.params["advisory_source"].startswith("osv-file:") and run.params["database_date"].startswith("2099")

    vulnerabilities = json.loads(_artifact(workspace, run.id, "vulnerabilities.json"))
    assert vulnerabilities["status"] == "audited"
    assert [(f["package"], f["version"], f["advisory"]) for f in vulnerabilities["findings"]] == \
        [("Jinja2", JINJA2, "TEST-JINJA")]
    licences = json.loads(_artifact(workspace, run.id, "licences.json"))
    assert {p["name"] for p in licences["flagged"]} == {p.name for p in result.licences.flagged}
    assert all("LGPL-3.0" in p["licence"] for p in licences["flagged"])  # psycopg is LGPL-3.0-only

    evidence = latest_security_scan(workspace, "scanned")
    assert evidence is not None and (evidence.run_id, evidence.passed, evidence.vulnerabilities) == (run.id, False, 1)
    assert evidence.link.digest == evidence.report_digest


def test_the_sbom_is_cyclonedx_with_the_installed_numpy(environment_scan: tuple[Workspace, ScanResult]) -> None:
    workspace, result = environment_scan
    sbom = json.loads(_artifact(workspace, result.run_id, "sbom.cdx.json"))
    assert sbom["bomFormat"] == "CycloneDX" and sbom["specVersion"] == "1.6"
    components = {c["name"].lower(): c for c in sbom["components"]}
    assert components["numpy"]["version"] == NUMPY and components["numpy"]["purl"] == f"pkg:pypi/numpy@{NUMPY}"
    assert result.sbom_components == len(sbom["components"]) >= result.packages - 5


def test_the_result_and_its_report(environment_scan: tuple[Workspace, ScanResult]) -> None:
    _, result = environment_scan
    assert not result.passed and f"Jinja2 {JINJA2}: TEST-JINJA" in result.problems
    assert result.target == "environment" and result.vulnerabilities.message.startswith("1 known vulnerability")
    report = Path(result.report_path)
    assert report.name == "security-scan.html" and report.parent.name == "reports"
    html = report.read_text()
    assert "Security scan: scanned" in html and "TEST-JINJA" in html and "template injection" in html


def test_a_lock_file_scan_with_no_database_audits_nothing_and_does_not_pass(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text(f"numpy=={NUMPY}\njinja2=={JINJA2}\n")
    workspace = _workspace(tmp_path)
    try:
        result = run_scan(workspace, SPEC, lock_file=lock, online=False)
        assert result.packages == 2 and result.target == f"lock file {lock}"
        assert result.vulnerabilities.status == "not_audited" and not result.passed
        assert result.problems == ["no vulnerability database was available: nothing was audited"]
        assert "no vulnerabilities" not in result.model_dump_json().lower()
        run = workspace.store.runs.get(result.run_id)
        assert run.tags["audit_status"] == "not_audited" and run.tags["passed"] == "false"
        assert "vulnerabilities" not in run.metrics  # no count that could be read as zero
        assert "nothing was audited" in Path(result.report_path).read_text()
    finally:
        workspace.store.close()


def test_the_lock_file_sbom_passes_cyclonedx_schema_validation(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text(f"numpy=={NUMPY}\njinja2=={JINJA2}\n")
    sbom = build_sbom(lock, validate=True)  # cyclonedx-bom's own schema check, on a small document
    assert sorted((c["name"], c["version"]) for c in sbom["components"]) == [("jinja2", JINJA2), ("numpy", NUMPY)]


def test_the_spec_gives_the_licence_policy_and_the_database_beside_steward_yaml(tmp_path: Path) -> None:
    folder = tmp_path / "advisories"
    folder.mkdir()
    _advisories(folder / "jinja.json", hits_jinja2=False)
    lock = tmp_path / "requirements.lock"
    lock.write_text(f"jinja2=={JINJA2}\n")
    spec = SimpleNamespace(project="scanned", security=SecuritySpec(disallowed_licences=["BSD"],
                                                                    advisories="advisories"))
    workspace = _workspace(tmp_path)
    try:
        result = run_scan(workspace, spec, lock_file=lock, online=False)
        assert result.vulnerabilities.status == "audited" and result.vulnerabilities.findings == []
        assert result.vulnerabilities.source == f"osv-file:{folder}"
        assert result.licences.disallowed == ["BSD"] and [p.name for p in result.licences.flagged] == ["jinja2"]
        clean = run_scan(workspace, spec, lock_file=lock, disallowed=[], online=False)
        assert clean.passed and clean.problems == []
        assert latest_security_scan(workspace, "scanned").passed
    finally:
        workspace.store.close()


def test_bad_inputs_are_clear_errors_and_record_nothing(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    try:
        unpinned = tmp_path / "requirements.lock"
        unpinned.write_text(f"jinja2=={JINJA2}\nnumpy>=1.26\n")
        with pytest.raises(InvalidInput, match=r"requirements.lock line 2: 'numpy>=1.26' is not pinned with =="):
            run_scan(workspace, SPEC, lock_file=unpinned, online=False)
        broken = tmp_path / "osv.json"
        broken.write_text("[{")
        with pytest.raises(InvalidInput, match=r"osv.json' is not JSON"):
            run_scan(workspace, SPEC, advisories=broken, online=False)
        with pytest.raises(InvalidInput, match=r"no lock file at .*missing.lock"):
            run_scan(workspace, SPEC, lock_file=tmp_path / "missing.lock", online=False)
        assert workspace.store.runs.search("tags.kind = 'security-scan'", experiment="scanned") == []
    finally:
        workspace.store.close()


# --------------------------------------------------------------------------- the command

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer(cls=StewardGroup)
    app.command("scan")(scan.scan)
    app.command("noop")(lambda: None)  # two commands, so "scan" is a subcommand as in `steward`
    return app


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    created = runner.invoke(main_app, ["init", ".", "--name", "shop"])
    assert created.exit_code == 0, created.output
    (tmp_path / "requirements.lock").write_text(f"jinja2=={JINJA2}\n")
    return tmp_path


def test_the_command_prints_the_summary_and_fails_when_vulnerable(project: Path) -> None:
    _advisories(project / "osv.json")
    shown = runner.invoke(_app(), ["scan", "--lock", "requirements.lock", "--advisories", "osv.json", "--offline"])
    assert shown.exit_code == 1, shown.output
    assert "1 packages (lock file requirements.lock)" in shown.output
    assert "licences flagged: 0 (disallowed: none set)" in shown.output
    assert f"Jinja2 {JINJA2}: TEST-JINJA" in shown.output or f"jinja2 {JINJA2}: TEST-JINJA" in shown.output
    assert "NOT passed; report:" in shown.output and "security-scan.html" in shown.output

    as_json = runner.invoke(_app(), ["scan", "--lock", "requirements.lock", "--advisories", "osv.json", "--offline",
                                     "--json"])
    assert as_json.exit_code == 1
    body = json.loads(as_json.stdout)
    assert body["passed"] is False and body["vulnerabilities"]["findings"][0]["advisory"] == "TEST-JINJA"


def test_the_command_says_plainly_when_nothing_was_audited(project: Path) -> None:
    shown = runner.invoke(_app(), ["scan", "--lock", "requirements.lock", "--offline"])
    assert shown.exit_code == 1, shown.output
    assert "vulnerabilities: NOT AUDITED: no vulnerability database was available: nothing was audited" in \
        shown.output
    assert "no known vulnerabilities" not in shown.output


def test_the_command_passes_a_clean_lock_file_and_rejects_bad_input(project: Path) -> None:
    _advisories(project / "osv.json", hits_jinja2=False)
    shown = runner.invoke(_app(), ["scan", "--lock", "requirements.lock", "--advisories", "osv.json", "--offline"])
    assert shown.exit_code == 0, shown.output
    assert "no known vulnerabilities in 1 packages" in shown.output and "passed; report:" in shown.output

    (project / "bad.lock").write_text("jinja2\n")
    refused = runner.invoke(_app(), ["scan", "--lock", "bad.lock", "--offline"])
    assert refused.exit_code == 2
    assert "error: bad.lock line 1: 'jinja2' is not pinned with ==" in refused.output


def test_the_scan_is_the_deployment_gates_security_item_and_its_checklist(tmp_path: Path) -> None:
    from mlsteward.lifecycle.deliverables import deliverables
    from mlsteward.lifecycle.stage_gates import stage_gate

    workspace = _workspace(tmp_path)

    def item():  # noqa: ANN202
        gate = stage_gate(workspace, SPEC, "deployment")
        return next(i for i in gate.items if i.name == "security & compliance scan")

    def checklist():  # noqa: ANN202
        return next(d for d in deliverables(workspace, SPEC).deliverables if d.key == "security_checklist")

    assert item().passed is None and "steward scan" in item().command and checklist().status == "missing"
    run_scan(workspace, SPEC, online=False)  # no advisory database: not evidence either way
    assert item().passed is None and "could not audit" in item().detail
    assert "NOT audited" in checklist().note
    clean = run_scan(workspace, SPEC, advisories=_advisories(tmp_path / "osv.json", hits_jinja2=False),
                     disallowed=[], online=False)
    assert clean.passed and item().passed is True and item().evidence.ref == clean.run_id
    assert checklist().status == "present" and "0 known vulnerability" in checklist().note
    assert {e.file for e in checklist().evidence} == {"security-scan.html", "sbom.cdx.json"}
    run_scan(workspace, SPEC, advisories=_advisories(tmp_path / "osv.json"), online=False)  # jinja2 affected
    assert item().passed is False and stage_gate(workspace, SPEC, "deployment").decision == "fail"
    workspace.store.close()
