"""The outbox: email rows written with the change, and gone with its rollback."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.builder import NOW, Builder
from tests.integration.repositories.backends import SQL_ONLY, assert_utc, rows
from warmintro.domain.ids import new_id
from warmintro.domain.notifications import EmailIntent
from warmintro.infra.tables import outbox


@SQL_ONLY
async def test_outbox_add_emails_writes_pending_rows(build: Builder, engine: AsyncEngine) -> None:
    request_id, event_id, connector, asker, expert = (new_id() for _ in range(5))
    intents = [
        EmailIntent("introduction", asker, request_id, event_id, (connector,)),
        EmailIntent("introduction", expert, request_id, event_id, (connector,)),
        EmailIntent("connector_thank_you", connector, request_id, event_id),
    ]
    now = datetime(2026, 3, 1, 12, 0, 0, 500, tzinfo=UTC)
    async with build.uow() as uow:
        await uow.outbox.add_emails(build.workspace_id, intents, now)
        await uow.commit()

    found = await rows(engine, sa.select(outbox).where(outbox.c.workspace_id == build.workspace_id))
    assert len(found) == 3
    assert len({r.id for r in found}) == 3
    assert sorted(
        (r.template, r.recipient_id, tuple(r.cc_ids), r.request_id, r.event_id) for r in found
    ) == sorted(
        (i.template, i.recipient_id, tuple(str(c) for c in i.cc_ids), i.request_id, i.event_id)
        for i in intents
    )
    for r in found:
        assert (r.status, r.attempts, r.sent_at, r.last_error) == (
            "pending",
            0,
            None,
            None,
        )
        assert r.available_at == now and r.created_at == now
        assert_utc(r.available_at)


@SQL_ONLY
async def test_outbox_rows_roll_back_with_the_change(build: Builder, engine: AsyncEngine) -> None:
    async with build.uow() as uow:
        await uow.outbox.add_emails(
            build.workspace_id, [EmailIntent("connector_ask", new_id(), new_id(), new_id())], NOW
        )
    found = await rows(
        engine, sa.select(outbox.c.id).where(outbox.c.workspace_id == build.workspace_id)
    )
    assert found == []
