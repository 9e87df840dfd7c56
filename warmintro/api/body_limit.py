"""Request bodies over the limit are refused with 413 before they are read.

Two parts, so that no application needs to know another's paths: `BodyLimit`
(middleware) raises the moment a body being read passes the limit, or at the
first read when its Content-Length already says so; `refuse_declared_too_large`
(a dependency of every route) refuses a declared oversize body even where the
route reads none. Both raise an HTTPException where the request is handled, so
whichever application handles it answers in its own form (problem+json, or a
page for an email link).
"""

from __future__ import annotations

from fastapi import Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 256 * 1024
MAX_INBOUND_BYTES = 8 * 1024 * 1024
"""SendGrid batches events; its posts may be far larger than any API body."""


MAX_IMPORT_BYTES = 16 * 1024 * 1024
"""`POST /v1/people/import`: 10,000 people with their connections fit easily."""
IMPORT_PATH = "/v1/people/import"


def _limit(scope: Scope) -> int:
    if scope["path"].startswith("/v1/inbound/"):
        return MAX_INBOUND_BYTES
    return MAX_IMPORT_BYTES if scope["path"] == IMPORT_PATH else MAX_BODY_BYTES


def _declared_too_large(scope: Scope) -> bool:
    length = dict(scope["headers"]).get(b"content-length")
    return length is not None and (not length.isdigit() or int(length) > _limit(scope))


def _too_large() -> StarletteHTTPException:
    return StarletteHTTPException(413, "Payload too large")


async def refuse_declared_too_large(request: Request) -> None:
    if _declared_too_large(request.scope):
        raise _too_large()


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, declared_too_large = _limit(scope), _declared_too_large(scope)
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            if declared_too_large:
                raise _too_large()
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                # An HTTPException passes through FastAPI's body parsing to the
                # problem+json handler; any other error would become a 400.
                raise _too_large()
            return message

        await self.app(scope, limited, send)
