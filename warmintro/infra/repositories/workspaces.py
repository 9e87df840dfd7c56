"""Workspaces and API keys."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from warmintro.domain.people import Budgets, Timing, Workspace
from warmintro.domain.ports import ApiKey
from warmintro.infra.tables import api_keys, workspaces


def _values(workspace: Workspace) -> dict[str, Any]:
    t, b = workspace.timing, workspace.budgets
    return dict(
        workspace_id=workspace.id,
        name=workspace.name,
        created_at=workspace.created_at,
        connector_deadline_s=int(t.connector_deadline.total_seconds()),
        connector_reminder_s=int(t.connector_reminder.total_seconds()),
        expert_deadline_s=int(t.expert_deadline.total_seconds()),
        expert_reminder_s=int(t.expert_reminder.total_seconds()),
        feedback_delay_s=int(t.feedback_delay.total_seconds()),
        ask_lifetime_s=int(t.ask_lifetime.total_seconds()),
        email_retry_s=int(t.email_retry.total_seconds()),
        retention_s=int(t.retention.total_seconds()),
        connector_budget=b.connector_open,
        expert_budget=b.expert_pending,
    )


class SqlWorkspaces:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, workspace: Workspace) -> None:
        await self._conn.execute(workspaces.insert().values(_values(workspace)))

    async def update(self, workspace: Workspace) -> None:
        await self._conn.execute(
            workspaces.update()
            .where(workspaces.c.workspace_id == workspace.id)
            .values(_values(workspace))
        )

    async def get(self, workspace_id: uuid.UUID) -> Workspace | None:
        row = (
            await self._conn.execute(
                sa.select(workspaces).where(workspaces.c.workspace_id == workspace_id)
            )
        ).first()
        return None if row is None else _workspace(row)

    async def named(self, name: str) -> list[Workspace]:
        """Workspaces called `name` (names need not be unique), oldest first."""
        query = (
            sa.select(workspaces)
            .where(workspaces.c.name == name)
            .order_by(workspaces.c.created_at, workspaces.c.workspace_id)
        )
        return [_workspace(row) for row in await self._conn.execute(query)]

    async def every(self) -> list[Workspace]:
        query = sa.select(workspaces).order_by(workspaces.c.created_at, workspaces.c.workspace_id)
        return [_workspace(row) for row in await self._conn.execute(query)]


def _workspace(row: sa.Row[Any]) -> Workspace:
    return Workspace(
        id=row.workspace_id,
        name=row.name,
        created_at=row.created_at,
        timing=Timing(
            connector_deadline=timedelta(seconds=row.connector_deadline_s),
            connector_reminder=timedelta(seconds=row.connector_reminder_s),
            expert_deadline=timedelta(seconds=row.expert_deadline_s),
            expert_reminder=timedelta(seconds=row.expert_reminder_s),
            feedback_delay=timedelta(seconds=row.feedback_delay_s),
            ask_lifetime=timedelta(seconds=row.ask_lifetime_s),
            email_retry=timedelta(seconds=row.email_retry_s),
            retention=timedelta(seconds=row.retention_s),
        ),
        budgets=Budgets(connector_open=row.connector_budget, expert_pending=row.expert_budget),
    )


class SqlApiKeys:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, key: ApiKey, key_hash: str) -> None:
        await self._conn.execute(
            api_keys.insert().values(
                workspace_id=key.workspace_id,
                key_hash=key_hash,
                id=key.id,
                label=key.label,
                created_at=key.created_at,
                revoked_at=key.revoked_at,
            )
        )

    async def exists(self, workspace_id: uuid.UUID, key_hash: str) -> bool:
        row = (
            await self._conn.execute(
                sa.select(api_keys.c.key_hash).where(
                    api_keys.c.workspace_id == workspace_id,
                    api_keys.c.key_hash == key_hash,
                    api_keys.c.revoked_at.is_(None),
                )
            )
        ).first()
        return row is not None

    async def listed(self, workspace_id: uuid.UUID) -> list[ApiKey]:
        query = (
            sa.select(api_keys)
            .where(api_keys.c.workspace_id == workspace_id)
            .order_by(api_keys.c.created_at, api_keys.c.id)
        )
        return [
            ApiKey(
                id=row.id,
                workspace_id=row.workspace_id,
                label=row.label,
                created_at=row.created_at,
                revoked_at=row.revoked_at,
            )
            for row in await self._conn.execute(query)
        ]

    async def revoke(self, workspace_id: uuid.UUID, key_id: uuid.UUID, at: datetime) -> None:
        # Two revocations at once must not each see the other's key as the one left
        # active: the workspace row is the lock (SQLite serialises writers anyway).
        await self._conn.execute(
            sa.select(workspaces.c.workspace_id)
            .where(workspaces.c.workspace_id == workspace_id)
            .with_for_update()
        )
        await self._conn.execute(
            api_keys.update()
            .where(
                api_keys.c.workspace_id == workspace_id,
                api_keys.c.id == key_id,
                api_keys.c.revoked_at.is_(None),
            )
            .values(revoked_at=at)
        )
