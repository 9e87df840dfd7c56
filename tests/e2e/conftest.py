"""Fixtures for the end-to-end suites: the API driver, its mailroom, a party, and
a client with no credentials (a visitor following a link, or an attacker)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.e2e.command_line import command_line_env  # noqa: F401 (a fixture)
from tests.e2e.mail import Mailroom
from tests.e2e.world import Party, World
from tests.workspaces import Workspace
from warmintro.api.app import create_app
from warmintro.api.container import Container


@pytest.fixture
async def world(api: httpx.AsyncClient, workspace: Workspace, container: Container) -> World:
    return World(api, workspace, container)


@pytest.fixture
def mailroom(world: World) -> Mailroom:
    return world.mail


@pytest.fixture
async def party(world: World) -> Party:
    """Asker, connector, a would-be expert and one ask awaiting the connector."""
    return await world.party()


@pytest.fixture
async def visitor(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the same app with no credentials at all: someone following a link
    from an email, or an attacker."""
    app = create_app(container=container, migrate_on_start=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
