"""Workers hear of commits made elsewhere. PostgreSQL: a unit of work that queued
email NOTIFYs inside its transaction, so a worker listening on a connection of its
own (here, on another engine) wakes when it commits and only then; the listener
listens again by itself when its session is terminated. SQLite: a commit by any
other connection wakes a worker watching the file's data version."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.databases import PG_ADMIN, discard_database, migrated_database
from warmintro.domain.events import EventType
from warmintro.domain.notifications import EmailIntent
from warmintro.domain.ports import WebhookMessage
from warmintro.domain.webhooks import WebhookEndpoint
from warmintro.infra.database import make_engine
from warmintro.infra.uow import SqlUnitOfWorkFactory
from warmintro.infra.wake_sources import LISTENER_NAME, PostgresNotifications, SqliteDataVersion

QUIET = 0.3
"""Seconds in which nothing must wake the worker."""


class Wakes:
    """The worker's `wake`, counted."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1

    async def reach(self, count: int, within: float = 5.0) -> None:
        deadline = time.monotonic() + within
        while self.count < count:
            assert time.monotonic() < deadline, f"{self.count} wakes, not {count}"
            await asyncio.sleep(0.005)


@pytest.fixture(scope="module")
async def pg_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    url = await migrated_database("postgres", tmp_path_factory, "wake")
    yield url
    await discard_database("postgres", url)


async def queue_an_email(uows: SqlUnitOfWorkFactory, *, commit: bool) -> None:
    intent = EmailIntent("connector_ask", uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    async with uows() as uow:
        await uow.outbox.add_emails(uuid.uuid4(), [intent], datetime.now(UTC))
        if commit:
            await uow.commit()


@asynccontextmanager
async def listening_elsewhere(pg_url: str) -> AsyncIterator[tuple[SqlUnitOfWorkFactory, Wakes]]:
    """Units of work on one engine, and the wakes of a worker listening on another."""
    listening, writing = make_engine(pg_url), make_engine(pg_url)
    wakes, stop = Wakes(), asyncio.Event()
    task = asyncio.create_task(PostgresNotifications(listening)(wakes, stop))
    try:
        await wakes.reach(1)  # listening; the first wake is for what came before
        yield SqlUnitOfWorkFactory(writing), wakes
    finally:
        stop.set()
        await task
        await listening.dispose()
        await writing.dispose()


@pytest.mark.postgres
async def test_a_commit_that_queued_email_wakes_a_worker_listening_elsewhere_and_only_then(
    pg_url: str,
) -> None:
    async with listening_elsewhere(pg_url) as (uows, wakes):
        async with uows() as uow:
            await uow.commit()  # nothing queued
        await queue_an_email(uows, commit=False)  # queued, rolled back
        await asyncio.sleep(QUIET)
        assert wakes.count == 1, "no NOTIFY without queued work that commits"

        await queue_an_email(uows, commit=True)
        await wakes.reach(2)


@pytest.mark.postgres
async def test_a_commit_that_queued_only_webhook_deliveries_wakes_a_worker_too(
    pg_url: str,
) -> None:
    """Queued email sends the wake-up with its insert; a unit of work that queued
    webhook deliveries and no email sends it at commit."""
    workspace_id, now = uuid.uuid4(), datetime.now(UTC)
    endpoint = WebhookEndpoint(
        uuid.uuid4(), workspace_id, "https://hooks.example.com/in", "secret", now, now
    )
    message = WebhookMessage(uuid.uuid4(), EventType.CREATED, {"type": "intro_request.created"})
    async with listening_elsewhere(pg_url) as (uows, wakes):
        async with uows() as uow:
            await uow.webhooks.add(endpoint)
            await uow.commit()
        await asyncio.sleep(QUIET)
        assert wakes.count == 1, "an endpoint alone queues nothing"

        async with uows() as uow:
            await uow.webhooks.enqueue(workspace_id, [message], now)
            assert uow.webhooks.queued == 1 and not uow.outbox.queued
            await uow.commit()
        await wakes.reach(2)


@pytest.mark.postgres
async def test_the_listener_listens_again_by_itself_when_its_session_is_terminated(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    listening, writing = make_engine(pg_url), make_engine(pg_url)
    source = PostgresNotifications(listening)
    wakes, stop = Wakes(), asyncio.Event()
    task = asyncio.create_task(source(wakes, stop))
    try:
        await wakes.reach(1)
        admin = await asyncpg.connect(PG_ADMIN)
        terminated = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = $1 AND datname = $2",
            LISTENER_NAME,
            make_url(pg_url).database,
        )
        await admin.close()
        assert terminated == 1

        await wakes.reach(2)  # listening again, and awake for what came meanwhile
        assert source.connections == 2
        await queue_an_email(SqlUnitOfWorkFactory(writing), commit=True)
        await wakes.reach(3)
    finally:
        stop.set()
        await task
        await listening.dispose()
        await writing.dispose()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], "quietly"


async def test_a_commit_by_another_connection_wakes_a_worker_watching_the_sqlite_file(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    url = await migrated_database("sqlite", tmp_path_factory, "wake")
    path = make_url(url).database
    assert path is not None
    engine = make_engine(url)
    wakes, stop = Wakes(), asyncio.Event()
    task = asyncio.create_task(SqliteDataVersion(path, every=0.01)(wakes, stop))
    try:
        await asyncio.sleep(QUIET)
        assert wakes.count == 0, "nothing committed, nothing to wake for"
        await queue_an_email(SqlUnitOfWorkFactory(engine), commit=True)
        await wakes.reach(1)
        await asyncio.sleep(QUIET)
        assert wakes.count == 1
    finally:
        stop.set()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await engine.dispose()
