"""Fixtures for the integration suite: builders for domain objects, and fresh
(unmigrated) databases on each backend for the migration tests.

Repository tests share the session's migrated database per backend (`engine`)
and isolate themselves with a workspace id of their own (`ws_id`): every query
is keyed by workspace, so nothing one test writes is visible to another.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.databases import BACKENDS, create_postgres_database, drop_postgres_database, sqlite_url
from warmintro.domain.ids import new_id
from warmintro.domain.intro_request import IntroRequest
from warmintro.domain.people import Person, Timing
from warmintro.infra.uow import SqlUnitOfWork

NOW = datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def ws_id() -> uuid.UUID:
    """A workspace id no other test uses; the repositories need no workspace row."""
    return new_id()


class Builder:
    """Makes and stores people and requests in one workspace, each in its own
    committed unit of work, so tests read only what they set out to check."""

    def __init__(self, engine: AsyncEngine, workspace_id: uuid.UUID) -> None:
        self.engine = engine
        self.workspace_id = workspace_id
        self._n = count()

    def uow(self, *, write: bool = True) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, write=write)

    def person(self, **fields: object) -> Person:
        n = next(self._n)
        values: dict[str, object] = dict(
            id=new_id(),
            workspace_id=self.workspace_id,
            email=f"person{n}@example.com",
            name=f"Person {n}",
            created_at=NOW,
            updated_at=NOW,
        )
        values.update(fields)
        return Person(**values)  # type: ignore[arg-type]

    async def add_person(self, **fields: object) -> Person:
        person = self.person(**fields)
        async with self.uow() as uow:
            await uow.people.add(person)
            await uow.commit()
        return person

    def request(
        self,
        asker: uuid.UUID,
        connector: uuid.UUID,
        topic: str = "hiring rust engineers",
        now: datetime = NOW,
        **fields: object,
    ) -> IntroRequest:
        return IntroRequest.open_new(
            workspace_id=self.workspace_id,
            asker_id=asker,
            connector_id=connector,
            topic=topic,
            message="I run a small team and would love 20 minutes of advice.",
            now=now,
            timing=Timing(),
            **fields,  # type: ignore[arg-type]
        )

    async def add_request(
        self,
        asker: uuid.UUID,
        connector: uuid.UUID,
        topic: str = "hiring rust engineers",
        **kw: object,
    ) -> IntroRequest:
        request = self.request(asker, connector, topic, **kw)  # type: ignore[arg-type]
        async with self.uow() as uow:
            await uow.requests.add(request)
            await uow.commit()
        request.events.clear()  # as the handlers do once the outbox has them
        return request

    async def load(self, request_id: uuid.UUID) -> IntroRequest:
        async with self.uow(write=False) as uow:
            request = await uow.requests.get(self.workspace_id, request_id)
        assert request is not None
        return request


@pytest.fixture
def build(engine: AsyncEngine, ws_id: uuid.UUID) -> Builder:
    return Builder(engine, ws_id)


def later(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


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
