"""What the metrics and the worker read of the durable timers."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from warmintro.domain.ports import Clock
from warmintro.infra.database import reading
from warmintro.infra.tables import timers


async def timers_due(engine: AsyncEngine, now: datetime) -> int:
    """How many timers are due and not yet fired, across every workspace: one count
    on the `due_at` index, for a scrape. A worker that keeps up holds this near zero."""
    async with reading(engine) as conn:
        due = await conn.scalar(
            sa.select(sa.func.count()).select_from(timers).where(timers.c.due_at <= now)
        )
    return int(due or 0)


async def seconds_to_next_timer(engine: AsyncEngine, clock: Clock) -> float | None:
    """How long until the soonest timer falls due (the first entry of the `due_at`
    index; zero or less: one is due now), or None: no timer is set."""
    async with reading(engine) as conn:
        due: datetime | None = await conn.scalar(sa.select(sa.func.min(timers.c.due_at)))
    return None if due is None else (due - clock.now()).total_seconds()
