"""The seeder's writer for SQLite: the same templates and copies as `CopyWriter`,
through executemany and INSERT ... SELECT on one aiosqlite connection.

Values are stored as SQLAlchemy stores them on SQLite: ids as 32 hex digits,
times as naive UTC text, booleans as 0 and 1. No ANALYZE afterwards: on SQLite
the planner's statistics are the application's to keep (PRAGMA optimize), and the
benchmark measures what the application does.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

import aiosqlite
import sqlalchemy as sa

from bench.seed_copy import ASKS, CHUNK, Row, _chunks
from warmintro.infra.tables import metadata


class SqliteWriter:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self._columns: dict[str, list[str]] = {}

    async def columns(self, table: str) -> list[str]:
        if table not in self._columns:
            async with self.conn.execute(f'PRAGMA table_xinfo("{table}")') as cursor:
                # hidden: 0 for an ordinary column, 2 or 3 for a generated one
                self._columns[table] = [r[1] for r in await cursor.fetchall() if r[6] == 0]
        return self._columns[table]

    async def templates(self, table: str, column: str, value: object) -> list[Row]:
        names = await self.columns(table)
        listed = ", ".join(f'"{c}"' for c in names)
        query = f'SELECT {listed} FROM "{table}" WHERE "{column}" = ?'
        async with self.conn.execute(query, (self.encode(value),)) as cursor:
            found = await cursor.fetchall()
        ids = _uuid_columns(table)
        return [
            {c: uuid.UUID(v) if c in ids and v else v for c, v in zip(names, r, strict=True)}
            for r in found
        ]

    async def copy(self, table: str, rows: Iterable[Row]) -> int:
        names = await self.columns(table)
        listed = ", ".join(f'"{c}"' for c in names)
        statement = f'INSERT INTO "{table}" ({listed}) VALUES ({", ".join("?" * len(names))})'
        total = 0
        for chunk in _chunks(rows, CHUNK):
            records = [tuple(self.encode(row[c]) for c in names) for row in chunk]
            await self.conn.executemany(statement, records)
            total += len(records)
        await self.conn.commit()
        return total

    async def analyze(self) -> None:
        await self.conn.commit()

    async def load_asks(self, asks: Iterable[tuple[object, ...]]) -> None:
        await self.conn.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {ASKS}"
            " (id TEXT, asker_id TEXT, connector_id TEXT, topic TEXT)"
        )
        await self.conn.execute(f"DELETE FROM {ASKS}")
        await self.conn.executemany(f"INSERT INTO {ASKS} VALUES (?, ?, ?, ?)", asks)

    def param(self, table: str, column: str, n: int) -> str:
        return "?"

    def derived_id(self, suffix: str) -> str:
        return f"substr(a.id, 1, 28) || '{suffix}'"

    def encode(self, value: object) -> object:
        if isinstance(value, uuid.UUID):
            return value.hex
        if isinstance(value, datetime):
            naive = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
            return naive.strftime("%Y-%m-%d %H:%M:%S.%f")
        return value

    async def execute(self, statement: str, *params: object) -> None:
        await self.conn.execute(statement, params)
        await self.conn.commit()

    async def drop_indexes(self, tables: tuple[str, ...]) -> list[str]:
        """Drop the tables' own indexes (not the keys); the statements that rebuild them."""
        marks = ", ".join("?" * len(tables))
        query = (
            "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
            f" AND tbl_name IN ({marks}) AND sql IS NOT NULL"
        )
        async with self.conn.execute(query, tables) as cursor:
            found = await cursor.fetchall()
        for name, _ in found:
            await self.conn.execute(f'DROP INDEX "{name}"')
        await self.conn.commit()
        return [sql for _, sql in found]


def _uuid_columns(table: str) -> set[str]:
    return {c.name for c in metadata.tables[table].columns if isinstance(c.type, sa.Uuid)}
