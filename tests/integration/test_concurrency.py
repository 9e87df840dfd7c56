"""Concurrent writers: optimistic concurrency on intro requests, and a timer firing
while a decision is taken (real concurrent HTTP is in tests/e2e).

On SQLite every write transaction starts with BEGIN IMMEDIATE, so two writers
never overlap: the second waits for the first. The tests that run on both
backends therefore get their stale copy from a read-only unit of work, which
may run while a writer holds the lock.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.clock import FakeClock
from tests.integration.builder import NOW, TIMING, Builder, later, use_cases_on
from tests.workspaces import Workspace as WorkspaceFixture
from warmintro.api.container import Container
from warmintro.domain.access import Principal
from warmintro.domain.commands import (
    Accept,
    CreateIntroRequest,
    CreatePerson,
    Decide,
    Decline,
    NewPerson,
    Propose,
)
from warmintro.domain.errors import ConcurrentUpdate, WrongState
from warmintro.domain.ids import new_id
from warmintro.domain.intro_request import DeclineReason, IntroRequest, State
from warmintro.domain.people import Workspace
from warmintro.domain.views import RequestView
from warmintro.infra.database import make_engine, reading
from warmintro.infra.repositories.outbox import outbox_health
from warmintro.infra.repositories.timers import seconds_to_next_timer, timers_due
from warmintro.infra.uow import SqlUnitOfWorkFactory

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
        use_cases = use_cases_on(build.uows, FakeClock(later(5)))
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


# ---- a timer and a decision at once, on PostgreSQL ------------------------------


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


@pytest.mark.postgres
@POSTGRES_ONLY
async def test_a_double_submit_naming_someone_new_is_one_proposal(
    container: Container, workspace: WorkspaceFixture
) -> None:
    """Both submits look the email up, find no one and add the person; the second
    insert meets the first at the unique index. It is taken again on the fresh state,
    where it is a repeat: one person, one proposal, one email, and no error."""
    async with container.uow() as uow:
        ws = await uow.workspaces.get(workspace.id)
    assert ws is not None
    asker, connector = [await create_person(container, ws, name) for name in ("a", "c")]
    created = await container.use_cases(
        CreateIntroRequest(asker_id=asker, connector_id=connector, topic="pricing", message="?"),
        Principal(ws, None, operator=True),
    )
    email = f"nina-{new_id().hex[:8]}@example.com"
    proposal = Decide(created.id, Propose(expert=NewPerson(email, "Nina")))
    as_connector = Principal(ws, connector, operator=False)

    results = await asyncio.gather(
        container.use_cases(proposal, as_connector),
        container.use_cases(proposal, as_connector),
        return_exceptions=True,
    )

    assert all(isinstance(r, RequestView) for r in results), results
    async with container.uow(write=False) as uow:
        nina = await uow.people.get_by_email(ws.id, email)
        types = [e.type for e in await uow.requests.events(ws.id, created.id)]
    assert nina is not None
    # The connector sees Nina as typed until she accepts: both answers without an id.
    assert {r.expert_id for r in results if isinstance(r, RequestView)} == {None}
    async with container.uow(write=False) as uow:
        stored = await uow.requests.get(ws.id, created.id)
    assert stored is not None and stored.expert_id == nina.id
    assert types == ["intro_request.created", "intro_request.expert_proposed"]


# ---- writers take turns in the process on SQLite --------------------------------------

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@SQLITE_ONLY
async def test_sqlite_writers_take_turns_in_order_and_readers_need_none(build: Builder) -> None:
    """A second writer waits in the process, not in SQLite's busy loop (whose sleeps
    grow to 100 ms while the lock may stand free): it starts when the first ends.
    Writers start in the order they came; a reader starts at once meanwhile."""
    started: list[str] = []

    async def write(name: str) -> None:
        async with build.uow():
            started.append(name)

    async with build.uow():
        waiting = [asyncio.create_task(write(f"writer {n}")) for n in range(3)]
        await asyncio.sleep(0.05)
        assert started == [], "a writer started while another held its turn"
        async with build.uow(write=False):
            started.append("reader")
    await asyncio.gather(*waiting)
    assert started == ["reader", "writer 0", "writer 1", "writer 2"]


@SQLITE_ONLY
async def test_the_workers_and_metrics_reads_need_no_turn(
    engine: AsyncEngine, build: Builder
) -> None:
    """The reads outside a unit of work (a scrape's counts, the worker's next due
    time) take no write lock: had they opened with BEGIN IMMEDIATE, each would sit in
    SQLite's busy loop until the writer let go (30 s at most)."""
    clock = FakeClock(NOW)
    async with build.uow(), asyncio.timeout(5):
        await outbox_health(engine, NOW)
        await timers_due(engine, NOW)
        await seconds_to_next_timer(engine, clock)
        async with reading(engine) as conn:
            await conn.scalar(sa.select(1))


async def test_a_writer_that_cannot_begin_gives_up_its_turn(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'warmintro.db'}")
    uows = SqlUnitOfWorkFactory(engine)
    try:
        for _ in range(2):  # the second would wait for ever if the first kept its turn
            with pytest.raises(OperationalError):
                async with asyncio.timeout(5), uows():
                    pass
    finally:
        await engine.dispose()
