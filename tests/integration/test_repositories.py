"""The repository contract, run against real SQLite and real PostgreSQL.

Every test takes the session's migrated `engine` (parametrized over both
backends) and works in a workspace id of its own.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.conftest import NOW, Builder, later
from warmintro.domain.errors import AlreadyExists, ConcurrentUpdate, DuplicateRequest
from warmintro.domain.ids import new_id
from warmintro.domain.intro_request import (
    DeclineReason,
    IntroRequest,
    Rating,
    Role,
    State,
    topic_key,
)
from warmintro.domain.notifications import EmailIntent
from warmintro.domain.people import (
    Budgets,
    Connection,
    EmailStatus,
    Preferences,
    Timing,
    Workspace,
)
from warmintro.infra.tables import outbox, person_expertise, request_parties

TIMING = Timing()


def assert_utc(value: datetime | None) -> None:
    assert value is not None
    assert value.tzinfo is not None, "a naive datetime came back from the database"
    assert value.utcoffset() == timedelta(0)


async def rows(engine: AsyncEngine, query: sa.Select) -> list[sa.Row]:  # type: ignore[type-arg]
    async with engine.connect() as conn:
        return list(await conn.execute(query))


# ---- the unit of work -------------------------------------------------------------


async def test_uow_rolls_back_when_not_committed(build: Builder) -> None:
    person = build.person()
    async with build.uow() as uow:
        await uow.people.add(person)
        assert await uow.people.get(build.workspace_id, person.id) == person  # own writes seen

    async with build.uow(write=False) as uow:
        assert await uow.people.get(build.workspace_id, person.id) is None


async def test_uow_rolls_back_when_the_block_raises(build: Builder) -> None:
    person = build.person()
    with pytest.raises(RuntimeError, match="boom"):
        async with build.uow() as uow:
            await uow.people.add(person)
            raise RuntimeError("boom")

    async with build.uow(write=False) as uow:
        assert await uow.people.get(build.workspace_id, person.id) is None


async def test_uow_keeps_what_was_committed_and_drops_what_came_after(build: Builder) -> None:
    kept, dropped = build.person(), build.person()
    async with build.uow() as uow:
        await uow.people.add(kept)
        await uow.commit()
        await uow.people.add(dropped)

    async with build.uow(write=False) as uow:
        assert await uow.people.get(build.workspace_id, kept.id) == kept
        assert await uow.people.get(build.workspace_id, dropped.id) is None


async def test_workspaces_and_api_keys_round_trip(build: Builder) -> None:
    workspace = Workspace(
        id=build.workspace_id,
        name="Alumni network",
        created_at=NOW,
        timing=Timing(
            connector_deadline=timedelta(days=4),
            connector_reminder=timedelta(days=2),
            expert_deadline=timedelta(days=6),
            expert_reminder=timedelta(hours=30),
        ),
        budgets=Budgets(connector_open=7, expert_pending=2),
    )
    async with build.uow() as uow:
        await uow.workspaces.add(workspace)
        await uow.api_keys.add(workspace.id, "a" * 64, NOW)
        await uow.commit()

    async with build.uow(write=False) as uow:
        assert await uow.workspaces.get(workspace.id) == workspace
        assert await uow.api_keys.exists(workspace.id, "a" * 64)
        assert not await uow.api_keys.exists(workspace.id, "b" * 64)
        assert not await uow.api_keys.exists(new_id(), "a" * 64)


# ---- people -----------------------------------------------------------------------


async def test_person_round_trips_every_field(build: Builder) -> None:
    snooze = datetime(2026, 2, 1, 17, 30, 15, 654321, tzinfo=timezone(timedelta(hours=2)))
    person = await build.add_person(
        email="Ada.Lovelace@example.com",
        name="Ada Lovelace",
        headline="Analytical engines",
        bio="Wrote the first program.",
        expertise=("mathematics", "poetical science"),
        email_status=EmailStatus.BOUNCED,
        preferences=Preferences(ask_budget=2, snooze_until=snooze, never_contact=True),
        created_at=NOW,
        updated_at=later(3),
    )

    async with build.uow(write=False) as uow:
        got = await uow.people.get(build.workspace_id, person.id)
        many = await uow.people.get_many(build.workspace_id, {person.id, new_id()})
    assert got == person
    assert many == {person.id: person}
    assert isinstance(got.expertise, tuple)
    assert got.email_status is EmailStatus.BOUNCED
    for value in (got.created_at, got.updated_at, got.preferences.snooze_until):
        assert_utc(value)
    assert got.preferences.snooze_until == snooze  # the same instant, now in UTC


async def test_people_are_invisible_from_another_workspace(build: Builder) -> None:
    person = await build.add_person()
    async with build.uow(write=False) as uow:
        assert await uow.people.get(new_id(), person.id) is None
        assert await uow.people.get_by_email(new_id(), person.email) is None
        assert await uow.people.get_many(new_id(), {person.id}) == {}


async def test_get_by_email_ignores_case(build: Builder) -> None:
    person = await build.add_person(email="Grace.Hopper@navy.example")
    async with build.uow(write=False) as uow:
        for spelling in (
            "Grace.Hopper@navy.example",
            "grace.hopper@NAVY.EXAMPLE",
            "GRACE.HOPPER@NAVY.EXAMPLE",
        ):
            assert await uow.people.get_by_email(build.workspace_id, spelling) == person
        assert await uow.people.get_by_email(build.workspace_id, "grace@navy.example") is None


async def test_duplicate_email_raises_already_exists_and_leaves_the_uow_usable(
    build: Builder,
) -> None:
    first = await build.add_person(email="Alan@example.com")
    other = build.person()
    async with build.uow() as uow:
        with pytest.raises(AlreadyExists) as caught:
            await uow.people.add(build.person(email="ALAN@example.com"))
        assert caught.value.facts == {"field": "email"}
        await uow.people.add(other)  # the failed insert did not poison the transaction
        await uow.commit()

    async with build.uow(write=False) as uow:
        assert await uow.people.get(build.workspace_id, other.id) == other
        assert await uow.people.get_by_email(build.workspace_id, "alan@example.com") == first


async def test_the_same_email_is_allowed_in_another_workspace(
    build: Builder, engine: AsyncEngine
) -> None:
    await build.add_person(email="shared@example.com")
    elsewhere = Builder(engine, new_id())
    person = await elsewhere.add_person(email="shared@example.com")
    async with elsewhere.uow(write=False) as uow:
        assert await uow.people.get_by_email(elsewhere.workspace_id, "shared@example.com") == person


async def test_update_rewrites_the_person_and_their_expertise_index(
    build: Builder, engine: AsyncEngine
) -> None:
    person = await build.add_person(expertise=("rust", "go"))
    updated = dataclasses.replace(
        person,
        name="Renamed",
        email="renamed@example.com",
        expertise=("python", "go"),
        preferences=Preferences(ask_budget=1),
        updated_at=later(10),
    )
    async with build.uow() as uow:
        await uow.people.update(updated)
        await uow.commit()

    async with build.uow(write=False) as uow:
        assert await uow.people.get(build.workspace_id, person.id) == updated
        assert await uow.people.get_by_email(build.workspace_id, person.email) is None
        by_tag = {
            tag: [
                p.id
                for p in (
                    await uow.people.search(
                        build.workspace_id, expertise=tag, q=None, after=None, limit=10
                    )
                ).items
            ]
            for tag in ("rust", "go", "python")
        }
    assert by_tag == {"rust": [], "go": [person.id], "python": [person.id]}
    tags = await rows(
        engine,
        sa.select(person_expertise.c.tag).where(
            person_expertise.c.workspace_id == build.workspace_id,
            person_expertise.c.person_id == person.id,
        ),
    )
    assert sorted(r.tag for r in tags) == ["go", "python"]


async def test_update_to_a_taken_email_raises_already_exists(build: Builder) -> None:
    await build.add_person(email="taken@example.com")
    person = await build.add_person()
    async with build.uow() as uow:
        with pytest.raises(AlreadyExists):
            await uow.people.update(dataclasses.replace(person, email="Taken@example.com"))
    async with build.uow(write=False) as uow:
        assert await uow.people.get(build.workspace_id, person.id) == person


async def test_search_by_expertise_tag(build: Builder) -> None:
    rustacean = await build.add_person(expertise=("rust", "databases"))
    dba = await build.add_person(expertise=("databases",))
    await build.add_person(expertise=("marketing",))
    async with build.uow(write=False) as uow:
        page = await uow.people.search(
            build.workspace_id, expertise="databases", q=None, after=None, limit=10
        )
        none = await uow.people.search(
            build.workspace_id, expertise="data", q=None, after=None, limit=10
        )
    assert [p.id for p in page.items] == sorted([rustacean.id, dba.id])
    assert page.next_after is None
    assert none.items == []


async def test_search_by_text_matches_name_headline_and_email_ignoring_case(
    build: Builder,
) -> None:
    hopper = await build.add_person(name="Grace Hopper", email="gh@navy.example")
    cobol = await build.add_person(name="Jean Sammet", headline="COBOL designer")
    by_mail = await build.add_person(name="Someone", email="turing@bletchley.example")
    await build.add_person(name="Unrelated")

    async def found(q: str) -> list[uuid.UUID]:
        async with build.uow(write=False) as uow:
            page = await uow.people.search(
                build.workspace_id, expertise=None, q=q, after=None, limit=10
            )
        return [p.id for p in page.items]

    assert await found("HOPPER") == [hopper.id]
    assert await found("cobol") == [cobol.id]
    assert await found("Turing@Bletchley") == [by_mail.id]
    assert await found("nobody matches this") == []


async def test_search_text_treats_like_wildcards_literally(build: Builder) -> None:
    percent = await build.add_person(headline="100% remote")
    await build.add_person(headline="1000 remote engineers")
    underscore = await build.add_person(name="snake_case fan")
    await build.add_person(name="snakeXcase fan")
    async with build.uow(write=False) as uow:
        by_percent = await uow.people.search(
            build.workspace_id, expertise=None, q="100%", after=None, limit=10
        )
        by_underscore = await uow.people.search(
            build.workspace_id, expertise=None, q="snake_case", after=None, limit=10
        )
    assert [p.id for p in by_percent.items] == [percent.id]
    assert [p.id for p in by_underscore.items] == [underscore.id]


async def test_search_combines_tag_and_text_and_skips_erased_people(build: Builder) -> None:
    match = await build.add_person(name="Linus", expertise=("kernels",))
    await build.add_person(name="Linus Pauling", expertise=("chemistry",))
    erased = await build.add_person(name="Linus Too", expertise=("kernels",), erased_at=NOW)
    async with build.uow(write=False) as uow:
        page = await uow.people.search(
            build.workspace_id, expertise="kernels", q="linus", after=None, limit=10
        )
        everyone = await uow.people.search(
            build.workspace_id, expertise=None, q=None, after=None, limit=10
        )
    assert [p.id for p in page.items] == [match.id]
    assert erased.id not in {p.id for p in everyone.items}
    assert len(everyone.items) == 2


async def test_people_keyset_pagination_has_no_duplicates_or_gaps(build: Builder) -> None:
    ids = [(await build.add_person(expertise=("paging",))).id for _ in range(23)]
    await build.add_person(expertise=("other",))  # filtered out on every page

    seen: list[uuid.UUID] = []
    after: uuid.UUID | None = None
    sizes = []
    for _ in range(10):  # bounded: 23 rows at 5 a page is 5 pages
        async with build.uow(write=False) as uow:
            page = await uow.people.search(
                build.workspace_id, expertise="paging", q=None, after=after, limit=5
            )
        sizes.append(len(page.items))
        seen += [p.id for p in page.items]
        if page.next_after is None:
            break
        assert page.next_after == page.items[-1].id
        after = page.next_after
    assert sizes == [5, 5, 5, 5, 3]
    assert seen == sorted(ids)


async def test_a_full_last_page_has_no_next_cursor(build: Builder) -> None:
    ids = sorted([(await build.add_person()).id for _ in range(4)])
    async with build.uow(write=False) as uow:
        first = await uow.people.search(
            build.workspace_id, expertise=None, q=None, after=None, limit=2
        )
        second = await uow.people.search(
            build.workspace_id, expertise=None, q=None, after=first.next_after, limit=2
        )
    assert [p.id for p in first.items] == ids[:2]
    assert [p.id for p in second.items] == ids[2:]
    assert second.next_after is None


# ---- connections ------------------------------------------------------------------


def connection(build: Builder, a: uuid.UUID, b: uuid.UUID, strength: int = 3) -> Connection:
    return Connection(
        workspace_id=build.workspace_id,
        person_id=a,
        other_id=b,
        strength=strength,
        context=f"worked together ({strength})",
        created_at=NOW,
    )


async def test_connections_add_page_and_list(build: Builder) -> None:
    me = new_id()
    others = [new_id() for _ in range(5)]
    mine = [connection(build, me, o, strength=i % 5 + 1) for i, o in enumerate(others)]
    async with build.uow() as uow:
        for c in mine:
            await uow.connections.add(c)
        await uow.connections.add(connection(build, others[0], me))  # the other direction
        await uow.commit()

    pages: list[list[Connection]] = []
    after: uuid.UUID | None = None
    for _ in range(10):
        async with build.uow(write=False) as uow:
            page = await uow.connections.page(build.workspace_id, me, after=after, limit=2)
        pages.append(page.items)
        if page.next_after is None:
            break
        assert page.next_after == page.items[-1].other_id
        after = page.next_after
    assert [len(p) for p in pages] == [2, 2, 1]
    flat = [c for p in pages for c in p]
    assert flat == sorted(mine, key=lambda c: c.other_id)
    for c in flat:
        assert_utc(c.created_at)

    async with build.uow(write=False) as uow:
        everything = await uow.connections.all_of(build.workspace_id, me)
        elsewhere = await uow.connections.all_of(new_id(), me)
    assert sorted(everything, key=lambda c: c.other_id) == sorted(mine, key=lambda c: c.other_id)
    assert elsewhere == []


async def test_duplicate_connection_raises_already_exists_and_leaves_the_uow_usable(
    build: Builder,
) -> None:
    a, b, c = new_id(), new_id(), new_id()
    async with build.uow() as uow:
        await uow.connections.add(connection(build, a, b))
        await uow.commit()
    async with build.uow() as uow:
        with pytest.raises(AlreadyExists):
            await uow.connections.add(connection(build, a, b, strength=5))
        await uow.connections.add(connection(build, a, c))
        await uow.commit()
    async with build.uow(write=False) as uow:
        found = await uow.connections.all_of(build.workspace_id, a)
    assert {(x.other_id, x.strength) for x in found} == {(b, 3), (c, 3)}


async def test_remove_all_of_drops_both_directions_only(build: Builder) -> None:
    gone, friend, bystander = new_id(), new_id(), new_id()
    async with build.uow() as uow:
        await uow.connections.add(connection(build, gone, friend))
        await uow.connections.add(connection(build, friend, gone))
        await uow.connections.add(connection(build, friend, bystander))
        await uow.connections.add(connection(build, bystander, gone))
        await uow.commit()
    async with build.uow() as uow:
        await uow.connections.remove_all_of(build.workspace_id, gone)
        await uow.commit()
    async with build.uow(write=False) as uow:
        assert await uow.connections.all_of(build.workspace_id, gone) == []
        assert [c.other_id for c in await uow.connections.all_of(build.workspace_id, friend)] == [
            bystander
        ]
        assert await uow.connections.all_of(build.workspace_id, bystander) == []


# ---- intro requests ---------------------------------------------------------------


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
        hops=2,
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
    assert got.fallback_connector_ids == () and got.forwards == ()


async def test_get_of_an_unknown_or_foreign_request_is_none(build: Builder) -> None:
    request = await build.add_request(new_id(), new_id())
    async with build.uow(write=False) as uow:
        assert await uow.requests.get(build.workspace_id, new_id()) is None
        assert await uow.requests.get(new_id(), request.id) is None


async def party_rows(engine: AsyncEngine, build: Builder, request_id: uuid.UUID) -> set:  # type: ignore[type-arg]
    found = await rows(
        engine,
        sa.select(request_parties.c.person_id, request_parties.c.role).where(
            request_parties.c.workspace_id == build.workspace_id,
            request_parties.c.request_id == request_id,
        ),
    )
    return {(r.person_id, r.role) for r in found}


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


async def test_save_bumps_the_version_and_writes_events_and_parties(
    build: Builder, engine: AsyncEngine
) -> None:
    asker, connector, expert, next_connector = (new_id() for _ in range(4))
    request = await build.add_request(asker, connector)
    assert request.version == 0

    steps = [
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


async def test_find_open_matches_the_topic_key_of_open_requests_only(build: Builder) -> None:
    asker, connector = new_id(), new_id()
    request = await build.add_request(asker, connector, "Hiring  Rust Engineers")

    async def find(who: uuid.UUID, topic: str) -> uuid.UUID | None:
        async with build.uow(write=False) as uow:
            return await uow.requests.find_open(build.workspace_id, asker, who, topic_key(topic))

    assert await find(connector, "  hiring rust   ENGINEERS ") == request.id
    assert await find(connector, "hiring go engineers") is None
    assert await find(new_id(), "hiring rust engineers") is None

    async with build.uow() as uow:
        loaded = await uow.requests.get(build.workspace_id, request.id)
        assert loaded is not None
        loaded.cancel(asker, later(5))
        await uow.requests.save(loaded)
        await uow.commit()
    assert await find(connector, "hiring rust engineers") is None


async def test_load_counts_open_asks_and_gives_the_earliest_deadline(build: Builder) -> None:
    connector, expert = new_id(), new_id()
    first = await build.add_request(new_id(), connector, now=later(0))
    await build.add_request(new_id(), connector, now=later(30))
    await build.add_request(new_id(), connector, now=later(60))
    cancelled = await build.add_request(new_id(), connector, now=later(-600))
    async with build.uow() as uow:
        loaded = await uow.requests.get(build.workspace_id, cancelled.id)
        assert loaded is not None
        loaded.cancel(loaded.asker_id, later(-500))
        await uow.requests.save(loaded)
        await uow.commit()

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
    async with build.uow() as uow:
        loaded = await uow.requests.get(build.workspace_id, cancelled.id)
        assert loaded is not None
        loaded.cancel(loaded.asker_id, later(1))
        await uow.requests.save(loaded)
        await uow.commit()

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
            after = page.next_after
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

    async with build.uow() as uow:
        loaded = await uow.requests.get(build.workspace_id, first.id)
        assert loaded is not None
        loaded.cancel(asker, later(2))
        await uow.requests.save(loaded)
        await uow.commit()
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


# ---- the outbox -------------------------------------------------------------------


async def test_outbox_add_emails_writes_pending_rows(build: Builder, engine: AsyncEngine) -> None:
    request_id, event_id, connector, asker, expert = (new_id() for _ in range(5))
    intents = [
        EmailIntent("introduction", asker, request_id, event_id, (connector,)),
        EmailIntent("introduction", expert, request_id, event_id, (connector,)),
        EmailIntent("connector_thank_you", connector, request_id, event_id),
    ]
    now = datetime(2026, 3, 1, 12, 0, 0, 500, tzinfo=UTC)
    async with build.uow() as uow:
        await uow.outbox.add_emails(build.workspace_id, intents, now)
        await uow.commit()

    found = await rows(engine, sa.select(outbox).where(outbox.c.workspace_id == build.workspace_id))
    assert len(found) == 3
    assert len({r.id for r in found}) == 3
    assert sorted(
        (r.template, r.recipient_id, tuple(r.cc_ids), r.request_id, r.event_id) for r in found
    ) == sorted(
        (i.template, i.recipient_id, tuple(str(c) for c in i.cc_ids), i.request_id, i.event_id)
        for i in intents
    )
    for r in found:
        assert (r.kind, r.status, r.attempts, r.sent_at, r.last_error) == (
            "email",
            "pending",
            0,
            None,
            None,
        )
        assert r.available_at == now and r.created_at == now
        assert_utc(r.available_at)


async def test_outbox_rows_roll_back_with_the_change(build: Builder, engine: AsyncEngine) -> None:
    async with build.uow() as uow:
        await uow.outbox.add_emails(
            build.workspace_id, [EmailIntent("connector_ask", new_id(), new_id(), new_id())], NOW
        )
    found = await rows(
        engine, sa.select(outbox.c.id).where(outbox.c.workspace_id == build.workspace_id)
    )
    assert found == []


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
