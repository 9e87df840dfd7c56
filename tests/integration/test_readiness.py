"""`/readyz` answers 200 only when the database answers and its schema is at the
migration head this code expects; otherwise a 503 problem saying which. `/metrics`
still answers when the database does not."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.scrape import value
from tests.settings import SettingsWithoutEnvFile
from warmintro.api.app import create_app
from warmintro.api.container import bootstrap
from warmintro.infra import migrate
from warmintro.infra.database import make_engine


@asynccontextmanager
async def client_on(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    container = bootstrap(SettingsWithoutEnvFile(database_url=database_url))
    app = create_app(container=container, migrate_on_start=False)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as c:
            yield c
    finally:
        await container.close()


def assert_not_ready(r: httpx.Response, *words: str) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == "not_ready" and body["status"] == 503
    assert all(w in body["detail"] for w in words), body["detail"]


async def test_ready_on_a_database_at_the_head(app_client: httpx.AsyncClient) -> None:
    r = await app_client.get("/readyz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


async def test_not_ready_on_a_database_at_an_older_revision(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    await migrate.upgrade(engine, "0005")
    await engine.dispose()
    async with client_on(url) as c:
        assert_not_ready(await c.get("/readyz"), "0005", migrate.head_revision())

    engine = make_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()
    async with client_on(url) as c:
        assert (await c.get("/readyz")).status_code == 200


async def test_not_ready_on_a_database_never_migrated(tmp_path: Path) -> None:
    async with client_on(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}") as c:
        assert_not_ready(await c.get("/readyz"), "none")


async def test_not_ready_when_the_database_does_not_answer(tmp_path: Path) -> None:
    unreachable = f"sqlite+aiosqlite:///{tmp_path / 'no-such-directory' / 'x.db'}"
    async with client_on(unreachable) as c:
        assert_not_ready(await c.get("/readyz"), "does not answer")
        r = await c.get("/metrics")  # the request counts matter most in an outage
    assert r.status_code == 200
    assert math.isnan(value(r.text, "warmintro_outbox_pending")), "unknown, not a stale number"
    readyz = {"method": "GET", "route": "/readyz", "status": "503"}
    assert value(r.text, "warmintro_http_requests_total", **readyz) == 1


async def test_not_ready_when_postgresql_does_not_answer() -> None:
    # Nothing listens on port 1 of loopback: the connection is refused at once.
    async with client_on("postgresql+asyncpg://postgres@127.0.0.1:1/warmintro") as c:
        assert_not_ready(await c.get("/readyz"), "does not answer")
