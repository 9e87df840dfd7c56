"""The record of issued action links, by token hash."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from warmintro.domain.action_links import ActionClaims, ActionLink, Purpose
from warmintro.infra.tables import action_links

T = action_links


class SqlActionLinks:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, link: ActionLink) -> None:
        c = link.claims
        await self._conn.execute(
            T.insert().values(
                workspace_id=c.workspace_id,
                token_hash=link.token_hash,
                request_id=c.request_id,
                person_id=c.person_id,
                purpose=c.purpose.value,
                expires_at=link.expires_at,
                created_at=link.issued_at,
            )
        )

    async def get(self, workspace_id: uuid.UUID, token_hash: str) -> ActionLink | None:
        row = (
            await self._conn.execute(
                sa.select(T).where(T.c.workspace_id == workspace_id, T.c.token_hash == token_hash)
            )
        ).first()
        if row is None:
            return None
        claims = ActionClaims(Purpose(row.purpose), row.workspace_id, row.person_id, row.request_id)
        return ActionLink(
            claims, row.token_hash, row.created_at, row.expires_at, row.used_at, row.used_action
        )

    async def mark_used(
        self, workspace_id: uuid.UUID, token_hash: str, action: str, at: datetime
    ) -> None:
        await self._conn.execute(
            T.update()
            .where(
                T.c.workspace_id == workspace_id,
                T.c.token_hash == token_hash,
                T.c.used_at.is_(None),
            )
            .values(used_at=at, used_action=action)
        )
