"""The published OpenAPI document: FastAPI's, with what holds for every operation
written once here instead of on each route.

- An error is `application/problem+json` with the `Problem` schema, whatever the
  status (routes declare the statuses, FastAPI would file them as JSON).
- Every operation can meet 413: a body declared over the size limit is refused at
  the door, even where the route reads none. Where a body is read, 400 says it
  could not be read at all (bytes that are not UTF-8).
- Every operation that reads the database can meet 503 with Retry-After: the
  database restarting or out of reach for a moment.
- A parameter left out is absent, never null: a header or a query value has no
  null to send, so the null that FastAPI adds to an optional one is dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from warmintro.api.deps import declared_for_spec

PROBLEM = {"$ref": "#/components/schemas/Problem"}
DOOR: dict[str, str] = {
    "413": "The body is, or is declared to be, over the size limit",
}
OUTAGE: dict[str, str] = {
    "503": "The database is out of reach for a moment: try again after Retry-After",
}
NO_DATABASE = frozenset({"getHealth"})
BODY_READ: dict[str, str] = {
    "400": "The body could not be read (bytes that are not UTF-8)",
}


def install(app: FastAPI) -> None:
    """Serve (and let `warmintro openapi` write) the document with these rules applied."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            with _caller_declared(app):
                complete(generate())  # FastAPI keeps what it returns as app.openapi_schema
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


@contextmanager
def _caller_declared(app: FastAPI) -> Iterator[None]:
    """The routes as FastAPI would document them if the caller's headers were
    parameters (`deps.get_caller` reads them itself). Each route's handler was built
    from its own dependant when it was added, so requests meanwhile are served as
    ever; nothing awaits in between."""
    routes = [r for r in app.routes if isinstance(r, APIRoute)]
    served = [r.dependant for r in routes]
    for route in routes:
        route.dependant = declared_for_spec(route.dependant)
    try:
        yield
    finally:
        for route, dependant in zip(routes, served, strict=True):
            route.dependant = dependant


def complete(spec: dict[str, Any]) -> None:
    for methods in spec.get("paths", {}).values():
        for operation in methods.values():
            for parameter in operation.get("parameters", []):
                parameter["schema"] = _without_null(parameter["schema"])
            responses = operation.setdefault("responses", {})
            extra = DOOR | (BODY_READ if "requestBody" in operation else {})
            if operation.get("operationId") not in NO_DATABASE:
                extra |= OUTAGE
            for status, description in extra.items():
                responses.setdefault(status, {"description": description})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = {"application/problem+json": {"schema": PROBLEM}}


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    branches = schema.get("anyOf", [])
    kept = [b for b in branches if b != {"type": "null"}]
    if len(kept) != 1 or len(branches) != 2:
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**kept[0], **rest}
