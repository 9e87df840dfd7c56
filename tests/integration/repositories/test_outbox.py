"""The outbox: email rows written with the change, and gone with its rollback."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.builder import NOW, Builder, later
from tests.integration.repositories.backends import SQL_ONLY, assert_utc, rows
from warmintro.domain.ids import new_id
from warmintro.domain.notifications import EmailIntent
from warmintro.domain.people import Workspace
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


async def test_outbox_entries_are_the_workspaces_emails_newest_first(build: Builder) -> None:
    name = f"Outbox {new_id().hex[:8]}"
    async with build.uow() as uow:
        await uow.workspaces.add(Workspace(id=build.workspace_id, name=name, created_at=NOW))
        for minutes, template in ((0, "connector_ask"), (5, "expert_consent")):
            intent = EmailIntent(template, new_id(), new_id(), new_id())
            await uow.outbox.add_emails(build.workspace_id, [intent], later(minutes))
        await uow.commit()
    elsewhere = build.elsewhere()
    async with elsewhere.uow() as uow:
        intent = EmailIntent("connector_ask", new_id(), new_id(), new_id())
        await uow.outbox.add_emails(elsewhere.workspace_id, [intent], later(10))
        await uow.commit()

    async with build.uow(write=False) as uow:
        found = await uow.outbox.entries(workspace_id=build.workspace_id, status=None, limit=10)
        assert [(e.template, e.status, e.attempts, e.created_at) for e in found] == [
            ("expert_consent", "pending", 0, later(5)),
            ("connector_ask", "pending", 0, later(0)),
        ]
        assert {(e.workspace_id, e.workspace_name, e.last_error) for e in found} == {
            (build.workspace_id, name, None)
        }
        assert (
            len(await uow.outbox.entries(workspace_id=build.workspace_id, status=None, limit=1))
            == 1
        )
        assert (
            await uow.outbox.entries(workspace_id=build.workspace_id, status="failed", limit=10)
            == []
        )
        assert (
            await uow.outbox.retry_failed(workspace_id=build.workspace_id, ids=None, now=NOW) == []
        )


async def test_workspaces_are_found_by_name_oldest_first(build: Builder) -> None:
    name = f"Twins {new_id().hex[:8]}"
    first = Workspace(id=new_id(), name=name, created_at=NOW)
    second = Workspace(id=new_id(), name=name, created_at=later(1))
    async with build.uow() as uow:
        await uow.workspaces.add(second)
        await uow.workspaces.add(first)
        await uow.workspaces.add(Workspace(id=new_id(), name=name + "x", created_at=NOW))
        await uow.commit()
    async with build.uow(write=False) as uow:
        assert await uow.workspaces.named(name) == [first, second]
        assert await uow.workspaces.named(name.upper()) == []


@SQL_ONLY
async def test_retry_failed_requeues_only_failed_emails_with_a_fresh_start(
    build: Builder, engine: AsyncEngine
) -> None:
    intents = [EmailIntent("connector_ask", new_id(), new_id(), new_id()) for _ in range(4)]
    async with build.uow() as uow:
        await uow.outbox.add_emails(build.workspace_id, intents, NOW)
        await uow.commit()
    ids = [
        r.id
        for r in await rows(
            engine,
            sa.select(outbox.c.id)
            .where(outbox.c.workspace_id == build.workspace_id)
            .order_by(outbox.c.id),
        )
    ]
    statuses = ["failed", "failed", "sent", "pending"]
    async with engine.begin() as conn:
        for row_id, status in zip(ids, statuses, strict=True):
            await conn.execute(
                outbox.update()
                .where(outbox.c.id == row_id)
                .values(status=status, attempts=9, last_error="gave up: SMTP 421")
            )

    async with build.uow() as uow:
        assert await uow.outbox.retry_failed(
            workspace_id=build.workspace_id, ids=[ids[0], ids[2], ids[3]], now=later(60)
        ) == [ids[0]]
        await uow.commit()
    async with build.uow() as uow:
        assert await uow.outbox.retry_failed(workspace_id=new_id(), ids=None, now=later(60)) == []
        assert await uow.outbox.retry_failed(
            workspace_id=build.workspace_id, ids=None, now=later(90)
        ) == [ids[1]]
        await uow.commit()

    found = {
        r.id: r
        for r in await rows(
            engine, sa.select(outbox).where(outbox.c.workspace_id == build.workspace_id)
        )
    }
    for row_id, when in ((ids[0], later(60)), (ids[1], later(90))):
        r = found[row_id]
        assert (r.status, r.attempts, r.last_error, r.available_at) == ("pending", 0, None, when)
        assert r.created_at == when, "the retry window starts afresh"
    assert [found[i].status for i in ids[2:]] == ["sent", "pending"]
    assert all(found[i].attempts == 9 for i in ids[2:])
