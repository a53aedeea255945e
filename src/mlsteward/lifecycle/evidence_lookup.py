"""The latest recorded evidence of each kind for a project: small finders over the store.

Each finder returns a small model with the ids, refs and digests an evidence link needs and when the
evidence was recorded (``at_ms``, milliseconds since the epoch), or None when nothing is recorded.
They read records only (no dataset, model or artifact is loaded), so the lifecycle board, the stage
gates and the generated documents can call them freely.

How evidence belongs to a project: runs carry the project as their experiment; evaluations and model
versions name it; a feature set is found by name (``features.name``, else the project's name, else
the one the project's latest training used). Dataset versions name no project: the project's datasets
are those its feasibility and training runs used, with their ancestors (the sources splits and joins
were made from); before any such run, every dataset of the store (the default store, ``.steward/``
beside steward.yaml, is the project's own).
"""

from __future__ import annotations

from pydantic import BaseModel

from mlsteward.errors import InvalidInput
from mlsteward.spec_monitoring import RESERVED_MONITORS
from mlsteward.store.datasets import DatasetVersion
from mlsteward.store.evidence import Clearance, Evidence
from mlsteward.store.runs import RunRecord
from mlsteward.workspace import Workspace

_USES_DATA = "tags.kind in ('feasibility', 'training')"  # the runs that link the project's datasets
_RUNS_READ = 20  # the newest runs of those kinds whose datasets count as the project's


class EvidenceLink(BaseModel):
    """Where a piece of evidence is recorded: what kind of record, its id or ref, and a content digest."""

    kind: str  # project, run, dataset, feature_set, evaluation, model_version
    ref: str  # a run or evaluation id, NAME@VERSION, or the project's name
    digest: str | None = None  # the artifact a reader opens (report, pipeline, model), when there is one
    at_ms: int | None = None


class FeasibilityEvidence(BaseModel):
    run_id: str
    dataset: str | None
    decision: str | None  # go / no-go
    metric: str | None
    result_digest: str | None  # feasibility.json
    report_digest: str | None  # feasibility-report.html
    at_ms: int

    @property
    def link(self) -> EvidenceLink:
        return EvidenceLink(kind="run", ref=self.run_id, digest=self.report_digest, at_ms=self.at_ms)


class AssessedDataset(BaseModel):
    dataset: str  # NAME@VERSION
    digest: str  # the version's content
    evidence: dict[str, Evidence]  # kind (profile, quality, pii, leakage, contract, report, ...) -> evidence
    clearances: dict[str, Clearance]  # flagged columns a person cleared, with the reason
    at_ms: int  # when it was assessed

    @property
    def flagged(self) -> list[str]:
        """Columns the leakage review flagged (empty when it was not reviewed)."""
        leakage = self.evidence.get("leakage")
        return sorted(leakage.summary) if leakage else []

    @property
    def quarantined(self) -> list[str]:
        """Flagged columns nobody cleared: later stages must not use them."""
        return [c for c in self.flagged if c not in self.clearances]

    @property
    def link(self) -> EvidenceLink:
        report = self.evidence.get("report")
        return EvidenceLink(kind="dataset", ref=self.dataset, digest=report.digest if report else self.digest,
                            at_ms=self.at_ms)


class FeatureSetEvidence(BaseModel):
    feature_set: str  # NAME@VERSION
    digest: str  # the fitted pipeline
    dataset: str  # the version it was fitted on
    target: str | None
    features: list[str]  # the output features: the data dictionary's entries
    undocumented: list[str]  # output features without a description
    validation_reference: bool  # input and output references recorded (what `steward features validate` reads)
    leakage: dict[str, str]  # feature -> "clear" or its flags; empty when not screened (no target)
    at_ms: int

    @property
    def link(self) -> EvidenceLink:
        return EvidenceLink(kind="feature_set", ref=self.feature_set, digest=self.digest, at_ms=self.at_ms)


class TrainingEvidence(BaseModel):
    run_id: str  # the parent run of `steward train`
    best_candidate: str | None
    metric: str | None
    feature_set: str | None
    seed: int | None
    environment: list[str]  # what the run recorded of its environment: python, packages, git
    params: int  # how many parameters were logged
    metrics: int  # how many metrics were logged
    baselines: dict[str, str]  # baseline name -> its child run id
    datasets: dict[str, str]  # dataset version -> role (train, validation)
    at_ms: int

    @property
    def link(self) -> EvidenceLink:
        return EvidenceLink(kind="run", ref=self.run_id, at_ms=self.at_ms)


class EvaluationEvidence(BaseModel):
    evaluation_id: str
    model_run_id: str
    dataset: str
    metric: str
    value: float | None
    gate: str  # the promotion gate's decision: pass, fail, pending, no gate
    report_digest: str
    card_digest: str
    at_ms: int

    @property
    def link(self) -> EvidenceLink:
        return EvidenceLink(kind="evaluation", ref=self.evaluation_id, digest=self.report_digest, at_ms=self.at_ms)


class ProductionVersion(BaseModel):
    ref: str  # NAME@VERSION of the model version
    run_id: str
    artifact_digest: str
    at_ms: int  # when it became production

    @property
    def link(self) -> EvidenceLink:
        return EvidenceLink(kind="model_version", ref=self.ref, digest=self.artifact_digest, at_ms=self.at_ms)


def latest_feasibility(workspace: Workspace, project: str) -> FeasibilityEvidence | None:
    """The newest finished feasibility study (a run tagged kind=feasibility) of the project."""
    run = _latest_run(workspace, project, "feasibility")
    if run is None:
        return None
    artifacts = {a.path: a.digest for a in run.artifacts}
    return FeasibilityEvidence(run_id=run.id, dataset=run.params.get("dataset"), decision=run.tags.get("decision"),
                               metric=run.params.get("metric"), result_digest=artifacts.get("feasibility.json"),
                               report_digest=artifacts.get("feasibility-report.html"), at_ms=_ended(run))


def latest_assessed_dataset(workspace: Workspace, project: str) -> AssessedDataset | None:
    """The project's newest assessed dataset version (see the module docstring), with its evidence.

    Versions assessed with a target column (so with a leakage review) come before lookup tables
    assessed without one; among them the newest version wins."""
    found = [f for f in (_newest_assessed(workspace, n) for n in project_dataset_names(workspace, project)) if f]
    if not found:
        return None
    version, evidence = max(found, key=lambda f: ("leakage" in f[1], f[0].created_at_ms, f[0].id))
    flagged = set(evidence["leakage"].summary) if "leakage" in evidence else set()
    cleared = {c: v for c, v in workspace.store.evidence.clearances(version.name).items() if c in flagged}
    return AssessedDataset(dataset=version.ref, digest=version.digest, evidence=evidence, clearances=cleared,
                           at_ms=evidence["quality"].created_at_ms)


def project_dataset_names(workspace: Workspace, project: str) -> list[str]:
    """The names of the project's datasets (see the module docstring), sorted."""
    store = workspace.store
    used = {ref for run in store.runs.search(_USES_DATA, experiment=project, limit=_RUNS_READ)
            for ref, _ in store.datasets.runs_of(run.id)}
    ancestors = {edge.parent for ref in used for edge in store.datasets.lineage(ref).ancestors}
    names = {ref.partition("@")[0] for ref in used | ancestors}
    return sorted(names) if names else [v.name for v in store.datasets.list()]


def latest_feature_set(workspace: Workspace, project: str, name: str | None = None) -> FeatureSetEvidence | None:
    """The newest version of feature set ``name`` (default: the project's name, else the one the
    project's latest training used)."""
    try:
        records = workspace.store.feature_sets.list(name or project)
    except InvalidInput:  # a project name that is no valid feature-set name has no feature set of that name
        records = []
    if not records and name is None:
        training = _latest_run(workspace, project, "training")
        used = training.params.get("feature_set") if training else None
        records = [workspace.store.feature_sets.get(used)] if used else []
    if not records:
        return None
    record = records[0]
    outputs = [d for d in record.definitions if d.get("output", True)]
    return FeatureSetEvidence(
        feature_set=record.ref, digest=record.digest, dataset=record.dataset, target=record.target,
        features=[d["name"] for d in outputs], undocumented=[d["name"] for d in outputs if not d.get("description")],
        validation_reference=bool(record.summary.get("input_reference") and record.summary.get("output_reference")),
        leakage=record.summary.get("leakage") or {}, at_ms=record.created_at_ms)


def latest_training(workspace: Workspace, project: str) -> TrainingEvidence | None:
    """The newest finished `steward train` (a run tagged kind=training) with its baselines and datasets."""
    run = _latest_run(workspace, project, "training")
    if run is None:
        return None
    baselines = workspace.store.runs.search(f"tags.kind = 'baseline' and parent_id = '{run.id}'", experiment=project)
    return TrainingEvidence(
        run_id=run.id, best_candidate=run.tags.get("best_candidate"), metric=run.params.get("metric"),
        feature_set=run.params.get("feature_set"), seed=run.seed,
        environment=[k for k in ("python", "packages", "git") if run.environment.get(k)],
        params=len(run.params), metrics=len(run.metrics),
        baselines={b.tags.get("baseline", b.name): b.id for b in baselines},
        datasets=dict(workspace.store.datasets.runs_of(run.id)), at_ms=_ended(run))


def latest_evaluation(workspace: Workspace, project: str) -> EvaluationEvidence | None:
    """The project's newest evaluation, with its promotion-gate decision."""
    records = workspace.store.evaluations.list(project=project)
    if not records:
        return None
    e = records[0]
    return EvaluationEvidence(evaluation_id=e.id, model_run_id=e.model_run_id, dataset=e.dataset, metric=e.metric,
                              value=e.value, gate=e.gate, report_digest=e.report_digest, card_digest=e.card_digest,
                              at_ms=e.created_at_ms)


def production_versions(workspace: Workspace, project: str) -> list[ProductionVersion]:
    """The project's model versions in production (one per registered model at most)."""
    return [ProductionVersion(ref=v.ref, run_id=v.run_id, artifact_digest=v.artifact_digest,
                              at_ms=v.status_changed_at_ms)
            for v in workspace.store.models.versions(project=project, status="production")]


def rollback_plan(workspace: Workspace, project: str) -> EvidenceLink | None:
    """An endpoint of the project with a known rollback target (the version live before), newest first."""
    for record in sorted(workspace.store.deployments.endpoints(project), key=lambda r: -r.updated_at_ms):
        if record.state.get("previous") is not None:
            ref = f"{record.model}: live v{record.state['live']}, rollback to v{record.state['previous']}"
            return EvidenceLink(kind="endpoint", ref=ref, at_ms=record.updated_at_ms)
    return None


def latest_load_test(workspace: Workspace, project: str) -> EvidenceLink | None:
    """The newest finished load test of the project (`steward loadtest`): a run tagged kind=load-test."""
    run = _latest_run(workspace, project, "load-test")
    if run is None:
        return None
    digest = next((a.digest for a in run.artifacts if a.path == "load-test.json"), None)
    return EvidenceLink(kind="run", ref=run.id, digest=digest, at_ms=_ended(run))


def latest_monitor_run(workspace: Workspace, project: str) -> EvidenceLink | None:
    """The project's newest monitor run (`steward monitor run`; budget checks are not monitor runs of a model)."""
    runs = workspace.store.monitoring.runs(project=project, limit=1, with_result=False, exclude_monitor=RESERVED_MONITORS)
    return EvidenceLink(kind="monitor_run", ref=runs[0].id, at_ms=runs[0].created_at_ms) if runs else None


def latest_retrain(workspace: Workspace, project: str) -> RunRecord | None:
    """The project's newest finished retrain (`steward retrain`): a run tagged kind=retrain."""
    return _latest_run(workspace, project, "retrain")


def latest_cost_review(workspace: Workspace, project: str) -> RunRecord | None:
    """The project's newest finished cost-optimisation review (`steward costs review`): a run tagged
    kind=cost-review."""
    return _latest_run(workspace, project, "cost-review")


def _latest_run(workspace: Workspace, project: str, kind: str) -> RunRecord | None:
    found = workspace.store.runs.search(f"tags.kind = '{kind}' and status = 'finished'", experiment=project, limit=1)
    return found[0] if found else None


def _newest_assessed(workspace: Workspace, name: str) -> tuple[DatasetVersion, dict[str, Evidence]] | None:
    """The newest version of dataset ``name`` that was assessed (has quality evidence), and its evidence."""
    for version in workspace.store.datasets.list(name):
        evidence = workspace.store.evidence.of(version.ref)
        if "quality" in evidence:
            return version, evidence
    return None


def _ended(run: RunRecord) -> int:
    return run.end_time_ms or run.start_time_ms



class SecurityScanEvidence(BaseModel):
    """The newest `steward scan`: the security and compliance checklist's evidence."""

    run_id: str
    audit_status: str | None  # audited / not_audited
    passed: bool  # no flagged licence, no vulnerability, and the audit ran
    packages: int | None
    licences_flagged: int | None
    vulnerabilities: int | None  # None when nothing was audited
    sbom_digest: str | None  # sbom.cdx.json
    report_digest: str | None  # security-scan.html
    at_ms: int

    @property
    def link(self) -> EvidenceLink:
        return EvidenceLink(kind="run", ref=self.run_id, digest=self.report_digest or self.sbom_digest,
                            at_ms=self.at_ms)


def latest_security_scan(workspace: Workspace, project: str) -> SecurityScanEvidence | None:
    """The newest finished security scan of the project (`steward scan`): a run tagged kind=security-scan."""
    run = _latest_run(workspace, project, "security-scan")
    if run is None:
        return None
    artifacts = {a.path: a.digest for a in run.artifacts}
    counts = {k: int(run.metrics[k]) for k in ("packages", "licences_flagged", "vulnerabilities") if k in run.metrics}
    return SecurityScanEvidence(
        run_id=run.id, audit_status=run.tags.get("audit_status"), passed=run.tags.get("passed") == "true",
        packages=counts.get("packages"), licences_flagged=counts.get("licences_flagged"),
        vulnerabilities=counts.get("vulnerabilities"), sbom_digest=artifacts.get("sbom.cdx.json"),
        report_digest=artifacts.get("security-scan.html"), at_ms=_ended(run))



__all__ = [
    "AssessedDataset",
    "EvaluationEvidence",
    "EvidenceLink",
    "FeasibilityEvidence",
    "FeatureSetEvidence",
    "ProductionVersion",
    "SecurityScanEvidence",
    "TrainingEvidence",
    "latest_assessed_dataset",
    "latest_cost_review",
    "latest_evaluation",
    "latest_feasibility",
    "latest_feature_set",
    "latest_load_test",
    "latest_security_scan",
    "latest_training",
    "production_versions",
    "project_dataset_names",
    "rollback_plan",
]
