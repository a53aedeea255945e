"""The service's API docs page, ``GET /docs``, served with Swagger UI's own files (the ``swagger-ui-bundle``
package) instead of FastAPI's default, which loads them from a CDN: the page works on a machine with no
internet access. ReDoc (also CDN-loaded) is not offered."""

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS = "/docs/assets"


def add_offline_docs(app: FastAPI) -> None:
    """``GET /docs`` and its assets under ``/docs/assets``; create the app with ``docs_url=None``."""
    from swagger_ui_bundle import swagger_ui_path

    app.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title}: API",
                                   swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{ASSETS}/favicon-32x32.png")
