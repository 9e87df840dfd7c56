"""Matching people to text as words (the PeopleMatching port and people search):
on the fakes, SQLite FTS5 and PostgreSQL full text alike. Topics from real asks,
including the substring matches the old matcher made ("go" in "Google")."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.builder import NOW, Builder
from tests.integration.repositories.backends import SQL_ONLY
from warmintro.domain.matching import MatchScore
from warmintro.domain.people import Connection, EmailStatus, Person, Preferences
from warmintro.domain.ports import Match
from warmintro.infra.tables import people


async def network(build: Builder, *people: tuple[Person, int]) -> uuid.UUID:
    """A connector who knows each of these people with the given strength."""
    connector = await build.add_person(name="Cat Connector")
    async with build.uow() as uow:
        for person, strength in people:
            await uow.people.add(person)
            await uow.connections.add(
                Connection(build.workspace_id, connector.id, person.id, strength, "", NOW)
            )
        await uow.commit()
    return connector.id


async def matches(
    build: Builder, connector: uuid.UUID, topic: str, limit: int = 10, **kw: Any
) -> list[Match]:
    async with build.uow(write=False) as uow:
        return await uow.matching.connections_matching(
            build.workspace_id,
            connector,
            topic,
            exclude=kw.get("exclude", frozenset()),
            askable_at=kw.get("askable_at"),
            limit=limit,
        )


async def names(build: Builder, connector: uuid.UUID, topic: str, limit: int = 10) -> list[str]:
    return [m.person.name for m in await matches(build, connector, topic, limit)]


async def searched(build: Builder, q: str) -> list[str]:
    async with build.uow(write=False) as uow:
        page = await uow.people.search(
            build.workspace_id, expertise=None, q=q, after=None, limit=50, match_email=False
        )
    return sorted(p.name for p in page.items)


async def test_a_word_inside_another_word_matches_nothing(build: Builder) -> None:
    connector = await network(
        build,
        (build.person(name="Ai Go", expertise=("ai", "go"), headline="Go and AI"), 5),
        (build.person(name="Gus", headline="Google Ads specialist"), 2),
    )

    assert await names(build, connector, "Google Ads campaign") == ["Gus"]
    assert await names(build, connector, "Retaining customers") == []
    assert await names(build, connector, "Campaigns that go viral") == ["Ai Go"]
    assert await searched(build, "goo") == []


async def test_a_search_needs_every_word_in_any_order(build: Builder) -> None:
    await build.add_person(name="Sal", headline="SaaS pricing consultant")
    await build.add_person(name="Pam", headline="Pricing for marketplaces")
    await build.add_person(name="Tia", expertise=("saas",), bio="I price things.")

    assert await searched(build, "pricing saas") == ["Sal", "Tia"]
    assert await searched(build, "SAAS Pricing") == ["Sal", "Tia"]
    assert await searched(build, "the pricing of saas") == ["Sal", "Tia"]
    assert await searched(build, "pricing marketing") == []
    assert await searched(build, "consultants") == ["Sal"]


async def test_a_search_finds_the_start_of_a_name_word(build: Builder) -> None:
    await build.add_person(name="Ada Lovelace", headline="Analytical engines")
    await build.add_person(name="Adam Smith")

    assert await searched(build, "ada") == ["Ada Lovelace", "Adam Smith"]
    assert await searched(build, "lovel") == ["Ada Lovelace"]
    assert await searched(build, "ada engines") == ["Ada Lovelace"]
    assert await searched(build, "velace") == []


async def test_plurals_match_the_singular(build: Builder) -> None:
    connector = await network(
        build,
        (build.person(name="Mo", expertise=("pricing model",)), 3),
        (build.person(name="Cy", headline="Helping customers stay"), 3),
    )

    assert await names(build, connector, "Pricing models for a marketplace") == ["Mo"]
    assert await names(build, connector, "Keeping a customer") == ["Cy"]
    assert await searched(build, "models") == ["Mo"]


async def test_a_multi_word_tag_matches_only_as_a_phrase(build: Builder) -> None:
    connector = await network(
        build,
        (build.person(name="Mel", expertise=("machine learning",)), 3),
        (build.person(name="Hal", expertise=("head of growth",)), 3),
    )

    assert await names(build, connector, "Machine learning for fraud") == ["Mel"]
    assert await names(build, connector, "Learning to code") == []
    assert await names(build, connector, "Learning about machine tools") == []
    assert await names(build, connector, "Hiring a head of growth") == ["Hal"]
    assert await names(build, connector, "Growth at the head office") == []
    found = await matches(build, connector, "machine learning and learning machines")
    assert [m.score for m in found] == [MatchScore(tags=1, headline=False, bio=False)]


async def test_tags_rank_above_the_headline_and_the_headline_above_the_bio(
    build: Builder,
) -> None:
    connector = await network(
        build,
        (build.person(name="Bea", bio="Ten years of pricing work."), 5),
        (build.person(name="Hed", headline="Pricing lead"), 4),
        (build.person(name="Tag", expertise=("pricing",)), 1),
        (build.person(name="Two", expertise=("pricing", "saas")), 1),
        (build.person(name="Nil", headline="Gardener", bio="Roses."), 5),
    )

    found = await matches(build, connector, "SaaS pricing")

    assert [m.person.name for m in found] == ["Two", "Tag", "Hed", "Bea"]
    assert [m.score.value for m in found] == [6.0, 3.0, 1.0, 0.5]
    assert [m.strength for m in found] == [1, 1, 4, 5]


async def test_equal_matches_rank_the_stronger_connection_first_and_are_bounded(
    build: Builder,
) -> None:
    connector = await network(
        build,
        *((build.person(name=f"P{s}", expertise=("retention",)), s) for s in (2, 5, 1, 4, 3)),
    )

    assert await names(build, connector, "Customer retention", limit=3) == ["P5", "P4", "P3"]


async def test_only_askable_people_outside_the_request_are_suggested(build: Builder) -> None:
    snoozed = build.person(
        name="Snoozy",
        expertise=("pricing",),
        preferences=Preferences(snooze_until=NOW + timedelta(days=3)),
    )
    bounced = build.person(name="Bounced", expertise=("pricing",), email_status=EmailStatus.BOUNCED)
    party = build.person(name="Party", expertise=("pricing",))
    fine = build.person(name="Fine", expertise=("pricing",))
    connector = await network(build, (snoozed, 5), (bounced, 5), (party, 5), (fine, 1))

    everyone = await names(build, connector, "pricing")
    askable = await matches(
        build, connector, "pricing", exclude=frozenset({party.id}), askable_at=NOW
    )

    assert sorted(everyone) == ["Bounced", "Fine", "Party", "Snoozy"]
    assert [m.person.name for m in askable] == ["Fine"]


async def test_erased_people_never_match(build: Builder) -> None:
    erased = build.person(name="Gone", expertise=("pricing",), erased_at=NOW)
    connector = await network(build, (erased, 5), (build.person(name="Here"), 1))

    assert await names(build, connector, "pricing") == []
    assert await searched(build, "pricing") == []
    async with build.uow(write=False) as uow:
        counts = await uow.matching.count_connections_matching(
            build.workspace_id, {connector}, "pricing"
        )
        among = await uow.matching.connections_among(
            build.workspace_id, connector, {erased.id}, "pricing"
        )
    assert counts == {}
    assert among == []


async def test_nothing_crosses_workspaces(build: Builder) -> None:
    connector = await network(build, (build.person(name="Mine", expertise=("pricing",)), 3))
    elsewhere = build.elsewhere()
    theirs = await elsewhere.add_person(name="Theirs", expertise=("pricing",))
    async with build.uow() as uow:
        # A connection row naming someone of another workspace finds no one there.
        await uow.connections.add(Connection(build.workspace_id, connector, theirs.id, 5, "", NOW))
        await uow.commit()

    assert await names(build, connector, "pricing") == ["Mine"]
    assert await searched(build, "pricing") == ["Mine"]
    async with build.uow(write=False) as uow:
        among = await uow.matching.connections_among(
            build.workspace_id, connector, {theirs.id}, "pricing"
        )
    assert among == []


async def test_how_many_of_each_persons_connections_match_is_counted(build: Builder) -> None:
    cat = await network(
        build,
        (build.person(name="A", expertise=("pricing",)), 3),
        (build.person(name="B", headline="Pricing lead"), 3),
        (build.person(name="C", expertise=("gardening",)), 3),
    )
    dan = await network(build, (build.person(name="D", expertise=("saas pricing",)), 3))
    nobody = await build.add_person(name="Nobody")

    async with build.uow(write=False) as uow:
        counts = await uow.matching.count_connections_matching(
            build.workspace_id, {cat, dan, nobody.id}, "Pricing a product"
        )
    assert counts == {cat: 2}


async def test_these_connections_come_with_their_strength_and_how_they_match(
    build: Builder,
) -> None:
    tag = build.person(name="Tag", expertise=("onboarding",))
    bio = build.person(name="Bio", bio="I redesigned onboarding twice.")
    nope = build.person(name="Nope", headline="Payroll")
    left_out = build.person(name="Left out", expertise=("onboarding",))
    cat = await network(build, (tag, 3), (bio, 2), (nope, 4), (left_out, 5))
    stranger = await build.add_person(name="Stranger", expertise=("onboarding",))
    asked = {tag.id, bio.id, nope.id, stranger.id}

    async with build.uow(write=False) as uow:
        found = await uow.matching.connections_among(
            build.workspace_id, cat, asked, "User onboarding"
        )
        wordless = await uow.matching.connections_among(build.workspace_id, cat, asked, "?!")
    # Someone who does not match comes too, with a zero score; someone asked for who
    # is not a connection does not, nor a connection not asked for.
    assert sorted((m.person.name, m.strength, m.score) for m in found) == [
        ("Bio", 2, MatchScore(0, False, True)),
        ("Nope", 4, MatchScore(0, False, False)),
        ("Tag", 3, MatchScore(1, False, False)),
    ]
    assert sorted((m.person.name, m.score.value) for m in wordless) == [
        ("Bio", 0),
        ("Nope", 0),
        ("Tag", 0),
    ]


async def test_connections_listed_searches_orders_and_counts(build: Builder) -> None:
    nia = build.person(name="Nia Quist", headline="Community lead", expertise=("events",))
    shy = build.person(name="Ada Shy", preferences=Preferences(never_contact=True))
    many = [build.person(name=f"Member {n}", headline="Gardener") for n in range(5)]
    connector = await network(build, (nia, 3), (shy, 3), *((m, 1) for m in many))

    async def listed(q: str, **kw: Any) -> tuple[list[str], int]:
        async with build.uow(write=False) as uow:
            people, total = await uow.matching.connections_listed(
                build.workspace_id,
                connector,
                q=q,
                exclude=kw.get("exclude", frozenset()),
                first=kw.get("first", ()),
                only=kw.get("only"),
                limit=kw.get("limit", 3),
                count_up_to=kw.get("count_up_to", 100),
            )
        return [p.name for p in people], total

    assert await listed("") == (["Member 0", "Member 1", "Member 2"], 6)
    assert await listed("", first=(many[4].id, nia.id)) == (
        ["Member 4", "Nia Quist", "Member 0"],
        6,
    )
    # Those of `first` in its order, not by name; then the rest by name.
    assert await listed("", first=(nia.id, many[4].id)) == (
        ["Nia Quist", "Member 4", "Member 0"],
        6,
    )
    assert await listed("", first=(nia.id, many[4].id), limit=1) == (["Nia Quist"], 6)
    for q in ("nia", "QUIST", "community", "events", "nia quist"):
        assert await listed(q) == (["Nia Quist"], 1), q
    assert await listed("ada") == ([], 0)
    assert await listed("gardeners", exclude=frozenset({many[0].id})) == (
        ["Member 1", "Member 2", "Member 3"],
        4,
    )
    assert await listed("", only=frozenset({shy.id, nia.id})) == (["Nia Quist"], 1)
    # Counted up to a bound, then one more says "more than that"; the list is the same.
    assert await listed("", count_up_to=4) == (["Member 0", "Member 1", "Member 2"], 5)
    assert await listed("", count_up_to=6) == (["Member 0", "Member 1", "Member 2"], 6)
    assert await listed("", first=(nia.id,), count_up_to=2) == (
        ["Nia Quist", "Member 0", "Member 1"],
        3,
    )
    assert await listed("gardener", limit=0, count_up_to=2) == ([], 3)


async def test_the_index_follows_every_change_to_a_person(build: Builder) -> None:
    person = await build.add_person(name="Ren", headline="Payroll", expertise=("tax",))
    changed = dataclasses.replace(
        person, name="Rae", headline="Pricing lead", expertise=("saas pricing",), bio="Bikes."
    )
    async with build.uow() as uow:
        await uow.people.update(changed)
        await uow.commit()

    assert await searched(build, "payroll") == []
    assert await searched(build, "tax") == []
    assert await searched(build, "ren") == []
    assert await searched(build, "rae saas bikes") == ["Rae"]
    assert await searched(build, "pricing") == ["Rae"]


@SQL_ONLY
async def test_people_who_are_not_discoverable_are_not_counted(
    build: Builder, engine: AsyncEngine
) -> None:
    hidden = build.person(name="Hidden", expertise=("pricing",))
    cat = await network(build, (hidden, 3), (build.person(name="Seen", expertise=("pricing",)), 3))
    # People say so through their preferences (migration 0009's column).
    async with engine.begin() as conn:
        await conn.execute(
            people.update()
            .where(people.c.workspace_id == build.workspace_id, people.c.id == hidden.id)
            .values(discoverable=False)
        )

    async with build.uow(write=False) as uow:
        counted = await uow.matching.count_connections_matching(
            build.workspace_id, {cat}, "pricing"
        )
        everyone = await uow.matching.count_connections_matching(
            build.workspace_id, {cat}, "pricing", discoverable_only=False
        )
    assert counted == {cat: 1}
    assert everyone == {cat: 2}
