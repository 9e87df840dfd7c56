"""Finding open asks (and refusing a second one), counting what waits on a person,
searching a person's requests newest first."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.builder import NOW, TIMING, Builder, later
from tests.integration.repositories.backends import assert_utc
from tests.paging import next_id
from warmintro.domain.errors import DuplicateRequest
from warmintro.domain.ids import new_id
from warmintro.domain.intro_request import (
    DeclineReason,
    IntroRequest,
    Role,
    State,
    topic_key,
)
from warmintro.domain.ports import Load

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def test_find_open_matches_the_topic_key_of_open_requests_only(build: Builder) -> None:
    asker, connector = new_id(), new_id()
    request = await build.add_request(asker, connector, "Hiring  Rust Engineers")

    async def find(who: uuid.UUID, topic: str) -> uuid.UUID | None:
        async with build.uow(write=False) as uow:
            return await uow.requests.find_open(build.workspace_id, asker, who, topic_key(topic))

    assert await find(connector, "  hiring rust   ENGINEERS ") == request.id
    assert await find(connector, "hiring go engineers") is None
    assert await find(new_id(), "hiring rust engineers") is None

    await build.cancel(request.id, later(5))
    assert await find(connector, "hiring rust engineers") is None


async def test_find_open_with_load_reads_the_duplicate_and_the_connectors_load_at_once(
    build: Builder,
) -> None:
    asker, connector = new_id(), new_id()
    nothing_yet = await find_open_with_load(build, asker, connector, "pricing")
    assert nothing_yet == (None, Load(count=0, earliest_deadline=None))

    mine = await build.add_request(asker, connector, "Pricing", now=later(30))
    await build.add_request(new_id(), connector, "pricing", now=later(0))  # another asker's
    await build.add_request(asker, new_id(), "pricing")  # another connector's
    found, load = await find_open_with_load(build, asker, connector, "  PRICING ")
    assert found == mine.id
    assert load == Load(count=2, earliest_deadline=later(0) + TIMING.connector_deadline)
    assert_utc(load.earliest_deadline)

    elsewhere = await find_open_with_load(build, asker, connector, "hiring")
    assert elsewhere == (None, load), "no duplicate on another topic, the same load"
    await build.cancel(mine.id, later(40))
    found, load = await find_open_with_load(build, asker, connector, "pricing")
    assert (found, load.count) == (None, 1)


async def find_open_with_load(
    build: Builder, asker: uuid.UUID, connector: uuid.UUID, topic: str
) -> tuple[uuid.UUID | None, Load]:
    async with build.uow(write=False) as uow:
        return await uow.requests.find_open_with_load(
            build.workspace_id, asker, connector, topic_key(topic)
        )


async def test_open_ask_index_rejects_a_second_open_request_for_the_same_topic(
    build: Builder,
) -> None:
    asker, connector = new_id(), new_id()
    first = await build.add_request(asker, connector, "Hiring Rust engineers")
    with pytest.raises(DuplicateRequest):
        await build.add_request(asker, connector, "  hiring RUST engineers ")
    # other connectors, other topics and other askers are free
    await build.add_request(asker, new_id(), "Hiring Rust engineers")
    await build.add_request(asker, connector, "Hiring Go engineers")
    await build.add_request(new_id(), connector, "Hiring Rust engineers")

    async with build.uow() as uow:  # awaiting the expert is still open
        loaded = await uow.requests.get(build.workspace_id, first.id)
        assert loaded is not None
        loaded.propose(connector, new_id(), "", later(1), TIMING)
        await uow.requests.save(loaded)
        await uow.commit()
    with pytest.raises(DuplicateRequest):
        await build.add_request(asker, connector, "hiring rust engineers")

    await build.cancel(first.id, later(2))
    again = await build.add_request(asker, connector, "hiring rust engineers")
    assert (await build.load(again.id)).state is State.AWAITING_CONNECTOR


async def test_open_ask_index_rejects_a_forward_onto_an_existing_open_ask(
    build: Builder,
) -> None:
    asker, first_connector, second_connector = new_id(), new_id(), new_id()
    await build.add_request(asker, first_connector, "design systems")
    other = await build.add_request(asker, second_connector, "design systems")
    async with build.uow() as uow:
        loaded = await uow.requests.get(build.workspace_id, other.id)
        assert loaded is not None
        loaded.forward(second_connector, first_connector, "", later(1), TIMING)
        with pytest.raises(DuplicateRequest):
            await uow.requests.save(loaded)
    got = await build.load(other.id)
    assert (got.connector_id, got.version) == (second_connector, 0)


async def test_load_counts_open_asks_and_gives_the_earliest_deadline(build: Builder) -> None:
    connector, expert = new_id(), new_id()
    first = await build.add_request(new_id(), connector, now=later(0))
    await build.add_request(new_id(), connector, now=later(30))
    await build.add_request(new_id(), connector, now=later(60))
    cancelled = await build.add_request(new_id(), connector, now=later(-600))
    await build.cancel(cancelled.id, later(-500))

    async with build.uow(write=False) as uow:
        as_connector = await uow.requests.load(build.workspace_id, connector, Role.CONNECTOR)
    assert as_connector.count == 3
    assert as_connector.earliest_deadline == later(0) + TIMING.connector_deadline
    assert_utc(as_connector.earliest_deadline)

    async with build.uow() as uow:
        loaded = await uow.requests.get(build.workspace_id, first.id)
        assert loaded is not None
        loaded.propose(connector, expert, "", later(120), TIMING)
        await uow.requests.save(loaded)
        await uow.commit()

    async with build.uow(write=False) as uow:
        as_connector = await uow.requests.load(build.workspace_id, connector, Role.CONNECTOR)
        as_expert = await uow.requests.load(build.workspace_id, expert, Role.EXPERT)
        nobody = await uow.requests.load(build.workspace_id, new_id(), Role.CONNECTOR)
        other_ws = await uow.requests.load(new_id(), connector, Role.CONNECTOR)
    assert as_connector.count == 2
    assert as_connector.earliest_deadline == later(30) + TIMING.connector_deadline
    assert as_expert.count == 1
    assert as_expert.earliest_deadline == later(120) + TIMING.expert_deadline
    assert_utc(as_expert.earliest_deadline)
    assert (nobody.count, nobody.earliest_deadline) == (0, None)
    assert (other_ws.count, other_ws.earliest_deadline) == (0, None)


async def test_search_by_person_role_and_state_pages_newest_first(build: Builder) -> None:
    me = new_id()
    created: list[tuple[IntroRequest, str]] = []
    for i in range(7):
        if i % 2:
            request = await build.add_request(new_id(), me, f"topic {i}")
            created.append((request, "connector"))
        else:
            request = await build.add_request(me, new_id(), f"topic {i}")
            created.append((request, "asker"))
        await asyncio.sleep(0.003)  # ids are time-ordered to the millisecond
    unrelated = await build.add_request(new_id(), new_id())
    cancelled = created[3][0]
    await build.cancel(cancelled.id, later(1))

    async def collect(
        person: uuid.UUID | None, role: Role | None, state: State | None, limit: int
    ) -> list[uuid.UUID]:
        out: list[uuid.UUID] = []
        after = None
        for _ in range(20):
            async with build.uow(write=False) as uow:
                page = await uow.requests.search(
                    build.workspace_id,
                    person_id=person,
                    role=role,
                    state=state,
                    after=after,
                    limit=limit,
                )
            assert len(page.items) <= limit
            out += [r.id for r in page.items]
            if page.next_after is None:
                return out
            assert page.next_after == page.items[-1].id
            after = next_id(page)
        raise AssertionError("pagination did not end")

    newest_first = [r.id for r, _ in reversed(created)]
    assert await collect(me, None, None, 2) == newest_first
    assert await collect(me, None, None, 100) == newest_first
    assert await collect(me, Role.ASKER, None, 3) == [
        r.id for r, role in reversed(created) if role == "asker"
    ]
    assert await collect(me, Role.CONNECTOR, None, 1) == [
        r.id for r, role in reversed(created) if role == "connector"
    ]
    assert await collect(me, Role.CONNECTOR, State.AWAITING_CONNECTOR, 2) == [
        r.id for r, role in reversed(created) if role == "connector" and r is not cancelled
    ]
    assert await collect(me, None, State.CANCELLED, 2) == [cancelled.id]
    assert await collect(me, Role.EXPERT, None, 2) == []
    assert await collect(None, None, None, 3) == [unrelated.id, *newest_first]
    assert await collect(None, None, State.CANCELLED, 3) == [cancelled.id]


async def test_load_counts_the_asks_waiting_on_a_person(build: Builder) -> None:
    connector = uuid.uuid4()
    async with build.uow() as uow:
        for hours in (5, 1, 3):
            await uow.requests.add(
                build.request(uuid.uuid4(), connector, now=T0 + timedelta(hours=hours))
            )
        load = await uow.requests.load(build.workspace_id, connector, Role.CONNECTOR)
        assert load.count == 3
        assert load.earliest_deadline == T0 + timedelta(hours=1, days=5)
        assert (await uow.requests.load(build.workspace_id, connector, Role.EXPERT)).count == 0


async def test_search_pages_newest_first_by_id(build: Builder) -> None:
    asker = uuid.uuid4()
    async with build.uow() as uow:
        ids = []
        for i in range(5):
            created = build.request(asker, uuid.uuid4(), f"topic {i}")
            ids.append(created.id)
            await uow.requests.add(created)
        first = await uow.requests.search(
            build.workspace_id, person_id=asker, role=Role.ASKER, state=None, after=None, limit=3
        )
        rest = await uow.requests.search(
            build.workspace_id,
            person_id=asker,
            role=Role.ASKER,
            state=None,
            after=next_id(first),
            limit=3,
        )
        as_connector = await uow.requests.search(
            build.workspace_id,
            person_id=asker,
            role=Role.CONNECTOR,
            state=None,
            after=None,
            limit=3,
        )
    assert [r.id for r in first.items + rest.items] == sorted(ids, reverse=True)
    assert first.next_after == first.items[-1].id
    assert rest.next_after is None
    assert as_connector.items == []


async def test_waiting_on_lists_the_open_asks_waiting_on_a_person(build: Builder) -> None:
    person, expert = new_id(), new_id()
    as_connector = await build.add_request(new_id(), person)
    passed_on = await build.add_request(new_id(), person, "passed on")
    with_an_expert = await build.add_request(new_id(), new_id(), "asked of them")
    closed = await build.add_request(new_id(), person, "closed")
    await build.add_request(person, new_id(), "their own ask")
    steps: list[tuple[uuid.UUID, Callable[[IntroRequest], bool]]] = [
        (passed_on.id, lambda r: r.propose(person, expert, "", later(1), TIMING)),
        (with_an_expert.id, lambda r: r.propose(r.connector_id, person, "", later(1), TIMING)),
        (closed.id, lambda r: r.decline(person, DeclineReason.BUSY, "", later(1), TIMING)),
    ]
    async with build.uow() as uow:
        for request_id, step in steps:
            loaded = await uow.requests.get(build.workspace_id, request_id)
            assert loaded is not None and step(loaded)
            await uow.requests.save(loaded)
        await uow.commit()

    async with build.uow(write=False) as uow:
        waiting = await uow.requests.waiting_on(build.workspace_id, person)
        elsewhere = await uow.requests.waiting_on(new_id(), person)
    assert sorted(waiting) == sorted([as_connector.id, with_an_expert.id])
    assert elsewhere == []


async def test_a_due_timer_is_claimed_and_a_closed_request_has_none(build: Builder) -> None:
    """Timers are kept at each request's next due time by add and save; the storage may
    hold other tests' timers, so the claim takes them all and looks for ours."""
    due = await build.add_request(new_id(), new_id(), now=later(-60 * 24 * 4))
    not_yet = await build.add_request(new_id(), new_id())
    closed = await build.add_request(new_id(), new_id(), now=later(-60 * 24 * 4))
    await build.cancel(closed.id, later(-60))

    async with build.uow() as uow:
        claimed = await uow.requests.claim_due(NOW, 1_000_000)
    ours = {rid for ws, rid in claimed if ws == build.workspace_id}
    assert ours == {due.id}
    assert not_yet.id not in ours and closed.id not in ours
