"""PostgreSQL keeps on each person who knows them (`people.known_by`, migration
0014) in step with `connections`, whichever way connections come and go: one at
a time, in bulk, in one statement of many rows, erased, and two transactions at
once. Warm paths count a topic's knowers from it."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from dataclasses import asdict

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.builder import NOW, Builder
from tests.integration.repositories.backends import POSTGRES_ONLY
from warmintro.domain.people import Connection
from warmintro.infra.repositories.matching import KNOWN_BY
from warmintro.infra.tables import connections


def link(build: Builder, who: uuid.UUID, whom: uuid.UUID) -> Connection:
    return Connection(build.workspace_id, who, whom, 3, "", NOW)


async def known_by(engine: AsyncEngine, ws: uuid.UUID) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each person's known_by, sorted; only those known by someone."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.text(f"SELECT id, {KNOWN_BY} FROM people WHERE workspace_id = :ws"), {"ws": ws}
        )
        return {person: sorted(knowers) for person, knowers in rows if knowers}


async def from_connections(engine: AsyncEngine, ws: uuid.UUID) -> dict[uuid.UUID, list[uuid.UUID]]:
    found: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(connections.c.other_id, connections.c.person_id).where(
                connections.c.workspace_id == ws
            )
        )
        for whom, who in rows:
            found[whom].append(who)
    return {whom: sorted(who) for whom, who in found.items()}


async def in_step(engine: AsyncEngine, build: Builder) -> dict[uuid.UUID, list[uuid.UUID]]:
    kept = await known_by(engine, build.workspace_id)
    assert kept == await from_connections(engine, build.workspace_id)
    return kept


@POSTGRES_ONLY
async def test_known_by_follows_connections_however_they_come_and_go(
    build: Builder, engine: AsyncEngine
) -> None:
    ada, bo, cy, di = [(await build.add_person(name=n)).id for n in ("Ada", "Bo", "Cy", "Di")]

    async with build.uow() as uow:
        await uow.connections.add(link(build, ada, di))
        await uow.connections.add_many(
            [link(build, bo, di), link(build, cy, di), link(build, di, ada)]
        )
        await uow.commit()
    assert await in_step(engine, build) == {di: sorted([ada, bo, cy]), ada: [di]}

    # One statement of many rows, two of them naming the same person.
    async with engine.begin() as conn:
        await conn.execute(
            connections.insert(),
            [
                dict(
                    workspace_id=build.workspace_id,
                    person_id=p,
                    other_id=o,
                    strength=2,
                    context="",
                    created_at=NOW,
                )
                for p, o in ((bo, ada), (cy, ada), (ada, cy))
            ],
        )
    assert (await in_step(engine, build))[ada] == sorted([di, bo, cy])

    # A rolled-back connection leaves nothing behind.
    async with build.uow() as uow:
        await uow.connections.add(link(build, ada, bo))
    assert bo not in await in_step(engine, build)

    # Erasure removes a person's connections both ways, in one statement.
    async with build.uow() as uow:
        await uow.connections.remove_all_of(build.workspace_id, di)
        await uow.commit()
    assert await in_step(engine, build) == {ada: sorted([bo, cy]), cy: [ada]}


@POSTGRES_ONLY
async def test_two_people_who_get_to_know_someone_at_once_are_both_kept(
    build: Builder, engine: AsyncEngine
) -> None:
    star, one, two = [(await build.add_person(name=n)).id for n in ("Star", "One", "Two")]

    async with engine.connect() as first, engine.connect() as second:
        await first.begin()
        await second.begin()
        await first.execute(connections.insert().values(**asdict(link(build, one, star))))
        # The second waits on the first's update of Star's row, then adds to what it wrote.
        waiting = asyncio.create_task(
            second.execute(connections.insert().values(**asdict(link(build, two, star))))
        )
        await asyncio.sleep(0.2)
        assert not waiting.done()
        await first.commit()
        await waiting
        await second.commit()

    assert await in_step(engine, build) == {star: sorted([one, two])}
