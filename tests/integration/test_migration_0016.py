"""0016: PostgreSQL parses each person's tags once, into `people.tag_phrases`. A topic
names the same tags whole as when every tag was parsed at each query, whatever
the tags look like; people stored before 0016 get their phrases when it runs,
changed tags change them and an erased person keeps none; going down removes the
column and its function.
SQLite has nothing of it (FTS5 keeps each tag between its own markers)."""

from __future__ import annotations

import uuid
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
from warmintro.infra.repositories.search import TAG_PHRASES

WORKSPACE = new_id()

# Tags of every shape a person may give: words the stemmer changes, stop words
# alone and inside, punctuation, symbols, accents, numbers, spacing.
TAGS = (
    "pricing",
    "Pricing models",
    "machine learning",
    "head of growth",
    "go-to-market",
    "the",
    "B2B SaaS",
    "C++",
    "e-commerce",
    "Growth, pricing & packaging",
    "naïve résumé",
    "don't panic",
    "a/b testing",
    "100x engineer",
    "  spaced   out  ",
    "of",
)
TOPICS = (
    "Pricing model for a marketplace",
    "Hiring a head of growth",
    "Our go to market for e-commerce",
    "A/B testing our C++ SaaS stack",
    "the of and",
    "growth pricing packaging",
    "Naive resume writing, don't panic",
    "a 100x engineer who is spaced out",
    "learning machine",
)

# How many of a person's tags a topic names whole, as the matching queries counted
# before 0016 (each tag parsed at the query) and as they count now.
PARSED_AT_QUERY = """
SELECT count(*) FROM jsonb_array_elements_text(people.expertise) AS tag
WHERE to_tsvector('english'::regconfig, :topic) @@ phraseto_tsquery('english'::regconfig, tag)"""
PARSED_ONCE = f"""
SELECT count(*) FROM unnest(people.{TAG_PHRASES}) AS phrase
WHERE to_tsvector('english'::regconfig, :topic) @@ phrase"""


@pytest.fixture
async def fresh_engine(fresh_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(fresh_database_url)
    yield engine
    await engine.dispose()


async def add(engine: AsyncEngine, name: str, tags: tuple[str, ...]) -> uuid.UUID:
    person = Person(
        id=new_id(),
        workspace_id=WORKSPACE,
        email=f"{name.lower()}@example.org",
        name=name,
        expertise=tags,
        created_at=NOW,
        updated_at=NOW,
    )
    async with engine.begin() as conn:
        await SqlPeople(conn).add(person)
    return person.id


async def named_whole(engine: AsyncEngine, person: uuid.UUID, topic: str) -> tuple[int, int]:
    """How many of the person's tags the topic names whole: parsed at the query,
    and from the phrases 0016 keeps."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                sa.text(f"SELECT ({PARSED_AT_QUERY}), ({PARSED_ONCE}) FROM people WHERE id = :id"),
                {"topic": topic, "id": person},
            )
        ).one()
    return int(row[0]), int(row[1])


async def people_columns(engine: AsyncEngine) -> set[str]:
    def columns(sync: sa.Connection) -> set[str]:
        return {c["name"] for c in sa.inspect(sync).get_columns("people")}

    async with engine.connect() as conn:
        return await conn.run_sync(columns)


async def has_phrases(engine: AsyncEngine) -> tuple[bool, bool]:
    """Whether the column and its function are there (PostgreSQL)."""
    async with engine.connect() as conn:
        function = await conn.scalar(sa.text("SELECT to_regproc('people_tag_phrases') IS NOT NULL"))
    return TAG_PHRASES in await people_columns(engine), bool(function)


async def test_a_topic_names_the_tags_it_named_when_each_was_parsed_at_the_query(
    fresh_engine: AsyncEngine,
) -> None:
    await migrate.upgrade(fresh_engine, "0015")
    before = await add(fresh_engine, "Early", TAGS)  # stored before 0016

    await migrate.upgrade(fresh_engine)

    if fresh_engine.dialect.name != "postgresql":
        assert TAG_PHRASES not in await people_columns(fresh_engine)
        return
    counts = {topic: await named_whole(fresh_engine, before, topic) for topic in TOPICS}
    assert {topic: old for topic, (old, _) in counts.items()} == {
        topic: new for topic, (_, new) in counts.items()
    }
    # The comparison is not of zeros: these name tags whole, and the last names none.
    assert counts["Pricing model for a marketplace"] == (2, 2)  # pricing, Pricing models
    assert counts["A/B testing our C++ SaaS stack"] == (2, 2)  # a/b testing, C++
    assert counts["learning machine"] == (0, 0)  # words of a tag, out of order


async def test_changed_or_erased_tags_change_the_phrases(fresh_engine: AsyncEngine) -> None:
    await migrate.upgrade(fresh_engine)
    if fresh_engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps no phrases: its FTS5 table follows people by triggers")
    person = await add(fresh_engine, "Mo", ("pricing",))
    assert await named_whole(fresh_engine, person, "Hiring a head of growth") == (0, 0)

    async with fresh_engine.begin() as conn:
        await conn.execute(
            sa.text("UPDATE people SET expertise = CAST(:tags AS jsonb) WHERE id = :id"),
            {"tags": '["head of growth"]', "id": person},
        )

    assert await named_whole(fresh_engine, person, "Hiring a head of growth") == (1, 1)
    assert await named_whole(fresh_engine, person, "Pricing model") == (0, 0)

    # Erased, the person keeps no tag, and so no phrase either.
    async with fresh_engine.begin() as conn:
        people = SqlPeople(conn)
        stored = await people.get(WORKSPACE, person)
        assert stored is not None
        await people.update(stored.erased(NOW))
    async with fresh_engine.connect() as conn:
        phrases = await conn.scalar(
            sa.text(f"SELECT {TAG_PHRASES} FROM people WHERE id = :id"), {"id": person}
        )
    assert phrases == []


async def test_down_removes_the_phrases_and_up_again_parses_everyone(
    fresh_engine: AsyncEngine,
) -> None:
    await migrate.upgrade(fresh_engine)
    if fresh_engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps no phrases")
    assert await has_phrases(fresh_engine) == (True, True)

    await migrate.downgrade(fresh_engine, "0015")
    assert await has_phrases(fresh_engine) == (False, False)
    between = await add(fresh_engine, "Between", ("machine learning",))
    await migrate.upgrade(fresh_engine)

    assert await has_phrases(fresh_engine) == (True, True)
    assert await named_whole(fresh_engine, between, "Machine learning for fraud") == (1, 1)
