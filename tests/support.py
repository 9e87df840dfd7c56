"""Test doubles and helpers shared by the suites."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from warmintro.api.container import Container
from warmintro.domain.commands import CreateWorkspace
from warmintro.domain.handlers.env import Env
from warmintro.domain.people import Workspace
from warmintro.domain.use_cases import UseCases
from warmintro.infra.settings import Settings
from warmintro.infra.tables import outbox, timers, webhook_deliveries
from warmintro.infra.tokens import ActionTokens, MemberTokens
from warmintro.infra.uow import SqlUnitOfWorkFactory
from warmintro.infra.url_guard import UrlGuard


class FakeClock:
    """A clock tests move by hand, so deadlines and expiry need no sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


async def empty_queues(engine: AsyncEngine) -> None:
    """Set aside mail, webhook deliveries and timers earlier tests left behind, so a
    test that runs the worker sees only what it caused."""
    async with engine.begin() as conn:
        await conn.execute(
            outbox.update()
            .where(outbox.c.status.in_(("pending", "sending")))
            .values(status="skipped", locked_until=None, last_error="left by an earlier test")
        )
        await conn.execute(
            webhook_deliveries.update()
            .where(webhook_deliveries.c.status.in_(("pending", "sending")))
            .values(status="failed", locked_until=None, last_error="left by an earlier test")
        )
        await conn.execute(timers.delete())


def use_cases_on(engine: AsyncEngine, clock: FakeClock) -> UseCases:
    """The use cases on a database, with the real token codecs and address check."""
    settings = Settings(_env_file=None)
    secrets = (settings.secret_key, settings.previous_secret_keys)
    env = Env(
        SqlUnitOfWorkFactory(engine),
        clock,
        MemberTokens(*secrets, clock),
        ActionTokens(*secrets, clock),
        UrlGuard(allow_private=True),
    )
    return UseCases(env)


async def new_workspace(container: Container, name: str) -> tuple[Workspace, str]:
    """A workspace and its API key, made as the command line makes them."""
    created = await container.use_cases(CreateWorkspace(name))
    return created.workspace, created.api_key
