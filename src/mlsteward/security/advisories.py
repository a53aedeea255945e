"""The vulnerability audit against an advisory database in OSV format (https://ossf.github.io/osv-schema/).

``load_advisories`` reads a JSON file holding one OSV record or a list of them (or an osv.dev API answer,
``{"vulns": [...]}``), a folder of ``*.json`` records (searched recursively), or a ``.zip`` of them (the
``PyPI/all.zip`` export of osv.dev, for machines that cannot reach any advisory service).

``audit`` matches installed (or locked) packages against the records: names compared per PEP 503
(``Jinja2`` is ``jinja2``), versions with ``packaging.version``. A version is affected when an advisory lists
it in ``affected[].versions`` or it falls in an ``ECOSYSTEM`` range: the events sorted by version, an
``introduced`` at or below it opens the range, a ``fixed`` at or below it or a ``last_affected`` below it
closes it (``introduced: "0"`` is the first version). Withdrawn advisories are ignored; ``GIT`` ranges
name commits, not versions, and are skipped.

With no database, the report says plainly that nothing was audited: its status is ``not_audited`` and
it never reads as "no vulnerabilities".
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, ConfigDict, ValidationError, computed_field

from mlsteward.errors import InvalidInput
from mlsteward.security.inventory import Distribution

NOT_AUDITED = "no vulnerability database was available: nothing was audited"
STALE_DAYS = 30  # an advisory database whose newest record is older than this is reported as stale
_ECOSYSTEM = "pypi"
_VERSION_RANGES = ("ECOSYSTEM", "SEMVER")
_FRACTION = re.compile(r"(\.\d{6})\d+")  # OSV times may carry nanoseconds; Python reads microseconds


class _Osv(BaseModel):
    model_config = ConfigDict(extra="ignore")


class OsvEvent(_Osv):
    introduced: str | None = None
    fixed: str | None = None
    last_affected: str | None = None
    limit: str | None = None


class OsvRange(_Osv):
    type: str
    events: list[OsvEvent] = []


class OsvPackage(_Osv):
    ecosystem: str
    name: str


class OsvAffected(_Osv):
    package: OsvPackage | None = None
    ranges: list[OsvRange] = []
    versions: list[str] = []
    ecosystem_specific: dict[str, Any] | None = None
    database_specific: dict[str, Any] | None = None


class OsvSeverity(_Osv):
    type: str
    score: str


class OsvRecord(_Osv):
    """One advisory, with the OSV fields the audit reads (others are kept out)."""

    id: str
    summary: str | None = None
    details: str | None = None
    aliases: list[str] = []
    modified: str | None = None
    withdrawn: str | None = None
    affected: list[OsvAffected] = []
    severity: list[OsvSeverity] = []
    database_specific: dict[str, Any] | None = None


class AdvisoryDatabase(BaseModel):
    """The advisories read from one place: where (``source``), the records, and the newest ``modified``."""

    source: str  # osv-file:PATH
    records: list[OsvRecord]
    database_date: str | None  # ISO 8601, UTC: the newest `modified` among the records


class Vulnerability(BaseModel):
    package: str
    version: str
    advisory: str  # the advisory's id (PYSEC-…, GHSA-…)
    aliases: list[str] = []  # CVE-…, other ids
    summary: str | None = None
    fixed_versions: list[str] = []
    severity: str | None = None  # as the advisory gives it: MODERATE, HIGH, or a CVSS vector


class VulnerabilityReport(BaseModel):
    """What the audit found, against which database, or that nothing could be audited."""

    status: Literal["audited", "not_audited"]
    source: str  # osv-file:PATH, pip-audit, none
    database_date: str | None = None
    audited_packages: int = 0
    findings: list[Vulnerability] = []
    notes: list[str] = []

    @computed_field
    @property
    def message(self) -> str:
        """One sentence for people: never "no vulnerabilities" when nothing was audited."""
        if self.status == "not_audited":
            return NOT_AUDITED
        against = f"against {self.source}" + (f" (advisories up to {self.database_date[:10]})"
                                               if self.database_date else "")
        if not self.findings:
            return f"no known vulnerabilities in {self.audited_packages} packages {against}"
        packages = len({f.package for f in self.findings})
        return (f"{len(self.findings)} known vulnerabilit{'y' if len(self.findings) == 1 else 'ies'} in {packages} "
                f"package{'' if packages == 1 else 's'} {against}")


def not_audited(*reasons: str) -> VulnerabilityReport:
    """The report of an audit that could not run, with why."""
    return VulnerabilityReport(status="not_audited", source="none", notes=[r for r in reasons if r])


def load_advisories(path: str | Path) -> AdvisoryDatabase:
    """Read an OSV database from ``path`` (see the module docstring). Raises InvalidInput naming the file
    (and record) that cannot be read, or when there is no record at all."""
    where = Path(path)
    if where.is_dir():
        files = sorted(where.rglob("*.json"))
        if not files:
            raise InvalidInput(f"the advisory folder {str(where)!r} holds no *.json OSV records: download them "
                               f"(e.g. osv.dev's PyPI/all.zip, unzipped) or point to an OSV JSON file")
        records = [r for f in files for r in _records(_read_json(f.read_bytes, f), str(f))]
    elif where.is_file() and where.suffix.lower() == ".zip":
        records = _zip_records(where)
    elif where.is_file():
        records = _records(_read_json(where.read_bytes, where), str(where))
    else:
        raise InvalidInput(f"no advisory database at {str(where)!r}: give an OSV JSON file, a folder of them or "
                           f"a .zip of them (--advisories PATH, or security.advisories in steward.yaml)")
    if not records:
        raise InvalidInput(f"the advisory database {str(where)!r} holds no OSV records: an empty database "
                           f"would audit nothing; give one with the advisories of your packages' ecosystem")
    dates = [d for d in (_when(r.modified) for r in records) if d is not None]
    newest = max(dates).isoformat().replace("+00:00", "Z") if dates else None
    return AdvisoryDatabase(source=f"osv-file:{where}", records=records, database_date=newest)


def audit(packages: Sequence[Distribution], database: AdvisoryDatabase | None, *,
          now: _dt.datetime | None = None) -> VulnerabilityReport:
    """The known vulnerabilities of ``packages`` in ``database``; with no database, a ``not_audited``
    report. A database whose newest record is older than ``STALE_DAYS`` gets a note saying so."""
    if database is None:
        return not_audited("no advisory database was given and no advisory service was reachable: give an "
                           "OSV database with --advisories PATH (or security.advisories in steward.yaml)")
    index: dict[str, list[tuple[OsvRecord, OsvAffected]]] = {}
    for record in database.records:
        if record.withdrawn:
            continue
        for affected in record.affected:
            if affected.package is not None and affected.package.ecosystem.lower() == _ECOSYSTEM:
                index.setdefault(canonicalize_name(affected.package.name), []).append((record, affected))
    findings, notes = [], []
    for package in packages:
        version = _version(package.version)
        if version is None and package.key in index:
            notes.append(f"{package.name} {package.version} is no PEP 440 version: only advisories that list "
                         f"it exactly were checked")
        hits: dict[str, tuple[OsvRecord, list[str], str | None]] = {}
        for record, affected in index.get(package.key, []):
            hit, fixed = _affects(affected, package.version, version)
            if hit:
                _, known, severity = hits.get(record.id, (record, [], None))
                hits[record.id] = (record, known + [f for f in fixed if f not in known],
                                   severity or _severity(record, affected))
        for record, fixed, severity in hits.values():
            findings.append(Vulnerability(package=package.name, version=package.version, advisory=record.id,
                                          aliases=record.aliases, summary=_summary(record),
                                          fixed_versions=_sorted_versions(fixed), severity=severity))
    notes.extend(_staleness(database.database_date, now))
    return VulnerabilityReport(status="audited", source=database.source, database_date=database.database_date,
                               audited_packages=len(packages), findings=findings, notes=notes)


# --------------------------------------------------------------------------- reading


def _read_json(read, where: Path | str) -> Any:
    try:
        return json.loads(read())
    except OSError as exc:
        raise InvalidInput(f"cannot read the advisory file {str(where)!r} ({exc}): check the path and its "
                           f"permissions") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"the advisory file {str(where)!r} is not JSON ({exc}): give OSV records in JSON "
                           f"(https://ossf.github.io/osv-schema/)") from exc


def _records(data: Any, where: str) -> list[OsvRecord]:
    if isinstance(data, dict) and "id" not in data and isinstance(data.get("vulns"), list):
        data = data["vulns"]  # an osv.dev query answer
    items = data if isinstance(data, list) else [data]
    records = []
    for i, item in enumerate(items):
        at = where if not isinstance(data, list) else f"{where} record [{i}]"
        if not isinstance(item, dict):
            raise InvalidInput(f"{at} is a {type(item).__name__}, not an OSV record (a JSON object with an "
                               f"'id' and 'affected' packages)")
        try:
            records.append(OsvRecord.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "record"
            raise InvalidInput(f"{at} is not a valid OSV record: {field}: {first['msg']} (see "
                               f"https://ossf.github.io/osv-schema/)") from exc
    return records


def _zip_records(where: Path) -> list[OsvRecord]:
    try:
        with zipfile.ZipFile(where) as archive:
            names = sorted(n for n in archive.namelist() if n.lower().endswith(".json"))
            return [r for n in names
                    for r in _records(_read_json(lambda n=n: archive.read(n), f"{where}:{n}"), f"{where}:{n}")]
    except zipfile.BadZipFile as exc:
        raise InvalidInput(f"the advisory file {str(where)!r} is not a valid zip archive ({exc}): download it "
                           f"again, or unzip it and point to the folder") from exc


def _when(text: str | None) -> _dt.datetime | None:
    if not text:
        return None
    try:
        moment = _dt.datetime.fromisoformat(_FRACTION.sub(r"\1", text.strip()))
    except ValueError:
        return None
    return moment.replace(tzinfo=_dt.UTC) if moment.tzinfo is None else moment.astimezone(_dt.UTC)


def _staleness(database_date: str | None, now: _dt.datetime | None) -> list[str]:
    newest = _when(database_date)
    if newest is None:
        return ["the advisory database gives no modification dates: how current it is is unknown"]
    age = ((now or _dt.datetime.now(_dt.UTC)) - newest).days
    if age > STALE_DAYS:
        return [(f"the advisory database is stale: its newest advisory was modified {age} days ago "
                 f"({database_date[:10]}); vulnerabilities published since are not covered: refresh it")]
    return []


# --------------------------------------------------------------------------- matching


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _affects(affected: OsvAffected, text: str, version: Version | None) -> tuple[bool, list[str]]:
    """Whether version ``text`` is affected, and the fixed versions the matching ranges name."""
    hit = text in affected.versions or (version is not None and any(_version(v) == version
                                                                    for v in affected.versions))
    fixed: list[str] = []
    for rng in affected.ranges:
        if rng.type.upper() not in _VERSION_RANGES:
            continue
        in_range = version is not None and _in_range(rng.events, version)
        if in_range is None:
            continue  # a version in this range is not PEP 440: the explicit versions decide
        hit = hit or in_range
        fixed.extend(e.fixed for e in rng.events if e.fixed)
    return hit, fixed if hit else []


def _in_range(events: Iterable[OsvEvent], version: Version) -> bool | None:
    ordered = []
    for event in events:
        for kind in ("introduced", "fixed", "last_affected"):
            value = getattr(event, kind)
            if value is None:
                continue
            bound = Version("0") if kind == "introduced" and value == "0" else _version(value)
            if bound is None:
                return None
            ordered.append((bound, kind))
    affected = False
    for bound, kind in sorted(ordered, key=lambda e: e[0]):
        if kind == "introduced" and version >= bound:
            affected = True
        elif (kind == "fixed" and version >= bound) or (kind == "last_affected" and version > bound):
            affected = False
    return affected


def _severity(record: OsvRecord, affected: OsvAffected) -> str | None:
    for extra in (record.database_specific, affected.ecosystem_specific, affected.database_specific):
        if extra and isinstance(extra.get("severity"), str):
            return extra["severity"]
    return f"{record.severity[0].type} {record.severity[0].score}" if record.severity else None


def _summary(record: OsvRecord) -> str | None:
    if record.summary:
        return record.summary.strip()
    if record.details:
        first = record.details.strip().splitlines()[0]
        return first if len(first) <= 200 else first[:199] + "…"
    return None


def _sorted_versions(versions: list[str]) -> list[str]:
    return sorted(dict.fromkeys(versions), key=lambda v: (_version(v) is None, _version(v) or Version("0"), v))


__all__ = ["NOT_AUDITED", "STALE_DAYS", "AdvisoryDatabase", "OsvRecord", "Vulnerability", "VulnerabilityReport",
           "audit", "load_advisories", "not_audited"]
