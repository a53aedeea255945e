"""The prediction service: registered model versions behind HTTP (FastAPI), v1 and Open Inference Protocol V2.

Endpoints (all JSON; errors are ``{"error": CODE, "message": ..., "request_id": ...}``):

- ``POST /v1/models/{name}/predict`` with ``{"records": [...]}`` or ``{"columns": {...}}`` (or
  ``{"inputs": either}``) -> ``{"model", "request_id", "predictions", "probabilities", "classes"}``;
- ``GET /v2``, ``GET /v2/health/live``, ``GET /v2/health/ready``, ``GET /v2/models/{name}[/versions/{v}]``,
  ``GET .../ready``, ``POST .../infer`` (Open Inference Protocol V2, as KServe and Triton clients speak it);
- ``GET /healthz`` (the process answers), ``GET /readyz`` (a model is loaded or loads; 503 otherwise),
  ``GET /metrics`` (Prometheus), ``GET /docs`` (Swagger UI from its bundled files: it works offline) and
  ``/openapi.json``.

``name`` is ``NAME@VERSION``, ``NAME@ALIAS`` or ``NAME`` (its champion, else its production version),
resolved on every request. With ``require_token`` every model endpoint needs ``Authorization: Bearer
<token>`` of ``steward tokens create`` (401 otherwise); health, readiness and metrics stay open.
Every response carries ``X-Request-ID`` (the caller's, or a new one).
"""

# no `from __future__ import annotations`: FastAPI must see the closures' dependencies (Annotated[..., Depends])
import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from mlsteward import __version__
from mlsteward.errors import NotPermitted, StewardError
from mlsteward.serving.admin import add_admin_routes
from mlsteward.serving.batcher import AdaptiveBatcher, BatchingConfig
from mlsteward.serving.docs import add_offline_docs
from mlsteward.serving.errors import (
    RequestContext,
    Unauthenticated,
    install_error_handlers,
    json_response,
    request_id_of,
)
from mlsteward.serving.fallback_rule import RuleFallback
from mlsteward.serving.host import (
    ENDPOINT_TTL_S,
    LoadedModel,
    ModelHost,
    NullSink,
    Prediction,
    PredictionSink,
    SinkItem,
    SinkPump,
    parse_json,
    v1_response,
    v2_metadata,
    v2_response,
)
from mlsteward.serving.metrics import ServingMetrics
from mlsteward.serving.monitoring_api import add_monitoring_routes
from mlsteward.serving.ttl_cache import TTLCache
from mlsteward.store.models import ModelVersion
from mlsteward.ui import add_dashboard
from mlsteward.workspace import Workspace

log = logging.getLogger("mlsteward.serving")

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024


# -- the request and response shapes, for the OpenAPI documentation --------------------------------
class PredictRequest(BaseModel):
    """Rows to score: give exactly one of ``records``, ``columns`` or ``inputs``."""

    records: list[dict[str, Any]] | None = Field(None, description="one object per row: column -> value",
                                                 examples=[[{"prestg10": 47, "childs": 2, "educcat": "Bachelor"}]])
    columns: dict[str, list[Any]] | None = Field(None, description="column -> one value per row",
                                                 examples=[{"prestg10": [47], "childs": [2],
                                                            "educcat": ["Bachelor"]}])
    inputs: list[dict[str, Any]] | dict[str, list[Any]] | None = Field(None, description="records or columns")


class PredictResponse(BaseModel):
    model: str = Field(description="the version that answered, NAME@VERSION")
    request_id: str
    predictions: list[Any]
    probabilities: list[list[float]] | None = Field(description="per row, one probability per class (classifiers)")
    classes: list[Any] | None = Field(description="the classes, in the order of each row's probabilities")


class FeedbackRequest(BaseModel):
    """The true outcome of a prediction (or send a list of these)."""

    request_id: str = Field(description="the request id of the prediction's response")
    label: Any = Field(description="what really happened, e.g. 1")
    time_ms: int | None = Field(None, description="when it was known (epoch ms; default now)")


class ErrorResponse(BaseModel):
    error: str = Field(description="a stable code: invalid_input, unauthenticated, not_found, ...")
    message: str = Field(description="what was wrong, and what to do")
    request_id: str
    problems: list[dict[str, Any]] | None = Field(None, description="for invalid rows: each field, why, which rows")


class InferTensor(BaseModel):
    name: str = Field(description="the column")
    shape: list[int] = Field(description="[rows] or [rows, 1]")
    datatype: str = Field(description="FP64, FP32, INT64, ..., BOOL or BYTES (strings)")
    data: list[Any]
    parameters: dict[str, Any] | None = None


class InferRequest(BaseModel):
    """Open Inference Protocol V2 inference request: one tensor per input column."""

    id: str | None = None
    parameters: dict[str, Any] | None = None
    inputs: list[InferTensor]
    outputs: list[dict[str, Any]] | None = Field(None, description="only these outputs: predict, predict_proba")


def _inline_schema(model: type[BaseModel]) -> dict:
    """A model's JSON schema with its ``$defs`` inlined (OpenAPI ``openapi_extra`` has no place for them)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


def _body_doc(model: type[BaseModel]) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": _inline_schema(model)}}}}


ERRORS_DOC: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text} for status, text in (
        (400, "the body is not JSON"), (401, "no valid API token"), (404, "no such model, version or alias"),
        (413, "the body is too large"), (422, "the rows do not fit the model's input schema"),
        (500, "the server failed (logged under the request id)"))}


# -- the app ----------------------------------------------------------------------------------------
def create_app(workspace: Workspace, *, require_token: bool = True, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
               batching: BatchingConfig | bool = True, sink: PredictionSink | None = None,
               feedback_sink: PredictionSink | None = None, preload: Sequence[str] = (),
               max_loaded: int = 16, dashboard: bool = True, dashboard_open: bool = False,
               strict_environment: bool = False) -> FastAPI:
    """The prediction service for ``workspace``'s registry.

    ``batching``: a ``BatchingConfig`` (or True for the defaults: wait up to 2 ms, 1,024 rows per
    call; False to score each request alone). ``sink`` receives every prediction after its response
    is computed (a thread of its own; closed at shutdown). ``feedback_sink`` (optional) receives the
    ground truth posted to ``POST /v1/feedback``, which exists only when it is given (closed at
    shutdown too). ``preload``: references loaded at startup. A version whose training run recorded other
    library versions than the running ones is served with a warning (listed under ``environment`` in
    ``/readyz``); with ``strict_environment`` it fails to load instead (``EnvironmentMismatch``).
    """
    config = batching if isinstance(batching, BatchingConfig) else BatchingConfig(enabled=bool(batching))
    metrics = ServingMetrics()
    batcher = AdaptiveBatcher(config, observe=lambda key, requests, rows: metrics.observe_batch(
        *key[0].split("@", 1), requests, rows))
    host = ModelHost(workspace, batcher, max_loaded=max_loaded, on_loaded=metrics.models_loaded.set,
                     strict_environment=strict_environment)
    pump = SinkPump(sink if sink is not None else NullSink(), on_lost=metrics.log_lost.inc)
    rule = RuleFallback.of(workspace)  # the charter's baseline rule: the last fallback
    shadows: set[asyncio.Task] = set()  # running shadow scorings (kept referenced until done)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        pump.start()
        for ref in preload:
            loaded = await run_in_threadpool(lambda r=ref: host.load(host.resolve(r)))
            log.info("serving %s (preloaded as %s)", loaded.ref, ref)
        try:
            yield
        finally:
            if shadows:  # let running shadow scorings finish and be logged
                await asyncio.wait(set(shadows), timeout=10)
            batcher.close()
            pump.close()
            host.features.close()
            if feedback_sink is not None:
                try:
                    feedback_sink.close()
                except Exception:
                    log.exception("the feedback sink failed to close")

    app = FastAPI(title="Steward prediction service", version=__version__, lifespan=lifespan, docs_url=None,
                  redoc_url=None,
                  description="Registered model versions served over HTTP: v1 JSON and the Open Inference "
                              "Protocol V2. Models are NAME, NAME@VERSION or NAME@ALIAS.")
    app.state.host, app.state.metrics, app.state.batcher, app.state.pump = host, metrics, batcher, pump
    install_error_handlers(app)
    app.add_middleware(RequestContext, max_body_bytes=max_body_bytes)

    bearer = HTTPBearer(auto_error=False, description="an API token of `steward tokens create`")
    known: TTLCache[tuple[str, str | None] | None] = TTLCache(ENDPOINT_TTL_S)  # token -> (user, scope)

    def identify(token: str) -> tuple[str, str | None] | None:
        """The token's user and model scope, looked up in the store at most every ENDPOINT_TTL_S seconds per token
        (so a revoked token stops working within that)."""
        return known.get(token, lambda: workspace.store.tokens.identify_scoped(token))

    def authenticate(request: Request,
                     credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str | None:
        if not require_token:
            return None
        if credentials is None:
            raise Unauthenticated("this endpoint needs an API token: send the header 'Authorization: Bearer "
                                  "<token>' (create one with `steward tokens create --user YOU`)")
        found = identify(credentials.credentials)
        if found is None:
            raise Unauthenticated("the API token is unknown or revoked: ask an administrator for a new one "
                                  "(`steward tokens create --user YOU`)")
        request.state.token_scope = found[1]  # a token for one model (version) only: checked once routed
        return found[0]

    async def serve(request: Request, name: str, protocol: str,
                    prepare: Callable[[LoadedModel, bytes], Any],
                    respond: Callable[[Prediction, Any, str], dict]) -> Response:
        """Resolve, load, check the rows, score (batched), answer; count it; feed the sink."""
        started, time_ms = time.perf_counter(), int(time.time() * 1000)
        request_id = request_id_of(request)
        key = request.headers.get("x-request-key") or request_id  # sticky canary by user / entity id
        labels = ("", "")
        try:
            routed = await run_in_threadpool(host.route, name, key)
            check_scope(getattr(request.state, "token_scope", None), routed.version)
            shadow, arm = routed.shadow, routed.arm
            loaded = await run_in_threadpool(host.load, routed.version)
            labels = (loaded.version.name, str(loaded.version.version))
            body = await request.body()
            frame, context = await run_in_threadpool(prepare, loaded, body)
            try:
                prediction = await host.predict(loaded, frame)
            except Exception as exc:
                if isinstance(exc, StewardError):
                    raise
                if routed.fallback is not None:  # the previous version answers instead
                    log.warning("%s raised on request %s (%s): %s answers", loaded.ref, request_id, exc,
                                routed.fallback.ref)
                    metrics.errors.labels(*labels, protocol, "model_failed").inc()
                    loaded, arm = await run_in_threadpool(host.load, routed.fallback), "fallback"
                    labels = (loaded.version.name, str(loaded.version.version))
                    frame, context = await run_in_threadpool(prepare, loaded, body)
                    prediction = await host.predict(loaded, frame)
                else:  # else the charter's baseline rule, when it can answer (not for a pinned NAME@VERSION)
                    answer = await run_in_threadpool(rule.predict, loaded, frame) if rule and "@" not in name \
                        else None
                    if answer is None:
                        raise
                    log.warning("%s raised on request %s (%s): %s answers", loaded.ref, request_id, exc,
                                rule.label)
                    metrics.errors.labels(*labels, protocol, "model_failed").inc()
                    prediction, arm = answer, "fallback"
            payload = respond(prediction, context, request_id)
        except Exception as exc:
            code = exc.code if isinstance(exc, StewardError) else "internal_error"
            metrics.requests.labels(*labels, protocol).inc()
            metrics.errors.labels(*labels, protocol, code).inc()
            raise
        latency = time.perf_counter() - started
        metrics.requests.labels(*labels, protocol).inc()
        metrics.rows.labels(*labels).inc(len(prediction.predictions))
        metrics.latency.labels(*labels).observe(latency)
        pump.put(SinkItem(prediction=prediction, request_id=request_id, time_ms=time_ms,
                          latency_ms=round(latency * 1000, 3), arm=arm))
        if shadow is not None:  # scored after the answer is computed; logged, never returned
            task = asyncio.create_task(shadow_score(shadow, frame, request_id, time_ms))
            shadows.add(task)
            task.add_done_callback(shadows.discard)
        return json_response(payload)

    async def shadow_score(version: ModelVersion, frame: Any, request_id: str, time_ms: int) -> None:
        started = time.perf_counter()
        labels = (version.name, str(version.version))
        try:
            loaded = await run_in_threadpool(host.load, version)
            prediction = await host.predict(loaded, frame)
        except Exception as exc:  # noqa: BLE001 - a failing shadow never affects the live answer
            metrics.errors.labels(*labels, "shadow", getattr(exc, "code", "internal_error")).inc()
            log.warning("shadow %s failed on request %s: %s", version.ref, request_id, exc)
            return
        metrics.requests.labels(*labels, "shadow").inc()
        pump.put(SinkItem(prediction=prediction, request_id=request_id, time_ms=time_ms,
                          latency_ms=round((time.perf_counter() - started) * 1000, 3), arm="shadow"))

    def prepare_v1(loaded: LoadedModel, body: bytes) -> tuple[Any, None]:
        return host.rows_v1(loaded, body), None

    def prepare_v2(loaded: LoadedModel, body: bytes) -> tuple[Any, dict]:
        return host.rows_v2(loaded, body)

    # -- v1 ------------------------------------------------------------------------------------------
    @app.post("/v1/models/{name}/predict", response_model=PredictResponse, responses=ERRORS_DOC, tags=["predict"],
              openapi_extra=_body_doc(PredictRequest), summary="Predict for one or many rows")
    async def predict(name: str, request: Request, _user: Annotated[str | None, Depends(authenticate)]) -> Response:
        """Score rows with ``name`` (``NAME``, ``NAME@VERSION`` or ``NAME@ALIAS``)."""
        return await serve(request, name, "v1", prepare_v1,
                           lambda prediction, _, request_id: v1_response(prediction, request_id))

    if feedback_sink is not None:
        @app.post("/v1/feedback", status_code=202, responses=ERRORS_DOC, tags=["predict"],
                  openapi_extra=_body_doc(FeedbackRequest), summary="Send the true outcome of predictions")
        async def feedback(request: Request, _user: Annotated[str | None, Depends(authenticate)]) -> Response:
            """``{"request_id": ..., "label": ...}`` or a list of them: the ground truth of earlier predictions,
            by the request id their response carried."""
            body = parse_json(await request.body())
            rows = body if isinstance(body, list) else [body]
            await run_in_threadpool(feedback_sink.append, rows)
            return json_response({"accepted": len(rows), "request_id": request_id_of(request)}, 202)

    # -- health, readiness, metrics ------------------------------------------------------------------
    @app.get("/healthz", tags=["health"], summary="The process answers")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], summary="A model is loaded, or loads (503 otherwise)")
    async def readyz() -> Response:
        ready = await run_in_threadpool(host.ready)
        body = {"ready": ready, "models": host.loaded()}
        mismatched = host.environment_mismatches()
        if mismatched:  # served, with other library versions than at training
            body["environment"] = mismatched
        if not ready:
            body["message"] = ("no registered model version can be served: register one (`steward models "
                               "register`) and give it the champion alias or promote it")
        return json_response(body, 200 if ready else 503)

    @app.get("/metrics", tags=["health"], summary="Prometheus metrics")
    async def prometheus_metrics() -> Response:
        content, content_type = metrics.render()
        return Response(content, media_type=content_type)

    # -- Open Inference Protocol V2 ------------------------------------------------------------------
    @app.get("/v2", tags=["v2"], summary="Server metadata")
    async def v2_server() -> dict:
        return {"name": "mlsteward", "version": __version__, "extensions": []}

    @app.get("/v2/health/live", tags=["v2"], summary="Server live")
    async def v2_live() -> dict:
        return {"live": True}

    @app.get("/v2/health/ready", tags=["v2"], summary="Server ready (400 when not, as the protocol says)")
    async def v2_ready() -> Response:
        ready = await run_in_threadpool(host.ready)
        return json_response({"ready": ready}, 200 if ready else 400)

    async def metadata(name: str) -> Response:
        def read() -> dict:
            version, loaded = host.model_ready(name)
            versions = [v.version for v in workspace.store.models.versions(version.name)]
            return v2_metadata(version, sorted(versions), host.loaded_model(version.ref) if loaded else None)

        return json_response(await run_in_threadpool(read))

    async def model_ready(name: str) -> Response:
        version, ready = await run_in_threadpool(host.model_ready, name)
        return json_response({"name": version.name, "version": str(version.version), "ready": ready},
                             200 if ready else 400)

    async def infer(name: str, request: Request) -> Response:
        return await serve(request, name, "v2", prepare_v2, v2_response)

    for prefix, with_version in (("/v2/models/{name}", False), ("/v2/models/{name}/versions/{version}", True)):
        _v2_routes(app, prefix, with_version, authenticate, metadata, model_ready, infer)
    add_admin_routes(app, workspace, host, ERRORS_DOC)
    add_monitoring_routes(app, workspace, authenticate, ERRORS_DOC)
    add_offline_docs(app)
    if dashboard:
        add_dashboard(app, workspace, open_reading=dashboard_open)
    return app


def check_scope(scope: str | None, version: ModelVersion) -> None:
    """A token scoped to ``NAME`` or ``NAME@VERSION`` may only be answered by that model (version)."""
    if scope is None:
        return
    name, _, number = scope.partition("@")
    if version.name != name or (number and str(version.version) != number):
        raise NotPermitted(f"this API token may only call {scope}; the request was routed to {version.ref}: "
                           f"call {scope} (pin the version in the URL), or use a token for {version.name}")


def _v2_routes(app: FastAPI, prefix: str, with_version: bool, authenticate: Callable,
               metadata: Callable[[str], Awaitable[Response]], model_ready: Callable[[str], Awaitable[Response]],
               infer: Callable[[str, Request], Awaitable[Response]]) -> None:
    """The V2 model routes, under ``/v2/models/{name}`` and ``/v2/models/{name}/versions/{version}``."""
    suffix = " (a version)" if with_version else ""

    def ref(name: str, version: str | None) -> str:
        return f"{name.partition('@')[0]}@{version}" if version else name

    if with_version:
        @app.get(prefix, tags=["v2"], responses=ERRORS_DOC, summary="Model metadata" + suffix)
        async def meta_v(name: str, version: str, _u: Annotated[str | None, Depends(authenticate)]) -> Response:
            return await metadata(ref(name, version))

        @app.get(prefix + "/ready", tags=["v2"], responses=ERRORS_DOC, summary="Model ready" + suffix)
        async def ready_v(name: str, version: str, _u: Annotated[str | None, Depends(authenticate)]) -> Response:
            return await model_ready(ref(name, version))

        @app.post(prefix + "/infer", tags=["v2"], responses=ERRORS_DOC, openapi_extra=_body_doc(InferRequest),
                  summary="Inference" + suffix)
        async def infer_v(name: str, version: str, request: Request,
                          _u: Annotated[str | None, Depends(authenticate)]) -> Response:
            return await infer(ref(name, version), request)
        return

    @app.get(prefix, tags=["v2"], responses=ERRORS_DOC, summary="Model metadata")
    async def meta(name: str, _u: Annotated[str | None, Depends(authenticate)]) -> Response:
        return await metadata(name)

    @app.get(prefix + "/ready", tags=["v2"], responses=ERRORS_DOC, summary="Model ready")
    async def ready(name: str, _u: Annotated[str | None, Depends(authenticate)]) -> Response:
        return await model_ready(name)

    @app.post(prefix + "/infer", tags=["v2"], responses=ERRORS_DOC, openapi_extra=_body_doc(InferRequest),
              summary="Inference")
    async def infer_(name: str, request: Request, _u: Annotated[str | None, Depends(authenticate)]) -> Response:
        return await infer(name, request)


__all__ = ["DEFAULT_MAX_BODY_BYTES", "ErrorResponse", "FeedbackRequest", "InferRequest", "PredictRequest",
           "PredictResponse", "create_app"]
