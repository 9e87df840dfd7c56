"""The transactional outbox: rows written with the change that caused them, and
what an operator sees of them and may send again."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from warmintro.domain.ids import new_id
from warmintro.domain.notifications import EmailIntent
from warmintro.domain.ports import OutboxEntry
from warmintro.infra.database import reading
from warmintro.infra.repositories.direct import Direct
from warmintro.infra.tables import Id, UTCDateTime, outbox, workspaces
from warmintro.infra.wake_sources import CHANNEL

_ON_SQLITE = (
    "workspace_id",
    "id",
    "template",
    "recipient_id",
    "cc_ids",
    "also_to_ids",
    "request_id",
    "event_id",
    "status",
    "attempts",
    "available_at",
    "created_at",
)
_INSERT = Direct(
    outbox.insert().values({c: sa.bindparam(f"b_{c}", type_=outbox.c[c].type) for c in _ON_SQLITE})
)
"""SQLite: the emails one row each; the columns not named keep their defaults."""
# The columns an email is queued with, and their types as bound: the id lists go
# as JSON text, cast in the statement (an array of lists would bind as a
# two-dimensional array).
_QUEUED: dict[str, Any] = {
    "id": Id,
    "template": sa.String,
    "recipient_id": Id,
    "cc_ids": sa.Text,
    "also_to_ids": sa.Text,
    "request_id": Id,
    "event_id": Id,
}


def _insert_and_wake() -> Any:
    """PostgreSQL: the emails as one statement whatever their number (their fields
    bound as arrays and unnested), which also sends the workers' wake-up. NOTIFY in a
    transaction is heard when it commits, wherever in it it was sent: riding here it
    saves the unit of work a round trip of its own before COMMIT."""
    emails = (
        sa.func.unnest(*(sa.bindparam(f"b_{name}", type_=ARRAY(t)) for name, t in _QUEUED.items()))
        .table_valued(*(sa.column(name) for name in _QUEUED))
        .render_derived("email")
    )
    wake = sa.select(sa.func.pg_notify(CHANNEL, "").label("sent")).cte("wake")
    now = sa.bindparam("b_now", type_=sa.DateTime(timezone=True))
    rows = sa.select(
        sa.bindparam("b_workspace_id", type_=Id),
        *(
            sa.cast(emails.c[name], JSONB) if name in ("cc_ids", "also_to_ids") else emails.c[name]
            for name in _QUEUED
        ),
        sa.literal("pending"),
        sa.literal(0),
        now,
        now,
    ).select_from(emails.join(wake, sa.true()))
    columns = ["workspace_id", *_QUEUED, "status", "attempts", "available_at", "created_at"]
    return outbox.insert().from_select(columns, rows)


_INSERT_AND_WAKE = Direct(_insert_and_wake())


class SqlOutbox:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self.queued = 0
        self.woke = False
        """Whether this transaction has sent the workers' wake-up (PostgreSQL)."""

    async def add_emails(
        self, workspace_id: uuid.UUID, intents: list[EmailIntent], now: datetime
    ) -> None:
        if not intents:
            return
        self.queued += len(intents)
        if self._conn.dialect.name == "postgresql":
            values: dict[str, Any] = {f"b_{name}": [] for name in _QUEUED}
            for i in intents:
                values["b_id"].append(new_id())
                values["b_template"].append(i.template)
                values["b_recipient_id"].append(i.recipient_id)
                values["b_cc_ids"].append(json.dumps([str(c) for c in i.cc_ids]))
                values["b_also_to_ids"].append(json.dumps([str(t) for t in i.also_to_ids]))
                values["b_request_id"].append(i.request_id)
                values["b_event_id"].append(i.event_id)
            values |= {"b_workspace_id": workspace_id, "b_now": now}
            await _INSERT_AND_WAKE.rows(self._conn, values)
            self.woke = True
            return
        await _INSERT.write(
            self._conn,
            [
                dict(
                    b_workspace_id=workspace_id,
                    b_id=new_id(),
                    b_template=i.template,
                    b_recipient_id=i.recipient_id,
                    b_cc_ids=[str(c) for c in i.cc_ids],
                    b_also_to_ids=[str(t) for t in i.also_to_ids],
                    b_request_id=i.request_id,
                    b_event_id=i.event_id,
                    b_status="pending",
                    b_attempts=0,
                    b_available_at=now,
                    b_created_at=now,
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
