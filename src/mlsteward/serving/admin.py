"""The service's admin API: change an endpoint's rollout at run time, as the identity of an API token.

``PUT /v1/admin/endpoints/{name}`` (``{"version", "mode", "share", "reason"}``) and
``POST /v1/admin/endpoints/{name}/rollback`` (``{"reason"}``) do what ``steward deploy`` and ``steward
rollback`` do, through the same workflow: the token's user must hold a role of
``governance.promoter_roles`` in the project's steward.yaml, and the change is recorded, logged and
audited as that user. ``GET /v1/admin/endpoints/{name}`` shows the state and its history. Admin routes
always need a token, even when the service runs with ``--no-auth``. (No ``from __future__ import
annotations`` here: FastAPI must see the dependencies of the local functions.)
"""

from typing import Annotated, Literal

from fastapi import Depends, FastAPI
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from mlsteward.errors import NotPermitted
from mlsteward.serving.errors import Unauthenticated, json_response
from mlsteward.serving.host import ModelHost
from mlsteward.workspace import Workspace


class DeployRequest(BaseModel):
    version: str = Field(description="the version number or an alias")
    mode: Literal["live", "canary", "shadow"] = "live"
    share: float = Field(0.1, description="the canary's share of traffic, sticky by the X-Request-Key header")
    reason: str = ""


class RollbackRequest(BaseModel):
    reason: str = ""


def add_admin_routes(app: FastAPI, workspace: Workspace, host: ModelHost, errors_doc: dict) -> None:
    bearer = HTTPBearer(auto_error=False, description="an API token of `steward tokens create`")

    def admin(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Workspace:
        """The workspace acting as the token's user."""
        if credentials is None:
            raise Unauthenticated("admin endpoints need an API token: send 'Authorization: Bearer <token>'")
        found = workspace.store.tokens.identify_scoped(credentials.credentials)
        if found is None:
            raise Unauthenticated("the API token is unknown or revoked: ask an administrator for a new one")
        if found[1] is not None:
            raise NotPermitted(f"this API token is scoped to {found[1]}: it may call that model's predictions, not "
                               "the admin API; use a token without --model")
        return workspace.acting_as(found[0])

    def spec():  # noqa: ANN202 - Spec: the roles come from the project's steward.yaml
        from mlsteward.spec import load_spec

        if workspace.settings.spec_path is None:
            raise NotPermitted("the service runs without a steward.yaml, so no one holds a role that may deploy: "
                               "start it in the project's folder")
        return load_spec(workspace.settings.spec_path)

    def changed(name: str, record) -> Response:  # noqa: ANN001 - EndpointRecord
        host.forget_endpoint(name)  # this process follows at once; others within a second
        return json_response(record.model_dump(mode="json"))

    @app.put("/v1/admin/endpoints/{name}", tags=["admin"], responses=errors_doc, summary="Deploy a version")
    async def deploy(name: str, body: DeployRequest, acting: Annotated[Workspace, Depends(admin)]) -> Response:
        from mlsteward.lifecycle.deployment import deploy_model

        record = await run_in_threadpool(deploy_model, acting, spec(), name, body.version, body.mode, body.share,
                                         body.reason)
        return changed(name, record)

    @app.post("/v1/admin/endpoints/{name}/rollback", tags=["admin"], responses=errors_doc,
              summary="Serve the previous live version again")
    async def rollback(name: str, body: RollbackRequest, acting: Annotated[Workspace, Depends(admin)]) -> Response:
        from mlsteward.lifecycle.deployment import rollback_deployment

        record = await run_in_threadpool(rollback_deployment, acting, spec(), name, body.reason)
        return changed(name, record)

    @app.get("/v1/admin/endpoints/{name}", tags=["admin"], responses=errors_doc, summary="An endpoint's rollout")
    async def show(name: str, acting: Annotated[Workspace, Depends(admin)]) -> Response:
        history = await run_in_threadpool(acting.store.deployments.history, name)
        state = await run_in_threadpool(acting.store.deployments.endpoint, name)
        return json_response({"endpoint": state.model_dump(mode="json") if state else None,
                              "history": [h.model_dump(mode="json") for h in history]})


__all__ = ["DeployRequest", "RollbackRequest", "add_admin_routes"]
