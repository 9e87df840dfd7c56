"""An app built from the settings a test names, on an in-memory SQLite database it
never migrates (unless the test names another): for what depends on configuration
alone (the docs, metrics, the headers, CORS, a database out of reach), not on
stored data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from tests.settings import SettingsWithoutEnvFile
from warmintro.api.app import create_app
from warmintro.api.container import bootstrap


@asynccontextmanager
async def app_with(**settings: Any) -> AsyncIterator[FastAPI]:
    settings = {"database_url": "sqlite+aiosqlite://", **settings}
    container = bootstrap(SettingsWithoutEnvFile(**settings))
    try:
        yield create_app(container=container, migrate_on_start=False)
    finally:
        await container.close()


def calling(app: FastAPI) -> httpx.AsyncClient:
    """A client on the app that sees its 500s as a browser would, not as exceptions."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@asynccontextmanager
async def client(**settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with app_with(**settings) as app, calling(app) as c:
        yield c
