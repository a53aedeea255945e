"""The quickstart's last stages: the promoted model deployed live, the newest survey waves' respondents sent to
the prediction service as requests (in process, through the real service: schema check, batching, prediction
and feedback logs), most of their labels sent back, and a monitor run over that traffic."""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
from pydantic import BaseModel

with warnings.catch_warnings():  # newer starlette asks for httpx2 and warns; httpx serves this in-process use fine
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from starlette.testclient import TestClient

from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.lifecycle.deployment import deploy_model
from mlsteward.lifecycle.monitoring import MonitorOutcome, run_monitor
from mlsteward.lifecycle.signoffs import acting_as
from mlsteward.serving.app import create_app
from mlsteward.serving.prediction_log import FeedbackLog, PredictionLog
from mlsteward.spec import Spec
from mlsteward.workspace import Workspace

REQUESTS = 1_500
LATEST_WAVES = 2  # the traffic: respondents of the two newest survey waves
CLIENTS = 16  # concurrent callers: the service batches their rows into one predict call
LABELLED_SHARE = 0.8  # the share of requests whose label has come back


def deploy_and_monitor(workspace: Workspace, spec: Spec, model: str, traffic: str, root: Path) -> list[str]:
    """Deploy ``model`` live, replay rows of dataset version ``traffic`` as requests, run the monitor."""
    with acting_as(workspace.store, engineer_of(spec)):
        endpoint = deploy_model(workspace, spec, model.split("@")[0], model.split("@")[1],
                                reason="the quickstart's first deployment")
    version = workspace.store.models.resolve(model)
    frame = newest_traffic(workspace, spec, traffic)
    served = serve_requests(workspace, spec, version.name, frame)
    outcome = run_monitor(workspace, spec, spec_dir=root)
    line = (f"{len(frame):,} requests from the newest waves of {traffic} ({CLIENTS} concurrent callers) answered "
            f"and logged; {served.labelled:,} labels sent back (with {', '.join(served.audited) or 'no attribute'} "
            "for the fairness audit)")
    return [f"{version.ref} live on its endpoint (rollback target: {endpoint.state.get('previous') or 'none yet'})",
            line, *_summary(outcome)]


def engineer_of(spec: Spec) -> str:
    """Who the quickstart acts as to deploy: the charter's ML engineer."""
    engineer = next(s for s in spec.charter.stakeholders if s.role == "ml_engineer")
    return engineer.email or engineer.name


def newest_traffic(workspace: Workspace, spec: Spec, traffic: str) -> pd.DataFrame:
    """The quickstart's requests: up to ``REQUESTS`` rows of the newest survey waves of ``traffic``, shuffled."""
    frame = load_dataset(workspace, traffic)
    time_column = spec.data.time_column
    if time_column:
        frame = frame[frame[time_column] >= sorted(frame[time_column].unique())[-LATEST_WAVES]]
    return frame.sample(frac=1.0, random_state=0).head(REQUESTS)


class Served(BaseModel):
    request_ids: list[str]  # in the order of the rows sent
    labelled: int  # the first this many requests got their label back
    audited: list[str]  # the sensitive attributes sent with the labels


def serve_requests(workspace: Workspace, spec: Spec, model: str, frame: pd.DataFrame,
                   labelled_share: float = LABELLED_SHARE) -> Served:
    """Send each row of ``frame`` to ``model``'s endpoint as a request, through the prediction service in process
    (``CLIENTS`` concurrent callers; predictions, shadow scorings and feedback logged), then send the labels of
    the first ``labelled_share`` of them back with the sensitive attributes the model does not read."""
    version = workspace.store.models.resolve(model)
    columns = [c["name"] for c in version.input_schema["columns"]]
    rows = frame[columns].astype(object).where(frame[columns].notna(), None).to_dict("records")
    app = create_app(workspace, require_token=False, sink=PredictionLog(workspace, max_seconds=1.0),
                     feedback_sink=FeedbackLog(workspace, max_seconds=1.0))
    with TestClient(app) as client:
        def ask(row: dict) -> str:
            answer = client.post(f"/v1/models/{version.name}/predict", json={"records": [row]})
            answer.raise_for_status()
            return answer.json()["request_id"]

        with ThreadPoolExecutor(CLIENTS) as callers:
            request_ids = list(callers.map(ask, rows))
        labelled = int(len(rows) * labelled_share)
        audited = [a for a in spec.data.sensitive_attributes if a in frame.columns and a not in columns]
        extras = frame[audited].astype(object).where(frame[audited].notna(), None).to_dict("records")
        feedback = [{"request_id": r, "label": int(y), **extra}  # the attributes the model does not read
                    for r, y, extra in zip(request_ids[:labelled], frame[spec.data.target].tolist()[:labelled],
                                           extras[:labelled], strict=True)]
        if feedback:
            client.post("/v1/feedback", json=feedback).raise_for_status()
    return Served(request_ids=request_ids, labelled=len(feedback), audited=audited)


def _summary(outcome: MonitorOutcome) -> list[str]:
    result, s = outcome.result, outcome.result.signals
    drifted = [c.column for c in result.drift.columns if c.drifted] if result.drift else []
    tested = result.drift.tested_count if result.drift else 0
    headline = (f"monitor run {outcome.run.id[:8]}: {len(drifted)} of {tested} inputs drifted "
                f"({', '.join(drifted) or 'none'}); roc_auc {_n(s.get('roc_auc'))} on "
                f"{int(s.get('labelled_rows') or 0):,} labelled rows, estimated accuracy "
                f"{_n(s.get('estimated_accuracy'))} on all; p95 latency {_n(s.get('p95_latency_ms'))} ms; cost per "
                f"prediction {_n(s.get('cost_per_prediction_usd'))} USD")
    lines = [headline]
    fairness = [f"{k.split('.', 1)[1]} {_n(v)}" for k, v in sorted(s.items())
                if k.startswith("demographic_parity_difference.") and v is not None]
    if fairness:
        lines.append("demographic parity difference over the labelled traffic (attributes sent with the "
                     f"feedback): {', '.join(fairness)}")
    lines += [f"{a.severity} alert: {a.message}" for a in outcome.alerts]
    lines += [f"incident {i} opened (`steward incident show {i}`)" for i in outcome.incidents]
    lines += [f"retraining trigger: {t}" for t in outcome.retrain_due]
    return lines


def _n(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


__all__ = ["Served", "deploy_and_monitor", "engineer_of", "newest_traffic", "serve_requests"]
