"""PostgreSQL's pool (database.make_engine) hands out the connection returned last,
whose backend has what the last requests used warm, rather than each in turn."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tests.integration.repositories.backends import POSTGRES_ONLY


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
