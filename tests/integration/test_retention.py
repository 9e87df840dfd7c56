"""Retention on SQLite and PostgreSQL, with an injected clock: what a workspace keeps
only for a while (sent, skipped and failed mail, delivered webhooks with their
attempts, used or expired links) goes once older than its retention; recent rows,
every event, every request and every email still to be sent stay."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.clock import FakeClock
from tests.databases import BACKENDS, discard_database, migrated_database
from tests.integration.builder import NOW, Builder
from warmintro.api.container import Container, bootstrap
from warmintro.domain.commands import PurgeExpired
from warmintro.domain.ids import new_id
from warmintro.domain.people import Timing, Workspace
from warmintro.infra.settings import Settings
from warmintro.infra.tables import (
    action_links,
    events,
    outbox,
    webhook_attempts,
    webhook_deliveries,
)

TODAY = NOW + timedelta(days=400)


def ago(days: float) -> datetime:
    return TODAY - timedelta(days=days)


@pytest.fixture(params=BACKENDS)
async def app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> AsyncIterator[Container]:
    url = await migrated_database(request.param, tmp_path_factory, "retention")
    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    container = bootstrap(settings, clock=FakeClock(TODAY))
    yield container
    await container.close()
    await discard_database(request.param, url)


async def workspace(app: Container, retention: timedelta | None = None) -> uuid.UUID:
    timing = Timing() if retention is None else replace(Timing(), retention=retention)
    ws = Workspace(id=new_id(), name="Alumni", created_at=NOW, timing=timing)
    async with app.uow() as uow:
        await uow.workspaces.add(ws)
        await uow.commit()
    return ws.id


async def insert(app: Container, table: sa.Table, **values: Any) -> None:
    async with app.engine.begin() as conn:
        await conn.execute(table.insert().values(**values))


async def email(app: Container, ws: uuid.UUID, status: str, days: float) -> uuid.UUID:
    """An email created `days` ago; sent then if it was sent, else last due then."""
    row_id = new_id()
    await insert(
        app,
        outbox,
        workspace_id=ws,
        id=row_id,
        template="ask_connector",
        recipient_id=new_id(),
        cc_ids=[],
        status=status,
        available_at=ago(days),
        created_at=ago(days),
        sent_at=ago(days) if status == "sent" else None,
    )
    return row_id


async def delivery(app: Container, ws: uuid.UUID, status: str, days: float) -> uuid.UUID:
    row_id = new_id()
    await insert(
        app,
        webhook_deliveries,
        workspace_id=ws,
        id=row_id,
        endpoint_id=new_id(),
        event_type="intro_request.created",
        payload={},
        status=status,
        attempts=2,
        next_attempt_at=ago(days),
        delivered_at=ago(days) if status == "delivered" else None,
        created_at=ago(days),
    )
    for attempt in (1, 2):
        await insert(
            app,
            webhook_attempts,
            workspace_id=ws,
            delivery_id=row_id,
            attempt=attempt,
            at=ago(days),
            duration_ms=5,
        )
    return row_id


async def link(
    app: Container, ws: uuid.UUID, *, issued: float, expires: float, used: float | None = None
) -> str:
    token_hash = new_id().hex * 2
    await insert(
        app,
        action_links,
        workspace_id=ws,
        token_hash=token_hash,
        person_id=new_id(),
        purpose="decide",
        created_at=ago(issued),
        expires_at=ago(expires),
        used_at=None if used is None else ago(used),
    )
    return token_hash


async def ids(app: Container, column: sa.Column[Any], ws: uuid.UUID) -> set[Any]:
    async with app.engine.connect() as conn:
        query = sa.select(column).where(column.table.c.workspace_id == ws)
        return set((await conn.execute(query)).scalars())


async def test_old_done_rows_go_and_recent_pending_and_events_stay(app: Container) -> None:
    ws = await workspace(app)  # 90 days
    old_sent = await email(app, ws, "sent", 91)
    old_failed = await email(app, ws, "failed", 120)
    old_skipped = await email(app, ws, "skipped", 91)
    recent_sent = await email(app, ws, "sent", 89)
    ancient_pending = await email(app, ws, "pending", 300)
    ancient_sending = await email(app, ws, "sending", 300)
    old_delivered = await delivery(app, ws, "delivered", 91)
    recent_delivered = await delivery(app, ws, "delivered", 10)
    old_failed_delivery = await delivery(app, ws, "failed", 200)
    used_long_ago = await link(app, ws, issued=100, expires=-30, used=95)
    expired_long_ago = await link(app, ws, issued=120, expires=100)
    unused_still_valid = await link(app, ws, issued=100, expires=-5)
    used_lately = await link(app, ws, issued=100, expires=-30, used=5)
    build = Builder(app.uow, ws)
    asker, connector = await build.add_person(), await build.add_person()
    request = await build.add_request(asker.id, connector.id)
    events_before = await ids(app, events.c.id, ws)

    deleted = await app.use_cases(PurgeExpired())

    assert deleted == 3 + 1 + 2
    assert await ids(app, outbox.c.id, ws) == {recent_sent, ancient_pending, ancient_sending}
    assert not {old_sent, old_failed, old_skipped} & await ids(app, outbox.c.id, ws)
    assert await ids(app, webhook_deliveries.c.id, ws) == {recent_delivered, old_failed_delivery}
    assert await ids(app, webhook_attempts.c.delivery_id, ws) == {
        recent_delivered,
        old_failed_delivery,
    }
    assert old_delivered not in await ids(app, webhook_deliveries.c.id, ws)
    assert await ids(app, action_links.c.token_hash, ws) == {unused_still_valid, used_lately}
    assert {used_long_ago, expired_long_ago}.isdisjoint(
        await ids(app, action_links.c.token_hash, ws)
    )
    assert events_before and await ids(app, events.c.id, ws) == events_before
    assert (await build.load(request.id)).id == request.id


async def test_each_workspace_keeps_rows_for_its_own_retention(app: Container) -> None:
    short = await workspace(app, retention=timedelta(days=10))
    default = await workspace(app)
    in_short = await email(app, short, "sent", 30)
    in_default = await email(app, default, "sent", 30)

    await app.use_cases(PurgeExpired())

    assert in_short not in await ids(app, outbox.c.id, short)
    assert await ids(app, outbox.c.id, default) == {in_default}


async def test_a_batch_deletes_at_most_its_limit_and_the_next_ones_finish(
    app: Container,
) -> None:
    ws = await workspace(app)
    for _ in range(5):
        await email(app, ws, "sent", 100)

    assert await app.use_cases(PurgeExpired(limit=2)) == 2
    assert len(await ids(app, outbox.c.id, ws)) == 3
    assert await app.use_cases(PurgeExpired(limit=2)) == 2
    assert await app.use_cases(PurgeExpired(limit=2)) == 1
    assert await app.use_cases(PurgeExpired(limit=2)) == 0


async def test_the_worker_runs_retention_then_rests_for_an_hour(app: Container) -> None:
    ws = await workspace(app)
    first = await email(app, ws, "sent", 100)

    await app.worker.run_once()
    assert first not in await ids(app, outbox.c.id, ws)

    second = await email(app, ws, "sent", 100)
    await app.worker.run_once()
    assert second in await ids(app, outbox.c.id, ws), "swept again within the hour"

    assert isinstance(app.clock, FakeClock)
    app.clock.advance(timedelta(hours=1))
    await app.worker.run_once()
    assert second not in await ids(app, outbox.c.id, ws)
