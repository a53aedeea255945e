"""The deliverables registry: the lifecycle's documents as a live view generated from recorded evidence.

``CATALOGUE`` lists every deliverable (its stage, its owner role); ``FINDERS`` maps a deliverable's key to
the function that finds the evidence generating it. A deliverable whose key has no finder is ``missing``,
with a note naming what will produce it; a later stage adds its deliverables by adding a finder::

    @finder("monitoring_dashboard")
    def _dashboard(src: Sources) -> Found: ...

======================================  ==========  ==================  =====================================
deliverable                             stage       owner role          evidence
======================================  ==========  ==================  =====================================
project charter                         scoping     product_owner       charter versions (steward.yaml)
baseline & KPI sheet                    scoping     product_owner       charter versions: kpis, baseline
risk register (all stages)              scoping     compliance_officer  charter risks + risk owners' actions
decision logs (all stages)              scoping     product_owner       the decision log
feasibility report                      feasibility data_scientist      latest feasibility run's report
data availability snapshot              feasibility data_engineer       the latest version of each dataset
clean versioned dataset                 data        data_engineer       dataset versions whose quality passed
EDA report                              data        data_scientist      dataset evidence ``report``
imbalance summary                       data        data_scientist      dataset evidence ``profile`` (target)
label quality audit                     data        data_scientist      each labeling project's newest label
                                                                        version's ``label_quality`` evidence
feature documentation                   features    data_scientist      the latest feature set
leakage screening log                   features    data_scientist      dataset evidence ``leakage`` + the
                                                                        feature set's leakage log
data dictionary (all stages)            features    data_engineer       the latest feature set
feature store catalog entries (all)     features    ml_engineer         steward.yaml features vs the fit
experimentation logs                    training    data_scientist      the latest training run + children
baseline-vs-candidate table             training    data_scientist      its ``training-result.json``
performance & efficiency profile        training    ml_engineer         its ``training-result.json``
model performance report                evaluation  data_scientist      the latest evaluation's report
explainability bundle                   evaluation  data_scientist      its ``explain`` check
failure mode catalog                    evaluation  data_scientist      its ``failure_modes`` check
model card (all stages)                 evaluation  ml_engineer         its model card
API/serving docs                        deployment  ml_engineer         not built yet
deployment pipeline definition          deployment  mlops_engineer      not built yet
observability spec                      deployment  mlops_engineer      not built yet
security & compliance checklist         deployment  compliance_officer  the newest `steward scan` run
change log (all stages)                 deployment  mlops_engineer      the change log
monitoring dashboard                    monitoring  mlops_engineer      the monitor runs over time
drift & alert configuration             monitoring  mlops_engineer      steward.yaml monitors + latest run
champion-challenger reports             monitoring  ml_engineer         the latest retrain run's report
retraining trigger criteria             monitoring  ml_engineer         steward.yaml retraining triggers
======================================  ==========  ==================  =====================================

Status: ``present`` (the evidence describes the project as it is), ``stale`` (evidence exists but something
newer was recorded since, or steward.yaml says otherwise) or ``missing`` (no evidence). The rules:

- Charter, KPI sheet, risk register: missing until the charter has been recorded as a version (every
  stage command and `steward status` record it); stale when steward.yaml's charter (for the KPI sheet:
  its ``kpis`` or ``baseline``; for the risk register: its ``risks``) differs from the latest recorded
  version. The KPI sheet is missing when the charter has no KPI and no baseline, the risk register when
  it lists no risk; the risk register is also stale when a risk's review is overdue (escalated).
- Dataset deliverables (clean dataset, EDA report, imbalance summary, leakage screening log), over each
  of the project's datasets (``evidence_lookup.project_dataset_names``) with the evidence on some version:
  present when the latest version of each has it, stale when a newer version of one exists without it,
  missing when no version of any has it. "Has it": the evidence kind is recorded (clean dataset: its
  quality SLAs did not fail; imbalance summary: the profile has a target section).
- Data availability snapshot: present when the project has a dataset version.
- Label quality audit: present when each of the project's labeling projects has written a label version (its
  audit is that version's ``label_quality`` evidence); missing when there is no labeling project, or none has.
- Feasibility report, decision logs, change log: present once recorded; never stale (a record of a moment).
- Feature documentation and data dictionary: stale when steward.yaml's feature definitions differ from
  those the latest feature set was fitted with. Catalog entries: stale when a defined feature is not in
  the latest fitted set; missing when steward.yaml defines no feature.
- Training deliverables (experimentation logs, baseline-vs-candidate table, performance & efficiency
  profile), from the latest finished training run: stale when a newer version of its training split or
  of its feature set exists.
- Evaluation deliverables (performance report, explainability bundle, failure mode catalog, model card),
  from the project's latest evaluation: stale when a newer training run exists than the one that made the
  evaluated model, or a model version of another run was registered after the evaluation. The
  explainability bundle and failure mode catalog are missing when their check was not run (or erred).

The view only reads (records, and the small JSON artifacts of the profile and the training result): it
neither registers the project nor records the charter, so a charter it calls stale is one steward.yaml
changed since the last record. ``evidence_pack`` writes the same view with copies of the evidence.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from mlsteward.lifecycle.deliverable_sources import Sources
from mlsteward.lifecycle.evidence_lookup import EvidenceLink
from mlsteward.spec import Spec
from mlsteward.stages import Stage
from mlsteward.workspace import Workspace

Status = Literal["missing", "present", "stale"]
STATUSES: tuple[str, ...] = ("present", "stale", "missing")


class DeliverableEvidence(EvidenceLink):
    """One piece of recorded evidence a deliverable is generated from: the stage gates' evidence link
    (kind, ref, artifact digest, when) with the artifact's file name, who recorded it and the command
    that shows it."""

    # kind: charter_version, risk_register, decision_log, change_log, run_artifact, dataset_version,
    # dataset_evidence, feature_set, feature_set_leakage_log, evaluation
    file: str | None = None  # the artifact's file name, e.g. performance-report.html
    in_pack: bool = True  # whether the evidence pack copies the artifact (not raw data, not model pipelines)
    command: str  # the steward command that shows it
    by: str | None = None  # who recorded it


class DeliverableView(BaseModel):
    key: str
    name: str
    stage: Stage
    owner: str  # the role answerable for it
    cross_cutting: bool  # kept up through every stage, not only its own
    status: Status
    note: str  # why this status, and what to run when it is not present
    evidence: list[DeliverableEvidence]
    produced_at_ms: int | None  # when the newest of its evidence was recorded


class DeliverablesView(BaseModel):
    project: str
    generated_at_ms: int
    counts: dict[str, int]  # status -> how many deliverables
    deliverables: list[DeliverableView]


@dataclass(frozen=True)
class Deliverable:
    """A catalogue entry. ``planned``: what will produce it, while Steward has no finder for it."""

    key: str
    name: str
    stage: Stage
    owner: str
    cross_cutting: bool = False
    planned: str = ""


@dataclass
class Found:
    status: Status
    note: str = ""
    evidence: list[DeliverableEvidence] | None = None


CATALOGUE: tuple[Deliverable, ...] = (
    Deliverable("project_charter", "Project charter", Stage.SCOPING, "product_owner"),
    Deliverable("kpi_sheet", "Baseline & KPI sheet", Stage.SCOPING, "product_owner"),
    Deliverable("risk_register", "Risk register", Stage.SCOPING, "compliance_officer", cross_cutting=True),
    Deliverable("decision_log", "Decision logs", Stage.SCOPING, "product_owner", cross_cutting=True),
    Deliverable("feasibility_report", "Feasibility report", Stage.FEASIBILITY, "data_scientist"),
    Deliverable("data_availability", "Data availability snapshot", Stage.FEASIBILITY, "data_engineer"),
    Deliverable("clean_dataset", "Clean versioned dataset", Stage.DATA, "data_engineer"),
    Deliverable("eda_report", "EDA report", Stage.DATA, "data_scientist"),
    Deliverable("imbalance_summary", "Imbalance summary", Stage.DATA, "data_scientist"),
    Deliverable("label_audit", "Label quality audit", Stage.DATA, "data_scientist"),
    Deliverable("feature_documentation", "Feature documentation", Stage.FEATURES, "data_scientist"),
    Deliverable("leakage_log", "Leakage screening log", Stage.FEATURES, "data_scientist"),
    Deliverable("data_dictionary", "Data dictionary", Stage.FEATURES, "data_engineer", cross_cutting=True),
    Deliverable("feature_catalog", "Feature store catalog entries", Stage.FEATURES, "ml_engineer",
                cross_cutting=True),
    Deliverable("experimentation_logs", "Experimentation logs", Stage.TRAINING, "data_scientist"),
    Deliverable("baseline_vs_candidate", "Baseline-vs-candidate table", Stage.TRAINING, "data_scientist"),
    Deliverable("efficiency_profile", "Performance & efficiency profile", Stage.TRAINING, "ml_engineer"),
    Deliverable("performance_report", "Model performance report", Stage.EVALUATION, "data_scientist"),
    Deliverable("explainability_bundle", "Explainability bundle", Stage.EVALUATION, "data_scientist"),
    Deliverable("failure_modes", "Failure mode catalog", Stage.EVALUATION, "data_scientist"),
    Deliverable("model_card", "Model card", Stage.EVALUATION, "ml_engineer", cross_cutting=True),
    Deliverable("serving_docs", "API/serving docs", Stage.DEPLOYMENT, "ml_engineer"),
    Deliverable("deployment_pipeline", "Deployment pipeline definition", Stage.DEPLOYMENT, "mlops_engineer"),
    Deliverable("observability_spec", "Observability spec", Stage.DEPLOYMENT, "mlops_engineer"),
    Deliverable("security_checklist", "Security & compliance checklist", Stage.DEPLOYMENT, "compliance_officer"),
    Deliverable("change_log", "Change log", Stage.DEPLOYMENT, "mlops_engineer", cross_cutting=True),
    Deliverable("monitoring_dashboard", "Monitoring dashboard", Stage.MONITORING, "mlops_engineer"),
    Deliverable("drift_alerts", "Drift & alert configuration", Stage.MONITORING, "mlops_engineer"),
    Deliverable("champion_challenger", "Champion-challenger reports", Stage.MONITORING, "ml_engineer"),
    Deliverable("retraining_triggers", "Retraining trigger criteria", Stage.MONITORING, "ml_engineer"),
    Deliverable("cost_review", "Cost-optimisation review", Stage.MONITORING, "mlops_engineer", cross_cutting=True),
)


# ----------------------------------------------------------------------------------------- finders

Finder = Callable[[Sources], Found]
FINDERS: dict[str, Finder] = {}


def finder(*keys: str) -> Callable[[Finder], Finder]:
    """Register a function as the finder of the deliverables ``keys``."""
    def register(function: Finder) -> Finder:
        for key in keys:
            FINDERS[key] = function
        return function
    return register


# ----------------------------------------------------------------------------------------- the view


def deliverables_of(src: Sources) -> DeliverablesView:
    """The view from already opened sources (the evidence pack reuses them)."""
    views = []
    for item in CATALOGUE:
        found = FINDERS[item.key](src) if item.key in FINDERS else Found("missing", item.planned)
        evidence = found.evidence or []
        times = [e.at_ms for e in evidence if e.at_ms is not None]
        views.append(DeliverableView(key=item.key, name=item.name, stage=item.stage, owner=item.owner,
                                     cross_cutting=item.cross_cutting, status=found.status, note=found.note,
                                     evidence=evidence, produced_at_ms=max(times) if times else None))
    counts = {status: sum(v.status == status for v in views) for status in STATUSES}
    return DeliverablesView(project=src.project, generated_at_ms=int(time.time() * 1000), counts=counts,
                            deliverables=views)


def deliverables(workspace: Workspace, spec: Spec) -> DeliverablesView:
    """Every deliverable of the lifecycle with its stage, owner, status and the evidence generating it."""
    return deliverables_of(Sources(workspace, spec))


__all__ = ["CATALOGUE", "FINDERS", "STATUSES", "Deliverable", "DeliverableEvidence", "DeliverableView",
           "DeliverablesView", "Found", "Sources", "deliverables", "deliverables_of", "finder"]

from mlsteward.lifecycle import (  # noqa: F401 - register the finders
    deliverable_finders,
    deployment_deliverables,
    labeling_deliverables,
    monitoring_deliverables,
)
