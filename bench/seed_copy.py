"""Rows in bulk through PostgreSQL's COPY (asyncpg, binary), cloned from templates
that the real code wrote.

The seeder never builds a row from its own idea of the schema: it asks the API to
do something once (add a person, open an ask), reads back every row that left,
and copies them with new ids and the fields it varies. A column added later is
copied as the code wrote it; generated columns (the people search vector) are
left to the database, and indexes and triggers see every row as they would.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

import asyncpg

Row = dict[str, Any]
CHUNK = 20_000
"""Rows per COPY: large enough to run at COPY speed, small enough to stay in memory."""


class CopyWriter:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self._columns: dict[str, list[str]] = {}

    async def columns(self, table: str) -> list[str]:
        """The columns a row can be given (not the generated ones)."""
        if table not in self._columns:
            found = await self.conn.fetch(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position",
                table,
            )
            self._columns[table] = [r["column_name"] for r in found]
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
        """Fresh planner statistics, as autovacuum would leave them after a while."""
        await self.conn.execute("ANALYZE")


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk
