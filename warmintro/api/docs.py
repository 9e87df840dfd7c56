"""`/docs` (Swagger UI) and `/redoc` (ReDoc) from the service's own copies of their
scripts and styles (the `fastapi-offline` distribution), so they work where no CDN
can be reached and tell no CDN who reads them. Installed only while PUBLIC_DOCS
serves the docs: closed, the pages and their assets answer 404 like any unknown
address."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

ASSETS = "/docs/assets"
ASSET_FILES = Path(fastapi_offline.__file__).resolve().parent / "static"
# The pages load only from here: the one call out the bundles still make on their own
# (ReDoc's logo from its CDN) is refused by the browser before it leaves. Both pages
# run one inline script and set inline styles; ReDoc's search runs in a blob: worker.
CONTENT_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'"
)
SWAGGER_UI_PARAMETERS = {
    # No badge from the public validator (validator.swagger.io) under the page.
    "validatorUrl": None,
}


class Assets(StaticFiles):
    """The asset files, revalidated on each use (their names carry no version, so an
    upgrade must not leave an old copy in a browser); everything else the service
    answers is no-store."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def revalidated(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"cache-control", b"no-cache")]
            await send(message)

        await super().__call__(scope, receive, revalidated)


def install(app: FastAPI) -> None:
    """Serve the docs pages at /docs and /redoc and their assets under /docs/assets."""
    assert app.openapi_url is not None, "the docs need the spec they show"
    app.mount(ASSETS, Assets(directory=ASSET_FILES), name="docs-assets")
    app.add_api_route("/docs", swagger_ui, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_api_route("/redoc", redoc, methods=["GET", "HEAD"], include_in_schema=False)


def _confined(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = CONTENT_POLICY
    return page


def _asset(request: Request, name: str) -> str:
    return f"{request.scope.get('root_path', '')}{ASSETS}/{name}"


def _spec(request: Request) -> str:
    return f"{request.scope.get('root_path', '')}{request.app.openapi_url}"


# Functions of the module, not closures over the app: FastAPI keeps each endpoint it
# has classified in a process-wide cache, which would keep every app built in one
# process alive (the tests build hundreds).
async def swagger_ui(request: Request) -> HTMLResponse:
    return _confined(
        get_swagger_ui_html(
            openapi_url=_spec(request),
            title=f"{request.app.title} - Swagger UI",
            swagger_js_url=_asset(request, "swagger-ui-bundle.js"),
            swagger_css_url=_asset(request, "swagger-ui.css"),
            swagger_favicon_url=_asset(request, "favicon.png"),
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )
    )


async def redoc(request: Request) -> HTMLResponse:
    return _confined(
        get_redoc_html(
            openapi_url=_spec(request),
            title=f"{request.app.title} - ReDoc",
            redoc_js_url=_asset(request, "redoc.standalone.js"),
            redoc_favicon_url=_asset(request, "favicon.png"),
            with_google_fonts=False,
        )
    )
