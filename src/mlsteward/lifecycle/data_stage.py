"""The data stage for one dataset version: profile, quality SLAs, PII tags, leakage review —
each computed by the core, stored as an artifact, recorded as evidence, and shown on the board."""

from __future__ import annotations

from pydantic import BaseModel

from mlsteward.data.leakage import review_leakage
from mlsteward.data.pii import detect_pii
from mlsteward.data.profile import profile_dataset
from mlsteward.data.quality import QualityResult, check_quality
from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.spec_data import DataSpec
from mlsteward.stages import Stage, StageStatus
from mlsteward.store.evidence import Evidence
from mlsteward.workspace import Workspace


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

    @property
    def quarantined(self) -> list[str]:
        """Flagged columns nobody cleared: later stages must not use them as features."""
        return [f.column for f in self.leakage if not f.cleared]


def assess_dataset(workspace: Workspace, ref: str, spec: DataSpec, *, project: str | None = None
                   ) -> DataAssessment:
    """Compute and record the data-stage evidence of a table version."""
    version = workspace.store.datasets.get(ref)
    df = load_dataset(workspace, version.ref)
    target = spec.target if spec.target else None
    _require_columns(version.ref, df.columns, {"data.target": target, "data.time_column": spec.time_column,
                                               "data.prediction_time_column": spec.prediction_time_column,
                                               **{f"data.sensitive_attributes[{i}]": c
                                                  for i, c in enumerate(spec.sensitive_attributes)}})
    profile = profile_dataset(df, target=target)
    quality = check_quality(profile, spec.quality, time_column=spec.time_column)
    pii = detect_pii(df)
    leakage = (review_leakage(df, target, prediction_time_column=spec.prediction_time_column)
               if target else None)
    results = {"profile": (profile, None), "quality": (quality, quality.passed), "pii": (pii, None)}
    if leakage is not None:
        results["leakage"] = (leakage, not leakage.flags)
    evidence = [Evidence(kind=kind, digest=workspace.artifacts.put_bytes(result.model_dump_json().encode()).digest,
                         passed=passed, summary=_summary(kind, result)) for kind, (result, passed) in results.items()]
    workspace.store.evidence.record(version.ref, evidence)

    cleared = workspace.store.evidence.clearances(version.name)
    findings = [LeakageFinding(column=column, kinds=list(kinds),
                               evidence=[f.evidence for f in leakage.flags if f.column == column],
                               cleared=column in cleared, reason=cleared[column].reason if column in cleared else None)
                for column, kinds in (leakage.flagged().items() if leakage else [])]
    assessment = DataAssessment(dataset=version.ref, rows=profile.rows, columns=profile.columns, target=target,
                                quality=quality, pii=pii.tagged(), sensitive_attributes=spec.sensitive_attributes,
                                leakage=findings, evidence={e.kind: e.digest for e in evidence})
    if project:
        _update_board(workspace, project, assessment)
    return assessment


def _require_columns(ref: str, present, named: dict[str, str | None]) -> None:  # noqa: ANN001
    columns = list(present)
    for key, column in named.items():
        if column is not None and column not in columns:
            raise InvalidInput(f"steward.yaml {key} names column {column!r}, which {ref} does not have "
                               f"(its columns: {', '.join(map(str, columns[:30]))}); fix steward.yaml or the data")


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
