"""aiosqlite as SQLAlchemy drives it, with fewer thread hand-offs.

aiosqlite runs each SQLite call on a thread of the connection's own, and hands
each call over and back through a queue and the event loop: a hand-off costs a
thread wake-up and a loop wake-up, and the loop may run other requests' steps
before it resumes the caller. SQLAlchemy's adapter makes four of them per
statement (open a cursor, execute, fetch, close), and SQLite lets one writer in at
a time, so a write transaction held the lock through some forty hand-offs while
other creates queued behind it. Here:

- a statement is one call on that thread, which executes it, fetches its rows and
  closes its cursor; the cursor the engine sees keeps what it needs (rows,
  description, row count) on this side;
- between BEGIN IMMEDIATE and its COMMIT or ROLLBACK, statements run on the loop's
  own thread, with no hand-off at all. The connection holds the write lock then,
  and in WAL mode nothing else can make a statement wait: readers never block the
  writer. BEGIN, which may wait for another process's writer, stays on the thread,
  as do reads, which may be long and may run there beside the loop, and bulk
  inserts, which would hold up every other request;
- the COMMIT of a write runs on the loop too. Holding the lock it waits for
  nothing, and it only appends to the log: with `synchronous=NORMAL` a commit in
  WAL mode does not sync, and with `wal_autocheckpoint=0` (`database.py`) it does
  not copy the log into the database either. That copy, the checkpoint, which
  reads, writes and syncs whole pages, is done on the thread instead, just after
  every `CHECKPOINT_EVERY`-th write commits there, and after every import,
  whose commit may write many pages. So a create holds the lock for its own work
  and one hand-off.

The sqlite3 connection is opened with `check_same_thread=False` for this; it is
still used by one thread at a time, since its calls are awaited one after another.
Connecting, the commits of reads, rollbacks and server-side cursors are
aiosqlite's and SQLAlchemy's own.
"""

from __future__ import annotations

import collections
import logging
import sqlite3
from collections.abc import Sequence
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

log = logging.getLogger("warmintro.sqlite")

BEGIN_WRITE = "BEGIN IMMEDIATE"
"""How `database` opens a write transaction (the statement, as it is sent)."""
BULK = 100
"""An executemany of more rows than this (an import) runs on the thread even while
writing: it would hold up every other request for its whole length."""
CHECKPOINT_EVERY = 100
"""Writes committed between two checkpoints of the log, per engine: the log holds the
pages of about this many writes before they are copied into the database."""
_Outcome = tuple[Any, list[Any] | None, int, int | None]
"""What one statement left: description, rows (None without a result), row count, last row id."""


def _commit_and_checkpoint(conn: sqlite3.Connection) -> None:
    """A write's commit, then a checkpoint of the log, on the connection's thread. A
    PASSIVE checkpoint waits for no one: it copies what no reader still needs. One
    that fails leaves the log to the next: the write is committed all the same, and
    its caller must not hear otherwise."""
    conn.commit()
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").close()
    except sqlite3.Error as exc:
        log.warning("the SQLite log was not checkpointed (%s); the next checkpoint will", exc)


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """One statement, on the connection's thread, from cursor to closed cursor."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class _OneCallCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:  # no cursor opened yet: no hand-off
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self.send(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        await self.send(operation, seq_of_parameters, many=True)

    async def send(self, operation: Any, parameters: Any, *, many: bool) -> None:
        """One statement in one call (also `Direct.write`'s way in, past SQLAlchemy's
        execution): on the loop's thread while this connection writes, else on its own."""
        adapted, conn = cast("_Connection", self._adapt_connection), self._connection
        async with adapted._execute_mutex:
            raw = conn._conn
            if adapted.writing and raw.in_transaction and (not many or len(parameters) <= BULK):
                outcome = _run(raw, operation, parameters, many)
            else:
                outcome = await conn._execute(_run, raw, operation, parameters, many)
                if operation == BEGIN_WRITE:
                    adapted.writing = True
                elif adapted.writing:
                    adapted.imported = True
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows or ())

    async def _async_soft_close(self) -> None:
        pass  # the cursor on the other side closed with its statement

    def close(self) -> None:
        self._rows.clear()


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("imported", "writing")
    _cursor_cls = _OneCallCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.writing = False
        """Inside BEGIN IMMEDIATE: this connection holds the write lock."""
        self.imported = False
        """This write sent a bulk insert to the thread: its commit goes there too."""

    def commit(self) -> None:
        wrote, imported = self.writing, self.imported
        self.writing = self.imported = False
        raw = self._connection._conn
        if not wrote or raw is None or not raw.in_transaction:
            super().commit()
            return
        try:
            if cast("_Dbapi", self.dbapi).checkpoint_due() or imported:
                await_(self._connection._execute(_commit_and_checkpoint, raw))
            else:
                raw.commit()
        except Exception as error:
            self._handle_exception(error)

    def rollback(self) -> None:
        self.writing = self.imported = False
        raw = self._connection._connection
        if raw is not None and not raw.in_transaction:
            return  # the pool's reset after a commit: nothing to hand over
        super().rollback()

    def close(self) -> None:
        self.writing = self.imported = False
        super().close()


class _Dbapi(AsyncAdapt_aiosqlite_dbapi):
    """One per engine: it counts the engine's writes for `CHECKPOINT_EVERY`."""

    def __init__(self, aiosqlite: Any, sqlite: Any) -> None:
        super().__init__(aiosqlite, sqlite)
        self._writes = 0

    def checkpoint_due(self) -> bool:
        """Whether the write committing now is the one to checkpoint after."""
        self._writes += 1
        if self._writes < CHECKPOINT_EVERY:
            return False
        self._writes = 0
        return True

    def connect(self, *arg: Any, **kw: Any) -> _Connection:
        # Statements may run on the loop's thread while the connection writes.
        adapted = super().connect(*arg, **{**kw, "check_same_thread": False})
        return _Connection(self, adapted._connection)


def dbapi() -> Any:
    """The DBAPI module for `create_async_engine(..., module=dbapi())`."""
    return _Dbapi(aiosqlite, sqlite3)
