"""On SQLite the queues find due work through their partial due indexes, however
much has been sent (a status list in bound parameters defeats a partial index:
every claim scanned every email ever sent, holding the write lock), and pooled
connections give the planner statistics (`PRAGMA optimize`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.clock import FakeClock
from tests.databases import migrated_database
from warmintro.infra.database import OPTIMIZE_EVERY, OPTIMIZED_AT, make_engine
from warmintro.infra.leased_queue import LeasedQueue, RetryPolicy
from warmintro.infra.tables import outbox, webhook_deliveries

SENT = 3000
QUEUES = {
    "outbox": (outbox, outbox.c.available_at, "ix_outbox_due"),
    "webhook_deliveries": (
        webhook_deliveries,
        webhook_deliveries.c.next_attempt_at,
        "ix_webhook_deliveries_due",
    ),
}


@pytest.fixture(scope="module")
async def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database holding thousands of settled rows in each queue and a few
    still waiting."""
    url = await migrated_database("sqlite", tmp_path_factory, "plans")
    engine = make_engine(url)
    now, ws = FakeClock().now(), uuid.uuid4()
    settled = [("sent", "delivered", now - timedelta(minutes=n)) for n in range(SENT)]
    waiting = [("pending", "pending", now + timedelta(minutes=n)) for n in range(5)]
    rows = [(uuid.uuid4(), *row) for row in settled + waiting]
    async with engine.begin() as conn:
        await conn.execute(
            outbox.insert(),
            [
                dict(workspace_id=ws, id=id, template="x", recipient_id=ws, cc_ids=[],
                     status=status, available_at=due, created_at=now)
                for id, status, _, due in rows
            ],
        )  # fmt: skip
        await conn.execute(
            webhook_deliveries.insert(),
            [
                dict(workspace_id=ws, id=id, endpoint_id=ws, event_type="x", payload={},
                     status=status, next_attempt_at=due, created_at=now)
                for id, _, status, due in rows
            ],
        )  # fmt: skip
    await engine.dispose()
    return url


@pytest.fixture
async def engine(url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(url)
    yield engine
    await engine.dispose()


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """The SQL `engine` runs meanwhile, with its parameters as sent."""
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
        seen.append((sql, params))

    event.listen(engine.sync_engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", keep)


@pytest.mark.parametrize("name", QUEUES)
async def test_the_claim_and_the_due_read_use_the_partial_due_index(
    engine: AsyncEngine, name: str
) -> None:
    table, due, index = QUEUES[name]
    queue: LeasedQueue[Any] = LeasedQueue(
        engine,
        table,
        due,
        FakeClock(),
        item=lambda row: row,
        retry=RetryPolicy(1, lambda n: timedelta()),
        lease=timedelta(minutes=2),
        batch=20,
    )
    with statements(engine) as seen:
        await queue.claim()
        await queue.seconds_to_next()
    queries = [(sql, p) for sql, p in seen if sql.lstrip().startswith(("SELECT", "UPDATE"))]
    assert len(queries) == 2
    async with engine.connect() as conn:
        for sql, params in queries:
            plan = [
                r.detail for r in await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
            ]
            assert any(index in step for step in plan), plan
            scans = [s for s in plan if s.startswith(f"SCAN {name}") and "INDEX" not in s]
            assert not scans, plan


async def test_a_pooled_connection_runs_pragma_optimize_after_an_hour_of_use(
    engine: AsyncEngine,
) -> None:
    """Before SQLite 3.46, `optimize` analyses only what the connection has queried:
    at checkout, a connection that has served for an hour runs it again."""
    async with engine.connect() as conn:
        await conn.execute(sa.select(outbox.c.id).where(outbox.c.workspace_id == uuid.uuid4()))
        raw = await conn.get_raw_connection()
        raw.info[OPTIMIZED_AT] -= OPTIMIZE_EVERY  # an hour on
    async with engine.connect() as conn:
        analysed = set(await conn.scalars(sa.text("SELECT tbl FROM sqlite_stat1")))
    assert "outbox" in analysed
