"""Security headers on every response the service sends, whichever part answered.

- `X-Content-Type-Options: nosniff`: a browser takes each body as the type it is
  declared, never runs a JSON or text answer as script or HTML.
- `X-Frame-Options: DENY` and `Referrer-Policy: no-referrer`: no page of ours is
  shown inside another site's frame, and no address of ours (an email link's is
  its token) leaves in a `Referer`.
- `Cache-Control: no-store` unless the response says otherwise. Every answer is
  either one caller's (the API answers by bearer credential and mints tokens and
  keys; a link page's address is a credential; the dev mailbox shows the links) or
  the state of the moment (health, readiness, metrics): none is right later or for
  anyone else, so neither a browser nor a shared cache keeps it. Only the docs'
  static files choose their own (revalidated, never stale).
- `Strict-Transport-Security` in production, where PUBLIC_BASE_URL must be https.

A pure ASGI middleware (a BaseHTTPMiddleware would stream every body through a
task of its own), outside every other one so that it covers their answers too
(CORS preflights, 429s). Starlette answers an unhandled error from outside all
middleware, so that answer takes its headers from `headers_for`.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS = "max-age=31536000; includeSubDomains"
"""A year, the length browsers' preload lists ask for; every subdomain too."""

EVERY_RESPONSE = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def headers_for(production: bool) -> dict[str, str]:
    """The headers each response carries (unless it sets one of them itself)."""
    if production:
        return {**EVERY_RESPONSE, "Strict-Transport-Security": HSTS}
    return dict(EVERY_RESPONSE)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, production: bool) -> None:
        self.app = app
        self.headers = headers_for(production)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)
