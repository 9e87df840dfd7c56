"""Databases for the tests: SQLite files and fresh PostgreSQL databases, migrated
to head, and the fixtures that hand them out.

PostgreSQL: WARMINTRO_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/postgres)
names a server where a database `warmintro_test_<random>` is created and dropped
at the end. If no server answers, PostgreSQL tests are skipped with the reason,
unless WARMINTRO_REQUIRE_POSTGRES=1 (as in CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from warmintro.api.container import Container
from warmintro.infra import migrate
from warmintro.infra.database import make_engine
from warmintro.infra.tables import outbox, timers, webhook_deliveries

PG_ADMIN = os.environ.get(
    "WARMINTRO_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_PG = os.environ.get("WARMINTRO_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


async def postgres_problem() -> str | None:
    """Why no PostgreSQL answers at PG_ADMIN, or None when one does."""
    try:
        conn = await asyncpg.connect(PG_ADMIN, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        return f"no PostgreSQL at {PG_ADMIN}: {exc}"
    await conn.close()
    return None


async def create_postgres_database() -> str:
    """A fresh, empty PostgreSQL database for this test run (skips or fails if none)."""
    problem = await postgres_problem()
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
    """A session fixture `database_url`: a migrated database on each backend."""

    @pytest.fixture(scope="session", params=BACKENDS, name="database_url")
    async def fixture(
        request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
    ) -> AsyncIterator[str]:
        url = await migrated_database(request.param, tmp_path_factory, label)
        yield url
        await discard_database(request.param, url)

    return fixture


async def empty_queues(engine: AsyncEngine) -> None:
    """Set aside mail, webhook deliveries and timers earlier tests left behind, so a
    test that runs the worker sees only what it caused."""
    async with engine.begin() as conn:
        await conn.execute(
            outbox.update()
            .where(outbox.c.status.in_(("pending", "sending")))
            .values(status="skipped", locked_until=None, last_error="left by an earlier test")
        )
        await conn.execute(
            webhook_deliveries.update()
            .where(webhook_deliveries.c.status.in_(("pending", "sending")))
            .values(status="failed", locked_until=None, last_error="left by an earlier test")
        )
        await conn.execute(timers.delete())


def database_of_its_own(label: str) -> tuple[Any, Any]:
    """For a suite that runs the worker, which drains every workspace at once: a
    migrated database per backend of its own (`database_url`), and a `container`
    that starts with nothing queued and no timers, so what the worker sends is
    what the test caused. In the suite's conftest:

        database_url, container = database_of_its_own("email")
    """

    @pytest.fixture(name="container")
    async def quiet_container(container: Container) -> Container:
        await empty_queues(container.engine)
        return container

    return database_per_backend(label), quiet_container
