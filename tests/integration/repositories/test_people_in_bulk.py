"""People and connections in bulk, as an import writes them: found by email keys,
added and rewritten many at a time (tags and preferences with them, `discoverable`
included), and connections looked up, added and rewritten by pair."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from tests.integration.builder import NOW, Builder, later
from warmintro.domain.errors import AlreadyExists
from warmintro.domain.people import Connection, Preferences


async def test_people_are_found_by_email_keys_and_written_many_at_a_time(build: Builder) -> None:
    ann = build.person(email="Ann@Example.com", expertise=("pricing",))
    bob = build.person(email="bob@example.com", preferences=Preferences(discoverable=False))
    many = [build.person(email=f"p{i}@example.com") for i in range(1200)]
    async with build.uow() as uow:
        await uow.people.add_many([ann, bob, *many])
        await uow.commit()

    keys = ["ann@example.com", "bob@example.com", "nobody@example.com"]
    keys += [p.email_key for p in many]
    async with build.uow(write=False) as uow:
        found = await uow.people.by_emails(build.workspace_id, keys)
        elsewhere = await uow.people.by_emails(build.elsewhere().workspace_id, keys)
    assert found["ann@example.com"] == ann
    assert found["bob@example.com"].preferences.discoverable is False
    assert len(found) == 1202 and elsewhere == {}


async def test_a_bulk_update_rewrites_everything_but_the_email_and_the_tags(
    build: Builder,
) -> None:
    ann = await build.add_person(expertise=("pricing", "saas"))
    bob = await build.add_person(expertise=("growth",))
    changed = [
        dataclasses.replace(
            ann,
            name="Ann Two",
            expertise=("hiring",),
            preferences=Preferences(ask_budget=2, discoverable=False),
            updated_at=later(1),
        ),
        dataclasses.replace(bob, headline="Growth lead", updated_at=later(1)),
    ]
    async with build.uow() as uow:
        await uow.people.update_many(changed)
        await uow.commit()

    async with build.uow(write=False) as uow:
        got = await uow.people.get_many(build.workspace_id, {ann.id, bob.id})
        hiring = await uow.people.search(
            build.workspace_id, expertise="hiring", q=None, after=None, limit=10
        )
        pricing = await uow.people.search(
            build.workspace_id, expertise="pricing", q=None, after=None, limit=10
        )
    assert [got[ann.id], got[bob.id]] == changed
    assert [p.id for p in hiring.items] == [ann.id] and pricing.items == []


async def test_an_email_taken_refuses_the_whole_batch(build: Builder) -> None:
    taken = await build.add_person(email="taken@example.com")
    fresh = build.person()
    async with build.uow() as uow:
        with pytest.raises(AlreadyExists):
            await uow.people.add_many([fresh, build.person(email=taken.email.upper())])


async def test_connections_are_found_added_and_rewritten_by_pair(build: Builder) -> None:
    ann, bob, cat = [await build.add_person() for _ in range(3)]

    def link(x: uuid.UUID, y: uuid.UUID, strength: int) -> Connection:
        return Connection(build.workspace_id, x, y, strength, f"s{strength}", NOW)

    async with build.uow() as uow:
        await uow.connections.add_many([link(ann.id, bob.id, 2), link(bob.id, ann.id, 3)])
        await uow.commit()
    async with build.uow() as uow:
        await uow.connections.update_many([link(ann.id, bob.id, 5)])
        await uow.connections.add_many([link(ann.id, cat.id, 1)])
        await uow.commit()

    pairs = [(ann.id, bob.id), (bob.id, ann.id), (ann.id, cat.id), (cat.id, ann.id)]
    async with build.uow(write=False) as uow:
        found = await uow.connections.among(build.workspace_id, pairs)
    assert {pair: (x.strength, x.context) for pair, x in found.items()} == {
        (ann.id, bob.id): (5, "s5"),
        (bob.id, ann.id): (3, "s3"),
        (ann.id, cat.id): (1, "s1"),
    }
    async with build.uow() as uow:
        with pytest.raises(AlreadyExists):
            await uow.connections.add_many([link(cat.id, ann.id, 2), link(ann.id, cat.id, 2)])
