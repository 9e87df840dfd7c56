"""Request ids: every HTTP request has one, the response says which, and every log
line written while the request is served carries it (`request_id`).

A well-formed `X-Request-ID` from the client, or from a proxy in front, is kept,
so that one id follows a request across services; anything else (missing, longer
than 128 characters, a character other than letters, digits and `.`, `_`, `:`,
`-`) is replaced by a fresh one. No `@` is allowed: an id that looked like an
address would put an address into every line of its request.
"""

from __future__ import annotations

import re
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-ID"
_RAW_HEADER = HEADER.lower().encode()
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def incoming_request_id(scope: Scope) -> str | None:
    """The client's `X-Request-ID` if it is well-formed (the first, if several)."""
    for name, value in scope["headers"]:
        if name == _RAW_HEADER:
            text = value.decode("latin-1")
            return text if _WELL_FORMED.fullmatch(text) else None
    return None


def request_id_of(scope: Scope) -> str | None:
    """The id `RequestIds` gave this request. An error handler that runs after the
    request has left the middleware (a 500) finds it here."""
    state = scope.get("state")
    found = state.get("request_id") if isinstance(state, dict) else None
    return found if isinstance(found, str) else None


class RequestIds:
    """Pure ASGI (no BaseHTTPMiddleware: nothing is buffered, and the binding holds
    wherever the request's task runs, uvicorn's access line included)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = incoming_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), (_RAW_HEADER, request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            await self.app(scope, receive, send_with_id)
