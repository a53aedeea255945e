"""The monitoring data the web UI's dashboards read, served by `steward serve` (read-only, token-guarded like
the model endpoints):

- ``GET /v1/monitor/runs?monitor=&model=&since_ms=&limit=`` — runs over time, newest first, each with its
  window, rows, alert count and signals (no full result: the time series);
- ``GET /v1/monitor/runs/{run_id}`` — one run with its full result (drift, performance, operations);
- ``GET /v1/monitor/alerts?status=&monitor=`` and ``GET /v1/incidents?status=`` / ``/v1/incidents/{ref}``.

(No ``from __future__ import annotations`` here: FastAPI must see the dependencies of the local functions.)
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from mlsteward.serving.errors import json_response
from mlsteward.workspace import Workspace


def add_monitoring_routes(app: FastAPI, workspace: Workspace, authenticate: Callable, errors_doc: dict) -> None:
    store = workspace.store
    User = Annotated[str | None, Depends(authenticate)]

    def listing(records: list) -> Response:
        return json_response([r.model_dump(mode="json") for r in records])

    @app.get("/v1/monitor/runs", responses=errors_doc, tags=["monitoring"])
    async def monitor_runs(_user: User, monitor: str | None = None, model: str | None = None,
                           since_ms: int | None = None, limit: Annotated[int, Query(ge=1, le=10_000)] = 500
                           ) -> Response:
        """Monitor runs over time, newest first, with their signals."""
        return listing(await run_in_threadpool(store.monitoring.runs, monitor=monitor, model=model,
                                               since_ms=since_ms, limit=limit, with_result=False))

    @app.get("/v1/monitor/runs/{run_id}", responses=errors_doc, tags=["monitoring"])
    async def monitor_run(run_id: str, _user: User) -> Response:
        """One monitor run with its full result."""
        return json_response((await run_in_threadpool(store.monitoring.run, run_id)).model_dump(mode="json"))

    @app.get("/v1/monitor/alerts", responses=errors_doc, tags=["monitoring"])
    async def alerts(_user: User, status: str | None = None, monitor: str | None = None) -> Response:
        """Alerts, newest first."""
        return listing(await run_in_threadpool(store.monitoring.alerts, status=status, monitor=monitor))

    @app.get("/v1/incidents", responses=errors_doc, tags=["monitoring"])
    async def incidents(_user: User, status: str | None = None) -> Response:
        """Incidents, newest first."""
        return listing(await run_in_threadpool(store.incidents.list, status=status))

    @app.get("/v1/incidents/{ref}", responses=errors_doc, tags=["monitoring"])
    async def incident(ref: str, _user: User) -> Response:
        """One incident: its runbook fields, timeline and postmortem."""
        return json_response((await run_in_threadpool(store.incidents.get, ref)).model_dump(mode="json"))
