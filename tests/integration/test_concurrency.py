"""Concurrent writers: optimistic concurrency on intro requests, and real
concurrent HTTP requests against a uvicorn server on PostgreSQL.

On SQLite every write transaction starts with BEGIN IMMEDIATE, so two writers
never overlap: the second waits for the first. The tests that run on both
backends therefore get their stale copy from a read-only unit of work, which
may run while a writer holds the lock.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import uvicorn

from tests.conftest import Workspace as WorkspaceFixture
from tests.integration.conftest import NOW, Builder, later
from tests.support import FakeClock, use_cases_on
from warmintro.api.app import create_app
from warmintro.api.container import Container
from warmintro.domain.access import Principal
from warmintro.domain.commands import (
    Accept,
    CreateIntroRequest,
    CreatePerson,
    Decide,
    Decline,
    Propose,
)
from warmintro.domain.errors import ConcurrentUpdate, WrongState
from warmintro.domain.ids import new_id
from warmintro.domain.intro_request import DeclineReason, IntroRequest, Role, State
from warmintro.domain.people import Timing, Workspace
from warmintro.domain.views import RequestView
from warmintro.infra.uow import SqlUnitOfWork

TIMING = Timing()
POSTGRES_ONLY = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


async def awaiting_expert(build: Builder) -> tuple[IntroRequest, uuid.UUID]:
    """A request whose proposed expert is now to accept or decline, at version 1."""
    asker, connector, expert = new_id(), new_id(), new_id()
    request = await build.add_request(asker, connector)
    async with build.uow() as uow:
        loaded = await uow.requests.get(build.workspace_id, request.id)
        assert loaded is not None
        loaded.propose(connector, expert, "", later(1), TIMING)
        await uow.requests.save(loaded)
        await uow.commit()
    return await build.load(request.id), expert


async def event_types(build: Builder, request_id: uuid.UUID) -> list[str]:
    async with build.uow(write=False) as uow:
        return [e.type for e in await uow.requests.events(build.workspace_id, request_id)]


# ---- optimistic concurrency in the repository, on both backends -------------------


async def test_a_stale_save_raises_concurrent_update(build: Builder) -> None:
    request, expert = await awaiting_expert(build)

    async with build.uow() as winner_uow:
        winner = await winner_uow.requests.get(build.workspace_id, request.id)
        # The loser reads the same version while the winner's transaction is open.
        async with build.uow(write=False) as reader:
            stale = await reader.requests.get(build.workspace_id, request.id)
        assert winner is not None and stale is not None
        assert winner.version == stale.version == 1

        assert winner.accept(expert, "happy to", later(2))
        assert stale.decline(expert, DeclineReason.BUSY, "", later(2), TIMING)
        await winner_uow.requests.save(winner)
        await winner_uow.commit()

    async with build.uow() as loser_uow:
        with pytest.raises(ConcurrentUpdate):
            await loser_uow.requests.save(stale)
        await loser_uow.commit()  # commits nothing: the failed save wrote nothing

    got = await build.load(request.id)
    assert (got.state, got.version, got.event_seq) == (State.INTRODUCED, 2, 3)
    assert await event_types(build, request.id) == [
        "intro_request.created",
        "intro_request.expert_proposed",
        "intro_request.introduced",
    ]


async def test_exactly_one_of_two_concurrent_decisions_wins(build: Builder) -> None:
    """The expert's accept and decline race through the handlers, each in its own
    unit of work: one commits; the other finds the request changed (ConcurrentUpdate
    on PostgreSQL when both read first; WrongState when it reads after)."""
    workspace = Workspace(id=build.workspace_id, name="race", created_at=NOW)
    for _ in range(3):
        request, expert = await awaiting_expert(build)
        principal = Principal(workspace, expert, operator=True)
        use_cases = use_cases_on(build.engine, FakeClock(later(5)))
        results = await asyncio.gather(
            use_cases(Decide(request.id, Accept()), principal),
            use_cases(Decide(request.id, Decline(DeclineReason.NOT_NOW)), principal),
            return_exceptions=True,
        )
        won = [r for r in results if isinstance(r, RequestView)]
        lost = [r for r in results if isinstance(r, Exception)]
        assert len(won) == 1 and len(lost) == 1, results
        assert isinstance(lost[0], ConcurrentUpdate | WrongState), lost[0]

        got = await build.load(request.id)
        assert got.version == 2
        assert got.state is won[0].state
        types = await event_types(build, request.id)
        assert len(types) == 3
        expected = (
            "intro_request.introduced"
            if got.state is State.INTRODUCED
            else "intro_request.expert_declined"
        )
        assert types[-1] == expected


@pytest.mark.postgres
@POSTGRES_ONLY
async def test_overlapping_writers_on_postgres_the_second_waits_then_fails(
    build: Builder,
) -> None:
    request, expert = await awaiting_expert(build)
    async with build.uow() as first, build.uow() as second:
        a = await first.requests.get(build.workspace_id, request.id)
        b = await second.requests.get(build.workspace_id, request.id)
        assert a is not None and b is not None and a.version == b.version == 1
        a.accept(expert, "", later(2))
        b.decline(expert, DeclineReason.BUSY, "", later(2), TIMING)

        await first.requests.save(a)
        blocked = asyncio.create_task(second.requests.save(b))
        await asyncio.sleep(0.2)
        assert not blocked.done(), "the second UPDATE must wait for the first's row lock"
        await first.commit()
        with pytest.raises(ConcurrentUpdate):
            await asyncio.wait_for(blocked, 10)

    got = await build.load(request.id)
    assert (got.state, got.version) == (State.INTRODUCED, 2)
    assert len(await event_types(build, request.id)) == 3


# ---- real concurrent HTTP on PostgreSQL -------------------------------------------


@pytest.fixture
async def live_server(container: Container) -> AsyncIterator[str]:
    """The app under uvicorn on a free loopback port, in this event loop."""
    app = create_app(container=container, migrate_on_start=False)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):  # at most 5 s
            if server.started or serving.done():
                break
            await asyncio.sleep(0.01)
        if serving.done():
            serving.result()  # surface the startup error
        assert server.started, "uvicorn did not start within 5 s"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 15)
        sock.close()


@pytest.fixture
async def client(live_server: str, workspace: WorkspaceFixture) -> AsyncIterator[httpx.AsyncClient]:
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
    return r.json()["id"]


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


def as_(person: str) -> dict[str, str]:
    return {"X-On-Behalf-Of": person}


async def timeline(client: httpx.AsyncClient, request_id: str) -> list[str]:
    r = await client.get(f"/v1/intro-requests/{request_id}/events")
    assert r.status_code == 200, r.text
    return [e["type"] for e in r.json()["items"]]


def assert_problem(response: httpx.Response, status: int, *codes: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["code"] in codes, body


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
        assert_problem(loser, 409, "wrong_state", "concurrent_update")

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
            "wrong_state",
            "concurrent_update",
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
    client: httpx.AsyncClient, container: Container, workspace: WorkspaceFixture
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
    client: httpx.AsyncClient, container: Container, workspace: WorkspaceFixture
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


@pytest.mark.postgres
@POSTGRES_ONLY
async def test_a_timer_and_a_decision_at_once_both_take_effect(
    container: Container, clock: FakeClock, workspace: WorkspaceFixture
) -> None:
    """The worker holds a due request while the connector decides: the decision waits
    for the worker's transaction and is then taken on the fresh state; no error
    reaches the person (PostgreSQL deadlocks, were they to happen, are retried)."""
    async with container.uow() as uow:
        ws = await uow.workspaces.get(workspace.id)
    assert ws is not None
    people = []
    for name in ("asker", "connector", "expert"):
        r = await create_person(container, ws, name)
        people.append(r)
    asker, connector, expert = people
    seen = await container.use_cases(
        CreateIntroRequest(
            asker_id=asker, connector_id=connector, topic="hiring", message="please"
        ),
        Principal(ws, None, operator=True),
    )
    rid = seen.id
    clock.advance(timedelta(days=3))  # the reminder is due

    timer = container.uow()
    async with timer:
        # The database is shared with other tests' timers: claim them all, ours included.
        due = await timer.requests.claim_due(clock.now(), 1_000_000)
        assert (ws.id, rid) in due
        decision = asyncio.create_task(
            container.use_cases(
                Decide(rid, Propose(expert_id=expert)), Principal(ws, connector, operator=False)
            )
        )
        await asyncio.sleep(0.3)  # the decision is now waiting on the worker's lock
        assert not decision.done()
        request = await timer.requests.get(ws.id, rid)
        assert request is not None and request.tick(clock.now(), ws.timing)
        await timer.requests.save(request)
        await timer.commit()

    result = await asyncio.wait_for(decision, timeout=10)
    assert result.state is State.AWAITING_EXPERT
    async with container.uow(write=False) as uow:
        types = [e.type for e in await uow.requests.events(ws.id, rid)]
    assert types == [
        "intro_request.created",
        "intro_request.reminder_due",
        "intro_request.expert_proposed",
    ]


async def create_person(container: Container, ws: Workspace, name: str) -> uuid.UUID:
    person = await container.use_cases(
        CreatePerson(email=f"{name}-{new_id().hex[:8]}@example.com", name=name),
        Principal(ws, None, operator=True),
    )
    return person.id
