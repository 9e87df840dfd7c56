"""What every command shares: the configuration (which also sets up logging), the
embedded database's migration, and running one use case against the database."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from warmintro.infra.logging import configure_logging
from warmintro.infra.settings import Settings

if TYPE_CHECKING:
    from warmintro.api.container import Container

T = TypeVar("T")


def settings_or_exit() -> Settings:
    """The configuration; every command that reads it logs in the format it names."""
    try:
        settings = Settings()
    except ValueError as exc:
        sys.exit(f"warmintro: configuration error: {exc}")
    configure_logging(settings.logs_as, settings.log_level)
    return settings


def migrate_database(settings: Settings) -> None:
    from warmintro.infra.database import make_engine
    from warmintro.infra.migrate import upgrade

    async def run() -> None:
        engine = make_engine(settings.database_url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())


def run_use_case(settings: Settings, run: Callable[[Container], Awaitable[T]]) -> T:
    """Run `run(container)` against the configured database, and close it; a domain
    error ends the command with its message."""
    from warmintro.api.container import bootstrap
    from warmintro.domain.errors import DomainError

    if settings.is_sqlite:
        migrate_database(settings)

    async def go() -> T:
        container = bootstrap(settings)
        try:
            return await run(container)
        finally:
            await container.close()

    try:
        return asyncio.run(go())
    except DomainError as exc:
        sys.exit(f"warmintro: {exc.detail}")


def safe_url(url: str) -> str:
    head, sep, tail = url.rpartition("@")
    return f"{head.split('://')[0]}://…@{tail}" if sep else url
