"""Deleting what a workspace keeps only for a while, in bounded batches.

Each kind is deleted by its primary key after a bounded select, so one batch
touches at most `limit` rows whatever the backlog, and no statement scans for
long while the relays work beside it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from warmintro.infra.tables import action_links, outbox, webhook_attempts, webhook_deliveries

DONE_EMAIL = ("sent", "skipped", "failed")
"""An email in any other state (pending, sending) is still to go out: never deleted."""


class SqlRetention:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def purge(self, workspace_id: uuid.UUID, before: datetime, limit: int) -> int:
        deleted = 0
        for purge in (self._emails, self._deliveries, self._links):
            if deleted >= limit:
                break
            deleted += await purge(workspace_id, before, limit - deleted)
        return deleted

    async def _emails(self, workspace_id: uuid.UUID, before: datetime, limit: int) -> int:
        # A failed or skipped email has no sent_at: its last try is when it was due.
        last_touched = sa.func.coalesce(outbox.c.sent_at, outbox.c.available_at)
        ids = await self._ids(
            sa.select(outbox.c.id).where(
                outbox.c.workspace_id == workspace_id,
                outbox.c.status.in_(DONE_EMAIL),
                last_touched < before,
                outbox.c.created_at < before,
            ),
            limit,
        )
        if ids:
            await self._conn.execute(
                outbox.delete().where(outbox.c.workspace_id == workspace_id, outbox.c.id.in_(ids))
            )
        return len(ids)

    async def _deliveries(self, workspace_id: uuid.UUID, before: datetime, limit: int) -> int:
        ids = await self._ids(
            sa.select(webhook_deliveries.c.id).where(
                webhook_deliveries.c.workspace_id == workspace_id,
                webhook_deliveries.c.status == "delivered",
                webhook_deliveries.c.delivered_at < before,
            ),
            limit,
        )
        if ids:
            await self._conn.execute(
                webhook_attempts.delete().where(
                    webhook_attempts.c.workspace_id == workspace_id,
                    webhook_attempts.c.delivery_id.in_(ids),
                )
            )
            await self._conn.execute(
                webhook_deliveries.delete().where(
                    webhook_deliveries.c.workspace_id == workspace_id,
                    webhook_deliveries.c.id.in_(ids),
                )
            )
        return len(ids)

    async def _links(self, workspace_id: uuid.UUID, before: datetime, limit: int) -> int:
        c = action_links.c
        hashes = await self._ids(
            sa.select(c.token_hash).where(
                c.workspace_id == workspace_id,
                sa.or_(c.expires_at < before, sa.and_(c.used_at.is_not(None), c.used_at < before)),
            ),
            limit,
        )
        if hashes:
            await self._conn.execute(
                action_links.delete().where(
                    c.workspace_id == workspace_id, c.token_hash.in_(hashes)
                )
            )
        return len(hashes)

    async def _ids(self, query: sa.Select[Any], limit: int) -> list[Any]:
        return list((await self._conn.execute(query.limit(limit))).scalars())
