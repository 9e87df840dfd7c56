"""How the databases run the matching queries, which decides whether they stay fast
with a connector of 20k connections in a workspace of 100k people (the figures
are the benchmark's): SQLite asks its full-text table once per query, never once
per connection; PostgreSQL plans each matching query for the words it carries."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tests.databases import discard_database, migrated_database
from tests.integration.builder import Builder
from tests.integration.repositories.backends import POSTGRES_ONLY, SQL_ONLY, Backend
from tests.integration.repositories.test_matching import network
from warmintro.infra.database import make_engine
from warmintro.infra.repositories.matching import SqlPeopleMatching
from warmintro.infra.repositories.search import SEARCH_INDEX, SEARCH_TABLE
from warmintro.infra.uow import SqlUnitOfWork, SqlUnitOfWorkFactory


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """The statements run on `engine` inside the block, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: Any) -> None:
        seen.append((statement, params))

    sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", record)


@asynccontextmanager
async def sent_by_asyncpg(conn: AsyncConnection) -> AsyncIterator[tuple[Any, list[Any]]]:
    """The statements asyncpg itself sends on `conn` inside the block (`Direct` ones,
    which SQLAlchemy's events do not see), with the driver's connection to explain
    them on."""
    driver: Any = conn.sync_connection.connection.dbapi_connection._connection  # type: ignore[union-attr]
    sent: list[Any] = []
    with driver.query_logger(sent.append):
        yield driver, sent
        await asyncio.sleep(0)  # asyncpg calls its loggers soon, not at once


async def knowing_pia(build: Builder, engine: AsyncEngine, *, only_on: str, why: str) -> uuid.UUID:
    """Someone who knows Pia, who knows pricing; the test is skipped on any database
    but `only_on` (it checks what only that one does: `why`)."""
    if engine.dialect.name != only_on:
        pytest.skip(why)
    return await network(build, (build.person(name="Pia", expertise=("pricing",)), 3))


async def every_matching_query(
    conn: AsyncConnection, ws: uuid.UUID, cat: uuid.UUID
) -> SqlPeopleMatching:
    matching = SqlPeopleMatching(conn)
    topic, nobody = "pricing strategy", frozenset[uuid.UUID]()
    await matching.connections_matching(ws, cat, topic, exclude=nobody, askable_at=None, limit=5)
    await matching.connections_among(ws, cat, {cat}, topic)
    await matching.count_connections_matching(ws, {cat}, topic)
    await matching.connections_by_network(ws, cat, topic, exclude=nobody, limit=5)
    return matching


@SQL_ONLY
async def test_sqlite_asks_the_full_text_table_once_per_query(
    build: Builder, engine: AsyncEngine
) -> None:
    cat = await knowing_pia(build, engine, only_on="sqlite", why="SQLite's FTS5")
    async with engine.connect() as conn:
        with statements(engine) as seen:
            await every_matching_query(conn, build.workspace_id, cat)
        queries = [(s, p) for s, p in seen if s.lstrip().startswith(("SELECT", "WITH"))]
        assert len(queries) == 4
        for statement, params in queries:
            explained = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
            plan: list[tuple[Any, ...]] = [tuple(row) for row in explained]
            # Each row: its node, its parent node, (unused), what it does.
            once = {row[0] for row in plan if row[3].startswith("MATERIALIZE")}
            searches = [row[1] for row in plan if SEARCH_TABLE in row[3]]
            assert searches, statement
            assert all(parent in once for parent in searches), plan


@SQL_ONLY
async def test_postgres_plans_matching_queries_for_their_own_words(
    build: Builder, engine: AsyncEngine
) -> None:
    cat = await knowing_pia(build, engine, only_on="postgresql", why="PostgreSQL's plan cache")
    async with engine.connect() as conn:
        await every_matching_query(conn, build.workspace_id, cat)
        assert (await conn.exec_driver_sql("SHOW plan_cache_mode")).scalar() == (
            "force_custom_plan"
        )
        assert (await conn.exec_driver_sql("SHOW jit")).scalar() == "off"
        await conn.rollback()
        # The settings end with the transaction: other queries keep the engine's own.
        assert (await conn.exec_driver_sql("SHOW plan_cache_mode")).scalar() == "auto"


@SQL_ONLY
async def test_postgres_plans_them_so_in_a_read_without_a_transaction_too(
    build: Builder, engine: AsyncEngine
) -> None:
    cat = await knowing_pia(build, engine, only_on="postgresql", why="PostgreSQL's plan cache")
    async with engine.connect() as conn:
        # How a read-only unit of work runs on PostgreSQL (uow.py): no BEGIN, where
        # SET LOCAL would change nothing.
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        before = [
            (await conn.exec_driver_sql(f"SHOW {s}")).scalar() for s in ("plan_cache_mode", "jit")
        ]
        matching = await every_matching_query(conn, build.workspace_id, cat)
        assert (await conn.exec_driver_sql("SHOW plan_cache_mode")).scalar() == (
            "force_custom_plan"
        )
        assert (await conn.exec_driver_sql("SHOW jit")).scalar() == "off"
        await matching.restore()
        # Back as they were before the connection returns to the pool.
        after = [
            (await conn.exec_driver_sql(f"SHOW {s}")).scalar() for s in ("plan_cache_mode", "jit")
        ]
        assert after == before


@SQL_ONLY
async def test_a_read_hands_its_connection_back_with_the_planning_it_found(
    build: Builder, engine: AsyncEngine
) -> None:
    cat = await knowing_pia(build, engine, only_on="postgresql", why="PostgreSQL's plan cache")
    one = make_engine(engine.url.render_as_string(hide_password=False), pool_size=1)
    try:
        async with SqlUnitOfWork(one, write=False) as uow:
            found = await uow.matching.connections_matching(
                build.workspace_id, cat, "pricing", exclude=frozenset(), askable_at=None, limit=5
            )
        assert found
        async with one.connect() as conn:  # the pool's one connection, used again
            assert (await conn.exec_driver_sql("SHOW plan_cache_mode")).scalar() == "auto"
    finally:
        await one.dispose()


@SQL_ONLY
async def test_postgres_counts_the_tags_a_topic_names_without_parsing_a_tag(
    build: Builder, engine: AsyncEngine
) -> None:
    cat = await knowing_pia(build, engine, only_on="postgresql", why="PostgreSQL's phrases")
    async with engine.connect() as conn:
        async with sent_by_asyncpg(conn) as (driver, sent):
            await every_matching_query(conn, build.workspace_id, cat)
        ranking = [q for q in sent if "to_tsvector" in q.query]
        assert len(ranking) == 4, [q.query[:60] for q in sent]  # the four of every_matching_query
        plans = [
            "\n".join(r[0] for r in await driver.fetch("EXPLAIN (VERBOSE) " + q.query, *q.args))
            for q in ranking
        ]
    # Each tag was parsed once, when its person was written (migration 0016): the
    # queries read the phrases, and parse nothing but the topic.
    assert all("unnest(people.tag_phrases)" in plan for plan in plans)
    assert not any("phraseto_tsquery" in plan for plan in plans)


@pytest.fixture
async def own_engine(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncEngine]:
    """A PostgreSQL database of the test's own: its planner's statistics count only
    the test's rows, not those other tests left in the shared one."""
    url = await migrated_database("postgres", tmp_path_factory, "plans")
    engine = make_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()
        await discard_database("postgres", url)


@POSTGRES_ONLY
async def test_postgres_finds_a_persons_matching_connections_in_the_search_index(
    backend: Backend, own_engine: AsyncEngine, ws_id: uuid.UUID
) -> None:
    # `backend` only marks the test PostgreSQL's; its shared database is not used.
    engine = own_engine
    build = Builder(SqlUnitOfWorkFactory(engine), ws_id)
    cat = await knowing_pia(build, engine, only_on="postgresql", why="PostgreSQL's index")
    ws = build.workspace_id
    async with engine.begin() as conn:
        # As in the benchmark, in small: many know pricing and Cat knows many, but
        # Pia is the one person both.
        await conn.exec_driver_sql(_LIKE_PIA, (ws, "Stranger", "strangers", "pricing", 5000))
        await conn.exec_driver_sql(_LIKE_PIA, (ws, "Friend", "friends", "gardening", 500))
        await conn.exec_driver_sql(_CAT_KNOWS_FRIENDS, (ws, cat))
        await conn.exec_driver_sql("ANALYZE people")
        await conn.exec_driver_sql("ANALYZE connections")
    async with engine.connect() as conn:
        # At this size a scan of the whole table still costs less than any index.
        await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        # The statement goes to asyncpg directly (infra/repositories/direct.py).
        async with sent_by_asyncpg(conn) as (driver, sent):
            found = await SqlPeopleMatching(conn).connections_matching(
                ws, cat, "pricing", exclude=frozenset(), askable_at=None, limit=5
            )
        assert [m.person.name for m in found] == ["Pia"]
        explained = await driver.fetchval(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + sent[-1].query, *sent[-1].args
        )
    nodes = list(plan_nodes(explained[0]["Plan"]))  # JSON decoded by the engine's codec
    searched = [n for n in nodes if n.get("Index Name") == SEARCH_INDEX]
    assert searched, [(n["Node Type"], n.get("Index Name")) for n in nodes]
    # The index itself keeps to Cat's connections: one row, not the 5,001 who know pricing.
    assert all("known_by" in n["Index Cond"] for n in searched)
    assert sum(n["Actual Rows"] for n in searched) == 1


# People like Pia but for their name and expertise ($5 of them).
_LIKE_PIA = """
INSERT INTO people (workspace_id, id, email, email_key, name, headline, bio, expertise,
                    email_status, never_contact, discoverable, created_at, updated_at)
SELECT workspace_id, gen_random_uuid(), $3 || n || email, $3 || n || email_key, $2 || ' ' || n,
       '', '', jsonb_build_array($4::text), email_status, never_contact, discoverable,
       created_at, updated_at
FROM people, generate_series(1, $5) AS n WHERE workspace_id = $1 AND name = 'Pia'"""
_CAT_KNOWS_FRIENDS = """
INSERT INTO connections (workspace_id, person_id, other_id, strength, context, created_at)
SELECT workspace_id, $2, id, 3, '', created_at FROM people
WHERE workspace_id = $1 AND name LIKE 'Friend %'"""


def plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A plan node of EXPLAIN (FORMAT JSON) and every node under it."""
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)
