"""Every request has an id: a well-formed `X-Request-ID` is kept, anything else is
replaced, the response names it, and every log line written while the request is
served carries it (uvicorn's access line and a crash's report included)."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from tests.clock import FakeClock
from tests.e2e.live import live
from tests.logs import captured_logs
from warmintro.api.app import create_app
from warmintro.api.container import Container
from warmintro.api.request_ids import RequestIds
from warmintro.domain.use_cases import UseCases
from warmintro.infra.settings import Settings

FRESH = re.compile(r"[0-9a-f]{32}")


async def test_a_well_formed_request_id_comes_back_and_anything_else_is_replaced(
    app_client: httpx.AsyncClient,
) -> None:
    kept = await app_client.get("/healthz", headers={"X-Request-ID": "checkout-7f3a.2:b_9"})
    assert kept.headers["X-Request-ID"] == "checkout-7f3a.2:b_9"

    made = [(await app_client.get("/healthz")).headers["X-Request-ID"] for _ in range(2)]
    assert all(FRESH.fullmatch(i) for i in made) and made[0] != made[1], made

    for odd in ("two words", "x" * 129, "ann@example.com", "", "new\\nline"):
        got = (await app_client.get("/healthz", headers={"X-Request-ID": odd})).headers
        assert FRESH.fullmatch(got["X-Request-ID"]), (odd, got["X-Request-ID"])


async def test_every_line_logged_while_a_request_is_served_carries_its_id() -> None:
    said = logging.getLogger("warmintro.test")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        said.info("working on it")
        await send({"type": "http.response.start", "status": 204, "headers": []})
        said.info("answered")
        await send({"type": "http.response.body", "body": b""})

    transport = httpx.ASGITransport(app=RequestIds(app))
    with captured_logs() as logs:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            first = await client.get("/", headers={"X-Request-ID": "first-request"})
            second = await client.get("/")
        said.info("between requests")

    assert first.headers["X-Request-ID"] == "first-request"
    ids = [line.get("request_id") for line in logs.lines()]
    assert ids == ["first-request"] * 2 + [second.headers["X-Request-ID"]] * 2 + [None]


class Broken(UseCases):
    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")


async def test_a_crash_is_logged_with_the_id_the_500_answer_names(
    container: Container, workspace: Any
) -> None:
    app = create_app(container=replace(container, use_cases=Broken(container.use_cases.env)))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = {"Authorization": f"Bearer {workspace.api_key}", "X-Request-ID": "crash-1"}
    with captured_logs() as logs:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            crashed = await client.get("/v1/people", headers=headers)

    assert crashed.status_code == 500 and crashed.headers["X-Request-ID"] == "crash-1"
    [report] = [line for line in logs.lines() if line["level"] == "error"]
    assert report["request_id"] == "crash-1" and "RuntimeError: a bug" in report["exception"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_uvicorns_access_line_carries_the_request_id(
    settings: Settings, clock: FakeClock
) -> None:
    with captured_logs() as logs:
        async with live(settings, clock, "Request ids", access_log=True) as world:
            r = await world.api.get("/v1/people", headers={"X-Request-ID": "list-people-1"})
    assert r.status_code == 200 and r.headers["X-Request-ID"] == "list-people-1"

    [access] = [line for line in logs.lines() if line.get("path") == "/v1/people"]
    assert access["logger"] == "uvicorn.access" and access["request_id"] == "list-people-1"
    assert (access["method"], access["status"]) == ("GET", 200)
