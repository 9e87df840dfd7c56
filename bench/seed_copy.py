"""Rows in bulk through PostgreSQL's COPY (asyncpg, binary), cloned from templates
that the real code wrote.

The seeder never builds a row from its own idea of the schema: it asks the API to
do something once (add a person, open an ask), reads back every row that left,
and copies them with new ids and the fields it varies. A column added later is
copied as the code wrote it; generated columns (the people search vector) are
left to the database, and indexes and triggers see every row as they would.
`seed_sqlite.SqliteWriter` does the same on SQLite with executemany.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, Protocol

import asyncpg

Row = dict[str, Any]
CHUNK = 20_000
"""Rows per COPY: large enough to run at COPY speed, small enough to stay in memory."""
ASKS = "bench_asks"
"""The temporary table of asks to copy (id, asker, connector, topic)."""


class Writer(Protocol):
    """Bulk rows into one kind of database: PostgreSQL (`CopyWriter`) or SQLite
    (`seed_sqlite.SqliteWriter`). Templates come back with ids as `uuid.UUID`."""

    async def columns(self, table: str) -> list[str]: ...
    async def templates(self, table: str, column: str, value: object) -> list[Row]: ...
    async def copy(self, table: str, rows: Iterable[Row]) -> int: ...
    async def analyze(self) -> None: ...
    async def load_asks(self, asks: Iterable[tuple[object, ...]]) -> None: ...
    def param(self, table: str, column: str, n: int) -> str: ...
    def derived_id(self, suffix: str) -> str: ...
    def encode(self, value: object) -> object: ...
    async def execute(self, statement: str, *params: object) -> None: ...
    async def drop_indexes(self, tables: tuple[str, ...]) -> list[str]: ...


class CopyWriter:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._columns: dict[str, list[str]] = {}
        self._types: dict[str, dict[str, str]] = {}

    async def columns(self, table: str) -> list[str]:
        """The columns a row can be given (not the generated ones)."""
        if table not in self._columns:
            found = await self.conn.fetch(
                "SELECT column_name, udt_name FROM information_schema.columns"
                " WHERE table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position",
                table,
            )
            self._columns[table] = [r["column_name"] for r in found]
            self._types[table] = {r["column_name"]: r["udt_name"] for r in found}
        return self._columns[table]

    async def templates(self, table: str, column: str, value: object) -> list[Row]:
        """Every row of `table` whose `column` is `value`, as the code wrote it."""
        names = await self.columns(table)
        listed = ", ".join(f'"{c}"' for c in names)
        found = await self.conn.fetch(
            f'SELECT {listed} FROM "{table}" WHERE "{column}" = $1', value
        )
        return [dict(r) for r in found]

    async def copy(self, table: str, rows: Iterable[Row]) -> int:
        """COPY the rows in chunks; how many went in."""
        names = await self.columns(table)
        total = 0
        for chunk in _chunks(rows, CHUNK):
            records = [tuple(row[c] for c in names) for row in chunk]
            await self.conn.copy_records_to_table(table, records=records, columns=names)
            total += len(records)
        return total

    async def analyze(self) -> None:
        """Vacuumed, with fresh planner statistics, as autovacuum would leave the
        tables after a while; otherwise its work on the new rows (and the hint bits
        the first reads set) would run during the timings and be counted in them.
        Then checkpointed: the million asks fill the log several times over, and
        the checkpoint that follows spreads writing them out over a minute or more,
        the timings at 1M included (warm paths 38 -> 60 ms in one run)."""
        await self.conn.execute("VACUUM ANALYZE")
        # A role without pg_checkpoint skips it: its timings may meet the write-back.
        with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
            await self.conn.execute("CHECKPOINT")

    # What the request seeder needs to copy asks inside the database.

    async def load_asks(self, asks: Iterable[tuple[object, ...]]) -> None:
        # Nothing here needs to survive a crash: no flush to disk per statement.
        await self.conn.execute("SET synchronous_commit = off")
        await self.conn.execute("SET maintenance_work_mem = '256MB'")
        await self.conn.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {ASKS}"
            " (id uuid, asker_id uuid, connector_id uuid, topic text)"
        )
        await self.conn.execute(f"TRUNCATE {ASKS}")
        await self.conn.copy_records_to_table(ASKS, records=asks)

    def param(self, table: str, column: str, n: int) -> str:
        """The n-th statement parameter, cast to the column's type."""
        return f'${n}::"{self._types[table][column]}"'

    def derived_id(self, suffix: str) -> str:
        """The ask's id with its last four hex digits replaced by `suffix`."""
        return f"overlay(a.id::text placing '{suffix}' from 33)::uuid"

    def encode(self, value: object) -> object:
        return value

    async def execute(self, statement: str, *params: object) -> None:
        await self.conn.execute(statement, *params)

    async def drop_indexes(self, tables: tuple[str, ...]) -> list[str]:
        """Drop the tables' indexes and key constraints; the statements that rebuild
        them. Rows then go in at the speed of appending, and each index is built in
        one sort (as a long-lived one would be after a REINDEX)."""
        indexes = await self.conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY($1::text[])"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            list(tables),
        )
        keys = await self.conn.fetch(
            "SELECT conname, conrelid::regclass::text AS tbl, pg_get_constraintdef(oid) AS def"
            " FROM pg_constraint WHERE contype IN ('p', 'u')"
            " AND conrelid::regclass::text = ANY($1::text[])",
            list(tables),
        )
        for index in indexes:
            await self.conn.execute(f'DROP INDEX "{index["indexname"]}"')
        for key in keys:
            await self.conn.execute(
                f'ALTER TABLE "{key["tbl"]}" DROP CONSTRAINT "{key["conname"]}"'
            )
        return [
            *(f'ALTER TABLE "{k["tbl"]}" ADD CONSTRAINT "{k["conname"]}" {k["def"]}' for k in keys),
            *(index["indexdef"] for index in indexes),
        ]


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk
