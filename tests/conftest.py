"""Shared fixtures: databases (SQLite and a fresh PostgreSQL database per run),
the app on either, and a workspace per test.

Every test works in a workspace of its own, and nothing crosses workspaces, so
tests share one migrated database per backend and never clean up after each other.

PostgreSQL: WARMINTRO_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/postgres)
names a server where a database `warmintro_test_<random>` is created and dropped
at the end. If no server answers, PostgreSQL tests are skipped with the reason,
unless WARMINTRO_REQUIRE_POSTGRES=1 (as in CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support import FakeClock, empty_queues, new_workspace
from warmintro.api.app import create_app
from warmintro.api.container import Container, bootstrap
from warmintro.infra import migrate
from warmintro.infra.database import make_engine
from warmintro.infra.settings import Settings

PG_ADMIN = os.environ.get(
    "WARMINTRO_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_PG = os.environ.get("WARMINTRO_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


async def _pg_available() -> str | None:
    try:
        conn = await asyncpg.connect(PG_ADMIN, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        return f"no PostgreSQL at {PG_ADMIN}: {exc}"
    await conn.close()
    return None


async def create_postgres_database() -> str:
    """A fresh, empty PostgreSQL database for this test run (skips or fails if none)."""
    problem = await _pg_available()
    if problem:
        if REQUIRE_PG:
            pytest.fail(f"WARMINTRO_REQUIRE_POSTGRES=1 but {problem}")
        pytest.skip(problem)
    name = f"warmintro_test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{name}"


async def drop_postgres_database(url: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    await admin.close()


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'warmintro.db'}"


async def migrated_database(kind: str, tmp_path_factory: pytest.TempPathFactory, label: str) -> str:
    """A new database of `kind` (sqlite or postgres), migrated to head."""
    if kind == "sqlite":
        url = sqlite_url(tmp_path_factory.mktemp(f"{label}-sqlite"))
    else:
        url = await create_postgres_database()
    engine = make_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()
    return url


async def discard_database(kind: str, url: str) -> None:
    if kind == "postgres":
        await drop_postgres_database(url)


def database_per_backend(label: str) -> Any:
    """A session fixture: a migrated database on each backend. Suites that run the
    worker, which drains every workspace, take one of their own:
    `database_url = database_per_backend("email")` in their conftest."""

    @pytest.fixture(scope="session", params=BACKENDS, name="database_url")
    async def fixture(
        request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
    ) -> AsyncIterator[str]:
        url = await migrated_database(request.param, tmp_path_factory, label)
        yield url
        await discard_database(request.param, url)

    return fixture


database_url = database_per_backend("shared")


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def quiet_queue(container: Container) -> None:
    """Nothing pending and no timers: what a test sends is what it caused."""
    await empty_queues(container.engine)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def container(database_url: str, clock: FakeClock) -> AsyncIterator[Container]:
    container = bootstrap(Settings(database_url=database_url, _env_file=None), clock)
    yield container
    await container.close()


@dataclass
class Workspace:
    id: uuid.UUID
    api_key: str


@pytest.fixture
async def workspace(container: Container, clock: FakeClock) -> Workspace:
    ws, key = await new_workspace(container, f"test-{secrets.token_hex(3)}")
    return Workspace(ws.id, key)


@pytest.fixture
async def app_client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the app, unauthenticated."""
    app = create_app(container=container, migrate_on_start=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
async def api(app_client: httpx.AsyncClient, workspace: Workspace) -> httpx.AsyncClient:
    """The HTTP client with the workspace's API key."""
    app_client.headers["Authorization"] = f"Bearer {workspace.api_key}"
    return app_client
