"""0010 on SQLite and PostgreSQL: the people search index. People stored before
it are found by their words once it runs, as are people stored while it was
undone; going down removes it whole."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.builder import NOW
from warmintro.domain.ids import new_id
from warmintro.domain.people import Person
from warmintro.infra import migrate
from warmintro.infra.database import make_engine
from warmintro.infra.repositories.people import SqlPeople
from warmintro.infra.repositories.search import SEARCH_COLUMN, SEARCH_INDEX, SEARCH_TABLE

WORKSPACE = new_id()


@pytest.fixture
async def fresh_engine(fresh_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(fresh_database_url)
    yield engine
    await engine.dispose()


async def add(engine: AsyncEngine, name: str, headline: str) -> Person:
    person = Person(
        id=new_id(),
        workspace_id=WORKSPACE,
        email=f"{name.lower()}@example.org",
        name=name,
        headline=headline,
        expertise=("pricing model",),
        created_at=NOW,
        updated_at=NOW,
    )
    async with engine.begin() as conn:
        await SqlPeople(conn).add(person)
    return person


async def found(engine: AsyncEngine, q: str) -> list[str]:
    async with engine.connect() as conn:
        page = await SqlPeople(conn).search(WORKSPACE, expertise=None, q=q, after=None, limit=10)
    return sorted(p.name for p in page.items)


async def index_objects(engine: AsyncEngine) -> set[str]:
    """What 0010 creates that is there: the column and index, or the FTS5 table."""

    def inspect(sync: sa.Connection) -> set[str]:
        inspector = sa.inspect(sync)
        if sync.dialect.name == "postgresql":
            columns = {c["name"] for c in inspector.get_columns("people")}
            indexes = {str(i["name"]) for i in inspector.get_indexes("people")}
            return (columns & {SEARCH_COLUMN}) | (indexes & {SEARCH_INDEX})
        return set(inspector.get_table_names()) & {SEARCH_TABLE}

    async with engine.connect() as conn:
        return await conn.run_sync(inspect)


async def test_people_from_before_are_found_by_their_words(fresh_engine: AsyncEngine) -> None:
    await migrate.upgrade(fresh_engine, "0009")
    await add(fresh_engine, "Early", "SaaS pricing consultant")

    await migrate.upgrade(fresh_engine)

    assert await found(fresh_engine, "pricing saas") == ["Early"]
    assert await found(fresh_engine, "models") == ["Early"]
    assert await found(fresh_engine, "pric") == []


async def test_down_removes_the_index_and_up_again_indexes_everyone(
    fresh_engine: AsyncEngine,
) -> None:
    await migrate.upgrade(fresh_engine)
    await add(fresh_engine, "Before", "Growth marketer")
    dialect = fresh_engine.dialect.name
    expected = {SEARCH_COLUMN, SEARCH_INDEX} if dialect == "postgresql" else {SEARCH_TABLE}
    assert await index_objects(fresh_engine) == expected

    await migrate.downgrade(fresh_engine, "0009")
    assert await index_objects(fresh_engine) == set()
    await add(fresh_engine, "Between", "Growth engineer")
    await migrate.upgrade(fresh_engine)

    assert await found(fresh_engine, "growth") == ["Before", "Between"]
    assert await found(fresh_engine, "engineers") == ["Between"]
