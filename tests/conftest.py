"""Shared fixtures: a migrated database per backend, the app's container on it,
and a workspace per test.

Every test works in a workspace of its own, and nothing crosses workspaces, so
tests share one migrated database per backend and never clean up after each other.
Suites that run the worker take a database of their own (`database_of_its_own`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.clock import FakeClock
from tests.databases import database_per_backend
from tests.settings import SettingsWithoutEnvFile
from tests.workspaces import Workspace, new_workspace
from warmintro.api.app import create_app
from warmintro.api.container import Container, bootstrap
from warmintro.infra.database import make_engine
from warmintro.infra.settings import Settings

database_url = database_per_backend("shared")


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The app's settings: the test database, nothing read from `.env`."""
    return SettingsWithoutEnvFile(database_url=database_url)


@pytest.fixture
async def container(settings: Settings, clock: FakeClock) -> AsyncIterator[Container]:
    container = bootstrap(settings, clock)
    yield container
    await container.close()


@pytest.fixture
async def workspace(container: Container) -> Workspace:
    return await new_workspace(container)


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
