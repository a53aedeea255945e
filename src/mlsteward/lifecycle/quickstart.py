"""The quickstart: a real project on the bundled GSS data, from the charter to monitoring and retraining."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

from pydantic import BaseModel

from mlsteward.data.splits import SplitConfig
from mlsteward.datasets import gss_label_events, gss_occupation_history
from mlsteward.errors import GateRefused, InvalidInput
from mlsteward.lifecycle.board import lifecycle_board
from mlsteward.lifecycle.data_stage import assess_dataset
from mlsteward.lifecycle.datasets import add_dataset, load_dataset
from mlsteward.lifecycle.evaluation import EvaluationOutcome, evaluate_model
from mlsteward.lifecycle.feasibility import run_feasibility
from mlsteward.lifecycle.feature_store import materialize_views
from mlsteward.lifecycle.features import fit_features, validate_against
from mlsteward.lifecycle.governance import record_decision
from mlsteward.lifecycle.promotion import promote, promotion_gate, waive_check
from mlsteward.lifecycle.quickstart_monitoring import deploy_and_monitor
from mlsteward.lifecycle.quickstart_retraining import join_occupation, retrain_and_shadow
from mlsteward.lifecycle.registry import register_model
from mlsteward.lifecycle.signoffs import acting_as, sign_off
from mlsteward.lifecycle.splits import split_and_register
from mlsteward.lifecycle.stage_gates import ProjectStatus, project_status
from mlsteward.lifecycle.training import TrainingResult, train_models
from mlsteward.settings import resolve_settings
from mlsteward.spec import load_spec
from mlsteward.stages import Stage, StageStatus
from mlsteward.workspace import Workspace

Step = Callable[[str], None]
MODEL_NAME = "gss-income-model"
WAIVER_REASON = ("the parity gap mirrors the survey's income gap by gender; the model is used to choose "
                 "material, not to deny a service; risk R1 tracks it and the waiver is reviewed each quarter")


class QuickstartResult(BaseModel):
    project_dir: str
    spec: str
    dataset: str
    splits: dict[str, str]
    data_report: str | None
    feasibility: str
    feasibility_report: str
    feature_set: str
    training_sets: dict[str, str]
    test_validation: str
    data_dictionary: str
    training_run: str
    best_candidate: str
    evaluation: str
    performance_report: str
    model_card: str
    model: str
    promotion: list[str]
    monitoring: list[str]
    challenger: str
    retraining: list[str]
    champion_challenger_report: str
    board: ProjectStatus  # each stage's recorded status and its gate
    not_yet: list[str] = []


def run_quickstart(directory: Path, step: Step = lambda _: None) -> QuickstartResult:
    directory = directory.resolve()
    spec_path = directory / "steward.yaml"
    if spec_path.exists():
        raise InvalidInput(f"{spec_path} already exists: give the quickstart an empty folder")
    (directory / "data").mkdir(parents=True, exist_ok=True)
    (directory / ".steward").mkdir(exist_ok=True)
    (directory / ".steward" / ".gitignore").write_text("*\n")

    step("1 scoping: writing the charter, KPIs, baseline, gates and stakeholders")
    spec_path.write_text(resources.files("mlsteward").joinpath("templates", "quickstart.yaml").read_text())
    spec = load_spec(spec_path)
    workspace = Workspace(resolve_settings(start=directory), create=True)
    store = workspace.store
    lifecycle_board(store, spec)
    store.projects.set_stage(spec.project, Stage.SCOPING, StageStatus.IN_PROGRESS,
                             note="charter written and validated; sign-offs pending")

    step("3 data: the bundled GSS wages data (37,887 labelled rows, 1974-2018)")
    csv = directory / "data" / "gss_wages.csv"
    gss_label_events().drop(columns=["respondent_id"]).to_csv(csv, index=False)
    version, _ = add_dataset(workspace, csv, name="gss", description="GSS wages with high_income")
    step("3 data: profile, quality SLAs, PII, leakage review, contract and report")
    assessment = assess_dataset(workspace, version.ref, spec.data, project=spec.project)
    step("2 feasibility: baselines, prototypes, learning curve, compute and labeling cost: go / no-go")
    feasibility = run_feasibility(workspace, spec, version.ref)
    step("3 data: time-based split (train on the earlier years, validate and test on the latest)")
    split = split_and_register(workspace, version.ref, SplitConfig(strategy="time", time_column="year",
                                                                   fractions=(0.7, 0.1, 0.2)))
    step("4 features: the occupation view joined point in time to each split")
    add_dataset(workspace, gss_occupation_history(), name="occupation_history",
                description="per occupation and survey year: earlier labelled respondents and their high-income share")
    joined = join_occupation(workspace, spec, split.parts)
    step("4 features: one pipeline fitted on the train split; leakage re-screened; data dictionary")
    features = fit_features(workspace, spec, joined["train"])
    validation = validate_against(workspace, load_dataset(workspace, joined["test"]), features.feature_set)
    step("4 features: the view materialized to the online store")
    materialize_views(workspace, spec)
    step("5 training: baselines and tuned candidates, every trial tracked")
    training = train_models(workspace, spec, train=joined["train"], validation=joined["validation"])
    step("6 evaluation: the best model on the test split, the performance report and the model card")
    evaluation = evaluate_model(workspace, spec, "best", joined["test"])
    step("6 registry: the best model registered (skops, ONNX where it converts), then the promotion gate")
    promotion = _govern(workspace, spec, evaluation)
    step("7 deployment: the promoted model live; 8 monitoring: the 2016-2018 respondents as traffic, a monitor run")
    monitoring = deploy_and_monitor(workspace, spec, promotion.model, joined["test"], directory)
    retraining = retrain_and_shadow(workspace, spec, version.ref, promotion.model, joined["test"], step)
    return QuickstartResult(
        project_dir=str(directory), spec=str(spec_path), dataset=version.ref, splits=split.parts,
        data_report=assessment.report_path, feasibility=feasibility.result.decision,
        feasibility_report=feasibility.report_path, feature_set=features.feature_set, training_sets=joined,
        test_validation="passed" if validation.passed else f"{len(validation.issues)} issue(s)",
        data_dictionary=features.dictionary_paths[-1], training_run=training.parent_run, best_candidate=_best_line(training),
        evaluation=_evaluation_line(evaluation), performance_report=evaluation.report_path,
        model_card=evaluation.card_path, model=promotion.model, promotion=promotion.lines, monitoring=monitoring,
        challenger=retraining.challenger, retraining=retraining.lines, champion_challenger_report=retraining.report,
        board=project_status(workspace, spec))


class Promotion(BaseModel):
    model: str
    lines: list[str]  # what happened, in order


def _govern(workspace: Workspace, spec, evaluation: EvaluationOutcome) -> Promotion:
    """Register the evaluated model and take it through the promotion gate (``take_through_gate``)."""
    version = register_model(workspace, spec, evaluation.model_run, MODEL_NAME).version
    lines = [f"registered {version.ref} ({version.format}; ONNX: {version.onnx_note.split(':')[0]})"]
    promoted, steps = take_through_gate(workspace, spec, version.ref)
    return Promotion(model=promoted, lines=lines + steps)


def take_through_gate(workspace: Workspace, spec, ref: str) -> tuple[str, list[str]]:
    """Take model version ``ref`` through the promotion gate as the charter's example stakeholders would:
    refused first (a failing check, missing sign-offs), then each failing check waived with a reason by the
    compliance officer and logged as a decision, both sign-offs recorded, and promoted by the ML engineer.
    The promoted version's ref, and what happened, in order."""
    version = workspace.store.models.resolve(ref)
    lines = []
    people = {p.role: p for p in spec.charter.stakeholders}
    owner, compliance, engineer = people["product_owner"], people["compliance_officer"], people["ml_engineer"]
    try:
        with acting_as(workspace.store, engineer.email or engineer.name):
            promote(workspace, spec, version.ref)
    except GateRefused as refused:
        gate = refused.result
        lines.append("promotion refused: " + "; ".join(f"{c.check} ({c.note})" for c in gate.blocking))
    with acting_as(workspace.store, owner.email or owner.name):
        sign_off(workspace, spec, version.ref, "product_owner", "approve", "meets the uptake and cost targets")
    gate = promotion_gate(workspace, spec, version)
    with acting_as(workspace.store, compliance.email or compliance.name):
        for check in (c for c in gate.checks if c.passed is False and c.kind != "signoff"):
            waive_check(workspace, spec, version.ref, check.check, WAIVER_REASON)
            lines.append(f"{compliance.name} (compliance_officer) waived '{check.check}': {WAIVER_REASON}")
        sign_off(workspace, spec, version.ref, "compliance_officer", "approve", "waiver recorded; R1 owned")
        record_decision(workspace, spec, f"Promote {version.ref} with the fairness ceiling waived",
                        decision=f"promote {version.ref} to production", rationale=WAIVER_REASON,
                        alternatives="a fairness-constrained model (`steward mitigate run`: the threshold optimizer "
                                     "closes the gap but needs gender at prediction time, which the charter forbids); "
                                     "everyone keeps the basic material (today's process)", subject=version.ref)
    lines.append(f"signed off by {owner.name} (product_owner) and {compliance.name} (compliance_officer)")
    with acting_as(workspace.store, engineer.email or engineer.name):
        promoted = promote(workspace, spec, version.ref)
    lines.append(f"{promoted.ref} promoted to {promoted.status} ({', '.join(promoted.aliases)})")
    return promoted.ref, lines


def _best_line(training: TrainingResult) -> str:
    best = next(c for c in training.candidates if c.name == training.best)
    return (f"{best.name}: {training.metric} {best.value:.3f} on {training.validation}, {best.uplift:+.3f} over "
            f"the best baseline (run {best.run_id[:8]})")


def _evaluation_line(outcome: EvaluationOutcome) -> str:
    result = outcome.result
    gate = result.gate.decision if result.gate else "no gate"
    flagged = [c.title.lower() for c in result.checks if c.status in ("warn", "fail")]
    return (f"{outcome.candidate} on {outcome.evaluation.dataset}: promotion gate {gate}"
            + (f"; to review: {', '.join(flagged)}" if flagged else "") + f" (evaluation {outcome.evaluation.id[:8]})")
