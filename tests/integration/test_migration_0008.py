"""0008 on SQLite and PostgreSQL: requests remember how a connector typed an expert
named by email; requests from before it remember nothing typed, and show whoever
they name by id, as they did."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.builder import NOW, TIMING, later
from warmintro.domain.ids import new_id
from warmintro.domain.intro_request import IntroRequest, NamedAs
from warmintro.domain.people import Workspace
from warmintro.infra import migrate
from warmintro.infra.database import make_engine
from warmintro.infra.repositories.intro_requests import SqlIntroRequests
from warmintro.infra.repositories.workspaces import SqlWorkspaces


@pytest.fixture
async def fresh_engine(fresh_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(fresh_database_url)
    yield engine
    await engine.dispose()


async def proposed_by_email(engine: AsyncEngine) -> IntroRequest:
    workspace = Workspace(id=new_id(), name="w", created_at=NOW)
    request = IntroRequest.open_new(
        workspace_id=workspace.id,
        asker_id=new_id(),
        connector_id=(connector := new_id()),
        topic="t",
        message="m",
        now=NOW,
        timing=TIMING,
    )
    request.propose(connector, new_id(), "", later(1), TIMING, NamedAs("e@example.org", "E"))
    async with engine.begin() as conn:
        await SqlWorkspaces(conn).add(workspace)
        await SqlIntroRequests(conn).add(request)
    return request


async def load(engine: AsyncEngine, request: IntroRequest) -> IntroRequest:
    async with engine.connect() as conn:
        got = await SqlIntroRequests(conn).get(request.workspace_id, request.id)
    assert got is not None
    return got


async def test_a_request_keeps_what_was_typed_and_one_from_before_has_nothing_typed(
    fresh_engine: AsyncEngine,
) -> None:
    await migrate.upgrade(fresh_engine)
    request = await proposed_by_email(fresh_engine)
    assert (await load(fresh_engine, request)).expert_named_as == NamedAs("e@example.org", "E")

    await migrate.downgrade(fresh_engine, "0007")
    await migrate.upgrade(fresh_engine)

    got = await load(fresh_engine, request)
    assert got.expert_named_as is None
    assert isinstance(got.expert_id, uuid.UUID)
