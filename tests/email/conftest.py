"""Fixtures for the email suite: a database of its own, an empty queue per test.

The relay and the timer worker drain every workspace at once, so a test that
runs them would also send what other suites left queued (and fire their
timers when it moves the clock). This suite therefore works on its own
database per backend, and each test starts with no pending mail and no timers.
"""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Workspace, database_per_backend
from tests.e2e.world import World
from tests.email.mailroom import Mailroom
from warmintro.api.container import Container

database_url = database_per_backend("email")


@pytest.fixture
async def world(
    quiet_queue: None, api: httpx.AsyncClient, workspace: Workspace, container: Container
) -> World:
    return World(api, workspace, container)


@pytest.fixture
def mailroom(quiet_queue: None, container: Container, workspace: Workspace) -> Mailroom:
    return Mailroom(container, workspace.id)
