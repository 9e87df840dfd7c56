"""Apps with small rate limits, on memory storage and on the Redis at 127.0.0.1:6379.

Each test counts under a key prefix of its own in Redis and removes its keys at
the end. Without a Redis server the Redis cases skip, saying why, unless
WARMINTRO_REQUIRE_REDIS=1 (or CI's WARMINTRO_REQUIRE_POSTGRES=1) makes that a failure.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI

from tests.clock import FakeClock
from tests.e2e.world import World
from tests.workspaces import Workspace, new_workspace
from warmintro.api.app import create_app
from warmintro.api.container import Container, bootstrap
from warmintro.infra.settings import Settings

REDIS = os.environ.get("WARMINTRO_TEST_REDIS", "redis://127.0.0.1:6379/0")
REQUIRE_REDIS = "1" in (
    os.environ.get("WARMINTRO_REQUIRE_REDIS"),
    os.environ.get("WARMINTRO_REQUIRE_POSTGRES"),
)
ALICE = ("203.0.113.7", 50000)
BOB = ("198.51.100.9", 50000)
# Every limit off unless a test turns it on: each test sees only the limit it names.
NO_LIMITS = {
    "rate_limit_per_api_key": "",
    "rate_limit_per_member": "",
    "rate_limit_per_ip_links": "",
    "rate_limit_auth_failures_per_ip": "",
}


async def redis_missing() -> str | None:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", 6379), 2)
    except (OSError, TimeoutError) as exc:
        return f"no Redis at 127.0.0.1:6379: {exc}"
    writer.close()
    await writer.wait_closed()
    return None


async def redis_storage() -> dict[str, str]:
    """Settings that count in Redis, under a prefix no other test uses."""
    problem = await redis_missing()
    if problem:
        if REQUIRE_REDIS:
            pytest.fail(f"WARMINTRO_REQUIRE_REDIS=1 but {problem}")
        pytest.skip(problem)
    prefix = f"warmintro-test-{secrets.token_hex(6)}"
    return {"rate_limit_storage": REDIS, "rate_limit_key_prefix": prefix}


@pytest.fixture(params=["memory", "redis"])
async def storage(request: pytest.FixtureRequest) -> dict[str, str]:
    if request.param == "memory":
        return {"rate_limit_storage": "memory://"}
    return await redis_storage()


@dataclass
class Limited:
    """One app with its own container (and so its own memory storage)."""

    container: Container
    app: FastAPI
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    def client(self, address: tuple[str, int] = ALICE, key: str | None = None) -> httpx.AsyncClient:
        """A client calling from `address`, with `key` as its bearer credential."""
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False, client=address)
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        client = httpx.AsyncClient(transport=transport, base_url="http://test", headers=headers)
        self.clients.append(client)
        return client

    async def workspace(self) -> Workspace:
        return await new_workspace(self.container)

    async def world(self) -> World:
        """A workspace with a client on its API key."""
        ws = await self.workspace()
        return World(self.client(key=ws.api_key), ws, self.container)


MakeApp = Callable[..., Awaitable[Limited]]


@pytest.fixture
async def limited(
    settings: Settings, clock: FakeClock, storage: dict[str, str]
) -> AsyncIterator[MakeApp]:
    """Builds apps whose limits are the given settings (all others off); apps built
    in one test share the storage (in Redis, the same prefix)."""
    made: list[Limited] = []

    async def make(**limits: str) -> Limited:
        update = {**NO_LIMITS, **storage, **limits}
        container = bootstrap(settings.model_copy(update=update), clock)
        made.append(Limited(container, create_app(container=container, migrate_on_start=False)))
        return made[-1]

    yield make
    for one in made:
        for client in one.clients:
            await client.aclose()
        await one.container.rate_limits.clear()
        await one.container.close()
