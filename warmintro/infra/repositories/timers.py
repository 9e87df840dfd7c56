"""What the metrics report of the durable timers."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from warmintro.infra.tables import timers


async def timers_due(engine: AsyncEngine, now: datetime) -> int:
    """How many timers are due and not yet fired, across every workspace: one count
    on the `due_at` index, for a scrape. A worker that keeps up holds this near zero."""
    async with engine.connect() as conn:
        due = await conn.scalar(
            sa.select(sa.func.count()).select_from(timers).where(timers.c.due_at <= now)
        )
    return int(due or 0)
