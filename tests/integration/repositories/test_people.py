"""People: every field kept, unique emails per workspace, search and keyset pages."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.builder import NOW, Builder, later
from tests.integration.repositories.backends import SQL_ONLY, assert_utc, rows
from tests.paging import next_id
from warmintro.domain.errors import AlreadyExists
from warmintro.domain.ids import new_id
from warmintro.domain.people import (
    EmailStatus,
    Preferences,
)
from warmintro.infra.tables import person_expertise


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


async def test_the_same_email_is_allowed_in_another_workspace(build: Builder) -> None:
    await build.add_person(email="shared@example.com")
    elsewhere = build.elsewhere()
    person = await elsewhere.add_person(email="shared@example.com")
    async with elsewhere.uow(write=False) as uow:
        assert await uow.people.get_by_email(elsewhere.workspace_id, "shared@example.com") == person


@SQL_ONLY
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
        after = next_id(page)
    assert sizes == [5, 5, 5, 5, 3]
    assert seen == sorted(ids)


async def test_a_full_last_page_has_no_next_cursor(build: Builder) -> None:
    ids = sorted([(await build.add_person()).id for _ in range(4)])
    async with build.uow(write=False) as uow:
        first = await uow.people.search(
            build.workspace_id, expertise=None, q=None, after=None, limit=2
        )
        second = await uow.people.search(
            build.workspace_id, expertise=None, q=None, after=next_id(first), limit=2
        )
    assert [p.id for p in first.items] == ids[:2]
    assert [p.id for p in second.items] == ids[2:]
    assert second.next_after is None


async def test_search_without_matching_email_ignores_the_address(build: Builder) -> None:
    by_name = await build.add_person(name="Ada Turing", email="ada@example.org")
    await build.add_person(name="Someone", email="turing@example.org")

    async with build.uow(write=False) as uow:
        page = await uow.people.search(
            build.workspace_id, expertise=None, q="turing", after=None, limit=10, match_email=False
        )
    assert [p.id for p in page.items] == [by_name.id]


async def test_update_of_an_unknown_person_stores_nothing(build: Builder) -> None:
    stranger = build.person()
    async with build.uow() as uow:
        await uow.people.update(stranger)
        await uow.commit()

    async with build.uow(write=False) as uow:
        assert await uow.people.get(build.workspace_id, stranger.id) is None
