"""A table used as a work queue, claimed with leases: the outbox and the webhook
deliveries both work this way.

A claim marks due rows `sending` with a lease (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, so any number of workers can claim; SQLite's write lock serialises
claims). The lease value is the claim's token: a worker renews it before each
send and finishes only a row whose lease is still its own, so a row whose lease
lapsed and was claimed again is never sent twice by the slower worker.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from warmintro.domain.ports import Clock

_ADDRESS = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")


def redact(text: str) -> str:
    """Provider errors may quote addresses; none is stored (erasure could not find it)."""
    return _ADDRESS.sub("[address]", text)[:2000]


class LeasedQueue:
    def __init__(
        self,
        engine: AsyncEngine,
        table: sa.Table,
        due: sa.Column[Any],
        clock: Clock,
        *,
        lease: timedelta,
        batch: int,
    ) -> None:
        self._engine = engine
        self._t = table
        self._due = due
        self._clock = clock
        self._lease = lease
        self._batch = batch

    async def claim(self) -> list[sa.Row[Any]]:
        """Due rows, now `sending` under a fresh lease, attempts counted."""
        t, now = self._t, self._clock.now()
        due = (
            sa.select(t.c.workspace_id, t.c.id)
            .where(
                t.c.status.in_(("pending", "sending")),
                self._due <= now,
                sa.or_(t.c.locked_until.is_(None), t.c.locked_until <= now),
            )
            .order_by(self._due)
            .limit(self._batch)
        )
        async with self._engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            return list(
                (
                    await conn.execute(
                        t.update()
                        .where(sa.tuple_(t.c.workspace_id, t.c.id).in_(due))
                        .values(
                            status="sending",
                            locked_until=now + self._lease,
                            attempts=t.c.attempts + 1,
                        )
                        .returning(t)
                    )
                ).all()
            )

    async def renew(
        self, workspace_id: uuid.UUID, row_id: uuid.UUID, lease: datetime | None
    ) -> datetime | None:
        """A fresh lease for one more send, or None if the row is no longer ours."""
        new = self._clock.now() + self._lease
        async with self._engine.begin() as conn:
            result = await conn.execute(
                self._t.update()
                .where(*self._ours(workspace_id, row_id, lease))
                .values(locked_until=new)
            )
        return new if result.rowcount == 1 else None

    async def finish(
        self, workspace_id: uuid.UUID, row_id: uuid.UUID, lease: datetime | None, **values: Any
    ) -> None:
        """Settle a row we still hold (a new status, a retry time, the error)."""
        if values.get("last_error"):
            values["last_error"] = redact(values["last_error"])
        async with self._engine.begin() as conn:
            await conn.execute(
                self._t.update()
                .where(*self._ours(workspace_id, row_id, lease))
                .values(locked_until=None, **values)
            )

    def _ours(
        self, workspace_id: uuid.UUID, row_id: uuid.UUID, lease: datetime | None
    ) -> tuple[Any, ...]:
        t = self._t
        return (
            t.c.workspace_id == workspace_id,
            t.c.id == row_id,
            t.c.status == "sending",
            t.c.locked_until == lease,
        )
