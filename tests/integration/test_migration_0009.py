"""0009 on SQLite and PostgreSQL: people say whether they are discoverable; everyone
already there when it runs is, and a person who said no stays so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.builder import NOW
from warmintro.domain.ids import new_id
from warmintro.domain.people import Person, Preferences, Workspace
from warmintro.infra import migrate
from warmintro.infra.database import make_engine
from warmintro.infra.repositories.people import SqlPeople
from warmintro.infra.repositories.workspaces import SqlWorkspaces
from warmintro.infra.tables import people


@pytest.fixture
async def fresh_engine(fresh_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(fresh_database_url)
    yield engine
    await engine.dispose()


def someone(workspace: Workspace, name: str) -> Person:
    return Person(
        id=new_id(),
        workspace_id=workspace.id,
        email=f"{name}@example.org",
        name=name,
        created_at=NOW,
        updated_at=NOW,
    )


async def test_people_from_before_are_discoverable_and_a_no_is_kept(
    fresh_engine: AsyncEngine,
) -> None:
    await migrate.upgrade(fresh_engine, "0008")
    workspace = Workspace(id=new_id(), name="w", created_at=NOW)
    before = someone(workspace, "ann")
    row = dict(  # as 0008 stored a person: no discoverable column yet
        workspace_id=workspace.id,
        id=before.id,
        email=before.email,
        email_key=before.email_key,
        name=before.name,
        expertise=[],
        created_at=NOW,
        updated_at=NOW,
    )
    async with fresh_engine.begin() as conn:
        await SqlWorkspaces(conn).add(workspace)
        await conn.execute(people.insert().values(row))

    await migrate.upgrade(fresh_engine)

    hidden = replace(someone(workspace, "bob"), preferences=Preferences(discoverable=False))
    async with fresh_engine.begin() as conn:
        await SqlPeople(conn).add(hidden)
    async with fresh_engine.connect() as conn:
        found = await SqlPeople(conn).get_many(workspace.id, {before.id, hidden.id})
    assert found[before.id].preferences.discoverable is True
    assert found[hidden.id].preferences.discoverable is False

    await migrate.downgrade(fresh_engine, "0008")
    await migrate.upgrade(fresh_engine)
    async with fresh_engine.connect() as conn:
        again = await SqlPeople(conn).get_many(workspace.id, {before.id, hidden.id})
    assert {p.preferences.discoverable for p in again.values()} == {True}
