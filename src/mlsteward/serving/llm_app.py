"""``steward llm serve``: the LLM application over HTTP, behind its guardrails and response cache, every answer
logged for the LLM monitor (``mlsteward.lifecycle.llm_service``).

``POST /v1/llm/answer`` takes ``{"question": ..., "contexts": [...]}`` (``contexts`` optional: the documents to
answer from when the application does not retrieve) and returns the answer with its request id, prompt version,
documents (retrieval provenance), tokens in and out, cost, cache outcome and guardrail actions. With
``require_token`` it needs ``Authorization: Bearer <token>`` of ``steward tokens create`` (a token scoped to a
model may not call it). ``/healthz`` and ``/readyz`` (not ready while the answer log cannot be written) stay
open. Errors are the prediction service's JSON shape, never a stack trace.
"""

# no `from __future__ import annotations`: FastAPI must see the closures' dependencies (Annotated[..., Depends])

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from mlsteward import __version__
from mlsteward.errors import NotPermitted
from mlsteward.lifecycle.llm_service import AnswerService
from mlsteward.serving.errors import (
    RequestContext,
    Unauthenticated,
    install_error_handlers,
    json_response,
    request_id_of,
)

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class Question(BaseModel):
    question: str = Field(min_length=1, max_length=8000, description="what the user asks")
    contexts: list[str] | None = Field(None, max_length=50, description="documents to answer from, when the "
                                                                         "application does not retrieve its own")


def create_llm_app(service: AnswerService, *, require_token: bool = True,
                   max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> FastAPI:
    """The HTTP app of ``service`` (module docstring); closing the app closes the service's answer log."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await run_in_threadpool(service.close)

    app = FastAPI(title="Steward LLM service", version=__version__, lifespan=lifespan, redoc_url=None,
                  description=f"The LLM application {service.application.name}, prompt "
                              f"{service.prompt.ref if service.prompt else 'none'}, behind its guardrails.")
    install_error_handlers(app)
    app.add_middleware(RequestContext, max_body_bytes=max_body_bytes)
    bearer = HTTPBearer(auto_error=False, description="an API token of `steward tokens create`")
    store = service.workspace.store

    def authenticate(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str | None:
        if not require_token:
            return None
        if credentials is None:
            raise Unauthenticated("this endpoint needs an API token: send the header 'Authorization: Bearer "
                                  "<token>' (create one with `steward tokens create --user YOU`)")
        found = store.tokens.identify_scoped(credentials.credentials)
        if found is None:
            raise Unauthenticated("the API token is unknown or revoked: ask an administrator for a new one "
                                  "(`steward tokens create --user YOU`)")
        if found[1] is not None:
            raise NotPermitted(f"this API token may only call the model {found[1]}: use a token made without "
                               "--model for the LLM service")
        return found[0]

    @app.post("/v1/llm/answer", summary="Answer a question")
    async def answer(body: Question, request: Request,
                     _user: Annotated[str | None, Depends(authenticate)]) -> Response:
        given = await run_in_threadpool(service.ask, body.question, contexts=body.contexts)
        # the Answer but what the caller sent (the question) or need not see again (the documents' texts)
        return json_response({"request_id": request_id_of(request),
                              **given.model_dump(exclude={"question", "contexts"})})

    @app.get("/healthz", summary="The process is up")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", summary="Ready to answer: the answer log is being written")
    async def readyz() -> Response:
        problem = service.log.error
        return json_response({"status": "unavailable" if problem else "ready", "problem": problem},
                             503 if problem else 200)

    return app


__all__ = ["create_llm_app"]
