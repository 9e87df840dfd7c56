"""What warm paths read for many people at once: the open asks each holds, how each
answered their asks as a connector, and how many of their connections match a
topic leaving someone out (the asker)."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.builder import NOW, TIMING, Builder, later
from tests.integration.repositories.backends import SQL_ONLY
from tests.integration.repositories.test_matching import matches, network
from tests.integration.repositories.test_matching_plans import statements
from warmintro.domain.answering import RECENT_ASKS, AnswerRecord
from warmintro.domain.intro_request import DeclineReason, IntroRequest, Role
from warmintro.domain.people import Connection, Preferences
from warmintro.infra.repositories.intro_requests import SqlIntroRequests


async def _save(build: Builder, request: IntroRequest) -> None:
    async with build.uow() as uow:
        await uow.requests.save(request)
        await uow.commit()


async def test_the_open_asks_of_many_people_in_one_read(build: Builder) -> None:
    asker, busy, idle, expert = [(await build.add_person()).id for _ in range(4)]
    await build.add_request(asker, busy, "pricing", now=later(1))
    await build.add_request(asker, busy, "hiring", now=later(2))
    proposed = await build.add_request(asker, idle, "sales")
    proposed.propose(idle, expert, "", later(3), TIMING)
    await _save(build, proposed)

    async with build.uow(write=False) as uow:
        connectors = await uow.requests.loads(build.workspace_id, {busy, idle}, Role.CONNECTOR)
        experts = await uow.requests.loads(build.workspace_id, {expert, busy}, Role.EXPERT)
        single = await uow.requests.load(build.workspace_id, busy, Role.CONNECTOR)

    assert connectors == {busy: single}
    assert connectors[busy].count == 2
    assert list(experts) == [expert]
    assert experts[expert].count == 1


@SQL_ONLY
async def test_open_asks_are_counted_from_the_index_alone(
    build: Builder, engine: AsyncEngine
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan names a covering index")
    people = {uuid.uuid4(), uuid.uuid4()}
    async with engine.connect() as conn:
        for role in (Role.CONNECTOR, Role.EXPERT):
            with statements(engine) as seen:
                await SqlIntroRequests(conn).loads(build.workspace_id, people, role)
            [(statement, params)] = [(s, p) for s, p in seen if s.lstrip().startswith("SELECT")]
            explained = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
            # Each row: its node, its parent node, (unused), what it does.
            plan: list[str] = [str(tuple(row)[3]) for row in explained]
            assert any("COVERING INDEX" in step for step in plan), plan


async def test_the_answering_records_of_many_people_in_one_read(build: Builder) -> None:
    asker, kim, lou, expert, quiet = [(await build.add_person()).id for _ in range(5)]
    introduced = await build.add_request(asker, kim, "pricing")
    introduced.propose(kim, expert, "", later(120), TIMING)
    introduced.accept(expert, "", later(180), TIMING)
    await _save(build, introduced)
    forwarded = await build.add_request(asker, kim, "hiring")
    forwarded.forward(kim, lou, "", later(60), TIMING)
    await _save(build, forwarded)
    declined = await build.add_request(asker, lou, "sales")
    declined.decline(lou, DeclineReason.BUSY, "", later(30), TIMING)
    await _save(build, declined)

    async with build.uow(write=False) as uow:
        records = await uow.requests.answer_records(
            build.workspace_id, {kim, lou, quiet}, recent=RECENT_ASKS
        )
        elsewhere = await uow.requests.answer_records(
            build.elsewhere().workspace_id, {kim}, recent=RECENT_ASKS
        )

    assert records[kim] == AnswerRecord(
        asks_received=2, answered=2, introductions_made=1, median_hours_to_answer=1.5
    )
    assert records[lou] == AnswerRecord(
        asks_received=2, answered=1, pending=1, median_hours_to_answer=0.5
    )
    assert records[lou].answer_rate == 1.0
    assert records[quiet] == AnswerRecord()
    assert elsewhere == {kim: AnswerRecord()}


async def test_an_answering_record_counts_only_their_most_recent_asks(build: Builder) -> None:
    asker, kim, expert = [(await build.add_person()).id for _ in range(3)]
    asks = [await build.add_request(asker, kim, topic) for topic in ("pricing", "hiring", "sales")]
    oldest = min(asks, key=lambda r: r.id)  # ids are in the order requests are opened
    oldest.propose(kim, expert, "", later(60), TIMING)
    await _save(build, oldest)

    async with build.uow(write=False) as uow:
        every = await uow.requests.answer_records(build.workspace_id, {kim}, recent=3)
        newest = await uow.requests.answer_records(build.workspace_id, {kim}, recent=2)

    assert every[kim] == AnswerRecord(
        asks_received=3, answered=1, pending=2, median_hours_to_answer=1.0
    )
    # Their one answer is older than the two newest asks: it no longer counts.
    assert newest[kim] == AnswerRecord(asks_received=2, pending=2)


async def test_matching_connections_are_counted_leaving_out_whom_we_say(
    build: Builder,
) -> None:
    asker = build.person(name="Asker", expertise=("pricing",))
    hub = await network(build, (asker, 4), (build.person(name="Pat", headline="Pricing lead"), 3))

    async with build.uow(write=False) as uow:
        every = await uow.matching.count_connections_matching(build.workspace_id, {hub}, "pricing")
        but_the_asker = await uow.matching.count_connections_matching(
            build.workspace_id, {hub}, "pricing", exclude=frozenset({asker.id})
        )

    assert every == {hub: 2}
    assert but_the_asker == {hub: 1}


async def test_each_call_is_answered_for_its_own_topic_and_person(build: Builder) -> None:
    # The matching statements are built once and serve every topic and person: a
    # value kept from an earlier call would answer the next one with it.
    pricing = await network(build, (build.person(name="Pam", expertise=("pricing",)), 3))
    hiring = await network(build, (build.person(name="Hal", headline="Hiring lead"), 2))
    asker = await build.add_person(name="Asker")
    async with build.uow() as uow:
        for known in (pricing, hiring):
            await uow.connections.add(Connection(build.workspace_id, asker.id, known, 3, "", NOW))
        await uow.commit()

    async with build.uow(write=False) as uow:
        answers = []
        for topic in ("pricing", "hiring", "pricing", "gardening"):
            knowers = await uow.matching.connections_by_network(
                build.workspace_id, asker.id, topic, exclude=frozenset({asker.id}), limit=5
            )
            answers.append([k.match.person.id for k in knowers])
        counted = [
            await uow.matching.count_connections_matching(build.workspace_id, {pricing, hiring}, t)
            for t in ("hiring", "pricing")
        ]
    found = [
        [m.person.name for m in await matches(build, person, topic)]
        for person, topic in ((pricing, "pricing"), (hiring, "pricing"), (hiring, "hiring"))
    ]

    assert answers == [[pricing], [hiring], [pricing], []]
    assert counted == [{hiring: 1}, {pricing: 1}]
    assert found == [["Pam"], [], ["Hal"]]


async def test_connections_are_ranked_by_how_many_people_they_know_match(
    build: Builder,
) -> None:
    hidden = build.person(
        name="Hidden", expertise=("pricing",), preferences=Preferences(discoverable=False)
    )
    two = await network(
        build,
        (build.person(name="A", expertise=("pricing",)), 3),
        (build.person(name="B", headline="Pricing lead"), 3),
        (hidden, 3),
    )
    one = await network(build, (build.person(name="C", bio="Pricing, mostly."), 3))
    none = await network(build, (build.person(name="D", expertise=("gardening",)), 3))
    asker = await build.add_person(name="Asker", expertise=("pricing",))
    async with build.uow() as uow:
        for known, strength in ((one, 2), (two, 4), (none, 3)):
            link = Connection(build.workspace_id, asker.id, known, strength, "", NOW)
            await uow.connections.add(link)
            await uow.connections.add(Connection(build.workspace_id, known, asker.id, 3, "", NOW))
        await uow.commit()

    async with build.uow(write=False) as uow:
        ranked = await uow.matching.connections_by_network(
            build.workspace_id, asker.id, "pricing", exclude=frozenset({asker.id}), limit=5
        )
        first = await uow.matching.connections_by_network(
            build.workspace_id, asker.id, "pricing", exclude=frozenset({asker.id}), limit=1
        )

    assert [(k.match.person.id, k.matching) for k in ranked] == [(two, 2), (one, 1)]
    assert [(k.match.person.id, k.matching) for k in first] == [(two, 2)]
    # Each comes with who they are, the asker's link to them and their own match
    # (none: they are counted for whom they know).
    assert [(k.match.person.name, k.match.strength, k.match.score.value) for k in ranked] == [
        ("Cat Connector", 4, 0),
        ("Cat Connector", 2, 0),
    ]


async def test_a_small_network_is_ranked_as_a_large_one_is(build: Builder) -> None:
    # On PostgreSQL a network no larger than `limit` is ranked by counting each
    # connection's own connections, a larger one from everyone the topic matches:
    # asked for all of them and for all but one, both must rank alike.
    rng = random.Random(11)
    shapes: list[dict[str, Any]] = [
        {"expertise": ("pricing",)},
        {"expertise": ("pricing strategy",)},  # names "pricing strategy" whole, not "pricing"
        {"headline": "Pricing at Acme"},
        {"bio": "Mostly pricing."},
        {"expertise": ("gardening",)},
        {"expertise": ("pricing",), "preferences": Preferences(discoverable=False)},
    ]
    people = [(await build.add_person(**rng.choice(shapes))).id for _ in range(24)]
    asker = await build.add_person(name="Asker", expertise=("pricing",))
    theirs = people[:9]
    async with build.uow() as uow:
        for known in theirs:
            link = Connection(build.workspace_id, asker.id, known, rng.randint(1, 5), "", NOW)
            await uow.connections.add(link)
            for other in rng.sample([*people, asker.id], 6):
                if other != known:
                    await uow.connections.add(
                        Connection(build.workspace_id, known, other, 3, "", NOW)
                    )
        await uow.commit()

    async def ranked(topic: str, limit: int, exclude: frozenset[uuid.UUID]) -> list[object]:
        async with build.uow(write=False) as uow:
            found = await uow.matching.connections_by_network(
                build.workspace_id, asker.id, topic, exclude=exclude, limit=limit
            )
        return [(k.match.person.id, k.matching, k.match.strength, k.match.score) for k in found]

    for topic in ("pricing", "pricing strategy", "gardening"):
        for exclude in (frozenset({asker.id}), frozenset({asker.id, theirs[0], people[-1]})):
            whole = await ranked(topic, len(theirs), exclude)
            assert whole, topic
            assert await ranked(topic, len(whole) - 1, exclude) == whole[:-1]
            assert await ranked(topic, 2, exclude) == whole[:2]
