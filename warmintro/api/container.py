"""The composition root: builds every adapter once and hands them to the app."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from warmintro.api.metrics import Metrics
from warmintro.domain.access import Authenticator
from warmintro.domain.ports import Clock
from warmintro.infra.clock import SystemClock
from warmintro.infra.database import make_engine
from warmintro.infra.idempotency import IdempotencyStore
from warmintro.infra.settings import Settings
from warmintro.infra.tokens import MemberTokens
from warmintro.infra.uow import SqlUnitOfWorkFactory


@dataclass
class Container:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    uow: SqlUnitOfWorkFactory
    tokens: MemberTokens
    auth: Authenticator
    idempotency: IdempotencyStore
    metrics: Metrics

    async def close(self) -> None:
        await self.engine.dispose()


def bootstrap(settings: Settings, clock: Clock | None = None) -> Container:
    clock = clock or SystemClock()
    engine = make_engine(settings.database_url)
    uow = SqlUnitOfWorkFactory(engine)
    tokens = MemberTokens(settings.secret_key, settings.previous_secret_keys, clock)
    return Container(
        settings=settings,
        clock=clock,
        engine=engine,
        uow=uow,
        tokens=tokens,
        auth=Authenticator(uow, tokens, ttl_seconds=settings.api_key_cache_seconds),
        idempotency=IdempotencyStore(engine, clock),
        metrics=Metrics(),
    )
