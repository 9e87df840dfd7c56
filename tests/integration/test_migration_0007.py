"""0007 on SQLite and PostgreSQL: keys made before it get ids of their own (so they
can be listed and revoked) and keep working; workspaces keep mail for 90 days."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from warmintro.infra import migrate
from warmintro.infra.database import make_engine
from warmintro.infra.repositories.workspaces import SqlApiKeys, SqlWorkspaces
from warmintro.infra.tables import UTCDateTime

BEFORE = datetime(2026, 1, 1, tzinfo=UTC)
WORKSPACES_0006 = sa.table(
    "workspaces",
    *(
        sa.column(name, sa.Integer)
        for name in (
            "connector_deadline_s",
            "connector_reminder_s",
            "expert_deadline_s",
            "expert_reminder_s",
            "connector_budget",
            "expert_budget",
        )
    ),
    sa.column("workspace_id", sa.Uuid(as_uuid=True)),
    sa.column("name", sa.String),
    sa.column("created_at", UTCDateTime),
)
KEYS_0006 = sa.table(
    "api_keys",
    sa.column("workspace_id", sa.Uuid(as_uuid=True)),
    sa.column("key_hash", sa.String),
    sa.column("created_at", UTCDateTime),
)


@pytest.fixture
async def fresh_engine(fresh_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(fresh_database_url)
    yield engine
    await engine.dispose()


async def test_keys_made_before_0007_get_ids_and_keep_working(fresh_engine: AsyncEngine) -> None:
    await migrate.upgrade(fresh_engine, "0006")
    workspace_id = uuid.uuid4()
    days = 86_400
    async with fresh_engine.begin() as conn:
        await conn.execute(
            WORKSPACES_0006.insert().values(
                workspace_id=workspace_id,
                name="w",
                connector_deadline_s=5 * days,
                connector_reminder_s=3 * days,
                expert_deadline_s=7 * days,
                expert_reminder_s=4 * days,
                connector_budget=5,
                expert_budget=3,
                created_at=BEFORE,
            )
        )
        for digest in ("a" * 64, "b" * 64):
            await conn.execute(
                KEYS_0006.insert().values(
                    workspace_id=workspace_id, key_hash=digest, created_at=BEFORE
                )
            )

    await migrate.upgrade(fresh_engine)

    async with fresh_engine.connect() as conn:
        keys = await SqlApiKeys(conn).listed(workspace_id)
        assert await SqlApiKeys(conn).exists(workspace_id, "a" * 64)
        workspace = await SqlWorkspaces(conn).get(workspace_id)
    assert len({k.id for k in keys}) == 2
    assert all(k.label == "" and k.active and k.created_at == BEFORE for k in keys)
    assert workspace is not None and workspace.timing.retention == timedelta(days=90)
