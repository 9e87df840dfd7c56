"""The repository contract: every test in this folder runs on the fakes, on SQLite
and on PostgreSQL (but those marked SQL_ONLY), each in a workspace of its own.

The SQL repositories are the reference; a fake that answers differently is a bug
in the fake (or, if the SQL answer contradicts its port, in the application).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.databases import discard_database, migrated_database
from tests.integration.builder import Builder
from tests.integration.repositories.backends import KINDS, Backend
from tests.unit.fakes import FakeUnitOfWorkFactory
from warmintro.domain.ports import UnitOfWorkFactory
from warmintro.infra.database import make_engine
from warmintro.infra.uow import SqlUnitOfWorkFactory


@pytest.fixture(scope="session", params=KINDS)
async def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Backend]:
    if request.param == "fake":
        yield Backend("fake", None)
        return
    url = await migrated_database(request.param, tmp_path_factory, "repositories")
    engine = make_engine(url)
    try:
        yield Backend(request.param, engine)
    finally:
        await engine.dispose()
        await discard_database(request.param, url)


@pytest.fixture
def uows(backend: Backend) -> UnitOfWorkFactory:
    """Units of work on the backend; the fakes get a fresh store for each test."""
    if backend.engine is None:
        return FakeUnitOfWorkFactory()
    return SqlUnitOfWorkFactory(backend.engine)


@pytest.fixture
def build(uows: UnitOfWorkFactory, ws_id: uuid.UUID) -> Builder:
    return Builder(uows, ws_id)


@pytest.fixture
def engine(backend: Backend) -> AsyncEngine:
    """The SQL database, for tests marked SQL_ONLY."""
    assert backend.engine is not None, "this test reads SQL tables: mark it SQL_ONLY"
    return backend.engine
