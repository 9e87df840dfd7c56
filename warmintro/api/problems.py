"""The one table from domain errors to HTTP statuses and RFC 9457 problem types."""

from __future__ import annotations

import logging
import math
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Scope

from warmintro.api.request_ids import HEADER as REQUEST_ID_HEADER
from warmintro.api.request_ids import request_id_of
from warmintro.api.security_headers import headers_for
from warmintro.domain import errors
from warmintro.domain.ports import Clock
from warmintro.infra.database import unavailable

log = logging.getLogger("warmintro.api")

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:warmintro:problem:"
UNAVAILABLE_RETRY_AFTER = "2"
"""Seconds a client waits before trying again while the database is out of reach:
a PostgreSQL restart takes a few."""

# Order matters: the first class an error is an instance of wins.
STATUS: list[tuple[type[errors.DomainError], int, str]] = [
    (errors.NotOffered, 400, "Not offered"),
    (errors.Unauthenticated, 401, "Unauthenticated"),
    (errors.NotPermitted, 403, "Not permitted"),
    (errors.NotFound, 404, "Not found"),
    (errors.MovedOn, 409, "Moved on"),
    (errors.WrongState, 409, "Wrong state"),
    (errors.LinkAlreadyUsed, 409, "Link already used"),
    (errors.DuplicateRequest, 409, "Duplicate request"),
    (errors.AlreadyExists, 409, "Already exists"),
    (errors.ConcurrentUpdate, 409, "Concurrent update"),
    (errors.RecipientUnavailable, 409, "Recipient unavailable"),
    (errors.IdempotencyKeyInUse, 409, "Idempotency key in use"),
    (errors.UnknownPerson, 422, "Unknown person"),
    (errors.IdempotencyKeyReused, 422, "Idempotency key reused"),
    (errors.InvalidInput, 422, "Invalid input"),
    (errors.LinkExpired, 410, "Link expired"),
    (errors.AskBudgetExceeded, 429, "Ask budget exceeded"),
]


HTTP_CODES = {
    400: "unreadable_body",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}
"""Codes for what the framework refuses before a route runs (400: FastAPI could not
read the body, as with bytes that are not UTF-8)."""


METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> str:
    """Every method served at this path, asked of the router one method at a time.
    (Starlette names only those of the first route whose path matches, and several
    routes may share a path.)"""
    routes = request.app.router.routes
    served = (
        method
        for method in METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    )
    return ", ".join(served)


def route_of(scope: Scope) -> str:
    """The template of the route that answered (`/a/{token}` for a link page, whose
    application is mounted at /a), or "unmatched"."""
    route = scope.get("route")
    # The template without its convertors: /v1/people/{person_id}, as the spec names it.
    return scope.get("root_path", "") + route.path_format if route else "unmatched"


def status_and_title(exc: errors.DomainError) -> tuple[int, str]:
    return next(
        ((status, title) for cls, status, title in STATUS if isinstance(exc, cls)),
        (400, "Bad request"),
    )


def status_of(exc: errors.DomainError) -> int:
    """The HTTP status of a domain error, for the JSON API and the pages alike."""
    return status_and_title(exc)[0]


def problem(
    status: int,
    code: str,
    title: str,
    detail: str | None,
    request: Request,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
        "instance": request.url.path,
        **{k: v for k, v in extra.items() if v is not None},
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install(app: FastAPI, clock: Clock, production: bool) -> None:
    @app.exception_handler(errors.DomainError)
    async def domain_error(request: Request, exc: errors.DomainError) -> JSONResponse:
        status, title = status_and_title(exc)
        headers: dict[str, str] = {}
        if isinstance(exc, errors.AskBudgetExceeded):
            wait = (exc.retry_after - clock.now()).total_seconds()
            headers["Retry-After"] = str(max(1, math.ceil(wait)))
        if isinstance(exc, errors.IdempotencyKeyInUse):
            headers["Retry-After"] = "1"
        if isinstance(exc, errors.Unauthenticated):
            headers["WWW-Authenticate"] = "Bearer"
        return problem(status, exc.code, title, exc.detail, request, headers, **exc.facts)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Echo where and why, never the submitted values.
        details = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
            for e in exc.errors()
        ]
        return problem(
            422,
            "validation_error",
            "Invalid input",
            "the request does not match the schema",
            request,
            errors=details,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return problem(exc.status_code, code, str(exc.detail), None, request, headers)

    @app.exception_handler(DBAPIError)
    @app.exception_handler(OSError)
    async def database_error(request: Request, exc: Exception) -> JSONResponse:
        if not database_out_of_reach(request, exc):
            return _crashed(request, exc, production)
        return problem(
            503,
            "database_unavailable",
            "Service unavailable",
            "the database cannot be reached right now; try again shortly",
            request,
            {"Retry-After": UNAVAILABLE_RETRY_AFTER},
        )

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        return _crashed(request, exc, production)


DATABASE_ERRORS: tuple[type[Exception], ...] = (DBAPIError, OSError)
"""What a database out of reach raises (among other things): handle these, then ask
`database_out_of_reach`."""


def database_out_of_reach(request: Request, exc: Exception) -> bool:
    """Whether `exc` is the database restarting or out of reach: an outage to wait
    out (503 with Retry-After), not a bug, so it is logged as one warning line with
    no traceback."""
    if not unavailable(exc):
        return False
    log.warning(
        "the database is out of reach on %s %s: %s: %s",
        request.method,
        route_of(request.scope),
        type(exc).__name__,
        exc,
    )
    return True


def _crashed(request: Request, exc: Exception, production: bool) -> JSONResponse:
    # The route's template, never the path: an email link's path is its token, a
    # credential. (A link page answers with a page first; this logs it once.)
    # Starlette sends a crash's answer from outside every middleware, SecurityHeaders
    # and RequestIds too: the request id is bound again from the request, and both
    # sets of headers are added here.
    request_id = request_id_of(request.scope)
    with structlog.contextvars.bound_contextvars(request_id=request_id):
        log.exception("unhandled error on %s %s", request.method, route_of(request.scope))
    return problem(
        500,
        "internal_error",
        "Internal error",
        "something went wrong on our side",
        request,
        headers_for(production) | ({REQUEST_ID_HEADER: request_id} if request_id else {}),
    )
