"""The deployment stage's load-test evidence: a load test of the running service, recorded as a tracked run.

``sample_records`` draws the request rows from a registered dataset version (the columns the model's
input schema names); ``record_load_test`` stores a ``LoadTestResult`` as a finished run of the project's
experiment tagged ``kind=load-test`` and ``stage=deployment``, with its numbers as metrics and the whole
result as the artifact ``load-test.json``. The deployment stage gate reads the newest such run.
"""

from __future__ import annotations

from typing import Any

from mlsteward.errors import InvalidInput, NotFound
from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.lifecycle.training import start_run_record
from mlsteward.serving.loadtest import LoadTestResult
from mlsteward.store.runs import RunRecord
from mlsteward.workspace import Workspace

ARTIFACT = "load-test.json"
MAX_SAMPLE_ROWS = 10_000


def model_columns(workspace: Workspace, model_ref: str) -> list[str] | None:
    """The raw input columns of registered model ``model_ref`` (its input schema), or None if it is not in
    this registry or has no schema."""
    try:
        version = workspace.store.models.resolve(model_ref)
    except NotFound:
        return None
    columns = [c["name"] for c in (version.input_schema or {}).get("columns", [])]
    return columns or None


def sample_records(workspace: Workspace, data_ref: str, model_ref: str, *, rows: int = MAX_SAMPLE_ROWS,
                   seed: int = 0) -> tuple[list[dict[str, Any]], list[str]]:
    """Up to ``rows`` rows of dataset version ``data_ref`` (a random sample, seeded) as JSON-ready records
    (missing values as null), restricted to the columns model ``model_ref`` needs when the registry knows
    them (else every column); returns the records and the columns."""
    frame = load_dataset(workspace, data_ref)
    if frame.empty:
        raise InvalidInput(f"dataset version {data_ref} has no rows to send: give another with --data NAME@VERSION")
    columns = model_columns(workspace, model_ref)
    if columns is not None:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise InvalidInput(f"dataset version {data_ref} lacks the column(s) {', '.join(missing)} that "
                               f"{model_ref} needs: give a version that has them (e.g. its test split)")
        frame = frame[columns]
    else:
        columns = list(frame.columns)
    if len(frame) > rows:
        frame = frame.sample(rows, random_state=seed)
    frame = frame.astype(object).where(frame.notna(), None)
    return frame.to_dict("records"), columns


def record_load_test(workspace: Workspace, project: str, model_ref: str, result: LoadTestResult, *,
                     data_ref: str | None = None) -> RunRecord:
    """Record ``result`` as the project's load-test evidence: a finished run in experiment ``project``
    tagged kind=load-test, stage=deployment, model=``model_ref``, with the result's metrics and the result
    itself as artifact ``load-test.json``. Returns the run as stored."""
    tags = {"kind": "load-test", "stage": "deployment", "model": model_ref}
    run = start_run_record(workspace, project, f"load-test-{model_ref}", None, None, tags)
    try:
        params = {"url": result.url, "model": model_ref, "clients": result.clients,
                  "rows_per_request": result.rows_per_request, "warmup_seconds": result.warmup_seconds}
        if result.target_seconds is not None:
            params["seconds"] = result.target_seconds
        if result.target_requests is not None:
            params["requests"] = result.target_requests
        if data_ref:
            params["dataset"] = data_ref
        run.log_params(params)
        run.log_metrics(result.metrics())
        run.log_bytes(result.model_dump_json(indent=2).encode(), ARTIFACT)
        if data_ref:
            workspace.store.datasets.link_run(run.id, data_ref, "load-test")
        run.end("finished")
    except BaseException:
        run.end("failed")
        raise
    return workspace.store.runs.get(run.id)


__all__ = ["ARTIFACT", "model_columns", "record_load_test", "sample_records"]
