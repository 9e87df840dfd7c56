"""The whole service live on loopback, as people meet it: uvicorn on a free port,
its worker running, PUBLIC_BASE_URL pointing at itself, and a World driving a new
workspace through its API key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from tests.e2e.servers import base_url, loopback_socket, serving
from tests.e2e.world import World
from tests.workspaces import new_workspace
from warmintro.api.app import create_app
from warmintro.api.container import bootstrap
from warmintro.domain.ports import Clock
from warmintro.infra.settings import Settings


@asynccontextmanager
async def live(
    settings: Settings, clock: Clock, workspace: str, *, access_log: bool = False
) -> AsyncIterator[World]:
    """Yields the World; its `base_url` is where the links in emails point. With
    `access_log`, uvicorn logs every request, as `serve` does."""
    sock = loopback_socket()
    container = bootstrap(settings.model_copy(update={"public_base_url": base_url(sock)}), clock)
    app = create_app(container=container, migrate_on_start=False, run_worker=True)
    try:
        async with serving(app, sock, access_log=access_log) as url:
            created = await new_workspace(container, workspace)
            headers = {"Authorization": f"Bearer {created.api_key}"}
            async with httpx.AsyncClient(base_url=url, headers=headers, trust_env=False) as api:
                yield World(api, created, container)
    finally:
        await container.close()
