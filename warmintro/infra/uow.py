"""The SQL unit of work: one connection, one transaction per use case."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from warmintro.infra.database import connection_turn, write_turn
from warmintro.infra.repositories.action_links import SqlActionLinks
from warmintro.infra.repositories.connections import SqlConnections
from warmintro.infra.repositories.intro_requests import SqlIntroRequests
from warmintro.infra.repositories.matching import SqlPeopleMatching
from warmintro.infra.repositories.outbox import SqlOutbox
from warmintro.infra.repositories.people import SqlPeople
from warmintro.infra.repositories.provider_events import SqlProviderEvents
from warmintro.infra.repositories.retention import SqlRetention
from warmintro.infra.repositories.webhooks import SqlWebhooks
from warmintro.infra.repositories.workspaces import SqlApiKeys, SqlWorkspaces
from warmintro.infra.wake_sources import NOTIFY_WORK


class SqlUnitOfWork:
    """Rolls back unless `commit` was called; the only place that commits."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        write: bool = True,
        on_mail_queued: Callable[[], None] | None = None,
    ) -> None:
        self._engine = engine
        self._write = write
        self._on_mail_queued = on_mail_queued
        self._conn: AsyncConnection | None = None
        self._turn: AbstractAsyncContextManager[Any] | None = None
        self._pool_turn: AbstractAsyncContextManager[Any] | None = None

    async def __aenter__(self) -> Self:
        if self._write:
            self._turn = write_turn(self._engine)
            await self._turn.__aenter__()
        try:
            pool_turn = connection_turn(self._engine)
            await pool_turn.__aenter__()
            self._pool_turn = pool_turn
            conn = await self._begin()
        except BaseException:
            await self._end_turn()
            raise
        self._conn = conn
        self.workspaces = SqlWorkspaces(conn)
        self.api_keys = SqlApiKeys(conn)
        self.people = SqlPeople(conn)
        self.connections = SqlConnections(conn)
        self.matching = SqlPeopleMatching(conn)
        self.requests = SqlIntroRequests(conn)
        self.outbox = SqlOutbox(conn)
        self.webhooks = SqlWebhooks(conn)
        self.provider_events = SqlProviderEvents(conn)
        self.action_links = SqlActionLinks(conn)
        self.retention = SqlRetention(conn)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._conn is not None
        try:
            await self._restore_planning(exc_type)
            if self._conn.in_transaction():
                await self._conn.rollback()
        finally:
            try:
                await self._conn.close()
            finally:
                self._conn = None
                await self._end_turn()

    async def _restore_planning(self, exc_type: type[BaseException] | None) -> None:
        """A read's matching queries may have changed the session's planning
        (repositories/matching.py): put it back, or drop the connection rather than
        pool it changed."""
        assert self._conn is not None
        if not self.matching.changed_session:
            return
        if exc_type is None or issubclass(exc_type, Exception):
            try:
                await self.matching.restore()
                return
            except Exception:  # it is dropped instead
                pass
        await self._conn.invalidate()

    async def _begin(self) -> AsyncConnection:
        conn = await self._engine.connect()
        try:
            if self._write:
                await conn.begin()
            elif conn.dialect.name == "sqlite":
                await conn.execution_options(sqlite_begin="DEFERRED")
                await conn.begin()
            else:
                # PostgreSQL runs READ COMMITTED: each statement of a transaction sees
                # its own snapshot anyway, so a reader loses nothing by leaving out
                # BEGIN and ROLLBACK, two round trips of a one-statement read.
                await conn.execution_options(isolation_level="AUTOCOMMIT")
        except BaseException:
            await conn.close()
            raise
        return conn

    async def _end_turn(self) -> None:
        """Gives back the turns `__aenter__` took: at the pool, then to write."""
        if self._pool_turn is not None:
            pool_turn, self._pool_turn = self._pool_turn, None
            await pool_turn.__aexit__(None, None, None)
        if self._turn is not None:
            turn, self._turn = self._turn, None
            await turn.__aexit__(None, None, None)

    async def commit(self) -> None:
        assert self._conn is not None
        queued = self.outbox.queued or self.webhooks.queued
        if queued and self._conn.dialect.name == "postgresql" and not self.outbox.woke:
            # Heard by the workers of every process, and only if this commits.
            await self._conn.exec_driver_sql(NOTIFY_WORK)
        await self._conn.commit()
        if queued and self._on_mail_queued is not None:
            self._on_mail_queued()


class SqlUnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.on_mail_queued: Callable[[], None] | None = None
        """Set by the composition root to wake an in-process worker."""

    def __call__(self, *, write: bool = True) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, write=write, on_mail_queued=self.on_mail_queued)
