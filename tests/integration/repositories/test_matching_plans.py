"""How the databases run the matching queries, which decides whether they stay fast
with a connector of 20k connections in a workspace of 100k people (the figures
are the benchmark's): SQLite asks its full-text table once per query, never once
per connection; PostgreSQL plans each matching query for the words it carries."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tests.integration.builder import Builder
from tests.integration.repositories.backends import SQL_ONLY
from tests.integration.repositories.test_matching import network
from warmintro.infra.database import make_engine
from warmintro.infra.repositories.matching import SqlPeopleMatching
from warmintro.infra.repositories.search import SEARCH_TABLE
from warmintro.infra.uow import SqlUnitOfWork


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
