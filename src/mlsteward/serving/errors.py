"""The one place that maps Steward's error codes to HTTP statuses, and every error to one JSON shape.

Every error response is ``{"error": CODE, "message": "what was wrong and what to do"}`` (plus
``problems`` for rows that do not fit the schema, and ``request_id``), never a stack trace. An
exception Steward did not raise on purpose becomes a 500 with a generic message and the request id,
and is logged on the server with its traceback under that id.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mlsteward.errors import StewardError

log = logging.getLogger("mlsteward.serving")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class Unauthenticated(StewardError):
    """The request carries no API token, or one that is unknown or revoked."""

    code = "unauthenticated"


class PayloadTooLarge(StewardError):
    """The request body is larger than the server accepts."""

    code = "payload_too_large"


class MalformedBody(StewardError):
    """The request body is not JSON."""

    code = "malformed_json"


STATUS_BY_CODE: dict[str, int] = {
    "invalid_input": 422,
    "filter_syntax": 400,
    "malformed_json": 400,
    "unauthenticated": 401,
    "not_permitted": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "gate_refused": 409,
    "payload_too_large": 413,
    "spec_invalid": 500,
    "artifact_corrupted": 500,
    "unsafe_artifact": 500,
    "audit_chain_broken": 500,
    "internal_error": 500,
    "store_unavailable": 503,
    "store_outdated": 503,
}
_CODE_BY_STATUS = {400: "bad_request", 401: "unauthenticated", 403: "not_permitted", 404: "not_found",
                   405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 422: "invalid_input"}


def status_for(exc: StewardError) -> int:
    """The HTTP status of a Steward error: by its code, else by the nearest base class's code."""
    for cls in type(exc).__mro__:
        code = getattr(cls, "code", None)
        if code in STATUS_BY_CODE:
            return STATUS_BY_CODE[code]
    return 500


def request_id_of(request: Request) -> str:
    return getattr(request.state, "request_id", None) or "-"


def error_body(code: str, message: str, request_id: str, **extra: Any) -> dict:
    return {"error": code, "message": message, "request_id": request_id, **extra}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), status_code=status,
                    headers=headers, media_type="application/json")


def steward_error_response(exc: StewardError, request_id: str) -> Response:
    extra: dict[str, Any] = {}
    problems = getattr(exc, "problems", None)
    if problems:
        extra["problems"] = [p.model_dump() if hasattr(p, "model_dump") else p for p in problems]
    status = status_for(exc)
    if status >= 500:
        log.error("request %s failed: %s: %s", request_id, exc.code, exc.message)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return json_response(error_body(exc.code, exc.message, request_id, **extra), status, headers)


def install_error_handlers(app: FastAPI) -> None:
    """Steward errors, FastAPI's validation errors and HTTP errors (unknown route, wrong method) all
    answer in the one JSON shape."""

    async def steward(request: Request, exc: StewardError) -> Response:
        return steward_error_response(exc, request_id_of(request))

    async def validation(request: Request, exc: RequestValidationError) -> Response:
        problems = [{"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body",
                     "problem": e.get("msg", "invalid"), "rows": []} for e in exc.errors()]
        message = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        return json_response(error_body("invalid_input", f"the request is not valid: {message}",
                                        request_id_of(request), problems=problems), 422)

    async def http(request: Request, exc: StarletteHTTPException) -> Response:
        code = _CODE_BY_STATUS.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404:
            message = f"no such endpoint {request.url.path!r}: the API is listed at /docs"
        return json_response(error_body(code, message, request_id_of(request)), exc.status_code,
                             dict(exc.headers or {}))

    app.add_exception_handler(StewardError, steward)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http)


class RequestContext:
    """ASGI middleware: gives every request an id (the caller's ``X-Request-ID`` when it is a sane
    one, else a new one) echoed in the response; refuses bodies over ``max_body_bytes`` with 413
    before the app reads them; turns any exception that escapes the app into a 500 with the request
    id and a generic message, logging the traceback on the server."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-request-id"), "")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            body_receive = await self._bounded_body(scope, receive)
        except PayloadTooLarge as exc:
            await steward_error_response(exc, request_id)(scope, receive, send_with_id)
            return
        try:
            await self.app(scope, body_receive, send_with_id)
        except Exception:
            log.exception("request %s %s %s failed", request_id, scope.get("method"), scope.get("path"))
            if not started:
                response = json_response(error_body(
                    "internal_error", "the server failed to answer this request; the error is logged under its "
                    "request id: quote it when you report the problem", request_id), 500)
                await response(scope, receive, send_with_id)

    async def _bounded_body(self, scope: Scope, receive: Receive) -> Receive:
        """Read the whole body (refusing it past the limit) and replay it to the app."""
        limit = self.max_body_bytes
        declared = next((v for k, v in scope.get("headers", []) if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        if scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            return receive
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body, sent = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body is larger than the {limit:,} bytes this server accepts: send fewer "
                           "rows per request (or start the server with a larger --max-body-mb)")


__all__ = [
    "STATUS_BY_CODE",
    "MalformedBody",
    "PayloadTooLarge",
    "RequestContext",
    "Unauthenticated",
    "error_body",
    "install_error_handlers",
    "json_response",
    "request_id_of",
    "status_for",
    "steward_error_response",
]
