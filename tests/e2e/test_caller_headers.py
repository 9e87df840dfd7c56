"""The caller's two headers, `Authorization` and `X-On-Behalf-Of`, are read by
`get_caller` itself rather than solved by FastAPI as a security dependency and a
header parameter on every request; they must still be read, refused and published
exactly as those were."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI, Header
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.e2e.apps import app_with, calling
from warmintro.api.deps import ON_BEHALF_OF, _on_behalf_of, get_caller


def _callers(dependant: Dependant) -> Iterator[Dependant]:
    for dependency in dependant.dependencies:
        if dependency.call is get_caller:
            yield dependency
        yield from _callers(dependency)


async def test_the_caller_is_one_dependency_with_nothing_for_fastapi_to_solve_inside() -> None:
    async with app_with() as app:
        routes = [r for r in app.router.routes if isinstance(r, APIRoute)]
        callers = [(r.path, c) for r in routes for c in _callers(r.dependant)]
    assert len({path for path, _ in callers}) > 20
    solved = [path for path, c in callers if c.dependencies or c.header_params or c.query_params]
    assert solved == []


async def test_the_spec_still_declares_the_bearer_scheme_and_the_header_on_every_caller() -> None:
    async with app_with() as app:
        spec = app.openapi()
        routes = [r for r in app.router.routes if isinstance(r, APIRoute) and r.include_in_schema]
        takes_caller = {
            (r.path_format, m.lower())
            for r in routes
            if any(_callers(r.dependant))
            for m in r.methods or ()
        }
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path, method in takes_caller:
        operation = spec["paths"][path][method]
        assert operation["security"] == [{"HTTPBearer": []}], (path, method)
        header = next(p for p in operation["parameters"] if p["name"] == ON_BEHALF_OF)
        assert header["in"] == "header" and header["schema"]["format"] == "uuid"
        assert not header["required"]
    # And nothing else: the unauthenticated operations declare neither.
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if (path, method) not in takes_caller:
                assert "security" not in operation, (path, method)


def _fastapi_header_app() -> FastAPI:
    """What `X-On-Behalf-Of` was: a header parameter FastAPI validated."""
    app = FastAPI()

    @app.get("/")
    async def echo(
        person: Annotated[uuid.UUID | None, Header(alias=ON_BEHALF_OF)] = None,
    ) -> str | None:
        return str(person) if person else None

    return app


async def _as_fastapi_reads(client: httpx.AsyncClient, value: str) -> Any:
    r = await client.get("/", headers={ON_BEHALF_OF: value})
    if r.status_code == 200:
        return r.json()
    assert r.status_code == 422
    return [(tuple(e["loc"]), e["msg"], e["type"]) for e in r.json()["detail"]]


def _as_we_read(value: str) -> Any:
    try:
        return _on_behalf_of(value)
    except RequestValidationError as exc:
        return [(tuple(e["loc"]), e["msg"], e["type"]) for e in exc.errors()]


UUID_SHAPES = st.uuids().flatmap(
    lambda u: st.sampled_from(
        [str(u), u.hex, str(u).upper(), "{" + str(u) + "}", f"urn:uuid:{u}", str(u)[:-1]]
    )
)
HEADER_TEXT = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40)


@pytest.mark.parametrize("value", ["", "me", "12345678-1234-5678-1234-56781234567g"])
async def test_a_malformed_person_id_is_refused_as_the_header_parameter_refused_it(
    value: str,
) -> None:
    async with calling(_fastapi_header_app()) as client:
        expected = await _as_fastapi_reads(client, value)
    assert isinstance(expected, list) and expected[0][0] == ("header", ON_BEHALF_OF)
    assert _as_we_read(value) == expected


@settings(max_examples=150, deadline=None)
@given(value=st.one_of(UUID_SHAPES, HEADER_TEXT))
async def test_any_person_id_is_read_as_the_header_parameter_read_it(value: str) -> None:
    async with calling(_fastapi_header_app()) as client:
        assert _as_we_read(value) == await _as_fastapi_reads(client, value)
