"""Fixtures for the integration suite: a workspace id per test, a builder of stored
domain objects, and fresh (unmigrated) databases for the migration tests.

Tests here share the session's migrated database per backend (`engine`) and
isolate themselves with a workspace id of their own (`ws_id`): every query is
keyed by workspace, so nothing one test writes is visible to another. The
repository contract (tests/integration/repositories) also runs on the fakes.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.databases import BACKENDS, create_postgres_database, drop_postgres_database, sqlite_url
from tests.integration.builder import Builder
from warmintro.domain.ids import new_id
from warmintro.infra.uow import SqlUnitOfWorkFactory


@pytest.fixture
def ws_id() -> uuid.UUID:
    """A workspace id no other test uses; the repositories need no workspace row."""
    return new_id()


@pytest.fixture
def build(engine: AsyncEngine, ws_id: uuid.UUID) -> Builder:
    return Builder(SqlUnitOfWorkFactory(engine), ws_id)


@pytest.fixture(params=BACKENDS)
async def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database, never migrated, dropped after the test."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    url = await create_postgres_database()
    try:
        yield url
    finally:
        await drop_postgres_database(url)
