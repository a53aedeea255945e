"""`steward deliverables export FOLDER`: the evidence pack a reviewer or auditor reads offline.

The folder holds:

- ``index.html``: the deliverables table (status colours, owners, evidence, notes) with links to the files
  below, and the audit trail's verification; self-contained (no script, no CDN).
- ``deliverables.json``: the same ``DeliverablesView`` that `steward deliverables --json` prints.
- ``audit.json``: the audit trail's verification (``store.audit.verify()``) at export time.
- ``manifest.json``: every file of the pack with its sha256, and the artifact digest it was copied from.
- ``artifacts/``: a copy of each artifact a present or stale deliverable is generated from (reports, model
  card, results), read from the artifact store through its digest (verified), deduplicated by digest.
  Raw data snapshots and fitted pipelines stay in the store (``in_pack`` is False): a pack must not
  carry the data's personal information.
- ``records/``: deliverables kept as store records rather than artifacts (charter version, KPI sheet,
  risk register, decision and change logs, the training runs, the data dictionary), written as files.

The pack is built in a hidden sibling folder and renamed into place once complete, so a crash leaves no
half pack; an existing non-empty folder is refused unless ``force`` (then it is replaced whole).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from mlsteward.errors import ArtifactCorrupted, NotFound
from mlsteward.lifecycle.deliverables import DeliverablesView, DeliverableView, Sources, deliverables_of
from mlsteward.lifecycle.folder_output import building_folder, check_target, file_sha256, install
from mlsteward.report._format import package_version, timestamp_text
from mlsteward.report._html import render_template
from mlsteward.spec import Spec
from mlsteward.store.audit import AuditVerification
from mlsteward.workspace import Workspace

STATUS_BADGE = {"present": "good", "stale": "warn", "missing": "bad"}


class PackFile(BaseModel):
    path: str  # relative to the pack's folder
    sha256: str  # of the file as written
    digest: str | None = None  # the artifact it was copied from (equal to sha256 for copies)
    deliverables: list[str]  # the keys of the deliverables it belongs to


class PackManifest(BaseModel):
    project: str
    generated_at_ms: int
    steward_version: str
    audit_ok: bool
    files: list[PackFile]


Records = Callable[[Sources, DeliverableView], dict[str, bytes]]
RECORDS: dict[str, Records] = {}


def records(*keys: str) -> Callable[[Records], Records]:
    """Register the function writing the record files of the deliverables ``keys``."""
    def register(function: Records) -> Records:
        for key in keys:
            RECORDS[key] = function
        return function
    return register


def export_evidence_pack(workspace: Workspace, spec: Spec, folder: str | os.PathLike[str], *,
                         force: bool = False) -> Path:
    """Write the evidence pack of the project into ``folder`` (see the module docstring); returns its path."""
    target = Path(folder).expanduser().absolute()
    check_target(target, force, "evidence pack")
    src = Sources(workspace, spec)
    view = deliverables_of(src)
    audit = workspace.store.audit.verify()
    building = building_folder(target)
    try:
        files = _write_pack(src, view, audit, building)
        manifest = PackManifest(project=view.project, generated_at_ms=view.generated_at_ms,
                                steward_version=package_version(), audit_ok=audit.ok, files=files)
        _write(building / "manifest.json", manifest.model_dump_json(indent=2).encode())
        install(building, target, force, "evidence pack")
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return target






def _write_pack(src: Sources, view: DeliverablesView, audit: AuditVerification, folder: Path) -> list[PackFile]:
    files: dict[str, PackFile] = {}
    by_digest: dict[str, str] = {}
    links: dict[str, list[tuple[str, str]]] = {}  # deliverable key -> (label, relative path)
    for item in view.deliverables:
        if item.status == "missing" and not item.evidence:
            continue
        for evidence in item.evidence:
            if not (evidence.digest and evidence.in_pack):
                continue
            if evidence.digest not in by_digest:
                name = f"artifacts/{_hex(evidence.digest)[:12]}-{_safe(evidence.file or 'artifact')}"
                _copy_artifact(src, evidence.digest, folder / name, item.name)
                by_digest[evidence.digest] = name
                files[name] = PackFile(path=name, sha256=evidence.digest, digest=evidence.digest, deliverables=[])
            path = by_digest[evidence.digest]
            files[path].deliverables.append(item.key)
            links.setdefault(item.key, []).append((evidence.file or path, path))
        if item.key in RECORDS and item.status != "missing":
            for name, content in RECORDS[item.key](src, item).items():
                path = f"records/{_safe(name)}"
                _write(folder / path, content)
                files[path] = PackFile(path=path, sha256=_sha256(content), deliverables=[item.key])
                links.setdefault(item.key, []).append((name, path))
    top = {"deliverables.json": view.model_dump_json(indent=2).encode(),
           "audit.json": audit.model_dump_json(indent=2).encode(), **_architecture_and_raci(src)}
    top["index.html"] = _index_html(view, audit, links, has_architecture="architecture.svg" in top).encode()
    for name, content in top.items():
        _write(folder / name, content)
        files[name] = PackFile(path=name, sha256=_sha256(content), deliverables=[])
    return sorted(files.values(), key=lambda f: f.path)


def _copy_artifact(src: Sources, digest: str, dest: Path, deliverable: str) -> None:
    """Copy an artifact out of the store, verified on read, then hashed again as written."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        src.workspace.artifacts.get_file(digest, dest)
    except (NotFound, ArtifactCorrupted) as exc:
        raise type(exc)(f"cannot export the {deliverable}: {exc.message}") from exc
    written = f"sha256:{file_sha256(dest)}"
    if written != digest:
        raise ArtifactCorrupted(f"cannot export the {deliverable}: the copy of {digest} hashes to {written}; "
                                "run the export again")


def _architecture_and_raci(src: Sources) -> dict[str, bytes]:
    """The generated architecture view (when anything is recorded) and the RACI matrix."""
    from mlsteward.lifecycle.architecture import architecture, mermaid, svg
    from mlsteward.lifecycle.raci import raci

    matrix = raci(src.spec)
    files = {"raci.csv": matrix.csv().encode(), "raci.json": matrix.model_dump_json(indent=2).encode()}
    try:
        view = architecture(src.workspace, src.spec)
    except NotFound:
        return files
    return {**files, "architecture.svg": svg(view).encode(), "architecture.mmd": mermaid(view).encode()}


def _index_html(view: DeliverablesView, audit: AuditVerification, links: dict[str, list[tuple[str, str]]], *,
                has_architecture: bool) -> str:
    return render_template("evidence_pack.html.j2", {
        "view": view.model_dump(mode="json"), "audit": audit.model_dump(mode="json"), "links": links,
        "has_architecture": has_architecture,
        "badge": STATUS_BADGE, "version": package_version(),
        "generated_at": timestamp_text(dt.datetime.fromtimestamp(view.generated_at_ms / 1000, tz=dt.UTC)),
        "when": _when})


def _when(ms: int | None) -> str:
    if ms is None:
        return "—"
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


# ----------------------------------------------------------------------------------------- records


def _json(value: object) -> bytes:
    if isinstance(value, BaseModel):
        return value.model_dump_json(indent=2).encode()
    if isinstance(value, list):
        value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    return json.dumps(value, indent=2, sort_keys=True, default=str).encode()


@records("project_charter")
def _charter(src: Sources, item: DeliverableView) -> dict[str, bytes]:
    latest = src.charter_versions[-1]
    return {f"charter-v{latest.version}.json": _json(latest)}


@records("kpi_sheet")
def _kpi_sheet(src: Sources, item: DeliverableView) -> dict[str, bytes]:
    latest = src.charter_versions[-1]
    sheet = {"project": latest.project, "charter_version": latest.version, "kpis": latest.charter.get("kpis"),
             "baseline": latest.charter.get("baseline"), "constraints": latest.charter.get("constraints")}
    return {f"kpi-sheet-v{latest.version}.json": _json(sheet)}


@records("risk_register")
def _risk_register(src: Sources, item: DeliverableView) -> dict[str, bytes]:
    return {"risk-register.json": _json(src.risk_register)}


@records("decision_log")
def _decision_log(src: Sources, item: DeliverableView) -> dict[str, bytes]:
    return {"decision-log.json": _json(src.store.governance.list_decisions(src.project))}


@records("change_log")
def _change_log(src: Sources, item: DeliverableView) -> dict[str, bytes]:
    return {"change-log.json": _json(src.store.governance.list_changes(src.project))}


@records("experimentation_logs")
def _experimentation_logs(src: Sources, item: DeliverableView) -> dict[str, bytes]:
    """The training run and every run below it (baselines, tuning studies and their trials, the refits)."""
    runs, frontier = [src.training_run], [src.training_run.id]
    while frontier:
        children = [r for parent in frontier for r in src.store.runs.search(
            f"parent_id = '{parent}'", experiment=src.training_run.experiment, limit=10_000)]
        runs += children
        frontier = [r.id for r in children]
    return {f"training-{src.training_run.id[:8]}-runs.json": _json(runs)}


@records("data_dictionary", "feature_documentation")
def _dictionary(src: Sources, item: DeliverableView) -> dict[str, bytes]:
    from mlsteward.lifecycle.features import dictionary_of
    from mlsteward.report import render_dictionary_html, render_dictionary_markdown

    dictionary = dictionary_of(src.feature_set)
    stem = f"{src.feature_set.ref}-data-dictionary"
    if item.key == "feature_documentation":
        return {f"{stem}.md": render_dictionary_markdown(dictionary).encode()}
    return {f"{stem}.html": render_dictionary_html(dictionary).encode()}


@records("feature_catalog")
def _feature_catalog(src: Sources, item: DeliverableView) -> dict[str, bytes]:
    from mlsteward.lifecycle.features import catalog

    entries, _ = catalog(src.workspace, src.spec)
    return {"feature-catalog.json": _json(entries)}


# ----------------------------------------------------------------------------------------- files


def _hex(digest: str) -> str:
    return digest.partition(":")[2] or digest


def _safe(name: str) -> str:
    """A file name without folders or characters that trouble a file system or a URL."""
    cleaned = "".join(c if c.isalnum() or c in "-_.@" else "_" for c in name.replace("/", "-"))
    return cleaned.lstrip(".") or "file"


def _sha256(content: bytes) -> str:
    return f"sha256:{hashlib.sha256(content).hexdigest()}"




def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(content)




__all__ = ["RECORDS", "PackFile", "PackManifest", "export_evidence_pack", "records"]
