"""The transactional outbox: rows written with the change that caused them, and
what an operator sees of them and may send again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from warmintro.domain.ids import new_id
from warmintro.domain.notifications import EmailIntent
from warmintro.domain.ports import OutboxEntry
from warmintro.infra.database import reading
from warmintro.infra.tables import UTCDateTime, outbox, workspaces

_INSERT = outbox.insert()


class SqlOutbox:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self.queued = 0

    async def add_emails(
        self, workspace_id: uuid.UUID, intents: list[EmailIntent], now: datetime
    ) -> None:
        self.queued += len(intents)
        await self._conn.execute(
            _INSERT,
            [
                dict(
                    workspace_id=workspace_id,
                    id=new_id(),
                    template=i.template,
                    recipient_id=i.recipient_id,
                    cc_ids=[str(c) for c in i.cc_ids],
                    also_to_ids=[str(t) for t in i.also_to_ids],
                    request_id=i.request_id,
                    event_id=i.event_id,
                    status="pending",
                    attempts=0,
                    available_at=now,
                    created_at=now,
                )
                for i in intents
            ],
        )

    async def entries(
        self, *, workspace_id: uuid.UUID | None, status: str | None, limit: int
    ) -> list[OutboxEntry]:
        """Queued emails of every workspace (or one), newest first."""
        query = (
            sa.select(
                outbox.c.id,
                outbox.c.workspace_id,
                workspaces.c.name,
                outbox.c.template,
                outbox.c.status,
                outbox.c.attempts,
                outbox.c.created_at,
                outbox.c.last_error,
            )
            .join(workspaces, workspaces.c.workspace_id == outbox.c.workspace_id, isouter=True)
            .order_by(outbox.c.created_at.desc(), outbox.c.id.desc())
            .limit(limit)
        )
        if workspace_id is not None:
            query = query.where(outbox.c.workspace_id == workspace_id)
        if status is not None:
            query = query.where(outbox.c.status == status)
        return [
            OutboxEntry(
                id=r.id,
                workspace_id=r.workspace_id,
                workspace_name=r.name or "",
                template=r.template,
                status=r.status,
                attempts=r.attempts,
                created_at=r.created_at,
                last_error=r.last_error,
            )
            for r in await self._conn.execute(query)
        ]

    async def retry_failed(
        self, *, workspace_id: uuid.UUID | None, ids: list[uuid.UUID] | None, now: datetime
    ) -> list[uuid.UUID]:
        """Put failed emails (these `ids`, or all of them) back in the queue, due `now`
        with their attempts reset; returns the ids queued again. A resent email gets a
        fresh retry window: it counts from `now`, not from when it was first queued."""
        update = (
            outbox.update()
            .where(outbox.c.status == "failed")
            .values(
                status="pending",
                attempts=0,
                available_at=now,
                created_at=now,
                locked_until=None,
                last_error=None,
            )
            .returning(outbox.c.id)
        )
        if workspace_id is not None:
            update = update.where(outbox.c.workspace_id == workspace_id)
        if ids is not None:
            update = update.where(outbox.c.id.in_(ids))
        queued = [r.id for r in await self._conn.execute(update)]
        self.queued += len(queued)
        return queued


@dataclass(frozen=True, slots=True)
class OutboxHealth:
    """What the metrics report of the email queue."""

    pending: int
    failed: int
    oldest_pending_age: timedelta
    """Zero when nothing is pending."""


async def outbox_health(engine: AsyncEngine, now: datetime) -> OutboxHealth:
    """One query over the whole outbox, for a scrape."""
    waiting = outbox.c.status.in_(("pending", "sending"))
    query = sa.select(
        sa.func.count().filter(waiting),
        sa.func.count().filter(outbox.c.status == "failed"),
        sa.type_coerce(sa.func.min(outbox.c.created_at).filter(waiting), UTCDateTime),
    )
    async with reading(engine) as conn:
        row: Any = (await conn.execute(query)).one()
    pending, failed, oldest = row
    age = max(now - oldest, timedelta(0)) if oldest is not None else timedelta(0)
    return OutboxHealth(pending=pending, failed=failed, oldest_pending_age=age)
