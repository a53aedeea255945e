"""The evaluation suite: checks registered by name, run in order on one model and one test set.

``run_suite`` validates everything first (the model's inputs are in the data, the target suits the
model, every class the model knows has rows, the sensitive attributes exist), then runs each selected
check, timing it and catching nothing but its own outcome: a check that cannot apply to this model
(calibration of a regressor, fairness with no sensitive attribute) is *skipped* with the reason when
it came from the default suite, and refused before any work when it was asked for by name.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel
from sklearn.base import is_classifier

from mlsteward.errors import InvalidInput
from mlsteward.evaluate._uplift import KPITarget
from mlsteward.evaluate.gates import GateEvidence, GateResult
from mlsteward.spec_evaluation import DEFAULT_CHECKS, EvaluationSpec
from mlsteward.spec_gates import GateCheck
from mlsteward.train.metrics import Metric, metric_named, plain_value, positive_class, task_of

Status = Literal["pass", "warn", "fail", "info", "skipped", "error"]


@dataclass
class SuiteInputs:
    """Everything the checks read. ``frame`` is the test rows without the target (sensitive and other
    descriptive columns included); the model scores ``frame[model.input_columns]``."""

    model: Any
    frame: pd.DataFrame
    y: pd.Series
    metric_name: str | None = None
    config: EvaluationSpec = field(default_factory=EvaluationSpec)
    sensitive: Sequence[str] = ()
    gate: Sequence[GateCheck] = ()
    baselines: dict[str, float] = field(default_factory=dict)
    kpi: KPITarget | None = None  # the charter's KPI for the model's metric
    train: tuple[pd.DataFrame, pd.Series] | None = None  # for cross-validation and retrain ablation
    calibration_rows: tuple[pd.DataFrame, pd.Series] | None = None  # the validation split, to recalibrate
    refit: Callable[[pd.DataFrame, pd.Series], Any] | None = None  # fit the model again on raw columns
    critical: Sequence[str] = ()  # raw columns behind explainability-critical features
    seed: int = 0

    @cached_property
    def task(self) -> str:
        return "classification" if is_classifier(self.model) else "regression"

    @cached_property
    def metric(self) -> Metric:
        default = "roc_auc" if self.binary and self.has_proba else "accuracy" if self.task == "classification" \
            else "rmse"
        return metric_named(self.metric_name or default, self.task)

    @cached_property
    def X(self) -> pd.DataFrame:  # noqa: N802
        return self.frame[list(getattr(self.model, "input_columns", self.frame.columns))]

    @cached_property
    def classes(self) -> list | None:
        return list(self.model.classes_) if self.task == "classification" else None

    @property
    def binary(self) -> bool:
        return self.classes is not None and len(self.classes) == 2

    @property
    def has_proba(self) -> bool:
        return hasattr(self.model, "predict_proba")

    @cached_property
    def y_pred(self) -> np.ndarray:
        return np.asarray(self.model.predict(self.X))

    @cached_property
    def y_prob(self) -> np.ndarray | None:
        """Class probabilities (one column per class in ``classes`` order), or None."""
        return np.asarray(self.model.predict_proba(self.X)) if self.has_proba and self.task == "classification" \
            else None

    @cached_property
    def positive_proba(self) -> np.ndarray | None:
        return self.y_prob[:, 1] if self.binary and self.y_prob is not None else None


class CheckReport(BaseModel):
    """What a check's runner returns: its status, a one-line summary and its typed result."""

    status: Status
    summary: str
    result: Any = None


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    run: Callable[[SuiteInputs, dict[str, CheckReport]], CheckReport]
    unsuitable: Callable[[SuiteInputs], str | None] = lambda _: None  # why it cannot run here, or None


CHECKS: dict[str, Check] = {}
"""Every evaluation check by name, in registration (report) order."""


def register_check(name: str, title: str, *, unsuitable: Callable[[SuiteInputs], str | None] | None = None
                   ) -> Callable[[Callable], Callable]:
    """Register a check runner ``fn(inputs, earlier_reports) -> CheckReport`` under ``name``."""
    def decorate(fn: Callable) -> Callable:
        if name in CHECKS:
            raise ValueError(f"an evaluation check named {name!r} is already registered")
        CHECKS[name] = Check(name=name, title=title, run=fn, unsuitable=unsuitable or (lambda _: None))
        return fn
    return decorate


class CheckOutcome(BaseModel):
    name: str
    title: str
    status: Status
    summary: str
    seconds: float
    result: dict | None = None


class SuiteResult(BaseModel):
    task: str
    metric: str
    greater_is_better: bool
    n_rows: int
    classes: list | None
    positive_class: Any = None
    checks: list[CheckOutcome]
    gate: GateResult | None = None
    evidence: GateEvidence | None = None  # what the promotion gate reads, so a later gate can be decided again
    seconds: float
    notes: list[str] = []

    def check(self, name: str) -> CheckOutcome | None:
        return next((c for c in self.checks if c.name == name), None)

    def result(self, name: str) -> dict | None:
        """The typed result of check ``name`` as a dict, or None when it did not run."""
        found = self.check(name)
        return found.result if found else None


Progress = Callable[[str, int, int], None]  # (check title, index, total)


def run_suite(inputs: SuiteInputs, checks: Sequence[str] | None = None, *,
              progress: Progress | None = None) -> SuiteResult:
    """Validate ``inputs`` and run ``checks`` (default: the configured suite) in order."""
    from mlsteward.evaluate import checks as _registered  # noqa: F401  (registers the built-in checks)

    progress = progress or (lambda *_: None)
    explicit = checks is not None or "checks" in inputs.config.model_fields_set
    names = list(checks if checks is not None else inputs.config.checks)
    validate_inputs(inputs)
    plan = _plan(inputs, names, explicit)
    started = time.perf_counter()
    reports: dict[str, CheckReport] = {}
    outcomes = []
    for i, (name, reason) in enumerate(plan):
        check = CHECKS[name]
        progress(check.title, i, len(plan))
        if reason:
            outcomes.append(CheckOutcome(name=name, title=check.title, status="skipped", summary=reason, seconds=0.0))
            continue
        t0 = time.perf_counter()
        try:
            report = check.run(inputs, reports)
        except InvalidInput as error:
            report = CheckReport(status="error", summary=str(error))
        except Exception as error:  # noqa: BLE001 - one broken check must not lose the others' results
            where = traceback.extract_tb(error.__traceback__)[-1]
            report = CheckReport(status="error", summary=f"{type(error).__name__}: {error} "
                                 f"({where.filename.rsplit('/', 1)[-1]}:{where.lineno})")
        reports[name] = report
        result = report.result.model_dump(mode="json") if isinstance(report.result, BaseModel) else report.result
        outcomes.append(CheckOutcome(name=name, title=check.title, status=report.status, summary=report.summary,
                                     seconds=round(time.perf_counter() - t0, 4), result=result))
    progress("done", len(plan), len(plan))
    gate = reports["gates"].result if "gates" in reports and isinstance(reports["gates"].result, GateResult) else None
    positive = plain_value(positive_class(np.asarray(inputs.classes))) if inputs.binary else None
    return SuiteResult(task=inputs.task, metric=inputs.metric.name, greater_is_better=inputs.metric.greater_is_better,
                       n_rows=len(inputs.y), classes=_plain_list(inputs.classes), positive_class=positive,
                       checks=outcomes, gate=gate, evidence=_registered.gate_evidence(inputs, reports),
                       seconds=round(time.perf_counter() - started, 4))


def validate_inputs(inputs: SuiteInputs) -> None:
    """Refuse, before any work, data the model cannot be evaluated on; each message says what to do."""
    model, frame, y = inputs.model, inputs.frame, inputs.y
    if not len(frame):
        raise InvalidInput("the test set has no rows: evaluate on a dataset version with rows")
    if len(frame) != len(y):
        raise InvalidInput(f"the test set has {len(frame)} rows but {len(y)} target values")
    wanted = list(getattr(model, "input_columns", []))
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise InvalidInput(f"the model's input schema does not match the data: column(s) {missing} are missing "
                           f"(the model reads {wanted}); evaluate on data with the training data's columns")
    if y.isna().any():
        raise InvalidInput(f"the target is missing on {int(y.isna().sum())} test rows: drop or label them first")
    if inputs.task == "classification":
        if task_of(y) == "regression":
            raise InvalidInput(f"the target looks continuous ({y.nunique()} distinct numbers) but the model is a "
                               "classifier: evaluate a regression model, or check the target column")
        known = set(_plain_list(inputs.classes))
        seen = set(_plain_list(pd.unique(y)))
        unknown, absent = sorted(seen - known, key=str), sorted(known - seen, key=str)
        if unknown:
            raise InvalidInput(f"the test set has class(es) {unknown} the model never saw (it knows "
                               f"{sorted(known, key=str)}): check the target's coding")
        if absent:
            raise InvalidInput(f"the test set lacks class(es) {absent}: per-class metrics, ROC AUC and calibration "
                               "need every class; split stratified by the target or evaluate on more rows")
    elif not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        raise InvalidInput(f"the model is a regressor but the target is {y.dtype}: evaluate a classifier, or "
                           "check the target column")
    absent_sensitive = [c for c in inputs.sensitive if c not in frame.columns]
    if absent_sensitive:
        raise InvalidInput(f"sensitive attribute(s) {absent_sensitive} are not columns of the test set (it has "
                           f"{list(frame.columns)}): fix data.sensitive_attributes in steward.yaml")
    try:
        model.predict(inputs.X.head(50))
    except InvalidInput:
        raise
    except Exception as error:  # a schema mismatch surfaces as any error of the pipeline
        raise InvalidInput(f"the model cannot score these rows ({type(error).__name__}: {error}): the data's "
                           "columns or types do not match what the model was trained on") from error
    inputs.metric  # noqa: B018 - a metric unsuited to the task is refused here


def _plan(inputs: SuiteInputs, names: list[str], explicit: bool) -> list[tuple[str, str | None]]:
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise InvalidInput(f"unknown check(s) {unknown}; the checks are: {', '.join(CHECKS)}")
    plan = [(n, CHECKS[n].unsuitable(inputs)) for n in sorted(names, key=list(CHECKS).index)]
    refused = [f"{n} ({reason})" for n, reason in plan if reason]
    if explicit and refused:
        raise InvalidInput("these checks cannot run on this model and data: " + "; ".join(refused))
    return plan


def _plain_list(values: Any) -> list | None:
    return None if values is None else [plain_value(v) for v in values]


__all__ = ["CHECKS", "DEFAULT_CHECKS", "Check", "CheckOutcome", "CheckReport", "SuiteInputs",
           "SuiteResult", "register_check", "run_suite", "validate_inputs"]
