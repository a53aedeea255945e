"""The dashboard's routes on the FastAPI app: pages under ``/ui``, its static files, signing in, and the one
action it offers (a rollback, for a role allowed to)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from mlsteward.errors import InvalidInput, NotFound, NotPermitted, StewardError
from mlsteward.lifecycle.data_stage import REPORTS_DIR
from mlsteward.ui import pages
from mlsteward.ui.access import COOKIE, safe_next, same_origin, sign_in_url, token_of
from mlsteward.ui.links import media_type
from mlsteward.ui.render import render_page
from mlsteward.ui.view import Page, View
from mlsteward.workspace import Workspace

log = logging.getLogger("mlsteward.ui")
STATIC = Path(__file__).parent / "static"
NAV = [("/ui/", "Lifecycle"), ("/ui/runs", "Runs"), ("/ui/data", "Data"), ("/ui/features", "Features"),
       ("/ui/models", "Models"), ("/ui/deployments", "Deployments"), ("/ui/monitoring", "Monitoring"),
       ("/ui/labeling", "Labeling"), ("/ui/llm", "LLM"), ("/ui/governance", "Governance")]
Builder = Callable[..., Page]


def add_dashboard(app: FastAPI, workspace: Workspace, *, open_reading: bool) -> None:
    """Add the dashboard to ``app``. ``open_reading``: pages need no token (the server listens on loopback)."""

    def viewer(request: Request) -> str | None:
        token = token_of(request)
        return workspace.store.tokens.identify(token) if token else None

    def view_of(request: Request, user: str | None) -> View:
        from mlsteward.spec import load_spec

        path = workspace.settings.spec_path
        return View(workspace=workspace, spec=load_spec(path) if path else None, user=user,
                    query=parse_qs(request.url.query))

    async def reader(request: Request) -> tuple[str | None, Response | None]:
        """Who reads (None: anonymous), or the redirect to the sign-in page when reading needs a token."""
        user = await run_in_threadpool(viewer, request)
        if user is None and not open_reading:
            return None, RedirectResponse(sign_in_url(request), status_code=303)
        return user, None

    async def show(request: Request, build: Builder, **params: str) -> Response:
        user, denied = await reader(request)
        if denied:
            return denied
        try:
            view = await run_in_threadpool(view_of, request, user)
        except StewardError as exc:  # steward.yaml does not load
            page = Page("message.html", "steward.yaml has problems", {"message": str(exc)}, status=400)
            return html(request, View(workspace=workspace, spec=None, user=user), page)
        try:
            page = await run_in_threadpool(functools.partial(build, view, **params))
        except NotFound as exc:
            page = Page("message.html", "Not found", {"message": str(exc)}, status=404)
        except StewardError as exc:
            page = Page("message.html", "Cannot show this page", {"message": str(exc)}, status=400)
        return html(request, view, page)

    def html(request: Request, view: View, page: Page) -> HTMLResponse:
        context = {"title": page.title, "nav": NAV, "path": request.url.path, "user": view.user,
                   "roles": view.roles, "project": view.project, "open_reading": open_reading, **page.context}
        return HTMLResponse(render_page(page.template, context), status_code=page.status,
                            headers={"Cache-Control": "no-store"})

    def route(path: str, build: Builder) -> None:
        async def endpoint(request: Request) -> Response:
            return await show(request, build, **request.path_params)

        endpoint.__name__ = f"ui_{build.__module__.rsplit('.', 1)[-1]}_{build.__name__}"
        app.add_api_route(path, endpoint, methods=["GET"], include_in_schema=False)

    @app.get("/", include_in_schema=False)
    async def root() -> Response:
        return RedirectResponse("/ui/", status_code=307)

    @app.get("/ui/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        if name == "plotly.min.js":
            return FileResponse(_plotly_js(), media_type="text/javascript",
                                headers={"Cache-Control": "public, max-age=86400"})
        path = STATIC / name
        if "/" in name or not path.is_file():
            return Response("not found", status_code=404)
        return FileResponse(path, headers={"Cache-Control": "no-cache"})

    @app.get("/ui/reports/{name}", include_in_schema=False)
    async def report(request: Request, name: str) -> Response:
        """A report written under the project's ``.steward/reports`` (HTML, JSON or Markdown)."""
        _, denied = await reader(request)
        if denied:
            return denied
        folder = (Path(workspace.settings.project_root) / REPORTS_DIR).resolve()
        path = (folder / name).resolve()
        if path.parent != folder or not path.is_file() or path.suffix not in (".html", ".json", ".md"):
            return Response(f"no report named {name!r}", status_code=404, media_type="text/plain")
        media = {".html": "text/html", ".json": "application/json", ".md": "text/plain"}[path.suffix]
        return FileResponse(path, media_type=media + ("; charset=utf-8" if media != "application/json" else ""))

    @app.get("/ui/monitoring/runs/{run}/drift-report", include_in_schema=False)
    async def drift_report(request: Request, run: str) -> Response:
        """The run's drift report, as `steward monitor show RUN --html` writes it."""
        _, denied = await reader(request)
        if denied:
            return denied
        from mlsteward.ui.pages.monitoring import drift_report_html

        try:
            page = await run_in_threadpool(drift_report_html, workspace, run)
        except NotFound as exc:
            return Response(str(exc), status_code=404, media_type="text/plain")
        return HTMLResponse(page)

    @app.get("/ui/artifacts/{digest}/{file}", include_in_schema=False)
    async def artifact(request: Request, digest: str, file: str) -> Response:
        """A stored report, card or evidence file (never data, models or pipelines), checked against its digest."""
        _, denied = await reader(request)
        if denied:
            return denied
        media = media_type(file)
        if media is None:
            return Response(f"{file!r} is not a document the dashboard shows", status_code=404,
                            media_type="text/plain")
        try:
            content = await run_in_threadpool(workspace.artifacts.get_bytes, digest)
        except (NotFound, FileNotFoundError, ValueError, StewardError) as exc:
            return Response(f"no artifact {digest}: {exc}", status_code=404, media_type="text/plain")
        return Response(content, media_type=media)

    @app.get("/ui/sign-in", include_in_schema=False)
    async def sign_in_form(request: Request) -> Response:
        user = await run_in_threadpool(viewer, request)
        page = Page("sign_in.html", "Sign in", {"next": safe_next(request.query_params.get("next")), "error": None})
        return html(request, View(workspace=workspace, spec=None, user=user), page)

    @app.post("/ui/sign-in", include_in_schema=False)
    async def sign_in(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        token, target = (form.get("token") or [""])[0].strip(), safe_next((form.get("next") or [None])[0])
        user = await run_in_threadpool(workspace.store.tokens.identify, token) if token else None
        if user is None:
            page = Page("sign_in.html", "Sign in", status=401, context={
                "next": target, "error": "that token is unknown or revoked: create one with "
                                         "`steward tokens create --user YOU`"})
            return html(request, View(workspace=workspace, spec=None, user=None), page)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/",
                            secure=request.url.scheme == "https")
        return response

    @app.post("/ui/sign-out", include_in_schema=False)
    async def sign_out() -> Response:
        response = RedirectResponse("/ui/", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @app.post("/ui/deployments/{model}/rollback", include_in_schema=False)
    async def rollback(request: Request, model: str) -> Response:
        from mlsteward.ui.pages.deployments import deployments, roll_back

        view, outcome, status = await act(request, "roll back", lambda view, form: roll_back(
            view, model, (form.get("reason") or [""])[0].strip()))
        page = await run_in_threadpool(deployments, view)
        page.status = status
        page.context["outcome"] = {"ok": status == 200, "message": outcome}
        return html(request, view, page)

    async def act(request: Request, what: str, action: Callable[[View, dict], str]) -> tuple[View, str, int]:
        """A form posted from this dashboard by a signed-in user: ``action(view, form)``; (view, what to say,
        status). The role ``action`` needs is checked by the same workflow the CLI uses."""
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        user = await run_in_threadpool(viewer, request)
        view = await run_in_threadpool(view_of, request, user)
        if not same_origin(request):
            return view, "refused: the form was not sent from this dashboard", 403
        if user is None:
            return view, f"refused: sign in with an API token to {what} (`steward tokens create`)", 401
        try:
            return view, await run_in_threadpool(action, view, form), 200
        except NotPermitted as exc:
            return view, f"refused: {exc}", 403
        except (InvalidInput, NotFound) as exc:
            return view, f"refused: {exc}", 409

    @app.get("/ui/labeling/{name}/label", include_in_schema=False)
    async def label_item(request: Request, name: str) -> Response:
        """The next item for the signed-in annotator."""
        return await labeling_page(request, name, None)

    @app.post("/ui/labeling/{name}/label", include_in_schema=False)
    async def label_answer(request: Request, name: str) -> Response:
        """Record the annotator's answer, then show their next item."""
        from mlsteward.ui.pages.labeling import answer_from_form

        form = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
        if not same_origin(request):
            return await labeling_page(request, name, {"ok": False, "message": "refused: the form was not sent "
                                                                              "from this dashboard"}, status=403)
        user = await run_in_threadpool(viewer, request)
        if user is None:
            return RedirectResponse(sign_in_url(request), status_code=303)
        view = await run_in_threadpool(view_of, request, user)
        try:
            said = await run_in_threadpool(answer_from_form, view, name, form)
        except NotPermitted as exc:
            return await labeling_page(request, name, {"ok": False, "message": f"refused: {exc}"}, status=403)
        except (InvalidInput, NotFound, StewardError) as exc:
            return await labeling_page(request, name, {"ok": False, "message": f"not recorded: {exc}"}, status=409)
        return await labeling_page(request, name, {"ok": True, "message": f"recorded {said}"})

    @app.post("/ui/labeling/{name}/adjudicate", include_in_schema=False)
    async def label_adjudicate(request: Request, name: str) -> Response:
        """Settle a conflict from the project page (an adjudicator role of steward.yaml)."""
        from mlsteward.ui.pages.labeling import adjudicate_from_form, project

        view, outcome, status = await act(request, "adjudicate",
                                          lambda view, form: adjudicate_from_form(view, name, form))
        page = await run_in_threadpool(project, view, name, {"ok": status == 200, "message": outcome})
        page.status = status
        return html(request, view, page)

    async def labeling_page(request: Request, name: str, outcome: dict | None, status: int = 200) -> Response:
        from mlsteward.ui.pages.labeling import annotate

        user = await run_in_threadpool(viewer, request)
        if user is None:
            return RedirectResponse(sign_in_url(request) if request.method == "GET" else
                                    f"/ui/sign-in?next=/ui/labeling/{name}/label", status_code=303)
        view = await run_in_threadpool(view_of, request, user)
        try:
            page = await run_in_threadpool(annotate, view, name, outcome)
        except NotPermitted as exc:
            page = Page("message.html", "Not permitted", {"message": str(exc)}, status=403)
        except NotFound as exc:
            page = Page("message.html", "Not found", {"message": str(exc)}, status=404)
        page.status = status if page.status == 200 else page.status
        return html(request, view, page)

    @app.get("/ui/labeling/{name}/files/{item}", include_in_schema=False)
    async def label_file(request: Request, name: str, item: int) -> Response:
        """An image of a folder dataset being labeled, checked against its digest."""
        _, denied = await reader(request)
        if denied:
            return denied
        from mlsteward.ui.pages.labeling import item_file

        try:
            content, media = await run_in_threadpool(item_file, workspace, name, item)
        except (NotFound, InvalidInput) as exc:
            return Response(str(exc), status_code=404, media_type="text/plain")
        return Response(content, media_type=media)

    for path, build in pages.ROUTES:
        route(path, build)


@functools.cache
def _plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


__all__ = ["NAV", "add_dashboard"]
