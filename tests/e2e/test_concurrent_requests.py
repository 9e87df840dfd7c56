"""Concurrent HTTP requests: asks racing for a connector's budget and identical
creates (in process, on both backends), then the same and simultaneous decisions
against the app under uvicorn on PostgreSQL. Exactly one of two conflicting
decisions wins; the other is a 409."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from tests.e2e.servers import loopback_socket, serving
from tests.e2e.world import World, as_, assert_problem
from tests.workspaces import Workspace
from warmintro.api.app import create_app
from warmintro.api.container import Container
from warmintro.domain.ids import new_id
from warmintro.domain.intro_request import Role
from warmintro.domain.people import Timing
from warmintro.infra.uow import SqlUnitOfWork

TIMING = Timing()
POSTGRES_ONLY = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


async def test_budget_and_duplicate_checks_hold_under_concurrent_asks(world: World) -> None:
    connector = await world.pid()
    askers = [await world.pid() for _ in range(8)]
    results = await asyncio.gather(
        *[
            world.api.post(
                "/v1/intro-requests",
                json={"asker_id": a, "connector_id": connector, "topic": "t", "message": "m"},
            )
            for a in askers
        ]
    )
    assert sorted(r.status_code for r in results) == [201] * 5 + [429] * 3
    assert len(await world.requests()) == 5

    asker, other = await world.pid(), await world.pid()
    body = {"asker_id": asker, "connector_id": other, "topic": "same", "message": "m"}
    results = await asyncio.gather(
        *[world.api.post("/v1/intro-requests", json=body) for _ in range(4)]
    )
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409]
    for r in results:
        if r.status_code == 409:
            assert_problem(r, 409, "duplicate_request")
    assert len(await world.requests()) == 6


# ---- over real sockets, on PostgreSQL ---------------------------------------------


@pytest.fixture
async def live_server(container: Container) -> AsyncIterator[str]:
    """The app under uvicorn on a free loopback port, in this event loop."""
    app = create_app(container=container, migrate_on_start=False)
    async with serving(app, loopback_socket()) as url:
        yield url


@pytest.fixture
async def client(live_server: str, workspace: Workspace) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=live_server,
        headers={"Authorization": f"Bearer {workspace.api_key}"},
        timeout=30,
        trust_env=False,  # loopback only: never through a proxy from the environment
        limits=httpx.Limits(max_connections=50),
    ) as client:
        yield client


async def new_person(client: httpx.AsyncClient, label: str) -> str:
    r = await client.post(
        "/v1/people",
        json={"email": f"{label}-{new_id().hex[:12]}@example.com", "name": label.title()},
    )
    assert r.status_code == 201, r.text
    person_id: str = r.json()["id"]
    return person_id


async def new_request(
    client: httpx.AsyncClient, asker: str, connector: str, topic: str = "hiring"
) -> httpx.Response:
    return await client.post(
        "/v1/intro-requests",
        json={
            "asker_id": asker,
            "connector_id": connector,
            "topic": topic,
            "message": "Could you introduce me to someone who has done this?",
        },
    )


async def timeline(client: httpx.AsyncClient, request_id: str) -> list[str]:
    r = await client.get(f"/v1/intro-requests/{request_id}/events")
    assert r.status_code == 200, r.text
    return [e["type"] for e in r.json()["items"]]


@pytest.mark.postgres
@POSTGRES_ONLY
async def test_http_simultaneous_accept_and_decline(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        asker, connector, expert = (
            await new_person(client, "asker"),
            await new_person(client, "connector"),
            await new_person(client, "expert"),
        )
        created = await new_request(client, asker, connector)
        assert created.status_code == 201, created.text
        rid = created.json()["id"]
        r = await client.post(
            f"/v1/intro-requests/{rid}/propose", json={"expert_id": expert}, headers=as_(connector)
        )
        assert r.status_code == 200, r.text
        before = await timeline(client, rid)

        accept, decline = await asyncio.gather(
            client.post(f"/v1/intro-requests/{rid}/accept", json={}, headers=as_(expert)),
            client.post(
                f"/v1/intro-requests/{rid}/decline",
                json={"reason": "busy"},
                headers=as_(expert),
            ),
        )
        assert sorted([accept.status_code, decline.status_code]) == [200, 409], (
            accept.text,
            decline.text,
        )
        winner, loser = (accept, decline) if accept.status_code == 200 else (decline, accept)
        assert_problem(loser, 409, ("wrong_state", "concurrent_update"))

        after = await timeline(client, rid)
        assert after[: len(before)] == before
        assert len(after) == len(before) + 1
        if winner is accept:
            assert (winner.json()["state"], after[-1]) == ("introduced", "intro_request.introduced")
        else:
            assert (winner.json()["state"], after[-1]) == (
                "awaiting_connector",
                "intro_request.expert_declined",
            )
        now = await client.get(f"/v1/intro-requests/{rid}")
        assert now.json()["state"] == winner.json()["state"]


@pytest.mark.postgres
@POSTGRES_ONLY
async def test_http_simultaneous_proposals_of_two_experts(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        asker, connector = await new_person(client, "asker"), await new_person(client, "connector")
        experts = [await new_person(client, "expert"), await new_person(client, "expert")]
        created = await new_request(client, asker, connector)
        assert created.status_code == 201, created.text
        rid = created.json()["id"]

        responses = await asyncio.gather(
            *(
                client.post(
                    f"/v1/intro-requests/{rid}/propose",
                    json={"expert_id": e},
                    headers=as_(connector),
                )
                for e in experts
            )
        )
        assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
        chosen = experts[[r.status_code for r in responses].index(200)]
        assert_problem(
            next(r for r in responses if r.status_code == 409),
            409,
            ("wrong_state", "concurrent_update"),
        )
        assert await timeline(client, rid) == [
            "intro_request.created",
            "intro_request.expert_proposed",
        ]
        now = await client.get(f"/v1/intro-requests/{rid}")
        assert (now.json()["state"], now.json()["expert_id"]) == ("awaiting_expert", chosen)


@pytest.mark.postgres
@POSTGRES_ONLY
async def test_http_identical_concurrent_creates_make_one_request(
    client: httpx.AsyncClient, container: Container, workspace: Workspace
) -> None:
    asker, connector = await new_person(client, "asker"), await new_person(client, "connector")
    responses = await asyncio.gather(
        *(new_request(client, asker, connector, "Kubernetes at scale") for _ in range(8))
    )
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 7}, [
        r.text for r in responses
    ]
    for r in responses:
        if r.status_code == 409:
            assert_problem(r, 409, "duplicate_request")

    listed = await client.get("/v1/intro-requests", headers=as_(asker), params={"limit": 100})
    assert [i["id"] for i in listed.json()["items"]] == [
        next(r for r in responses if r.status_code == 201).json()["id"]
    ]
    async with SqlUnitOfWork(container.engine, write=False) as uow:
        load = await uow.requests.load(workspace.id, uuid.UUID(connector), Role.CONNECTOR)
    assert load.count == 1


@pytest.mark.postgres
@POSTGRES_ONLY
async def test_http_concurrent_asks_stop_at_the_connector_budget(
    client: httpx.AsyncClient, container: Container, workspace: Workspace
) -> None:
    connector = await new_person(client, "connector")
    askers = [await new_person(client, f"asker{i}") for i in range(10)]
    budget = 5  # the workspace default
    responses = await asyncio.gather(*(new_request(client, a, connector) for a in askers))

    assert Counter(r.status_code for r in responses) == {201: budget, 429: 10 - budget}, [
        r.text for r in responses
    ]
    deadline_in = int(TIMING.connector_deadline / timedelta(seconds=1))
    for r in responses:
        if r.status_code == 429:
            assert_problem(r, 429, "ask_budget_exceeded")
            assert r.headers["Retry-After"] == str(deadline_in)

    async with SqlUnitOfWork(container.engine, write=False) as uow:
        load = await uow.requests.load(workspace.id, uuid.UUID(connector), Role.CONNECTOR)
    assert load.count == budget


@pytest.mark.postgres
@POSTGRES_ONLY
async def test_http_a_double_click_is_one_decision(client: httpx.AsyncClient) -> None:
    """The same decision sent several times at once: every call succeeds, one event."""
    for _ in range(3):
        asker, connector, expert = (
            await new_person(client, "asker"),
            await new_person(client, "connector"),
            await new_person(client, "expert"),
        )
        created = await new_request(client, asker, connector)
        assert created.status_code == 201, created.text
        rid = created.json()["id"]
        before = await timeline(client, rid)

        responses = await asyncio.gather(
            *(
                client.post(
                    f"/v1/intro-requests/{rid}/propose",
                    json={"expert_id": expert},
                    headers=as_(connector),
                )
                for _ in range(4)
            )
        )
        assert [r.status_code for r in responses] == [200] * 4, [r.text for r in responses]
        assert {r.json()["state"] for r in responses} == {"awaiting_expert"}
        after = await timeline(client, rid)
        assert after == [*before, "intro_request.expert_proposed"]
