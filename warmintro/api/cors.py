"""Cross-origin calls to the API from the browser frontends CORS_ORIGINS names.

A frontend on another origin calls `/v1/...` with a member token in
`Authorization`; it never relies on cookies, so no credentials mode is allowed
and an answer is readable only by the origins listed (`*` is for development;
production refuses it at start). With no origins listed nothing changes: no CORS
header on any answer, and a preflight is the 405 any OPTIONS gets. Only the API
takes part: the email-link pages, the docs, health and metrics are never read
by another site's scripts.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

API = "/v1/"
METHODS = ("GET", "HEAD", "POST", "PATCH", "DELETE")
REQUEST_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key", "X-On-Behalf-Of")
EXPOSED_HEADERS = ("Retry-After", "Idempotent-Replayed", "WWW-Authenticate", "X-Request-ID")
"""Beyond the CORS-safelisted ones (Content-Type, Content-Length, Cache-Control...):
when to try again after a 429, whether an answer is a replay, why a 401, and the
request's id to quote in a report."""
PREFLIGHT_SECONDS = 600


class ApiCors:
    """Starlette's CORSMiddleware in front of the API's paths only."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=METHODS,
            allow_headers=REQUEST_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            allow_credentials=False,
            max_age=PREFLIGHT_SECONDS,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
