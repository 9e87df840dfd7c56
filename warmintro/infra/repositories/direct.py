"""The hot paths' statements, sent by asyncpg itself on PostgreSQL (and a write's
by our driver on SQLite).

SQLAlchemy's execution of a statement it has compiled and asyncpg has prepared
(the execution context, two greenlet switches, the cursor adapter, the result)
costs about twice asyncpg's own work: 190-300 µs of CPU a select on the bench
host against 65-140 µs for the same statement sent by asyncpg. These are a
create's five statements, a read's, a list's and a people search's one each, and
the read of the people a request names (a decision, an email). Those statements
are still built with SQLAlchemy and compiled by it, once; their values still
pass through the columns' bind processors (JSON, the UTC timestamps) as
SQLAlchemy would pass them. They go out on the unit of work's own connection,
inside its transaction, begun as SQLAlchemy's adapter begins it (it keeps the
bookkeeping, so the unit of work commits and rolls back as before). A
failure is raised as SQLAlchemy would raise it (`IntegrityError` for a unique
violation). What comes back is asyncpg's records, read by position as
SQLAlchemy's rows are.

On SQLite, where a statement costs no round trip, the same execution context
was still most of a create's CPU around SQLite's own work: a create's writes
(`Direct.write`: the request, its parties, first event and timer, its emails;
after a decision's update, the same parties, events and timer) are compiled
once for SQLite and handed to our driver (`infra/sqlite_driver.py`) as one call
each, inside the unit of work's transaction, where they run on the loop's
thread. Reads there still go through SQLAlchemy, whose result processors turn
SQLite's text back into UUIDs and timestamps, and so does a decision's update,
whose row count is its version check.

SQLAlchemy's event listeners do not see these statements (they would expect its
execution context); each is logged at DEBUG on `warmintro.sql` instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

log = logging.getLogger("warmintro.sql")

Row = Sequence[Any]
"""A result row read by position: an asyncpg record or a SQLAlchemy row."""


class _Compiled:
    """The statement's SQL for asyncpg and how to turn named values into its
    positional arguments, as SQLAlchemy's execution context does."""

    __slots__ = ("arguments", "sql")

    def __init__(self, statement: sa.ClauseElement, dialect: sa.Dialect) -> None:
        compiled: Any = statement.compile(dialect=dialect)
        # What SQLAlchemy settles only at execution (expanding IN lists, Python-side
        # column defaults) is not done here: such a statement is not a Direct one.
        # Compiled without values, an insert names every column: each must be given
        # a value (SQLAlchemy would leave a column not given to its default).
        assert not (compiled.literal_execute_params or compiled.post_compile_params), statement
        assert not (compiled.insert_prefetch or compiled.update_prefetch), statement
        assert compiled.positional, dialect
        self.sql: str = compiled.string
        processors: Mapping[str, Callable[[Any], Any]] = compiled._bind_processors
        order: Sequence[str] = compiled.positiontup
        construct = compiled.construct_params

        def arguments(params: Mapping[str, Any]) -> list[Any]:
            values = construct(params, escape_names=False)
            return [
                processors[key](values[key]) if key in processors else values[key] for key in order
            ]

        self.arguments = arguments


class Direct:
    """One statement of a hot path: built once, compiled once for each database it
    is sent to directly."""

    __slots__ = ("_compiled", "statement")

    def __init__(self, statement: Any) -> None:
        """`statement`: a Core select, insert or update (or a text), built once."""
        self.statement: Any = statement
        self._compiled: dict[str, _Compiled] = {}

    def _for(self, dialect: sa.Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = _Compiled(self.statement, dialect)
        return compiled

    async def write(
        self, conn: AsyncConnection, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]
    ) -> None:
        """A statement that returns no rows, with one set of values or several (the
        row of each). Direct on SQLite; on PostgreSQL through SQLAlchemy, where the
        hot writes are single statements of their own (`rows`)."""
        if conn.dialect.name != "sqlite":
            await conn.execute(self.statement, params)
            return
        compiled = self._for(conn.dialect)
        many = not isinstance(params, Mapping)
        if many:
            arguments: Any = [compiled.arguments(p) for p in cast(Sequence[Any], params)]
        else:
            arguments = compiled.arguments(cast(Mapping[str, Any], params))
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s", compiled.sql)
        adapted: Any = conn.sync_connection.connection.dbapi_connection  # type: ignore[union-attr]
        try:
            await adapted.cursor().send(compiled.sql, arguments, many=many)  # sqlite_driver's
        except Exception as exc:
            raise _as_sqlalchemy(adapted, exc, compiled.sql, arguments) from exc

    async def rows(self, conn: AsyncConnection, params: Mapping[str, Any]) -> Sequence[Row]:
        if conn.dialect.name != "postgresql":
            result = await conn.execute(self.statement, params)
            return result.all() if result.returns_rows else []
        compiled = self._for(conn.dialect)
        arguments = compiled.arguments(params)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s", compiled.sql)
        # The pooled connection's adapter, which keeps SQLAlchemy's account of BEGIN.
        adapted: Any = conn.sync_connection.connection.dbapi_connection  # type: ignore[union-attr]
        async with adapted._execute_mutex:
            try:
                if adapted._transaction is None:
                    await adapted._start_transaction()  # nothing in AUTOCOMMIT, as for SQLAlchemy
                rows: Sequence[Row] = await adapted._connection.fetch(compiled.sql, *arguments)
                return rows
            except Exception as exc:
                raise _as_sqlalchemy(adapted, exc, compiled.sql, arguments) from exc

    async def first(self, conn: AsyncConnection, params: Mapping[str, Any]) -> Row | None:
        rows = await self.rows(conn, params)
        return rows[0] if rows else None

    async def one(self, conn: AsyncConnection, params: Mapping[str, Any]) -> Row:
        rows = await self.rows(conn, params)
        if not rows:
            raise sa.exc.NoResultFound("no row where one was required")
        if len(rows) > 1:
            raise sa.exc.MultipleResultsFound("several rows where one was required")
        return rows[0]


def _as_sqlalchemy(adapted: Any, exc: Exception, sql: str, arguments: list[Any]) -> Exception:
    """The error SQLAlchemy would raise: its adapter translates asyncpg's (and
    forgets a transaction on a closed connection); `DBAPIError` wraps that."""
    try:
        adapted._handle_exception(exc)
    except Exception as translated:
        dbapi_error: type[Exception] = adapted.dbapi.Error
        if isinstance(translated, dbapi_error):
            return DBAPIError.instance(sql, arguments, translated, dbapi_error)
        return translated  # not a database error: as it was
    return exc
