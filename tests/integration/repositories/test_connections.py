"""Connections: who knows whom, one row per direction, paged by the other person."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.builder import NOW, Builder
from tests.integration.repositories.backends import assert_utc
from tests.paging import next_id
from warmintro.domain.errors import AlreadyExists
from warmintro.domain.ids import new_id
from warmintro.domain.people import (
    Connection,
)


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
        after = next_id(page)
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


async def test_all_to_lists_the_connections_others_recorded_to_someone(build: Builder) -> None:
    someone, friend, fan, stranger = new_id(), new_id(), new_id(), new_id()
    async with build.uow() as uow:
        await uow.connections.add(connection(build, friend, someone, strength=4))
        await uow.connections.add(connection(build, fan, someone, strength=1))
        await uow.connections.add(connection(build, someone, stranger))
        await uow.commit()

    async with build.uow(write=False) as uow:
        to_someone = await uow.connections.all_to(build.workspace_id, someone)
        elsewhere = await uow.connections.all_to(new_id(), someone)
    assert sorted((c.person_id, c.strength) for c in to_someone) == sorted([(friend, 4), (fan, 1)])
    assert elsewhere == []


async def test_between_finds_one_direction_of_one_pair_in_one_workspace(build: Builder) -> None:
    me, known, knows_me = new_id(), new_id(), new_id()
    async with build.uow() as uow:
        await uow.connections.add(connection(build, me, known, strength=4))
        await uow.connections.add(connection(build, knows_me, me))
        await uow.commit()

    async with build.uow(write=False) as uow:
        found = await uow.connections.between(build.workspace_id, me, known)
        backwards = await uow.connections.between(build.workspace_id, known, me)
        theirs_only = await uow.connections.between(build.workspace_id, me, knows_me)
        elsewhere = await uow.connections.between(new_id(), me, known)
    assert found == connection(build, me, known, strength=4)
    assert found is not None
    assert_utc(found.created_at)
    assert (backwards, theirs_only, elsewhere) == (None, None, None)
