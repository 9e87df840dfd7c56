"""Fixtures for the HTTP end-to-end suite (the drivers live in tests/e2e/world.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import Workspace
from tests.e2e.world import Party, World
from warmintro.api.app import create_app
from warmintro.api.container import Container


@pytest.fixture
async def world(api: httpx.AsyncClient, workspace: Workspace, container: Container) -> World:
    return World(api, workspace, container)


@pytest.fixture
async def party(world: World) -> Party:
    """Asker, connector, a would-be expert and one ask awaiting the connector."""
    return await world.party()


@pytest.fixture
async def anon(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the same app state with no credentials at all."""
    app = create_app(container=container, migrate_on_start=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
