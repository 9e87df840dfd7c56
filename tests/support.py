"""Test doubles and helpers shared by the suites."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from warmintro.infra.tables import outbox, timers, webhook_deliveries


class FakeClock:
    """A clock tests move by hand, so deadlines and expiry need no sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


async def empty_queues(engine: AsyncEngine) -> None:
    """Set aside mail, webhook deliveries and timers earlier tests left behind, so a
    test that runs the worker sees only what it caused."""
    async with engine.begin() as conn:
        await conn.execute(
            outbox.update()
            .where(outbox.c.status.in_(("pending", "sending")))
            .values(status="skipped", locked_until=None, last_error="left by an earlier test")
        )
        await conn.execute(
            webhook_deliveries.update()
            .where(webhook_deliveries.c.status.in_(("pending", "sending")))
            .values(status="failed", locked_until=None, last_error="left by an earlier test")
        )
        await conn.execute(timers.delete())
