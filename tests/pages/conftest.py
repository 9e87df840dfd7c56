"""Fixtures for the email action pages: the API driver, the captured inbox, and a
visitor (someone clicking a link in an email: no credentials at all).

Like the email suite, this one runs the worker, which drains every workspace, so
it works on a database of its own and starts each test with an empty queue."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import Workspace, database_per_backend
from tests.e2e.world import World
from tests.pages.inbox import Inbox
from warmintro.api.app import create_app
from warmintro.api.container import Container

database_url = database_per_backend("pages")


@pytest.fixture
async def world(
    quiet_queue: None, api: httpx.AsyncClient, workspace: Workspace, container: Container
) -> World:
    return World(api, workspace, container)


@pytest.fixture
def inbox(quiet_queue: None, container: Container, workspace: Workspace) -> Inbox:
    return Inbox(container, workspace.id)


@pytest.fixture
async def visitor(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(container=container, migrate_on_start=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
        yield client
