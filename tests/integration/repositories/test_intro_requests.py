"""Intro requests: every field kept, versions, the timeline, parties, scrubbing."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.builder import NOW, TIMING, Builder, later
from tests.integration.repositories.backends import SQL_ONLY, assert_utc, rows
from warmintro.domain.errors import ConcurrentUpdate
from warmintro.domain.ids import new_id
from warmintro.domain.intro_request import (
    DeclineReason,
    IntroRequest,
    NamedAs,
    Rating,
    State,
)
from warmintro.domain.people import (
    Timing,
)
from warmintro.infra.tables import request_parties, timers

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def request_fields(request: IntroRequest) -> dict[str, object]:
    return {
        f.name: getattr(request, f.name) for f in dataclasses.fields(request) if f.name != "events"
    }


async def test_intro_request_round_trips_every_field(build: Builder) -> None:
    plus_two = timezone(timedelta(hours=2))
    ids = [new_id() for _ in range(9)]
    asker, connector, expert, target, fb1, fb2, past1, past2, declined = ids
    request = IntroRequest(
        id=new_id(),
        workspace_id=build.workspace_id,
        asker_id=asker,
        connector_id=connector,
        topic="Scaling Postgres",
        message="Who has sharded a 10 TB database? ✨ «quotes» and 'apostrophes'",
        created_at=NOW,
        updated_at=later(90),
        target_id=target,
        fallback_connector_ids=(fb1, fb2),
        state=State.INTRODUCED,
        expert_id=expert,
        expert_named_as=NamedAs("eve@example.org", "Eve «typed»"),
        hops=2,
        connector_named_as=NamedAs("cat@example.org", "Cat"),
        past_connector_ids=(past1, past2),
        declined_expert_ids=(declined,),
        declined_connector_ids=(past1,),
        forwards=((past1, past2), (past2, connector)),
        decline_reason=DeclineReason.NOT_A_FIT,
        feedback_rating=Rating.SOMEWHAT,
        deadline_at=datetime(2026, 1, 10, 11, 0, 0, 1, tzinfo=plus_two),
        reminder_at=later(60 * 24 * 3),
        reminded=True,
        introduced_at=later(89),
        version=4,
        event_seq=7,
    )
    async with build.uow() as uow:
        await uow.requests.add(request)
        await uow.commit()

    got = await build.load(request.id)
    assert request_fields(got) == request_fields(request)
    assert got.state is State.INTRODUCED
    assert got.decline_reason is DeclineReason.NOT_A_FIT
    assert got.feedback_rating is Rating.SOMEWHAT
    assert isinstance(got.forwards, tuple) and all(isinstance(f, tuple) for f in got.forwards)
    for value in (
        got.created_at,
        got.updated_at,
        got.deadline_at,
        got.reminder_at,
        got.introduced_at,
    ):
        assert_utc(value)
    assert got.events == []


async def test_intro_request_round_trips_empty_optionals(build: Builder) -> None:
    request = await build.add_request(new_id(), new_id())
    got = await build.load(request.id)
    assert request_fields(got) == request_fields(request)
    assert got.target_id is None and got.expert_id is None and got.introduced_at is None
    assert got.expert_named_as is None and got.connector_named_as is None
    assert got.fallback_connector_ids == () and got.forwards == ()


async def test_get_of_an_unknown_or_foreign_request_is_none(build: Builder) -> None:
    request = await build.add_request(new_id(), new_id())
    async with build.uow(write=False) as uow:
        assert await uow.requests.get(build.workspace_id, new_id()) is None
        assert await uow.requests.get(new_id(), request.id) is None


async def party_rows(
    engine: AsyncEngine, build: Builder, request_id: uuid.UUID
) -> set[tuple[uuid.UUID, str]]:
    found = await rows(
        engine,
        sa.select(request_parties.c.person_id, request_parties.c.role).where(
            request_parties.c.workspace_id == build.workspace_id,
            request_parties.c.request_id == request_id,
        ),
    )
    return {(r.person_id, r.role) for r in found}


@SQL_ONLY
async def test_add_writes_the_created_event_and_party_rows(
    build: Builder, engine: AsyncEngine
) -> None:
    asker, connector, target = new_id(), new_id(), new_id()
    request = await build.add_request(asker, connector, target_id=target)
    assert await party_rows(engine, build, request.id) == {
        (asker, "asker"),
        (connector, "connector"),
    }
    async with build.uow(write=False) as uow:
        events = await uow.requests.events(build.workspace_id, request.id)
    assert [(e.seq, e.type, e.actor_id) for e in events] == [(1, "intro_request.created", asker)]
    assert events[0].data == {
        "state": "awaiting_connector",
        "connector_id": str(connector),
        "target_id": str(target),
    }
    assert_utc(events[0].occurred_at)


@SQL_ONLY
async def test_save_bumps_the_version_and_writes_events_and_parties(
    build: Builder, engine: AsyncEngine
) -> None:
    asker, connector, expert, next_connector = (new_id() for _ in range(4))
    request = await build.add_request(asker, connector)
    assert request.version == 0

    steps: list[Callable[[IntroRequest], bool]] = [
        lambda r: r.propose(connector, expert, "she built it", later(1), TIMING),
        lambda r: r.decline(expert, DeclineReason.BUSY, "swamped", later(2), TIMING),
        lambda r: r.forward(connector, next_connector, "try him", later(3), TIMING),
    ]
    for version, step in enumerate(steps, start=1):
        async with build.uow() as uow:
            loaded = await uow.requests.get(build.workspace_id, request.id)
            assert loaded is not None and loaded.version == version - 1
            assert step(loaded) is True
            await uow.requests.save(loaded)
            assert loaded.version == version
            await uow.commit()

    got = await build.load(request.id)
    assert got.version == 3
    assert got.event_seq == 4
    assert got.state is State.AWAITING_CONNECTOR
    assert got.connector_id == next_connector
    assert got.past_connector_ids == (connector,)
    assert got.declined_expert_ids == (expert,)
    assert got.decline_reason is DeclineReason.BUSY
    assert got.deadline_at == later(3) + TIMING.connector_deadline
    assert_utc(got.deadline_at)

    async with build.uow(write=False) as uow:
        events = await uow.requests.events(build.workspace_id, request.id)
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert [e.type for e in events] == [
        "intro_request.created",
        "intro_request.expert_proposed",
        "intro_request.expert_declined",
        "intro_request.forwarded",
    ]
    assert [e.actor_id for e in events] == [asker, connector, expert, connector]
    assert [e.occurred_at for e in events] == [NOW, later(1), later(2), later(3)]
    assert events[1].data == {
        "state": "awaiting_expert",
        "expert_id": str(expert),
        "note": "she built it",
    }
    assert events[2].data["reason"] == "busy"
    assert len({e.id for e in events}) == 4

    assert await party_rows(engine, build, request.id) == {
        (asker, "asker"),
        (connector, "connector"),
        (expert, "expert"),
        (next_connector, "connector"),
    }


async def test_save_of_an_unknown_request_raises_concurrent_update(build: Builder) -> None:
    request = build.request(new_id(), new_id())
    async with build.uow() as uow:
        with pytest.raises(ConcurrentUpdate):
            await uow.requests.save(request)


@SQL_ONLY
async def test_save_of_a_request_loaded_in_another_unit_of_work(
    build: Builder, engine: AsyncEngine
) -> None:
    """The port promises a save 'if nobody else saved since we read', whichever
    unit of work did the reading: a request read earlier (say, for a page that
    later posts the decision) saves as long as its version is current."""
    asker, connector, expert = new_id(), new_id(), new_id()
    request = await build.add_request(asker, connector)
    loaded = await build.load(request.id)  # read in a read-only unit of work
    loaded.propose(connector, expert, "", later(1), TIMING)

    async with build.uow() as uow:
        await uow.requests.save(loaded)
        await uow.commit()

    got = await build.load(request.id)
    assert (got.state, got.expert_id, got.version) == (State.AWAITING_EXPERT, expert, 1)
    assert await party_rows(engine, build, request.id) == {
        (asker, "asker"),
        (connector, "connector"),
        (expert, "expert"),
    }


async def test_scrub_person_erases_their_blurbs_and_notes_only(build: Builder) -> None:
    erased, connector, expert = new_id(), new_id(), new_id()
    theirs = await build.add_request(erased, connector)
    someone_elses = await build.add_request(new_id(), erased, "other topic")
    async with build.uow() as uow:
        loaded = await uow.requests.get(build.workspace_id, theirs.id)
        assert loaded is not None
        loaded.propose(connector, expert, "the connector's note", later(1), TIMING)
        await uow.requests.save(loaded)
        other = await uow.requests.get(build.workspace_id, someone_elses.id)
        assert other is not None
        other.decline(erased, DeclineReason.OTHER, "my private reason", later(1), TIMING)
        await uow.requests.save(other)
        await uow.commit()

    async with build.uow() as uow:
        await uow.requests.scrub_person(build.workspace_id, erased)
        await uow.commit()

    assert (await build.load(theirs.id)).message == "[erased]"
    assert (await build.load(someone_elses.id)).message == someone_elses.message
    async with build.uow(write=False) as uow:
        mine = await uow.requests.events(build.workspace_id, theirs.id)
        other_events = await uow.requests.events(build.workspace_id, someone_elses.id)
    assert [e.data.get("note") for e in mine] == [None, "the connector's note"]
    assert other_events[-1].actor_id == erased
    assert other_events[-1].data["note"] == "[erased]"
    assert other_events[-1].data["reason"] == "other"


async def test_scrub_person_erases_what_a_connector_typed_for_them(build: Builder) -> None:
    erased, connector, other = new_id(), new_id(), new_id()
    theirs = await build.add_request(new_id(), connector)
    someone_elses = await build.add_request(new_id(), connector, "other topic")
    async with build.uow() as uow:
        for request, expert in ((theirs, erased), (someone_elses, other)):
            loaded = await uow.requests.get(build.workspace_id, request.id)
            assert loaded is not None
            typed = NamedAs(f"{expert}@example.org", "Typed")
            loaded.propose(connector, expert, "", later(1), TIMING, typed)
            loaded.remind(later(60 * 24 * 5))
            await uow.requests.save(loaded)
        await uow.commit()

    async with build.uow() as uow:
        await uow.requests.scrub_person(build.workspace_id, erased)
        await uow.commit()

    gone = NamedAs("[erased]", "[erased]")
    assert (await build.load(theirs.id)).expert_named_as == gone
    assert (await build.load(someone_elses.id)).expert_named_as == NamedAs(
        f"{other}@example.org", "Typed"
    )
    async with build.uow(write=False) as uow:
        mine = await uow.requests.events(build.workspace_id, theirs.id)
        kept = await uow.requests.events(build.workspace_id, someone_elses.id)
    assert [e.data.get("named_as") for e in mine[1:]] == [gone.as_data()] * 2
    assert [e.data["named_as"]["name"] for e in kept[1:]] == ["Typed"] * 2


async def test_scrub_person_erases_how_a_connector_typed_them_as_the_next(
    build: Builder,
) -> None:
    erased, connector = new_id(), new_id()
    request = await build.add_request(new_id(), connector)
    async with build.uow() as uow:
        loaded = await uow.requests.get(build.workspace_id, request.id)
        assert loaded is not None
        typed = NamedAs("next@example.org", "Next")
        loaded.forward(connector, erased, "", later(1), TIMING, typed)
        await uow.requests.save(loaded)
        await uow.commit()

    async with build.uow() as uow:
        await uow.requests.scrub_person(build.workspace_id, erased)
        await uow.commit()

    gone = NamedAs("[erased]", "[erased]")
    assert (await build.load(request.id)).connector_named_as == gone
    async with build.uow(write=False) as uow:
        events = await uow.requests.events(build.workspace_id, request.id)
    assert events[-1].data["named_as"] == gone.as_data()


async def test_save_refuses_a_stale_version(build: Builder) -> None:
    asker, connector = uuid.uuid4(), uuid.uuid4()
    async with build.uow() as uow:
        created = build.request(asker, connector)
        await uow.requests.add(created)
        mine = await uow.requests.get(build.workspace_id, created.id)
        theirs = await uow.requests.get(build.workspace_id, created.id)
        assert mine is not None and theirs is not None
        theirs.cancel(asker, T0)
        await uow.requests.save(theirs)
        mine.decline(connector, DeclineReason.BUSY, "", T0, Timing())

        with pytest.raises(ConcurrentUpdate):
            await uow.requests.save(mine)

        stored = await uow.requests.get(build.workspace_id, created.id)
        assert stored is not None
        assert stored.state is State.CANCELLED
        assert stored.version == 1


@SQL_ONLY
async def test_a_refused_save_writes_none_of_its_parties_events_or_timer(
    build: Builder, engine: AsyncEngine
) -> None:
    """On PostgreSQL the request's other rows go in the same statement as its
    update, and only if the update matched its version."""
    asker, connector, expert = new_id(), new_id(), new_id()
    request = await build.add_request(asker, connector)
    mine = await build.load(request.id)
    theirs = await build.load(request.id)
    theirs.cancel(asker, later(1))
    async with build.uow() as uow:
        await uow.requests.save(theirs)
        await uow.commit()

    mine.propose(connector, expert, "", later(2), TIMING)
    async with build.uow() as uow:
        with pytest.raises(ConcurrentUpdate):
            await uow.requests.save(mine)
        await uow.commit()  # whatever the refused save wrote would be kept

    async with build.uow(write=False) as uow:
        kept = await uow.requests.events(build.workspace_id, request.id)
    assert [e.type for e in kept] == ["intro_request.created", "intro_request.cancelled"]
    assert await party_rows(engine, build, request.id) == {
        (asker, "asker"),
        (connector, "connector"),
    }
    due = await rows(
        engine,
        sa.select(timers.c.due_at).where(
            timers.c.workspace_id == build.workspace_id, timers.c.request_id == request.id
        ),
    )
    assert due == [], "a cancelled request has no timer, and the refused save set none"


async def test_get_returns_a_detached_copy_without_pending_events(build: Builder) -> None:
    asker, connector = uuid.uuid4(), uuid.uuid4()
    async with build.uow() as uow:
        created = build.request(asker, connector)
        await uow.requests.add(created)
        loaded = await uow.requests.get(build.workspace_id, created.id)
        assert loaded is not None
        assert loaded.events == []
        loaded.cancel(asker, T0)
        again = await uow.requests.get(build.workspace_id, created.id)
        assert again is not None
        assert again.state is State.AWAITING_CONNECTOR
        assert [e.type for e in await uow.requests.events(build.workspace_id, created.id)] == [
            "intro_request.created"
        ]


async def test_scrub_person_erases_the_topic_of_their_asks(build: Builder) -> None:
    erased = new_id()
    theirs = await build.add_request(erased, new_id(), "restoring a mercury barometer")
    someone_elses = await build.add_request(new_id(), erased, "antique clocks")

    async with build.uow() as uow:
        await uow.requests.scrub_person(build.workspace_id, erased)
        await uow.commit()

    assert (await build.load(theirs.id)).topic == "[erased]"
    assert (await build.load(someone_elses.id)).topic == "antique clocks"
