"""The OSV audit: matching worked by hand (ranges, last_affected, explicit versions, withdrawn records,
PEP 503 names), reading files / folders / zips, and the plain "not audited" answer without a database."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from importlib.metadata import version as installed_version
from pathlib import Path

import pytest
from packaging.version import Version

from mlsteward.errors import InvalidInput
from mlsteward.security import Distribution, audit, installed_distributions, load_advisories, not_audited
from mlsteward.security.advisories import NOT_AUDITED, AdvisoryDatabase, OsvRecord

JINJA2 = installed_version("jinja2")
NOW = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)


def _next_patch(text: str) -> str:
    v = Version(text)
    return f"{v.major}.{v.minor}.{v.micro + 1}"


def _record(id_: str, name: str, events: list[dict] | None = None, *, versions: list[str] | None = None,
            modified: str = "2025-02-01T00:00:00Z", ecosystem: str = "PyPI", **extra) -> dict:
    affected: dict = {"package": {"ecosystem": ecosystem, "name": name}}
    if events is not None:
        affected["ranges"] = [{"type": "ECOSYSTEM", "events": events}]
    if versions is not None:
        affected["versions"] = versions
    return {"id": id_, "modified": modified, "summary": f"summary of {id_}", "affected": [affected], **extra}


def _db(*records: dict) -> AdvisoryDatabase:
    return AdvisoryDatabase(source="osv-file:test", records=[OsvRecord.model_validate(r) for r in records],
                            database_date="2025-02-01T00:00:00Z")


def _found(packages: list[Distribution], *records: dict) -> set[tuple[str, str]]:
    return {(f.package, f.advisory) for f in audit(packages, _db(*records), now=NOW).findings}


@pytest.fixture
def advisory_file(tmp_path: Path) -> Path:
    """Three advisories for jinja2: one covering the installed version, one for old versions only, one
    whose last affected version is the installed one."""
    records = [
        _record("TEST-JINJA-IN", "Jinja2", [{"introduced": "0"}, {"fixed": _next_patch(JINJA2)}],
                aliases=["CVE-2099-0001"], database_specific={"severity": "HIGH"}),
        _record("TEST-JINJA-OLD", "jinja2", [{"introduced": "2.0"}, {"fixed": "2.11.3"}],
                modified="2024-06-01T00:00:00Z"),
        _record("TEST-JINJA-LAST", "jinja2", [{"introduced": "3.0.0"}, {"last_affected": JINJA2}],
                modified="2025-02-20T10:00:00.123456789Z"),
    ]
    path = tmp_path / "advisories.json"
    path.write_text(json.dumps(records))
    return path


def test_the_installed_jinja2_is_matched_by_its_range_and_last_affected(advisory_file: Path) -> None:
    packages = [d for d in installed_distributions() if d.key == "jinja2"]
    assert [p.version for p in packages] == [JINJA2]
    database = load_advisories(advisory_file)
    assert database.source == f"osv-file:{advisory_file}"
    assert database.database_date == "2025-02-20T10:00:00.123456Z"  # the newest `modified`

    report = audit(packages, database, now=NOW)
    assert report.status == "audited" and report.audited_packages == 1
    by_id = {f.advisory: f for f in report.findings}
    assert sorted(by_id) == ["TEST-JINJA-IN", "TEST-JINJA-LAST"]  # not TEST-JINJA-OLD (2.0 <= v < 2.11.3)
    hit = by_id["TEST-JINJA-IN"]
    assert (hit.package, hit.version, hit.aliases, hit.severity) == (packages[0].name, JINJA2, ["CVE-2099-0001"], "HIGH")
    assert hit.fixed_versions == [_next_patch(JINJA2)] and hit.summary == "summary of TEST-JINJA-IN"
    assert by_id["TEST-JINJA-LAST"].fixed_versions == []
    assert report.message.startswith("2 known vulnerabilities in 1 package against osv-file:")
    assert report.notes == []  # 9 days old: current


@pytest.mark.parametrize(("version", "affected"), [
    ("0.9", False), ("1.0", True), ("1.4.9", True), ("1.5", False), ("1.9", False), ("2.0rc1", False),
    ("2.0", True), ("2.3", True), ("2.3.post1", False), ("2.3.1", False), ("3.0", False),
])
def test_ranges_with_fixed_and_last_affected_worked_by_hand(version: str, affected: bool) -> None:
    # affected: [1.0, 1.5) and [2.0, 2.3]; events deliberately out of order
    events = [{"last_affected": "2.3"}, {"introduced": "1.0"}, {"introduced": "2.0"}, {"fixed": "1.5"}]
    found = _found([Distribution(name="pkg", version=version)], _record("R", "pkg", events))
    assert found == ({("pkg", "R")} if affected else set())


def test_explicit_versions_names_per_pep503_withdrawn_and_other_ecosystems() -> None:
    packages = [Distribution(name="Foo_Bar", version="1.2"), Distribution(name="jinja2", version="3.1.0"),
                Distribution(name="odd", version="not-a-version")]
    assert _found(packages, _record("LISTED", "foo-bar", versions=["1.0", "1.2.0"])) == {("Foo_Bar", "LISTED")}
    assert _found(packages, _record("UPPER", "JINJA2", [{"introduced": "0"}])) == {("jinja2", "UPPER")}
    assert _found(packages, _record("GONE", "jinja2", [{"introduced": "0"}],
                                    withdrawn="2025-01-01T00:00:00Z")) == set()
    assert _found(packages, _record("NPM", "jinja2", [{"introduced": "0"}], ecosystem="npm")) == set()
    assert _found(packages, _record("ODD", "odd", versions=["not-a-version"])) == {("odd", "ODD")}
    report = audit(packages, _db(_record("ODD2", "odd", [{"introduced": "0"}])), now=NOW)
    assert report.findings == [] and "odd not-a-version is no PEP 440 version" in report.notes[0]


def test_fixed_versions_of_several_ranges_are_merged_in_one_finding() -> None:
    record = _record("TWO", "pkg", [{"introduced": "1.0"}, {"fixed": "1.2"}])
    record["affected"].append({"package": {"ecosystem": "PyPI", "name": "pkg"},
                               "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.1"}, {"fixed": "1.10"}]}],
                               "ecosystem_specific": {"severity": "LOW"}})
    (finding,) = audit([Distribution(name="pkg", version="1.1.5")], _db(record), now=NOW).findings
    assert finding.fixed_versions == ["1.2", "1.10"] and finding.severity == "LOW"


def test_without_a_database_nothing_is_audited_and_it_says_so() -> None:
    report = audit([Distribution(name="jinja2", version=JINJA2)], None)
    assert report.status == "not_audited" and report.source == "none" and report.findings == []
    assert report.message == NOT_AUDITED == "no vulnerability database was available: nothing was audited"
    assert "no vulnerabilities" not in report.model_dump_json().lower()
    assert not_audited("offline").notes == ["offline"]


def test_a_stale_database_is_reported_as_stale(advisory_file: Path) -> None:
    report = audit([], load_advisories(advisory_file), now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert report.status == "audited"
    assert report.notes and report.notes[0].startswith("the advisory database is stale: its newest advisory was "
                                                       "modified 314 days ago (2025-02-20)")


def test_one_record_a_folder_and_a_zip_read_the_same(tmp_path: Path, advisory_file: Path) -> None:
    records = json.loads(advisory_file.read_text())
    folder = tmp_path / "osv" / "PyPI"
    folder.mkdir(parents=True)
    for r in records:
        (folder / f"{r['id']}.json").write_text(json.dumps(r))
    (tmp_path / "osv" / "README.txt").write_text("not json, not read")
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for r in records:
            z.writestr(f"{r['id']}.json", json.dumps(r))
    single = tmp_path / "one.json"
    single.write_text(json.dumps(records[0]))
    answer = tmp_path / "answer.json"
    answer.write_text(json.dumps({"vulns": records}))

    ids = sorted(r["id"] for r in records)
    for path in (folder.parent, archive, answer):
        assert sorted(r.id for r in load_advisories(path).records) == ids, path
    assert [r.id for r in load_advisories(single).records] == ["TEST-JINJA-IN"]


def test_unreadable_databases_are_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InvalidInput, match=r"bad.json' is not JSON .*osv-schema"):
        load_advisories(bad)
    with pytest.raises(InvalidInput, match=r"no advisory database at .*missing.json'.*--advisories PATH"):
        load_advisories(tmp_path / "missing.json")
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    with pytest.raises(InvalidInput, match="holds no OSV records: an empty database would audit nothing"):
        load_advisories(empty)
    no_id = tmp_path / "no_id.json"
    no_id.write_text(json.dumps([_record("OK", "x", [{"introduced": "0"}]), {"affected": []}]))
    with pytest.raises(InvalidInput, match=r"no_id.json record \[1\] is not a valid OSV record: id: Field required"):
        load_advisories(no_id)
    (tmp_path / "nothing").mkdir()
    with pytest.raises(InvalidInput, match="holds no \\*.json OSV records"):
        load_advisories(tmp_path / "nothing")
    not_zip = tmp_path / "db.zip"
    not_zip.write_text("plain text")
    with pytest.raises(InvalidInput, match="not a valid zip archive"):
        load_advisories(not_zip)
