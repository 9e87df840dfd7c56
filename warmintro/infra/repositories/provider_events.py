"""Events the email provider posted back, each recorded once."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from warmintro.infra.tables import inbound_events, outbox


class SqlProviderEvents:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def first_time(
        self,
        workspace_id: uuid.UUID,
        event_id: str,
        kind: str,
        outbox_id: uuid.UUID | None,
        now: datetime,
    ) -> bool:
        insert = pg_insert if self._conn.dialect.name == "postgresql" else sqlite_insert
        result = await self._conn.execute(
            insert(inbound_events)
            .values(
                workspace_id=workspace_id,
                provider_event_id=event_id,
                kind=kind,
                outbox_id=outbox_id,
                received_at=now,
            )
            .on_conflict_do_nothing()
        )
        return result.rowcount == 1

    async def mark_outbox(
        self, workspace_id: uuid.UUID, outbox_id: uuid.UUID, kind: str, at: datetime
    ) -> None:
        column = outbox.c.delivered_at if kind == "delivered" else outbox.c.opened_at
        await self._conn.execute(
            outbox.update()
            .where(
                outbox.c.workspace_id == workspace_id,
                outbox.c.id == outbox_id,
                sa.or_(column.is_(None), column > at),
            )
            .values({column.key: at})
        )
