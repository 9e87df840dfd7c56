"""Mail that is never lost: an SMTP outage of two days (on an injected clock) sends
every email exactly once when it ends; an email fails only after its workspace's
retry window or at once on a permanent refusal; what failed shows in
`warmintro outbox list` and in the metrics, and `warmintro outbox retry` sends it.

The SMTP server is real (aiosmtpd on loopback); "down" is nothing listening on
its port. The command line runs as `warmintro` would, in a thread of its own,
on the same database.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.clock import FakeClock
from tests.databases import database_of_its_own
from tests.e2e.mail import drain
from tests.logs import logging_put_back
from tests.scrape import value
from tests.smtp import SmtpCatcher, smtp_server, smtp_transport
from warmintro.api import cli
from warmintro.api.app import create_app
from warmintro.api.container import Container
from warmintro.domain.access import Principal
from warmintro.domain.commands import CreateIntroRequest, CreatePerson, CreateWorkspace
from warmintro.domain.people import Workspace
from warmintro.infra.tables import outbox

database_url, container = database_of_its_own("delivery")
smtp_port, settings, catcher = smtp_transport()

ASKER = "ada@example.com"
OUTAGE = timedelta(days=2)
STEP = timedelta(minutes=20)


@pytest.fixture
def clock() -> FakeClock:
    """Starts at the real time: `outbox retry` on the command line runs on the
    system clock and must queue mail that is due for the relay."""
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


async def asks(container: Container, n: int, name: str = "Delivery") -> tuple[Workspace, list[str]]:
    """A workspace and `n` asks in it, each queueing one email to its connector;
    returns the connectors' addresses."""
    created = await container.use_cases(CreateWorkspace(f"{name}-{uuid.uuid4().hex[:6]}"))
    operator = Principal(created.workspace, None, operator=True)
    asker = await container.use_cases(CreatePerson(ASKER, "Ada Asker"), operator)
    emails = []
    for i in range(n):
        email = f"connector{i}@example.org"
        connector = await container.use_cases(CreatePerson(email, f"Connector {i}"), operator)
        await container.use_cases(
            CreateIntroRequest(connector.id, "pricing", "How do I price it?", asker.id), operator
        )
        emails.append(email)
    return created.workspace, emails


async def rows(
    container: Container, workspace: Workspace, template: str = "connector_ask"
) -> list[Any]:
    """The workspace's outbox rows of one template (timers add reminders as days go by)."""
    async with container.engine.connect() as conn:
        found = await conn.execute(
            outbox.select().where(
                outbox.c.workspace_id == workspace.id, outbox.c.template == template
            )
        )
        return list(found)


async def outbox_statuses(container: Container) -> Counter[str]:
    """How many rows of each status the whole outbox holds."""
    async with container.engine.connect() as conn:
        return Counter(status for (status,) in await conn.execute(sa.select(outbox.c.status)))


async def warmintro(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run the command line; its output."""
    capsys.readouterr()
    with logging_put_back():  # main() configures logging for its process
        await asyncio.to_thread(cli.main, list(argv))
    return capsys.readouterr().out


@pytest.fixture
def command_line_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any, database_url: str) -> None:
    """`warmintro` configured by the environment, on the test's database."""
    monkeypatch.chdir(tmp_path)  # no developer's .env
    monkeypatch.setenv("DATABASE_URL", database_url)


async def test_a_two_day_outage_loses_nothing_and_each_email_goes_once_it_ends(
    container: Container, clock: FakeClock, smtp_port: int
) -> None:
    workspace, connectors = await asks(container, 5)
    started = clock.now()
    while clock.now() - started < OUTAGE:
        await drain(container.worker)
        statuses = Counter(r.status for r in await rows(container, workspace))
        assert statuses == {"pending": 5}, (clock.now() - started, statuses)
        clock.advance(STEP)
    attempts = [r.attempts for r in await rows(container, workspace)]
    assert min(attempts) > 30, "tried all along, about hourly once backed off"
    for row in await rows(container, workspace):
        assert row.last_error and "SMTP unavailable" in row.last_error
        assert "example.org" not in row.last_error

    with smtp_server(smtp_port, SmtpCatcher()) as catcher:
        for _ in range(7):  # the longest wait is an hour
            await drain(container.worker)
            clock.advance(STEP)
        found = await rows(container, workspace)
        news = await rows(container, workspace, "asker_ask_sent")
        assert {r.status for r in found + news} == {"sent"}
        to_connectors = [m for r in catcher.received for m in r.rcpt_tos if m != ASKER]
        assert Counter(to_connectors) == Counter(connectors)
        assert sorted(r.message["Message-ID"] for r in catcher.received) == sorted(
            r.message_id for r in found + news
        )
        clock.advance(timedelta(days=3))  # leases long gone; reminders are due by now
        await drain(container.worker)
    sent_ids = Counter(r.message["Message-ID"] for r in catcher.received)
    assert all(sent_ids[r.message_id] == 1 for r in found), "never a second time"
    assert set(sent_ids.values()) == {1}


async def test_past_the_retry_window_an_email_fails_and_outbox_retry_sends_it(
    container: Container,
    clock: FakeClock,
    smtp_port: int,
    capsys: pytest.CaptureFixture[str],
    command_line_env: None,
) -> None:
    workspace, [connector] = await asks(container, 1)
    [row] = await rows(container, workspace)
    window_ends = row.created_at + workspace.timing.email_retry
    while clock.now() < window_ends:
        await drain(container.worker)
        [row] = await rows(container, workspace)
        assert row.status == "pending"
        clock.advance(timedelta(hours=1))
    await drain(container.worker)
    [row] = await rows(container, workspace)
    assert row.status == "failed"
    assert row.last_error.startswith("gave up: SMTP unavailable")

    listed = await warmintro(capsys, "outbox", "list", "--workspace", workspace.name)
    [line] = [line for line in listed.splitlines() if line.startswith(str(row.id))]
    fields = line.split("\t")
    assert fields[:5] == [str(row.id), workspace.name, "connector_ask", "failed", str(row.attempts)]
    assert "gave up" in fields[6]
    assert "@" not in listed, "no addresses"
    assert (
        await warmintro(capsys, "outbox", "list", "--status", "sent", "--workspace", workspace.name)
        == "no emails sent\n"
    )

    out = await warmintro(capsys, "outbox", "retry", str(row.id))
    assert f"queued again: {row.id}" in out
    [row] = await rows(container, workspace)
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, None)

    with smtp_server(smtp_port, SmtpCatcher()) as catcher:
        await drain(container.worker)
    [row] = await rows(container, workspace)
    assert row.status == "sent"
    got = catcher.by_message_id(row.message_id)
    assert got.rcpt_tos == [connector]


async def test_a_permanent_refusal_fails_at_once_and_shows_in_the_list_and_the_metrics(
    container: Container,
    clock: FakeClock,
    catcher: SmtpCatcher,
    capsys: pytest.CaptureFixture[str],
    command_line_env: None,
) -> None:
    catcher.refuse = {"connector0@example.org", "connector1@example.org"}
    workspace, _ = await asks(container, 2, "Refused")
    await drain(container.worker)
    found = await rows(container, workspace)
    assert [(r.status, r.attempts) for r in found] == [("failed", 1)] * 2
    assert all("550" in r.last_error and "example.org" not in r.last_error for r in found)
    assert [m for r in catcher.received for m in r.rcpt_tos] == [ASKER] * 2, "the asker's news"

    await asks(container, 1, "Waiting")  # one more, not sent yet
    clock.advance(timedelta(minutes=5))
    app = create_app(container=container, migrate_on_start=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        metrics = (await client.get("/metrics")).text
    # The gauges count the whole outbox, which earlier tests on this database share.
    statuses = await outbox_statuses(container)
    assert statuses["failed"] >= 2 and statuses["pending"] == 2  # the ask, the asker's news
    assert value(metrics, "warmintro_outbox_failed") == statuses["failed"]
    assert value(metrics, "warmintro_outbox_pending") == 2
    assert value(metrics, "warmintro_outbox_oldest_pending_seconds") == 300
    assert value(metrics, "warmintro_outbox_sends_total", outcome="failed") == 2

    listed = await warmintro(capsys, "outbox", "list", "--status", "failed")
    assert sum(str(r.id) in listed for r in found) == 2

    catcher.refuse.clear()
    out = await warmintro(capsys, "outbox", "retry", "--all-failed", "--workspace", workspace.name)
    assert "2 email(s) queued again" in out
    await drain(container.worker)
    assert {r.status for r in await rows(container, workspace)} == {"sent"}
