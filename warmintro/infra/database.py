"""Engines for the two supported databases.

SQLite: WAL, a busy timeout, and transactions opened with BEGIN IMMEDIATE (read
units of work ask for DEFERRED) so concurrent writers queue up instead of failing
mid-transaction; that also makes budget and duplicate checks serial on SQLite.
PostgreSQL: asyncpg, READ COMMITTED, with row locks where a check must be serial.

When PostgreSQL restarts, every pooled connection dies with it. The first use of a
dead one fails, and SQLAlchemy then recycles every connection the pool held before
that moment, so the pool heals itself without a ping on each checkout (a round trip
on every transaction of the hot path). What fails meanwhile is `unavailable`: the
API answers it with a 503 and Retry-After, and the leased queues wait it out.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import socket
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import asyncpg
from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from warmintro.infra import sqlite_driver

_CUT_OFF = (
    ConnectionError,  # refused, reset, aborted: no server on the port, or it went away
    TimeoutError,
    socket.gaierror,
    asyncpg.PostgresConnectionError,  # the session was closed under us
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up, cancelled
    asyncpg.InterfaceError,  # "connection is closed"
    asyncpg.exceptions.InternalClientError,  # a session cut off mid-operation
)
_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}
OPTIMIZE_EVERY = 3600.0
"""Seconds between `PRAGMA optimize` runs on one pooled SQLite connection."""
OPTIMIZED_AT = "warmintro_optimized_at"
"""The key, in a pooled connection's `info`, of when it last ran `PRAGMA optimize`."""


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        # aiosqlite with one thread hand-off per statement (see `sqlite_driver`).
        kwargs.setdefault("module", sqlite_driver.dbapi())
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        _sqlite_tuning(engine)
        return engine
    # A fixed pool: connections beyond it would be opened for one transaction and
    # closed after it (a TLS-less handshake and a backend fork each time) exactly
    # when the server is busiest; past 20 a request waits for a pooled one instead.
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 0)
    kwargs.setdefault("pool_pre_ping", False)
    # The connection used last goes out first: its backend has the statements,
    # plans and dictionaries a path needs warm. Handed out in turn, a pool grown to 20
    # by a busy minute kept every request on a cold backend for a while after it
    # (a warm-path search, which takes four, ran at 65 ms instead of 47).
    kwargs.setdefault("pool_use_lifo", True)
    kwargs.setdefault("json_deserializer", _json_loads)
    return create_async_engine(url, **kwargs)


def _json_loads(text: str) -> Any:
    """json.loads, without the parser for the values most JSON columns hold: an intro
    request carries five id lists, nearly always empty, and a list of 50 requests
    spent a third of its time parsing "[]"."""
    if text == "[]":
        return []
    if text == "null":
        return None
    return json.loads(text)


def _sqlite_tuning(engine: AsyncEngine) -> None:
    sync = engine.sync_engine

    @event.listens_for(sync, "connect")
    def _connect(dbapi_conn: Any, record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred-only).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "busy_timeout=30000",
            # The driver checkpoints on aiosqlite's thread, never in a commit.
            "wal_autocheckpoint=0",
            "foreign_keys=ON",
            "analysis_limit=400",
            "optimize=0x10002",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()
        record.info[OPTIMIZED_AT] = time.monotonic()

    @event.listens_for(sync, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        # Statistics for the planner, or it picks scans. Before SQLite 3.46 `optimize`
        # only analyses what this connection has queried, so a pooled connection
        # runs it again once an hour of use; it is nearly always a no-op.
        if time.monotonic() - record.info.get(OPTIMIZED_AT, 0.0) >= OPTIMIZE_EVERY:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA optimize")
            cursor.close()
            record.info[OPTIMIZED_AT] = time.monotonic()

    @event.listens_for(sync, "begin")
    def _begin(conn: Any) -> None:
        # IMMEDIATE unless a reader asks otherwise: a deferred transaction that reads
        # and then writes fails at once ("database is locked") when another writer
        # got in between; taking the write lock up front makes it wait its turn.
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


_WRITERS: weakref.WeakKeyDictionary[Engine, asyncio.Lock] = weakref.WeakKeyDictionary()


def write_turn(engine: AsyncEngine) -> AbstractAsyncContextManager[Any]:
    """Wait for this process's turn to write, then hold it until the block ends.

    SQLite lets one writer in at a time and makes the others retry with sleeps that
    grow to 100 ms, so under load writers slept while the lock stood free (32 clients
    creating asks: 130 a second, the slowest near 2 s). Taking turns in the process
    first, in order, hands the lock over at once; the busy timeout is left for other
    processes. PostgreSQL writers need no turn: row locks order them."""
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    return _WRITERS.setdefault(engine.sync_engine, asyncio.Lock())


_TURNS: weakref.WeakKeyDictionary[Engine, asyncio.Semaphore] = weakref.WeakKeyDictionary()


@contextlib.asynccontextmanager
async def connection_turn(engine: AsyncEngine) -> AsyncIterator[None]:
    """Wait for a turn at PostgreSQL's pool, in the order of asking, and hold it
    while the block uses a connection.

    The pool gives a connection returned to it to whoever asks first, not to whoever
    has waited longest: a request that asks again at once (its next unit of work)
    takes it from under one that was woken for it, which goes back to the end of the
    line. At 64 clients on 20 connections some requests waited seconds while others
    went round (suggestions: p99 1.9-2.4 s against a p50 of 0.7). As many turns as
    the pool has connections are handed out first come, first served (asyncio's
    semaphore wakes its waiters in order), so a holder finds a connection free. A
    turn waited for longer than the pool's own timeout fails as the pool would."""
    pool: Any = engine.sync_engine.pool
    if engine.dialect.name != "postgresql" or not hasattr(pool, "size"):
        yield
        return
    turns = _TURNS.get(engine.sync_engine)
    if turns is None:
        turns = _TURNS.setdefault(engine.sync_engine, asyncio.Semaphore(pool.size()))
    try:
        async with asyncio.timeout(pool.timeout()):
            await turns.acquire()
    except TimeoutError:
        raise PoolTimeout(
            f"no turn at the pool of {pool.size()} connections in {pool.timeout():.0f} s"
        ) from None
    try:
        yield
    finally:
        turns.release()


@contextlib.asynccontextmanager
async def writing(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """`engine.begin()` in this process's turn to write (see `write_turn`)."""
    async with write_turn(engine), engine.begin() as conn:
        yield conn


@contextlib.asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for reads outside a unit of work. On SQLite its transaction opens
    DEFERRED: it takes no write lock, so it needs no turn and holds up no writer."""
    async with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            await conn.execution_options(sqlite_begin="DEFERRED")
        yield conn


def unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database could not be reached or cut the session off
    (it is down, restarting, or the connection died): the same work may succeed in
    a moment. Errors about the work itself (a constraint, a bug) are not."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, _CUT_OFF) or _unreachable(cause):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def _unreachable(exc: BaseException) -> bool:
    # Other OSErrors (a missing file, say) are not the database's; asyncio reports a
    # host whose every address failed as one OSError without an errno.
    return isinstance(exc, OSError) and (
        exc.errno in _UNREACHABLE or str(exc).startswith("Multiple exceptions")
    )
