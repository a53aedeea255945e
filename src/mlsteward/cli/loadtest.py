"""``steward loadtest``: load a running prediction service and record the result as deployment evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from mlsteward.cli.common import JSON, open_workspace, project_spec
from mlsteward.cli.output import console, err_console, print_json

if TYPE_CHECKING:
    from mlsteward.serving.loadtest import LoadTestResult


def loadtest(
    url: str = typer.Argument(..., metavar="URL", help="The service's base URL, e.g. http://127.0.0.1:8000 (as "
                                                        "`steward serve` prints it)."),
    model: str = typer.Option(..., "--model", "-m", help="The model to call: NAME, NAME@VERSION or NAME@ALIAS."),
    data: str = typer.Option(..., "--data", "-d", help="A registered dataset version NAME@VERSION to draw request "
                                                       "rows from (the model's input columns are sent)."),
    clients: int = typer.Option(32, "--clients", "-c", min=1, help="Concurrent clients, each one request at a time."),
    seconds: float = typer.Option(30.0, "--seconds", "-s", min=0.1, help="How long to load the service."),
    requests: int | None = typer.Option(None, "--requests", "-n", min=1, help="Stop after this many requests "
                                                                               "(or at --seconds, if sooner)."),
    rows: int = typer.Option(1, "--rows", min=1, help="Rows per request."),
    warmup: float = typer.Option(1.0, "--warmup", min=0, help="Seconds of load before measuring (not counted)."),
    token: str | None = typer.Option(None, "--token", "-t", envvar="STEWARD_TOKEN",
                                     help="API token of `steward tokens create` (not needed with `serve --no-auth`)."),
    record: bool = typer.Option(True, "--record/--no-record", help="Record the result as the project's load-test "
                                                                    "evidence (a run tagged kind=load-test)."),
    json_: bool = JSON,
) -> None:
    """Load URL's prediction endpoint for MODEL with CLIENTS concurrent clients for SECONDS, then print the
    requests, errors by status, latency percentiles and throughput. Exits with 1 if any request failed."""
    from mlsteward.lifecycle.load_test import record_load_test, sample_records
    from mlsteward.serving.loadtest import run_load_test

    workspace = open_workspace()
    spec = project_spec(workspace) if record else None  # fail before the load, not after it
    records, columns = sample_records(workspace, data, model)
    if not json_:
        err_console.print(f"loading {url} ({model}) with {clients} clients for {seconds:g} s, {rows} row(s) per "
                          f"request from {data} (columns: {', '.join(columns)})", highlight=False, soft_wrap=True)
    result = run_load_test(url, model, records, clients=clients, seconds=seconds, requests=requests,
                           rows_per_request=rows, token=token, warmup_seconds=warmup)
    run = record_load_test(workspace, spec.project, model, result, data_ref=data) if spec is not None else None
    if json_:
        print_json(result)
    else:
        _print(result)
    if run is not None:
        err_console.print(f"recorded as run {run.id[:8]} (kind=load-test) in {spec.project}", highlight=False)
    if result.errors:
        raise typer.Exit(1)


def _print(result: LoadTestResult) -> None:
    lat = result.latency_ms
    console.print(f"{result.requests:,} requests in {result.duration_s:.1f} s: {result.throughput_rps:,.1f} req/s "
                  f"({result.rows_per_second:,.0f} rows/s), {result.errors:,} errors", highlight=False)
    if lat is not None:
        console.print(f"latency ms: p50 {lat.p50:.2f}  p95 {lat.p95:.2f}  p99 {lat.p99:.2f}  max {lat.max:.2f}",
                      highlight=False)
    if result.errors_by_status:
        console.print("errors: " + ", ".join(f"{k}: {v:,}" for k, v in result.errors_by_status.items()),
                      style="red", highlight=False)
    if result.answered_by:
        console.print("answered by: " + ", ".join(result.answered_by), highlight=False)


__all__ = ["loadtest"]
