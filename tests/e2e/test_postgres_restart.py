"""PostgreSQL restarted in the middle of a load of creates: no request hangs, the
service recovers by itself, nothing committed is lost, and the worker sends each
email once when the database is back. And PostgreSQL going away right after the
provider took an email: it is marked sent when the server is back, not resent.

The server is the test's own (tests/postgres_cluster.py): the shared one serves
the other tests. The app is live on loopback with its worker, sending by SMTP to
a catcher; eight clients post asks, each with a client timeout, while `pg_ctl
restart -m fast` cuts every session off.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
import sqlalchemy as sa

from tests.e2e.live import live
from tests.e2e.mail import drain, tag
from tests.e2e.servers import free_port
from tests.e2e.world import World, assert_problem
from tests.postgres_cluster import PostgresCluster, postgres_cluster
from tests.settings import SettingsWithoutEnvFile
from tests.smtp import SmtpCatcher, smtp_server
from tests.workspaces import new_workspace
from warmintro.api.app import create_app
from warmintro.api.container import bootstrap
from warmintro.domain.ports import OutgoingEmail
from warmintro.infra import migrate
from warmintro.infra.clock import SystemClock
from warmintro.infra.database import make_engine
from warmintro.infra.tables import intro_requests, outbox

pytestmark = pytest.mark.postgres

CLIENTS = 8
CLIENT_TIMEOUT = 10.0
"""A request without an answer by then hung."""
BEFORE = 1.5
"""Seconds of load before the restart."""
RECOVERY = 5.0
"""After the server is back, every request started later than this succeeds."""
AFTER = 7.0
"""Seconds of load after the server is back."""
PAUSE = 0.25
"""Between one client's requests: a bounded load (the worker drains it in seconds)."""
DRAIN = 60.0


@dataclass(frozen=True)
class Answer:
    started: float
    ended: float
    response: httpx.Response

    @property
    def status(self) -> int:
        return self.response.status_code


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    with postgres_cluster() as cluster:
        yield cluster


@pytest.fixture
async def database_url(cluster: PostgresCluster) -> AsyncIterator[str]:
    admin = await asyncpg.connect(cluster.admin_url)
    await admin.execute("CREATE DATABASE warmintro")
    await admin.close()
    url = cluster.url("warmintro")
    engine = make_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()
    yield url
    admin = await asyncpg.connect(cluster.admin_url)
    await admin.execute("DROP DATABASE warmintro WITH (FORCE)")
    await admin.close()


async def load(
    world: World, people: list[str], stop: asyncio.Event
) -> tuple[list[Answer], list[str]]:
    """Eight clients posting asks (a new topic each) until `stop`, each waiting for its
    answer and a short pause before the next. Returns the answers, and the requests
    that got none (timed out, or the connection failed)."""
    answers: list[Answer] = []
    unanswered: list[str] = []
    numbers = iter(range(1_000_000))

    async def client() -> None:
        async with httpx.AsyncClient(
            base_url=world.api.base_url,
            headers=world.api.headers,
            timeout=CLIENT_TIMEOUT,
            trust_env=False,
        ) as http:
            while not stop.is_set():
                n = next(numbers)
                body = {
                    "asker_id": people[n % len(people)],
                    "connector_id": people[(n + 1) % len(people)],
                    "topic": f"restart {n}",
                    "message": "Asked while the database restarts.",
                }
                started = time.monotonic()
                try:
                    r = await http.post("/v1/intro-requests", json=body)
                except httpx.HTTPError as exc:
                    unanswered.append(repr(exc))
                else:
                    answers.append(Answer(started, time.monotonic(), r))
                await asyncio.sleep(PAUSE)

    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return answers, unanswered


async def test_postgres_restarted_mid_load_recovers_by_itself_and_loses_nothing(
    cluster: PostgresCluster, database_url: str
) -> None:
    smtp_port = free_port()
    with smtp_server(smtp_port, SmtpCatcher()) as catcher:
        settings = SettingsWithoutEnvFile(
            database_url=database_url,
            email_backend="smtp",
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            send_timeout_seconds=5,
        )
        async with live(settings, SystemClock(), "restart") as world:
            r = await world.api.patch("/v1/workspace", json={"budgets": {"connector_open": 100}})
            assert r.status_code == 200, r.text
            people = [await world.pid() for _ in range(12)]

            stop = asyncio.Event()
            running = asyncio.create_task(load(world, people, stop))
            await asyncio.sleep(BEFORE)
            down = time.monotonic()
            await asyncio.to_thread(cluster.restart)
            back = time.monotonic()
            await asyncio.sleep(AFTER)
            stop.set()
            answers, unanswered = await running

            assert not unanswered, "every request is answered in time"
            assert any(a.started < back and a.ended > down for a in answers), "load met the restart"
            statuses = Counter(a.status for a in answers)
            assert set(statuses) <= {201, 503}, statuses
            for a in answers:
                if a.status == 503:
                    assert_problem(a.response, 503, "database_unavailable")
                    assert int(a.response.headers["Retry-After"]) >= 1

            late = [a for a in answers if a.started > back + RECOVERY]
            assert len(late) >= CLIENTS, "the load went on after the restart"
            assert {a.status for a in late} == {201}, "recovered without restarting the app"

            created = {a.response.json()["id"] for a in answers if a.status == 201}
            engine = world.container.engine
            async with engine.connect() as conn:
                stored = set(
                    str(i)
                    for i in await conn.scalars(
                        sa.select(intro_requests.c.id).where(
                            intro_requests.c.workspace_id == world.workspace.id
                        )
                    )
                )
            assert created <= stored, f"{len(created - stored)} answered 201 but not stored"

            rows = await drained(world)
            received = Counter(
                str(m.message["Message-ID"]).removeprefix("<").split("@")[0]
                for m in catcher.received
            )
            assert set(received) == rows, "every queued email went out"
            assert set(received.values()) == {1}, "and each once"


async def drained(world: World) -> set[str]:
    """The ids of the workspace's emails, once none waits to be sent; all were sent."""
    deadline = time.monotonic() + DRAIN
    while True:
        async with world.container.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(outbox.c.id, outbox.c.status).where(
                        outbox.c.workspace_id == world.workspace.id
                    )
                )
            ).all()
        waiting = [r for r in rows if r.status in ("pending", "sending")]
        if not waiting:
            assert {r.status for r in rows} == {"sent"}, Counter(r.status for r in rows)
            return {str(r.id) for r in rows}
        assert time.monotonic() < deadline, f"{len(waiting)} emails still wait after {DRAIN} s"
        await asyncio.sleep(0.5)


class StopsTheDatabase:
    """A transport that takes the first email, then takes PostgreSQL down before
    the relay can mark it sent; the server is back `DOWN_FOR` seconds later."""

    DOWN_FOR = 2.0

    def __init__(self, cluster: PostgresCluster) -> None:
        self.cluster = cluster
        self.sent: list[OutgoingEmail] = []
        self.comeback: asyncio.Task[None] | None = None

    async def send(self, email: OutgoingEmail) -> str | None:
        self.sent.append(email)
        if self.comeback is None:
            await asyncio.to_thread(self.cluster.stop)
            self.comeback = asyncio.create_task(self._start_later())
        return None

    async def _start_later(self) -> None:
        await asyncio.sleep(self.DOWN_FOR)
        await asyncio.to_thread(self.cluster.start)


async def test_postgres_down_after_the_provider_took_an_email_it_is_marked_sent_not_resent(
    cluster: PostgresCluster, database_url: str
) -> None:
    mailer = StopsTheDatabase(cluster)
    settings = SettingsWithoutEnvFile(database_url=database_url)
    container = bootstrap(settings, SystemClock(), mailer=mailer)
    try:
        workspace = await new_workspace(container)
        app = create_app(container=container, migrate_on_start=False)
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {workspace.api_key}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=headers
        ) as api:
            await World(api, workspace, container).party()

        await drain(container.worker)
        assert mailer.comeback is not None and mailer.comeback.done(), "the server went away"
        async with container.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(outbox.c.id, outbox.c.status).where(
                        outbox.c.workspace_id == workspace.id
                    )
                )
            ).all()
        assert len(rows) >= 2 and {r.status for r in rows} == {"sent"}, rows
        sent = Counter(tag(e, "outbox_id") for e in mailer.sent)
        assert sent == {str(r.id): 1 for r in rows}, "each email went once"
        assert await drain(container.worker) == 0
    finally:
        await container.close()
