"""The checks of one monitor run over a window of logged traffic, and the signals they yield.

Drift of the model's inputs and of the target (labels that arrived) against the stored reference
statistics; prediction drift against the live version's predictions on the reference; performance over
time (``mlsteward.monitor.performance_over_time``, buckets of ``monitor.bucket``, cohorts, fairness of the
sensitive attributes the service logged); operations and cost against the charter's budgets; and, when
the monitor asks, explainability drift. Each check fills its part of the ``MonitorResult`` and its
signals (names in ``mlsteward.spec_monitoring``).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import pandas as pd

from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.lifecycle.monitor_inputs import (
    INPUT_PREFIX,
    PREDICTION,
    model_inputs,
    stored_prediction_profile,
    stored_profile,
    window_readers,
)
from mlsteward.lifecycle.registry import load_model_version
from mlsteward.monitor import (
    Budgets,
    dataset_drift,
    drift_over_partitions,
    importance_drift,
    operations_summary,
    performance_over_time,
)
from mlsteward.spec import Spec
from mlsteward.spec_monitoring import Monitor, duration_ms
from mlsteward.store.models import ModelVersion
from mlsteward.workspace import Workspace

if TYPE_CHECKING:
    from mlsteward.lifecycle.monitoring import MonitorResult

IMPORTANCE_ROWS = 2_000


def compute(workspace: Workspace, spec: Spec, monitor: Monitor, version: ModelVersion, reference: str,
            frame: pd.DataFrame, result: MonitorResult, engine: str = "local") -> None:
    """Run every check of ``monitor`` on ``frame`` (the window's answered predictions), filling ``result``;
    ``engine="ray"`` computes the input drift over the window's log segments as Ray tasks."""
    model = cache(lambda: load_model_version(workspace, version.ref))
    inputs = model_inputs(frame)
    schema = [c["name"] for c in version.input_schema.get("columns", [])]
    columns = monitor.drift.columns or [c for c in schema if c in inputs.columns] or list(inputs.columns)
    _drift(workspace, spec, monitor, reference, frame, inputs, columns, result, engine)
    answered_by_live = (frame["version"] == version.version).to_numpy()
    if not answered_by_live.all():
        result.notes.append(f"performance, operations and prediction drift read the {int(answered_by_live.sum())} "
                            f"rows {version.ref} answered; input drift reads all {len(frame)}")
    live_rows = frame[answered_by_live].reset_index(drop=True)
    if live_rows.empty:
        result.notes.append(f"{version.ref} answered no request in the window")
        return
    _prediction_drift(workspace, version, reference, live_rows, model, result)
    _performance(spec, monitor, version, live_rows, inputs[answered_by_live].reset_index(drop=True), result)
    failed = int((frame["arm"] == "fallback").sum()) if "arm" in frame.columns else 0
    _operations(spec, live_rows, failed, result)
    if monitor.explainability:
        _importance(workspace, reference, inputs, schema or columns, model, result)


def _drift(workspace: Workspace, spec: Spec, monitor: Monitor, reference: str, frame: pd.DataFrame,
           inputs: pd.DataFrame, columns: list[str], result: MonitorResult, engine: str) -> None:
    """Input drift against the stored reference statistics, and target drift on the labels that arrived. With
    ``engine="ray"`` the input drift is one Ray task per log segment of the window
    (``drift_over_partitions``, the same numbers); the target's drift (labels joined here) stays local."""
    target = spec.data.target
    profile = stored_profile(workspace, reference, target)
    current = inputs[[c for c in columns if c in inputs.columns]].copy()
    has_target = bool(target) and target in profile.columns
    if has_target and "label" in frame.columns and frame["label"].notna().any():
        current[target] = frame["label"].to_numpy()
    s = monitor.drift
    options = {"tests": s.tests, "thresholds": s.thresholds, "correction": s.correction,
               "effect_floor": s.effect_floor, "drift_share": s.drift_share}
    if engine == "ray":
        readers = window_readers(workspace, monitor.model, result.window_start_ms, result.window_end_ms)
        drift = drift_over_partitions(load_dataset(workspace, reference), readers, engine="ray", columns=columns,
                                      rename={INPUT_PREFIX + c: c for c in columns}, **options)
        if has_target:
            labels = current[[target]] if target in current.columns else current.iloc[:, :0]
            target_drift = dataset_drift(profile, labels, columns=[], target=target)
            drift = drift.model_copy(update={"target": target_drift.target,
                                             "skipped": drift.skipped + target_drift.skipped})
    else:
        drift = dataset_drift(profile, current, columns=columns, target=target if has_target else None, **options)
    result.drift = drift
    result.signals.update({
        "drift_share": drift.drifted_share, "drifted_columns": float(drift.drifted_count),
        "dataset_drifted": float(drift.drifted),
        "target_drifted": None if drift.target is None else float(drift.target.drifted)})
    for column in drift.columns:
        result.signals[f"drift.{column.column}"] = column.statistic


def _prediction_drift(workspace: Workspace, version: ModelVersion, reference: str, frame: pd.DataFrame,
                      model: Any, result: MonitorResult) -> None:
    if PREDICTION not in frame.columns:
        return
    try:
        profile = stored_prediction_profile(workspace, reference, version, model())
    except Exception as exc:  # noqa: BLE001 - a reference the model cannot score leaves prediction drift out
        result.notes.append(f"prediction drift left out: {exc}")
        return
    drift = dataset_drift(profile, frame[[PREDICTION]], columns=[PREDICTION])
    column = drift.columns[0] if drift.columns else None
    result.prediction_drift = None if column is None else column.model_dump(mode="json")
    result.signals["prediction_drifted"] = None if column is None else float(column.drifted)
    result.signals["prediction_drift"] = None if column is None else column.statistic


def _performance(spec: Spec, monitor: Monitor, version: ModelVersion, frame: pd.DataFrame, inputs: pd.DataFrame,
                 result: MonitorResult) -> None:
    """Performance over time. A sensitive attribute is read from the logged inputs, else from the feedback
    (``{"request_id", "label", "gender": ...}``: an attribute the model does not read, sent with the
    outcome); the latter is audited on the rows that carried it."""
    sensitive = monitor.sensitive if monitor.sensitive is not None else spec.data.sensitive_attributes
    logged = [name for name in sensitive if name in inputs.columns]
    sent = [name for name in sensitive if name not in logged and f"feedback.{name}" in frame.columns]
    missing = [name for name in sensitive if name not in logged and name not in sent]
    if missing:
        result.notes.append(f"fairness over time: {missing} neither in the logged requests nor sent with the "
                            "feedback (POST /v1/feedback takes them beside the label)")
    table = _performance_table(frame, inputs, [*monitor.cohorts, *logged])
    common = {"window_ms": duration_ms(monitor.bucket), "reference": version.metrics,
              "min_labelled": monitor.min_labelled, **_task(version)}
    performance = performance_over_time(table, cohorts=[INPUT_PREFIX + c for c in monitor.cohorts if c in inputs],
                                        sensitive=[INPUT_PREFIX + c for c in logged], **common)
    result.performance = performance.model_dump(mode="json")
    audits = list(performance.overall.fairness)
    for name in sent:
        carried = frame[f"feedback.{name}"].notna().to_numpy()
        if not carried.any():
            result.notes.append(f"fairness over time: no feedback in the window carried {name}")
            continue
        subset = table[carried].assign(**{f"feedback.{name}": frame.loc[carried, f"feedback.{name}"].to_numpy()})
        audits += performance_over_time(subset, sensitive=[f"feedback.{name}"], **common).overall.fairness
    result.performance["fairness_from_feedback"] = [a.model_dump(mode="json") for a in audits[len(logged):]]
    overall = performance.overall
    result.signals.update({"labelled_rows": float(overall.labelled_rows), "label_coverage": overall.label_coverage,
                           "calibration_drift": overall.calibration_drift})
    result.signals.update(overall.metrics)
    for name, estimate in overall.estimates.items():
        result.signals[f"estimated_{name}"] = estimate.value
    for audit in audits:
        attribute = audit.attribute.removeprefix(INPUT_PREFIX).removeprefix("feedback.")
        result.signals[f"demographic_parity_difference.{attribute}"] = audit.demographic_parity_difference
        result.signals[f"equalized_odds_difference.{attribute}"] = audit.equalized_odds_difference


def _performance_table(frame: pd.DataFrame, inputs: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """What ``performance_over_time`` reads: time, prediction, probabilities, label, and ``input.<c>``."""
    table = pd.DataFrame({"time_ms": frame["time_ms"].to_numpy(), "prediction": frame[PREDICTION].to_numpy()})
    if "probabilities" in frame.columns:
        table["probabilities"] = frame["probabilities"].to_numpy()
    table["label"] = frame["label"].to_numpy() if "label" in frame.columns else None
    for column in dict.fromkeys(c for c in columns if c in inputs.columns):
        table[INPUT_PREFIX + column] = inputs[column].to_numpy()
    return table


def _task(version: ModelVersion) -> dict:
    classes = (version.output_schema.get("prediction") or {}).get("classes")
    return {"classes": classes, "task": "classification" if classes else "regression"}


def _operations(spec: Spec, frame: pd.DataFrame, failed: int, result: MonitorResult) -> None:
    """Latency, throughput and cost of the live version's answers; its errors are the requests it raised on
    (answered by the fallback, ``arm=fallback``). Requests refused before scoring (4xx) are not model errors;
    the service's ``/metrics`` counts them."""
    constraints, cost = spec.charter.constraints, spec.monitoring.cost
    budgets = Budgets(p95_latency_ms=constraints.p95_latency_ms,
                      cost_per_prediction_usd=constraints.cost_per_prediction_usd)
    summary = operations_summary(frame["time_ms"].to_numpy(), frame["latency_ms"].to_numpy(), errors=failed,
                                 cost_model=cost, budgets=budgets,
                                 period_ms=(result.window_start_ms, result.window_end_ms))
    result.operations = summary.model_dump(mode="json")
    latency = summary.latency_ms
    result.signals.update({
        "p50_latency_ms": latency.p50 if latency else None, "p95_latency_ms": latency.p95 if latency else None,
        "p99_latency_ms": latency.p99 if latency else None, "throughput_rps": summary.throughput_rps,
        "error_rate": summary.error_rate, "cost_per_prediction_usd": summary.cost_per_prediction_usd})


def _importance(workspace: Workspace, reference: str, inputs: pd.DataFrame, columns: list[str], model: Any,
                result: MonitorResult) -> None:
    reference_rows = load_dataset(workspace, reference)
    usable = [c for c in columns if c in reference_rows.columns and c in inputs.columns]
    drift = importance_drift(model(), reference_rows[usable], inputs[usable], max_rows=IMPORTANCE_ROWS)
    result.importance = drift.model_dump(mode="json")
    result.signals["importance_spearman"] = drift.spearman
    result.signals["importance_top_k_overlap"] = drift.top_k_overlap
    result.signals["importance_drifted"] = float(drift.drifted)




__all__ = ["compute"]
