"""`steward retrain`: from a fired retraining trigger to a challenger that may replace the champion.

1. The triggers: the retraining rules of steward.yaml (``monitoring.retraining.triggers``) against the
   signals of the monitor's latest run; with none fired the retrain is refused unless forced.
2. The same config on the new data: the features of steward.yaml fitted on the new training split,
   the candidates trained and tuned, the best evaluated on the new test split.
3. The best registered as the next version of the model: the challenger.
4. The challenger in shadow on logged traffic: the monitor window's logged requests replayed through
   champion and challenger, compared on agreement and, where labels arrived, on metrics
   (``mlsteward.monitor.champion_challenger``); optionally deployed as the endpoint's shadow too.
5. The champion–challenger report (HTML and JSON), recorded as a run tagged ``kind=retrain``.
6. Promotion only through the promotion gate (``--promote``): refused, it says what is missing.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from mlsteward.errors import GateRefused, InvalidInput
from mlsteward.lifecycle.data_stage import REPORTS_DIR
from mlsteward.lifecycle.deployment import deploy_model, endpoint_of
from mlsteward.lifecycle.evaluation import evaluate_model
from mlsteward.lifecycle.features import fit_features
from mlsteward.lifecycle.monitor_inputs import logged_window, model_inputs
from mlsteward.lifecycle.promotion import PromotionGate, promote, promotion_gate
from mlsteward.lifecycle.registry import load_model_version, register_model
from mlsteward.lifecycle.training import start_run_record, train_models
from mlsteward.monitor.champion_challenger import ChampionChallenger, compare_models
from mlsteward.report import render_champion_challenger, write_report
from mlsteward.spec import Spec
from mlsteward.spec_monitoring import duration_ms
from mlsteward.store.models import ModelVersion
from mlsteward.workspace import Workspace


class RetrainOutcome(BaseModel):
    model: str
    triggers: list[str]
    training_run: str
    feature_set: str
    evaluation_report: str
    champion: str | None
    challenger: str
    comparison: ChampionChallenger | None
    gate: PromotionGate
    promoted: bool
    report_path: str
    run_id: str
    notes: list[str] = []


def retrain(workspace: Workspace, spec: Spec, model: str, *, train: str, validation: str, test: str,
            monitor: str | None = None, force: bool = False, shadow: bool = False,
            promote_if_passed: bool = False) -> RetrainOutcome:
    """Retrain ``model`` on new data versions and take the challenger as far as the gates allow (module doc)."""
    store = workspace.store
    registered = store.models.model(model)  # NotFound names the fix
    for ref in (train, validation, test):
        store.datasets.get(ref)  # before anything is written: an unknown version is refused here
    watch = spec.monitoring.monitor(monitor) if spec.monitoring.monitors else None
    triggers = fired_triggers(workspace, spec, watch.name if watch else None)
    if not triggers and not force:
        raise InvalidInput("no retraining trigger fired in the monitor's latest run (`steward monitor run`, rules "
                           "under monitoring.retraining.triggers): pass --force to retrain anyway")
    triggers = triggers or ["forced (no trigger fired)"]
    endpoint, _ = endpoint_of(workspace, model)
    live = endpoint.live if endpoint else registered.production_version
    champion = store.models.get(model, str(live)) if live is not None else None
    features = fit_features(workspace, spec, train)
    training = train_models(workspace, spec, train=train, validation=validation, feature_set=features.feature_set)
    evaluation = evaluate_model(workspace, spec, "best", test)
    challenger = register_model(workspace, spec, "best", model,
                                description=f"challenger retrained on {train}: {'; '.join(triggers)}").version
    notes: list[str] = []
    comparison = None
    if champion is not None:
        window = duration_ms(watch.window) if watch else 7 * 86_400_000
        comparison = replay(workspace, champion, challenger, window)
        if comparison is None:
            notes.append(f"no logged traffic of {model} in the last {watch.window if watch else '7d'}: the models "
                         "were compared on the test split only")
    if shadow and endpoint is not None:
        deploy_model(workspace, spec, model, str(challenger.version), "shadow",
                     reason=f"challenger of {champion.ref if champion else model} in shadow")
        notes.append(f"{challenger.ref} deployed as the endpoint's shadow: it scores live traffic, answers none")
    gate = promotion_gate(workspace, spec, challenger)
    promoted = False
    if promote_if_passed:
        try:
            promote(workspace, spec, challenger.ref)
            promoted = True
        except GateRefused as refused:
            gate = refused.result
            notes.append("promotion refused by the gate: " + "; ".join(f"{c.check} ({c.note})" for c in gate.blocking))
    html = render_champion_challenger(model=model, triggers=triggers, champion=champion, challenger=challenger,
                                      comparison=comparison, gate=gate, promoted=promoted, notes=notes)
    run_id = _record(workspace, spec, model, triggers, challenger, comparison, html, train, test)
    report = write_report(html, Path(workspace.settings.project_root) / REPORTS_DIR /
                          f"champion-challenger-{challenger.name}-v{challenger.version}.html")
    return RetrainOutcome(model=model, triggers=triggers, training_run=training.parent_run,
                          feature_set=features.feature_set, evaluation_report=evaluation.report_path,
                          champion=champion.ref if champion else None, challenger=challenger.ref,
                          comparison=comparison, gate=gate, promoted=promoted, report_path=str(report),
                          run_id=run_id, notes=notes)


def fired_triggers(workspace: Workspace, spec: Spec, monitor: str | None) -> list[str]:
    """The retraining rules that fire on the signals of ``monitor``'s latest run."""
    if monitor is None:
        return []
    runs = workspace.store.monitoring.runs(monitor=monitor, limit=1, with_result=False)
    if not runs:
        return []
    signals = runs[0].signals
    return [f"{rule.describe(signals.get(rule.signal))} (monitor run {runs[0].id[:8]})"
            for rule in spec.monitoring.retraining.triggers if rule.fires(signals.get(rule.signal))]


def replay(workspace: Workspace, champion: ModelVersion, challenger: ModelVersion,
           window_ms: int) -> ChampionChallenger | None:
    """Both versions on the requests the champion's endpoint logged in the last ``window_ms``."""
    end = int(time.time() * 1000)
    frame = logged_window(workspace, champion.name, end - window_ms, end + 1)
    if frame.empty:
        return None
    columns = [c["name"] for c in challenger.input_schema.get("columns", [])]
    inputs = model_inputs(frame)
    missing = [c for c in columns if c not in inputs.columns]
    if missing:
        raise InvalidInput(f"the logged requests lack the inputs {missing} that {challenger.ref} needs")
    rows = inputs[columns]
    outputs = []
    for version in (champion, challenger):
        estimator = load_model_version(workspace, version.ref)
        prob = estimator.predict_proba(rows) if hasattr(estimator, "predict_proba") else None
        outputs.append((np.asarray(estimator.predict(rows)), prob, getattr(estimator, "classes_", None)))
    labels = frame["label"] if "label" in frame.columns else [None] * len(frame)
    return compare_models(champion.ref, challenger.ref, outputs[0][0], outputs[1][0], labels,
                          champion_prob=outputs[0][1], challenger_prob=outputs[1][1], classes=outputs[0][2])


def _record(workspace: Workspace, spec: Spec, model: str, triggers: list[str], challenger: ModelVersion,
            comparison: ChampionChallenger | None, html: str, train: str, test: str) -> str:
    tags = {"kind": "retrain", "stage": "monitoring", "model": challenger.ref}
    run = start_run_record(workspace, spec.project, f"retrain-{challenger.ref}", None, None, tags)
    try:
        run.log_params({"model": model, "challenger": challenger.ref, "train": train, "test": test,
                        "triggers": "; ".join(triggers)})
        if comparison is not None:
            run.log_metrics({"agreement": comparison.agreement, "labelled_rows": float(comparison.labelled_rows),
                             **{f"difference.{k}": v for k, v in comparison.differences.items()}})
            run.log_bytes(comparison.model_dump_json(indent=2).encode(), "champion-challenger.json")
        run.log_bytes(html.encode(), "champion-challenger.html")
        run.end("finished")
    except BaseException:
        run.end("failed")
        raise
    return run.id


__all__ = ["RetrainOutcome", "fired_triggers", "replay", "retrain"]
