"""What wakes a worker when another process commits work, so that it need not poll.

PostgreSQL: a unit of work that queued email or webhooks sends `NOTIFY
warmintro_work` inside its transaction (delivered only if it commits), and each
worker LISTENs on one connection of its own. That connection is not the pool's:
it lives as long as the worker, and when it drops (PostgreSQL restarted, the
session was terminated) it is opened again, quietly, with a wake for whatever was
committed meanwhile. A ping every half minute finds a connection that died
without a word.

SQLite has no notifications, but a commit by any other connection changes the
file's data version (`PRAGMA data_version`), which a connection of the watcher's
own reads in a few microseconds, ten times a second: in `warmintro worker` only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger("warmintro.wakeups")

CHANNEL = "warmintro_work"
LISTENER_NAME = "warmintro worker: listening"
NOTIFY_WORK = f"SELECT pg_notify('{CHANNEL}', '')"
"""Sent in a transaction that queued work: listeners hear it when (if) it commits."""
PING_EVERY = 30.0
PING_TIMEOUT = 10.0
RECONNECT_WAITS = (0.1, 0.5, 1.0, 2.0, 5.0)
"""Seconds before each further try to listen again; the last repeats."""
DATA_VERSION_EVERY = 0.1
_SQLALCHEMY_ONLY = ("prepared_statement_cache_size", "prepared_statement_name_func")

WakeSource = Callable[[Callable[[], None], asyncio.Event], Coroutine[Any, Any, None]]
"""Runs beside a worker until the event is set, calling the function it is given
whenever another process may have queued work."""


def wake_sources(engine: AsyncEngine, *, watch_sqlite: bool) -> list[WakeSource]:
    """How a worker on this engine hears of commits made by other processes. On
    SQLite only with `watch_sqlite`, for a worker in a process of its own: `serve`'s
    worker hears the API's commits directly, and ten reads a second would be most
    of its idle cost; what the command line queues waits for its next look."""
    if engine.dialect.name == "postgresql":
        return [PostgresNotifications(engine)]
    database = engine.url.database
    if watch_sqlite and engine.dialect.name == "sqlite" and database and database != ":memory:":
        return [SqliteDataVersion(database)]
    return []


async def _sleep_or_stop(seconds: float, stop: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


class PostgresNotifications:
    """LISTENs for `CHANNEL` on a connection of its own, reconnecting when it drops."""

    def __init__(self, engine: AsyncEngine, *, ping_every: float = PING_EVERY) -> None:
        _, params = engine.dialect.create_connect_args(engine.url)
        self._params: dict[str, Any] = {
            k: v for k, v in params.items() if k not in _SQLALCHEMY_ONLY
        }
        # Named, so that an operator can tell it from the pool in pg_stat_activity.
        self._params["server_settings"] = {
            "application_name": LISTENER_NAME,
            **params.get("server_settings", {}),
        }
        self._ping_every = ping_every
        self.connections = 0
        """How many times a connection was opened and listened on."""

    async def __call__(self, wake: Callable[[], None], stop: asyncio.Event) -> None:
        failed = 0
        while not stop.is_set():
            try:
                conn = await asyncpg.connect(**self._params)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                if failed == 0:
                    log.warning(
                        "cannot listen for new work (%s); polling until PostgreSQL is back",
                        type(exc).__name__,
                    )
                await _sleep_or_stop(RECONNECT_WAITS[min(failed, len(RECONNECT_WAITS) - 1)], stop)
                failed += 1
                continue
            if failed:
                log.info("listening for new work again")
            failed = 0
            try:
                await self._listen(conn, wake, stop)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                pass  # dropped: listen again on a fresh connection
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.close(), PING_TIMEOUT)

    async def _listen(
        self, conn: asyncpg.Connection, wake: Callable[[], None], stop: asyncio.Event
    ) -> None:
        dropped = asyncio.Event()
        conn.add_termination_listener(lambda _: dropped.set())
        await conn.add_listener(CHANNEL, lambda *_: wake())
        self.connections += 1
        wake()  # whatever was committed while nobody listened
        while not stop.is_set() and not dropped.is_set():
            waits = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(dropped.wait())}
            done, pending = await asyncio.wait(
                waits, timeout=self._ping_every, return_when=asyncio.FIRST_COMPLETED
            )
            for wait in pending:
                wait.cancel()
            if not done:
                await asyncio.wait_for(conn.execute("SELECT 1"), PING_TIMEOUT)


class SqliteDataVersion:
    """Reads the data version of the SQLite file `path` every `every` seconds and
    wakes the worker when another connection has committed since."""

    def __init__(self, path: str, *, every: float = DATA_VERSION_EVERY) -> None:
        self._path = path
        # The file as it is, never created: the worker may only watch, not make, it.
        self._uri = f"{Path(path).absolute().as_uri()}?mode=rw"
        self._every = every

    async def __call__(self, wake: Callable[[], None], stop: asyncio.Event) -> None:
        conn = await self._open(stop)
        if conn is None:
            return
        try:
            seen = self._version(conn)
            while not stop.is_set():
                # A plain sleep: the cheapest wait there is, and the worker cancels
                # this task when it stops.
                await asyncio.sleep(self._every)
                version = self._version(conn)
                if version != seen:
                    seen = version
                    wake()
        finally:
            conn.close()

    async def _open(self, stop: asyncio.Event) -> sqlite3.Connection | None:
        """A connection of its own, with no busy wait: a locked file answers at once."""
        warned = False
        while not stop.is_set():
            try:
                return sqlite3.connect(self._uri, uri=True, timeout=0, isolation_level=None)
            except sqlite3.Error as exc:
                if not warned:
                    log.warning("cannot watch %s for commits (%s)", self._path, exc)
                    warned = True
            await _sleep_or_stop(1.0, stop)
        return None

    @staticmethod
    def _version(conn: sqlite3.Connection) -> int | None:
        """The data version, or None while it cannot be read. Read to the end, so
        that no statement is left open holding a snapshot of the WAL."""
        try:
            [(version,)] = conn.execute("PRAGMA data_version").fetchall()
        except sqlite3.Error:
            return None
        return int(version)
