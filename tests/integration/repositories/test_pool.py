"""PostgreSQL's pool (database.make_engine) hands out the connection returned last,
whose backend has what the last requests used warm, rather than each in turn."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tests.integration.repositories.backends import POSTGRES_ONLY
from warmintro.infra.database import make_engine
from warmintro.infra.uow import SqlUnitOfWork


async def _backend_of(conn: AsyncConnection) -> int:
    return int((await conn.exec_driver_sql("SELECT pg_backend_pid()")).scalar_one())


@POSTGRES_ONLY
async def test_after_a_busy_moment_a_read_gets_the_connection_returned_last(
    engine: AsyncEngine,
) -> None:
    # Three at once grow the pool to three; they go back in the order c, b, a.
    async with engine.connect() as a, engine.connect() as b, engine.connect() as c:
        backends = [await _backend_of(conn) for conn in (a, b, c)]

    for _ in range(3):
        async with engine.connect() as again:
            assert await _backend_of(again) == backends[0]


@POSTGRES_ONLY
async def test_units_of_work_get_connections_in_the_order_they_asked(engine: AsyncEngine) -> None:
    # The pool hands a returned connection to whoever asks first, and a request that
    # asks again at once (its next unit of work) would take it from one that has
    # been waiting: under load some waited for seconds while others went round.
    one = make_engine(engine.url.render_as_string(hide_password=False), pool_size=1)
    order: list[str] = []
    holding, done_waiting = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with SqlUnitOfWork(one, write=False):
            order.append("first")
            holding.set()
            await done_waiting.wait()
        async with SqlUnitOfWork(one, write=False):
            order.append("first, again")

    async def second() -> None:
        await holding.wait()
        async with SqlUnitOfWork(one, write=False):
            order.append("second")

    try:
        both = asyncio.gather(first(), second())
        await holding.wait()
        for _ in range(20):  # `second` is waiting for the one connection
            await asyncio.sleep(0)
        done_waiting.set()
        await asyncio.wait_for(both, 10)
    finally:
        await one.dispose()
    assert order == ["first", "second", "first, again"]


@POSTGRES_ONLY
async def test_a_unit_of_work_that_waits_past_the_pools_timeout_fails_as_the_pool_would(
    engine: AsyncEngine,
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    one = make_engine(url, pool_size=1, pool_timeout=0.2)
    try:
        async with SqlUnitOfWork(one, write=False):
            with pytest.raises(PoolTimeout):
                async with asyncio.timeout(5), SqlUnitOfWork(one, write=False):
                    pass
        async with SqlUnitOfWork(one, write=False) as uow:  # the turn was given back
            assert await uow.people.get(uuid.uuid4(), uuid.uuid4()) is None
    finally:
        await one.dispose()
