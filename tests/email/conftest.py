"""Fixtures for the email suite: a database of its own, an empty queue per test.

The relay and the timer worker drain every workspace at once, so a test that
runs them would also send what other suites left queued (and fire their
timers when it moves the clock). This suite therefore works on its own
database per backend, and each test starts with no pending mail and no timers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import (
    BACKENDS,
    Workspace,
    create_postgres_database,
    drop_postgres_database,
    sqlite_url,
)
from tests.e2e.world import World
from tests.email.mailroom import Mailroom, empty_queue
from warmintro.api.container import Container
from warmintro.infra import migrate
from warmintro.infra.database import make_engine


@pytest.fixture(scope="session", params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A migrated database on each backend, private to the email suite."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path_factory.mktemp("email-sqlite"))
    else:
        url = await create_postgres_database()
    engine = make_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()
    yield url
    if request.param == "postgres":
        await drop_postgres_database(url)


@pytest.fixture
async def quiet_queue(container: Container) -> None:
    """Nothing pending and no timers: what a test sends is what it caused."""
    await empty_queue(container.engine)


@pytest.fixture
async def world(
    quiet_queue: None, api: httpx.AsyncClient, workspace: Workspace, container: Container
) -> World:
    return World(api, workspace, container)


@pytest.fixture
def mailroom(quiet_queue: None, container: Container, workspace: Workspace) -> Mailroom:
    return Mailroom(container, workspace.id)
