"""The data stage for one dataset version: profile, quality SLAs, PII tags, leakage review —
each computed by the core, stored as an artifact, recorded as evidence, and shown on the board."""

from __future__ import annotations

from pydantic import BaseModel

from mlsteward.data.contract import infer_contract
from mlsteward.data.leakage import review_leakage
from mlsteward.data.pii import detect_pii
from mlsteward.data.profile import profile_dataset
from mlsteward.data.profile_chunked import profile_parquet
from mlsteward.data.quality import QualityResult, check_quality
from mlsteward.errors import InvalidInput
from mlsteward.lifecycle import large_tables
from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.report import render_data_report, write_report
from mlsteward.spec_data import DataSpec
from mlsteward.stages import Stage, StageStatus
from mlsteward.store.evidence import Evidence
from mlsteward.workspace import Workspace


REPORTS_DIR = ".steward/reports"  # beside steward.yaml: the HTML reports, also stored as artifacts


class LeakageFinding(BaseModel):
    column: str
    kinds: list[str]
    evidence: list[str]
    cleared: bool
    reason: str | None = None


class DataAssessment(BaseModel):
    """What `steward data add` reports and records for a version."""

    dataset: str
    rows: int
    columns: int
    target: str | None
    quality: QualityResult
    pii: dict[str, list[str]]
    sensitive_attributes: list[str]
    leakage: list[LeakageFinding]
    evidence: dict[str, str]
    report_path: str | None = None
    notes: list[str] = []

    @property
    def quarantined(self) -> list[str]:
        """Flagged columns nobody cleared: later stages must not use them as features."""
        return [f.column for f in self.leakage if not f.cleared]


def assess_dataset(workspace: Workspace, ref: str, spec: DataSpec, *, target: str | None = None,
                   project: str | None = None) -> DataAssessment:
    """Compute and record the data-stage evidence of a table version.

    ``target`` overrides ``spec.target`` and must be a column. Columns steward.yaml names that this
    version lacks (a lookup table has no target) are left out, with a note saying so.
    """
    version = workspace.store.datasets.get(ref)
    large = (workspace.artifacts.verified_path(version.digest)
             if large_tables.assess_in_batches(version.rows, version.size_bytes) else None)
    df = (large_tables.sample_parquet(large, version.rows) if large else load_dataset(workspace, version.ref))
    if target is not None and target not in df.columns:
        raise InvalidInput(f"target column {target!r} is not in {version.ref} (its columns: "
                           f"{', '.join(map(str, list(df.columns)[:30]))}); name one of them")
    spec, notes = _present_columns(spec.model_copy(update={"target": target or spec.target}), df.columns,
                                   version.ref)
    target = spec.target
    profile = profile_parquet(large, target=target) if large else profile_dataset(df, target=target)
    quality = check_quality(profile, spec.quality, time_column=spec.time_column)
    pii = detect_pii(df)
    leakage = (review_leakage(df, target, prediction_time_column=spec.prediction_time_column)
               if target else None)
    contract = infer_contract(df, name=version.name)
    if large:
        contract, widened = large_tables.widen_contract(contract, profile)
        notes += [f"{version.rows:,} rows: profiled batch by batch; PII, leakage and categories judged on "
                  f"a seeded sample of {len(df):,} rows", *widened]
    results = {"profile": (profile, None), "quality": (quality, quality.passed), "pii": (pii, None)}
    if leakage is not None:
        results["leakage"] = (leakage, not leakage.flags)
    evidence = [_evidence(workspace, kind, result.model_dump_json(), passed, _summary(kind, result))
                for kind, (result, passed) in results.items()]
    evidence.append(_evidence(workspace, "contract", contract.to_yaml(), None,
                              {"columns": len(contract.columns), "format": "yaml"}))
    cleared = workspace.store.evidence.clearances(version.name)
    findings = [LeakageFinding(column=column, kinds=list(kinds),
                               evidence=[f.evidence for f in leakage.flags if f.column == column],
                               cleared=column in cleared, reason=cleared[column].reason if column in cleared else None)
                for column, kinds in (leakage.flagged().items() if leakage else [])]
    html = render_data_report(profile, title=f"{version.ref} — data report", dataset=version.ref, quality=quality,
                              pii=pii, leakage=leakage, contract=contract,
                              quarantined=[f.column for f in findings if not f.cleared])
    evidence.append(_evidence(workspace, "report", html, None, {"format": "html"}))
    workspace.store.evidence.record(version.ref, evidence)
    report_path = write_report(html, workspace.settings.project_root / REPORTS_DIR / f"{version.ref}-data-report.html")

    assessment = DataAssessment(dataset=version.ref, rows=profile.rows, columns=profile.columns, target=target,
                                quality=quality, pii=pii.tagged(), sensitive_attributes=spec.sensitive_attributes,
                                leakage=findings, evidence={e.kind: e.digest for e in evidence},
                                report_path=str(report_path), notes=notes)
    if project:
        _update_board(workspace, project, assessment)
    return assessment


def _evidence(workspace: Workspace, kind: str, content: str, passed: bool | None, summary: dict) -> Evidence:
    """Store a result (JSON, YAML or HTML text) content-addressed and describe it as evidence."""
    digest = workspace.artifacts.put_bytes(content.encode()).digest
    return Evidence(kind=kind, digest=digest, passed=passed, summary=summary)


def _present_columns(spec: DataSpec, columns, ref: str) -> tuple[DataSpec, list[str]]:  # noqa: ANN001
    """The spec without the columns ``ref`` lacks, and a note for each one left out."""
    present, notes, update = set(map(str, columns)), [], {}
    for key in ("target", "time_column", "prediction_time_column"):
        column = getattr(spec, key)
        if column is not None and column not in present:
            update[key] = None
            notes.append(f"steward.yaml data.{key} {column!r} is not a column of {ref}: left out")
    kept = [c for c in spec.sensitive_attributes if c in present]
    if len(kept) < len(spec.sensitive_attributes):
        missing = sorted(set(spec.sensitive_attributes) - set(kept))
        notes.append(f"sensitive attributes not in {ref}: {', '.join(missing)}")
    return spec.model_copy(update={**update, "sensitive_attributes": kept}), notes


def _summary(kind: str, result) -> dict:  # noqa: ANN001 - the small part kept in the evidence row
    if kind == "profile":
        return {"rows": result.rows, "columns": result.columns, "duplicate_rows": result.duplicate_rows,
                "warnings": sum(len(c.warnings) for c in result.column_profiles) + len(result.warnings)}
    if kind == "quality":
        return {c.name: c.passed for c in result.checks}
    if kind == "pii":
        return result.tagged()
    return {column: list(kinds) for column, kinds in result.flagged().items()}


def _update_board(workspace: Workspace, project: str, assessment: DataAssessment) -> None:
    failed = [c.name for c in assessment.quality.checks if c.passed is False]
    note = (f"{assessment.dataset}: quality {'failed: ' + ', '.join(failed) if failed else 'met'}; "
            f"{len(assessment.quarantined)} column(s) quarantined for leakage")
    workspace.store.projects.set_stage(project, Stage.DATA, StageStatus.IN_PROGRESS, note=note)
