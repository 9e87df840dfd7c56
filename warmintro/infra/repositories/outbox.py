"""The transactional outbox: rows written with the change that caused them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from warmintro.domain.ids import new_id
from warmintro.domain.notifications import EmailIntent
from warmintro.infra.tables import outbox


class SqlOutbox:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self.queued = 0

    async def add_emails(
        self, workspace_id: uuid.UUID, intents: list[EmailIntent], now: datetime
    ) -> None:
        self.queued += len(intents)
        await self._conn.execute(
            outbox.insert(),
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
