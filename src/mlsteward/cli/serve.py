"""``steward serve`` and ``steward ui``: the prediction service, the REST API and the web dashboard over the project's
store (one FastAPI app on uvicorn)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from mlsteward.cli.common import open_workspace
from mlsteward.cli.output import err_console
from mlsteward.ui.access import is_loopback as _loopback
from mlsteward.workspace import Workspace

_ENV = "STEWARD_SERVE_OPTIONS"


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0 for every interface)."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    no_auth: bool = typer.Option(False, "--no-auth", help="Serve without API tokens (only on a trusted network). "
                                                          "By default every model endpoint needs 'Authorization: "
                                                          "Bearer <token>' of `steward tokens create`."),
    max_wait_ms: float = typer.Option(2.0, "--max-wait-ms", min=0, max=1000,
                                      help="How long a request may wait for others to be scored with it "
                                           "(adaptive batching); 0 scores what is waiting at once."),
    max_batch_rows: int = typer.Option(1024, "--max-batch-rows", min=1, help="Most rows per model call."),
    max_body_mb: float = typer.Option(8.0, "--max-body-mb", min=0.001, help="Largest request body accepted (413 "
                                                                            "past it)."),
    model: Annotated[list[str] | None, typer.Option(
        "--model", "-m", help="Load this model at startup (NAME, NAME@VERSION or NAME@ALIAS); repeatable. "
                              "Others load on first use.")] = None,
    workers: int = typer.Option(1, "--workers", min=1, help="Server processes (each loads its own models and "
                                                            "keeps its own metrics)."),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn's log level."),
    no_log: bool = typer.Option(False, "--no-prediction-log", help="Do not log predictions and feedback (by "
                                                                   "default both go to Parquet segments in the "
                                                                   "artifact store, for monitoring)."),
    strict_env: bool = typer.Option(False, "--strict-env", help="Refuse to serve a version whose training run "
                                                                "recorded other library versions than the ones "
                                                                "installed here (by default: a warning)."),
) -> None:
    """Serve the registered models over HTTP: /v1/models/NAME/predict, the Open Inference Protocol V2
    (/v2/models/NAME/infer), /healthz, /readyz, /metrics, the API docs at /docs and the web dashboard at /ui/."""
    options = {"require_token": not no_auth, "max_wait_ms": max_wait_ms, "max_batch_rows": max_batch_rows,
               "max_body_bytes": int(max_body_mb * 1024 * 1024), "preload": list(model or []), "log": not no_log,
               "dashboard_open": _loopback(host), "strict_environment": strict_env}
    _run(host, port, options, workers=workers, log_level=log_level, models=model or [],
         what=f"the API docs at /docs, the dashboard at http://{host}:{port}/ui/; "
              f"{'no auth' if no_auth else 'API tokens required'}")


def ui(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on. On loopback (the default) reading "
                                                          "needs no token; on any other address every page does."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    log_level: str = typer.Option("warning", "--log-level", help="uvicorn's log level."),
) -> None:
    """The web dashboard: the lifecycle board, runs, data, features, models, deployments, monitoring and
    governance of the project here, at http://HOST:PORT/ui/ (the prediction service and REST API are served
    by the same app). Sign in with an API token (`steward tokens create`) to act, e.g. roll back."""
    options = {"require_token": True, "log": True, "dashboard_open": _loopback(host)}
    reading = "open on loopback" if _loopback(host) else "an API token needed to read"
    _run(host, port, options, workers=1, log_level=log_level, models=[],
         what=f"open http://{host}:{port}/ui/ in a browser; {reading}; Ctrl+C stops it")


def _run(host: str, port: int, options: dict, *, workers: int, log_level: str, models: list[str], what: str) -> None:
    import orjson
    import uvicorn

    from mlsteward.serving.host import resolve_version

    workspace = open_workspace()
    for ref in models:  # fail now, with the registry's message, rather than in uvicorn's startup
        resolve_version(workspace, ref)
    workspace.store  # noqa: B018 - and if there is no store here
    if not options["require_token"] and not _loopback(host):
        err_console.print(f"[yellow]warning:[/] serving without API tokens on {host}: anyone who reaches this "
                          "address can call the models")
    err_console.print(f"serving the registry of {workspace.settings.store_url} on http://{host}:{port} ({what})", highlight=False)
    if workers == 1:
        uvicorn.run(_app(workspace, options), host=host, port=port, log_level=log_level)
        return
    os.environ[_ENV] = orjson.dumps(options).decode()  # the worker processes build their app from these
    uvicorn.run("mlsteward.cli.serve:app_from_environment", factory=True, host=host, port=port, workers=workers,
                log_level=log_level)


def app_from_environment():  # a FastAPI app: the factory uvicorn's worker processes call
    import orjson

    return _app(open_workspace(), orjson.loads(os.environ.get(_ENV, "{}")))


def _app(workspace: Workspace, options: dict):  # -> FastAPI
    from mlsteward.serving.app import create_app
    from mlsteward.serving.batcher import BatchingConfig

    batching = BatchingConfig(max_wait_ms=options.get("max_wait_ms", 2.0),
                              max_batch_rows=options.get("max_batch_rows", 1024))
    from mlsteward.serving.prediction_log import FeedbackLog, PredictionLog

    sink, feedback = (PredictionLog(workspace), FeedbackLog(workspace)) if options.get("log", True) else (None, None)
    return create_app(workspace, require_token=options.get("require_token", True), batching=batching,
                      max_body_bytes=options.get("max_body_bytes", 8 * 1024 * 1024),
                      preload=options.get("preload", []), sink=sink, feedback_sink=feedback,
                      dashboard_open=options.get("dashboard_open", False),
                      strict_environment=options.get("strict_environment", False))




__all__ = ["app_from_environment", "serve", "ui"]
