"""Stage gates: for each of the eight stages, the items it must show before the project moves on, each
checked against the evidence recorded in the store (never against what someone says was done), with
what is missing and the command that records it.

One small function per stage, registered in ``STAGE_GATES``. Deployment and monitoring have no
evidence in Steward yet: their items are ``PlannedItem``s, reported as missing until the issue that
builds serving (or monitoring) gives each one a finder.

An item is passed (True), failed (False: evidence is recorded and falls short) or missing (None:
nothing is recorded yet). A gate fails when any item fails, is missing when any item is missing,
and passes when every item passes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from mlsteward.errors import NotFound
from mlsteward.lifecycle.board import LifecycleBoard, lifecycle_board
from mlsteward.lifecycle.evidence_lookup import (
    AssessedDataset,
    EvidenceLink,
    FeatureSetEvidence,
    latest_assessed_dataset,
    latest_evaluation,
    latest_feasibility,
    latest_feature_set,
    latest_load_test,
    latest_monitor_run,
    latest_security_scan,
    latest_training,
    production_versions,
    rollback_plan,
)
from mlsteward.spec import Charter, Spec
from mlsteward.stages import Stage
from mlsteward.workspace import Workspace

Decision = Literal["pass", "fail", "missing"]

# The commands that record each kind of evidence (placeholders in capitals).
VALIDATE = "then `steward validate`"
FEASIBILITY = "`steward feasibility DATASET@VERSION`"
ADD_DATA = "`steward data add FILE --name NAME` (assesses it)"
FIT = "`steward features fit --dataset TRAIN@VERSION`"
TRAIN = "`steward train --train TRAIN@VERSION --validation VALID@VERSION`"
EVALUATE = "`steward evaluate best --data TEST@VERSION`"
PROMOTE = ("`steward signoff MODEL@VERSION --role ROLE --decision approve` for each role gates.promotion names, "
           "then `steward models promote MODEL VERSION`")


class StageGateItem(BaseModel):
    name: str
    passed: bool | None  # None: no evidence recorded yet
    detail: str  # what the evidence shows, or what is missing
    command: str | None = None  # what records the missing evidence (None once passed)
    evidence: EvidenceLink | None = None


class StageGate(BaseModel):
    stage: Stage
    decision: Decision
    items: list[StageGateItem]

    @property
    def missing(self) -> list[StageGateItem]:
        """The items not passed yet (failed or without evidence)."""
        return [i for i in self.items if i.passed is not True]


class ProjectStatus(LifecycleBoard):
    """The lifecycle board (each stage's recorded status) with each stage's gate."""

    gates: list[StageGate]
    flags: list[str] = Field(default_factory=list)  # the calendar's overdue reviews and escalated risks


GateFunction = Callable[[Workspace, Spec], list[StageGateItem]]
Finder = Callable[[Workspace, Spec], EvidenceLink | None]


@dataclass(frozen=True)
class PlannedItem:
    """An item whose evidence Steward does not record yet: ``finder`` is None until it does."""

    name: str
    command: str  # what will record it
    finder: Finder | None = None


def decide(items: list[StageGateItem]) -> Decision:
    """fail if any item failed, else missing if any has no evidence, else pass."""
    if any(i.passed is False for i in items):
        return "fail"
    return "missing" if any(i.passed is None for i in items) else "pass"


def stage_gates(workspace: Workspace, spec: Spec) -> list[StageGate]:
    """The gate of each of the eight stages, in order, against the store's records."""
    return [stage_gate(workspace, spec, stage) for stage in Stage]


def stage_gate(workspace: Workspace, spec: Spec, stage: Stage | str) -> StageGate:
    stage = Stage(stage)
    items = STAGE_GATES[stage](workspace, spec)
    return StageGate(stage=stage, decision=decide(items), items=items)


def project_status(workspace: Workspace, spec: Spec) -> ProjectStatus:
    """Register the project from its spec (or update its charter), then its board and its gates."""
    from mlsteward.lifecycle.calendar import governance_calendar

    board = lifecycle_board(workspace.store, spec)
    return ProjectStatus(**dict(board), gates=stage_gates(workspace, spec),
                         flags=governance_calendar(workspace, spec).flags)


def _item(name: str, passed: bool | None, detail: str, command: str | None = None,
          evidence: EvidenceLink | None = None) -> StageGateItem:
    return StageGateItem(name=name, passed=passed, detail=detail, command=None if passed else command,
                         evidence=evidence)


# --------------------------------------------------------------------------- 1 scoping


def _scoping(workspace: Workspace, spec: Spec) -> list[StageGateItem]:
    """The charter as recorded in the store (`steward status` records steward.yaml's) and the go/no-go
    criteria of steward.yaml."""
    try:
        record = workspace.store.projects.get(spec.project)
    except NotFound:
        return [_item("charter", None, "no charter recorded for this project", "`steward status` (records it)")]
    charter = Charter.model_validate(record.charter)
    link = EvidenceLink(kind="project", ref=record.name, at_ms=record.updated_at_ms)
    return [_item(name, passed, detail, f"{fix} in steward.yaml, {VALIDATE}", link)
            for name, passed, detail, fix in _charter_checks(charter, spec)]


def _charter_checks(charter: Charter, spec: Spec) -> list[tuple[str, bool, str, str]]:
    """(item, passed, detail, what to add) for each part of a complete charter."""
    kpis = charter.kpis
    every = [k.name for k in (*kpis.business, *kpis.product, *kpis.ml)]
    baseline = charter.baseline
    criteria = spec.gates.get("feasibility", [])
    roles = charter.roles
    return [
        ("problem statement", bool(charter.problem.strip()), "charter.problem written", "write charter.problem"),
        ("decision supported", bool(charter.decision.strip()), "charter.decision written", "write charter.decision"),
        ("prediction target", bool(charter.prediction_target.strip()), "charter.prediction_target written",
         "write charter.prediction_target"),
        ("KPIs", bool(every), f"KPIs: {', '.join(every)}" if every else "no KPI", "add charter.kpis"),
        ("ML KPI", bool(kpis.ml), f"ML KPIs: {', '.join(k.name for k in kpis.ml)}" if kpis.ml else "no ML KPI",
         "add charter.kpis.ml"),
        ("baseline", bool(baseline and baseline.kpi_values),
         f"baseline KPI values: {', '.join(baseline.kpi_values)}" if baseline and baseline.kpi_values
         else "the baseline has no KPI values" if baseline else "no baseline",
         "add charter.baseline.kpi_values" if baseline else "add charter.baseline (description, kpi_values)"),
        ("go/no-go criteria", bool(criteria), f"gates.feasibility: {len(criteria)} check(s)" if criteria
         else "no go/no-go criteria", "add gates.feasibility"),
        ("top risks", bool(charter.risks), f"risks: {', '.join(r.id for r in charter.risks)}" if charter.risks
         else "no risk in the register", "add charter.risks"),
        ("stakeholders", "product_owner" in roles, f"roles: {', '.join(roles)}" if "product_owner" in roles
         else f"no product_owner (roles: {', '.join(roles) or 'none'})", "add a product_owner to charter.stakeholders"),
    ]


# --------------------------------------------------------------------------- 2 feasibility


def _feasibility(workspace: Workspace, spec: Spec) -> list[StageGateItem]:
    study = latest_feasibility(workspace, spec.project)
    if study is None:
        return [_item("feasibility study", None, "no finished feasibility study", FEASIBILITY),
                _item("go decision", None, "no feasibility decision", FEASIBILITY)]
    go = study.decision == "go"
    return [_item("feasibility study", True, f"run {study.run_id[:8]} on {study.dataset}", evidence=study.link),
            _item("go decision", go, f"decision: {study.decision}",
                  f"revise the data or the scope, then {FEASIBILITY} again", study.link)]


# --------------------------------------------------------------------------- 3 data

DATA_ITEMS = ("quality SLAs", "leakage review", "contract")


def _data(workspace: Workspace, spec: Spec) -> list[StageGateItem]:
    found = latest_assessed_dataset(workspace, spec.project)
    if found is None:
        return [_item(name, None, "no assessed dataset version", ADD_DATA) for name in DATA_ITEMS]
    return [_quality(found), _leakage(found), _contract(found)]


def _quality(found: AssessedDataset) -> StageGateItem:
    ref, checks = found.dataset, found.evidence["quality"].summary
    failed = [name for name, passed in checks.items() if passed is False]
    assess = f"`steward data assess {ref}`"
    if not checks:
        return _item("quality SLAs", None, f"{ref}: no quality SLA set", f"add data.quality to steward.yaml, then {assess}",
                     found.link)
    if failed:
        return _item("quality SLAs", False, f"{ref}: not met: {', '.join(failed)}",
                     f"fix the data, then `steward data add FILE --name {ref.partition('@')[0]}` (a new version), "
                     "or revise data.quality", found.link)
    return _item("quality SLAs", True, f"{ref}: {len(checks)} SLA(s) met", evidence=found.link)


def _leakage(found: AssessedDataset) -> StageGateItem:
    ref, name = found.dataset, found.dataset.partition("@")[0]
    if "leakage" not in found.evidence:
        return _item("leakage review", None, f"{ref}: not reviewed (no target column)",
                     f"set data.target in steward.yaml, then `steward data assess {ref}`", found.link)
    if found.quarantined:
        return _item("leakage review", False, f"{ref}: quarantined: {', '.join(found.quarantined)}",
                     f"`steward data clear {name} {found.quarantined[0]} --reason \"...\"`, or drop the column "
                     "and add the data again", found.link)
    cleared = f"; cleared: {', '.join(found.clearances)}" if found.clearances else ""
    return _item("leakage review", True, f"{ref}: no column quarantined{cleared}", evidence=found.link)


def _contract(found: AssessedDataset) -> StageGateItem:
    contract = found.evidence.get("contract")
    if contract is None:
        return _item("contract", None, f"{found.dataset}: no contract", f"`steward data assess {found.dataset}`",
                     found.link)
    return _item("contract", True, f"{found.dataset}: {contract.summary.get('columns', '?')} columns",
                 evidence=found.link)


# --------------------------------------------------------------------------- 4 features


def _features(workspace: Workspace, spec: Spec) -> list[StageGateItem]:
    fs = latest_feature_set(workspace, spec.project, spec.features.name)
    if fs is None:
        return [_item(name, None, "no fitted feature set", FIT) for name in ("fitted", "validated", "catalog")]
    undocumented = fs.undocumented
    return [_item("fitted", True, f"{fs.feature_set} on {fs.dataset}", evidence=fs.link), _validated(fs),
            _item("catalog", not undocumented,
                  f"no description: {', '.join(undocumented)}" if undocumented
                  else f"{len(fs.features)} feature(s) described in the data dictionary",
                  f"describe them in features.definitions (steward.yaml), then {FIT}", fs.link)]


def _validated(fs: FeatureSetEvidence) -> StageGateItem:
    flagged = {name: flags for name, flags in fs.leakage.items() if flags != "clear"}
    if not fs.validation_reference:
        return _item("validated", False, f"{fs.feature_set}: no validation reference", FIT, fs.link)
    if flagged:
        return _item("validated", False, "flagged for leakage: " + ", ".join(f"{n} ({f})" for n, f in flagged.items()),
                     f"change or drop them in features.definitions, then {FIT}", fs.link)
    if not fs.leakage:
        return _item("validated", None, f"{fs.feature_set}: not screened for leakage (no target in {fs.dataset})",
                     f"fit on data with the target: {FIT}", fs.link)
    return _item("validated", True, f"{fs.feature_set}: validation reference recorded; no feature flagged for leakage",
                 evidence=fs.link)


# --------------------------------------------------------------------------- 5 training


def _training(workspace: Workspace, spec: Spec) -> list[StageGateItem]:
    run = latest_training(workspace, spec.project)
    if run is None:
        return [_item(name, None, "no finished training run", TRAIN)
                for name in ("training run", "baselines", "tracked", "reproducible")]
    link = run.link
    gaps = ([] if run.seed is not None else ["seed"]) + \
        [k for k in ("python", "packages") if k not in run.environment] + ([] if run.datasets else ["dataset versions"])
    return [
        _item("training run", True, f"run {run.run_id[:8]}: best {run.best_candidate}", evidence=link),
        _item("baselines", bool(run.baselines), f"baselines: {', '.join(run.baselines)}" if run.baselines
              else "no baseline run", f"train again: {TRAIN}", link),
        _item("tracked", bool(run.params and run.metrics), f"{run.params} params, {run.metrics} metrics logged",
              f"train again: {TRAIN}", link),
        _item("reproducible", not gaps, f"not recorded: {', '.join(gaps)}" if gaps else
              f"seed {run.seed}; environment ({', '.join(run.environment)}); data "
              + ", ".join(f"{ref} ({role})" for ref, role in run.datasets.items()), f"train again: {TRAIN}", link),
    ]


# --------------------------------------------------------------------------- 6 evaluation


def _evaluation(workspace: Workspace, spec: Spec) -> list[StageGateItem]:
    production = production_versions(workspace, spec.project)
    evaluation = latest_evaluation(workspace, spec.project)
    if production:
        since = f"; latest evaluation {evaluation.evaluation_id[:8]}: {evaluation.gate}" if evaluation else ""
        return [_item("promotion gate", True, f"in production: {', '.join(v.ref for v in production)}{since}",
                      evidence=production[0].link)]
    if evaluation is None:
        return [_item("promotion gate", None, "no evaluation", EVALUATE)]
    where = f"evaluation {evaluation.evaluation_id[:8]} on {evaluation.dataset}"
    outcome = {
        "pass": (True, f"{where}: passed", None),
        "fail": (False, f"{where}: failed (`steward evaluations show {evaluation.evaluation_id[:8]}`)",
                 f"improve the model, then {EVALUATE}"),
        "pending": (None, f"{where}: pending sign-offs", PROMOTE),
    }.get(evaluation.gate, (None, f"{where}: steward.yaml has no promotion gate",
                            f"add gates.promotion to steward.yaml, then {EVALUATE}"))
    return [_item("promotion gate", *outcome, evidence=evaluation.link)]


# --------------------------------------------------------------------------- 7 deployment, 8 monitoring

# The issues that build serving and monitoring give each item its finder.
DEPLOYMENT_ITEMS = (
    PlannedItem("rollback plan", "`steward deploy MODEL --version V` of a second version: the version live before "
                "is the rollback target (`steward rollback MODEL`)",
                lambda workspace, spec: rollback_plan(workspace, spec.project)),
    PlannedItem("load test", "`steward loadtest URL --model MODEL --data NAME@VERSION` against the running service",
                lambda workspace, spec: latest_load_test(workspace, spec.project)),
)
MONITORING_ITEMS = (
    PlannedItem("monitor runs", "a monitor under monitoring.monitors in steward.yaml, then `steward monitor run` "
                "(or `steward monitor watch`)", lambda workspace, spec: latest_monitor_run(workspace, spec.project)),
    PlannedItem("retraining triggers", "monitoring.retraining.triggers in steward.yaml, e.g. "
                "{signal: drift_share, max: 0.3}", lambda workspace, spec: _retraining_policy(spec)),
)


def _retraining_policy(spec: Spec) -> EvidenceLink | None:
    triggers = spec.monitoring.retraining.triggers
    return EvidenceLink(kind="steward.yaml", ref=f"{len(triggers)} retraining trigger(s)") if triggers else None


def planned_gate(items: tuple[PlannedItem, ...]) -> GateFunction:
    """The gate function of a stage made of planned items: each passes once its finder finds evidence."""
    def gate(workspace: Workspace, spec: Spec) -> list[StageGateItem]:
        return [_planned_item(workspace, spec, planned) for planned in items]
    return gate


def _planned_item(workspace: Workspace, spec: Spec, planned: PlannedItem) -> StageGateItem:
    if planned.finder is None:
        return _item(planned.name, None, "Steward does not record it yet", planned.command)
    link = planned.finder(workspace, spec)
    if link is None:
        return _item(planned.name, None, "not recorded", planned.command)
    return _item(planned.name, True, f"{link.kind} {link.ref}", evidence=link)


def _security_item(workspace: Workspace, spec: Spec) -> StageGateItem:
    """The security & compliance checklist: the newest `steward scan` passed (a scan that could not audit the
    packages for vulnerabilities is not evidence either way)."""
    name, command = "security & compliance scan", "`steward scan` (with --advisories OSV.json where offline)"
    scan = latest_security_scan(workspace, spec.project)
    if scan is None:
        return _item(name, None, "not recorded", command)
    if scan.audit_status != "audited":
        return _item(name, None, f"scan {scan.run_id[:8]} could not audit the packages: no vulnerability database",
                     command, evidence=scan.link)
    detail = (f"scan {scan.run_id[:8]}: {scan.packages} packages, {scan.licences_flagged} licence(s) flagged, "
              f"{scan.vulnerabilities} vulnerability(ies)")
    return _item(name, scan.passed, detail, command, evidence=scan.link)


STAGE_GATES: dict[Stage, GateFunction] = {
    Stage.SCOPING: _scoping,
    Stage.FEASIBILITY: _feasibility,
    Stage.DATA: _data,
    Stage.FEATURES: _features,
    Stage.TRAINING: _training,
    Stage.EVALUATION: _evaluation,
    Stage.DEPLOYMENT: lambda workspace, spec: [*planned_gate(DEPLOYMENT_ITEMS)(workspace, spec),
                                               _security_item(workspace, spec)],
    Stage.MONITORING: planned_gate(MONITORING_ITEMS),
}


__all__ = [
    "DEPLOYMENT_ITEMS",
    "MONITORING_ITEMS",
    "STAGE_GATES",
    "PlannedItem",
    "ProjectStatus",
    "StageGate",
    "StageGateItem",
    "decide",
    "planned_gate",
    "project_status",
    "stage_gate",
    "stage_gates",
]
