"""Connections: who knows whom, how well, and how."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from warmintro.domain.errors import AlreadyExists
from warmintro.domain.people import Connection
from warmintro.domain.ports import Page
from warmintro.infra.repositories.bulk import any_of, parts
from warmintro.infra.tables import connections


def _connection(row: sa.Row[Any]) -> Connection:
    return Connection(
        workspace_id=row.workspace_id,
        person_id=row.person_id,
        other_id=row.other_id,
        strength=row.strength,
        context=row.context,
        created_at=row.created_at,
    )


class SqlConnections:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, connection: Connection) -> None:
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    connections.insert().values(
                        workspace_id=connection.workspace_id,
                        person_id=connection.person_id,
                        other_id=connection.other_id,
                        strength=connection.strength,
                        context=connection.context,
                        created_at=connection.created_at,
                    )
                )
        except IntegrityError:
            raise AlreadyExists("these people are already connected", field="person_id") from None

    async def page(
        self, workspace_id: uuid.UUID, person_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
    ) -> Page[Connection]:
        query = sa.select(connections).where(
            connections.c.workspace_id == workspace_id, connections.c.person_id == person_id
        )
        if after is not None:
            query = query.where(connections.c.other_id > after)
        rows = list(
            await self._conn.execute(query.order_by(connections.c.other_id).limit(limit + 1))
        )
        items = [_connection(r) for r in rows[:limit]]
        return Page(items, items[-1].other_id if len(rows) > limit else None)

    async def all_to(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> list[Connection]:
        rows = await self._conn.execute(
            sa.select(connections).where(
                connections.c.workspace_id == workspace_id, connections.c.other_id == person_id
            )
        )
        return [_connection(r) for r in rows]

    async def all_of(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> list[Connection]:
        rows = await self._conn.execute(
            sa.select(connections).where(
                connections.c.workspace_id == workspace_id, connections.c.person_id == person_id
            )
        )
        return [_connection(r) for r in rows]

    async def between(
        self, workspace_id: uuid.UUID, person_id: uuid.UUID, other_id: uuid.UUID
    ) -> Connection | None:
        row = (
            await self._conn.execute(
                sa.select(connections).where(
                    connections.c.workspace_id == workspace_id,
                    connections.c.person_id == person_id,
                    connections.c.other_id == other_id,
                )
            )
        ).first()
        return _connection(row) if row is not None else None

    async def remove_all_of(self, workspace_id: uuid.UUID, person_id: uuid.UUID) -> None:
        await self._conn.execute(
            connections.delete().where(
                connections.c.workspace_id == workspace_id,
                sa.or_(connections.c.person_id == person_id, connections.c.other_id == person_id),
            )
        )

    async def add_many(self, new: list[Connection]) -> None:
        if not new:
            return
        try:
            async with self._conn.begin_nested():
                if self._conn.dialect.name == "postgresql":
                    await self._copy(new)
                else:
                    await self._conn.execute(connections.insert(), [_values(c) for c in new])
        except (IntegrityError, asyncpg.UniqueViolationError):
            raise AlreadyExists("these people are already connected", field="person_id") from None

    async def _copy(self, new: list[Connection]) -> None:
        """PostgreSQL: one COPY in this transaction, so that migration 0014's trigger
        updates each person the new connections name once, not once a row (an
        import's connections took four times as long one statement a row)."""
        raw = await self._conn.get_raw_connection()
        driver: asyncpg.Connection = raw.driver_connection
        await driver.copy_records_to_table(
            connections.name,
            columns=_COPIED,
            records=[tuple(_values(c)[name] for name in _COPIED) for c in new],
        )

    async def update_many(self, changed: list[Connection]) -> None:
        if not changed:
            return
        await self._conn.execute(
            connections.update().where(
                connections.c.workspace_id == sa.bindparam("_workspace_id"),
                connections.c.person_id == sa.bindparam("_person_id"),
                connections.c.other_id == sa.bindparam("_other_id"),
            ),
            [
                {
                    "_workspace_id": c.workspace_id,
                    "_person_id": c.person_id,
                    "_other_id": c.other_id,
                    "strength": c.strength,
                    "context": c.context,
                }
                for c in changed
            ],
        )

    async def among(
        self, workspace_id: uuid.UUID, pairs: Collection[tuple[uuid.UUID, uuid.UUID]]
    ) -> dict[tuple[uuid.UUID, uuid.UUID], Connection]:
        found: dict[tuple[uuid.UUID, uuid.UUID], Connection] = {}
        wanted = set(pairs)
        for part in parts(list(wanted)):
            if self._conn.dialect.name == "postgresql":
                # Row values in a list would not use the primary key on PostgreSQL;
                # two arrays do, and what else they match is dropped below.
                match = sa.and_(
                    connections.c.workspace_id == workspace_id,
                    any_of(self._conn, connections.c.person_id, list({a for a, _ in part})),
                    any_of(self._conn, connections.c.other_id, list({b for _, b in part})),
                )
            else:
                # One branch per person, each whole, so that SQLite probes its primary
                # key for each (a row-value IN list, or workspace_id outside the OR,
                # made it read every connection of the workspace).
                others: dict[uuid.UUID, list[uuid.UUID]] = {}
                for person, other in part:
                    others.setdefault(person, []).append(other)
                match = sa.or_(
                    *(
                        sa.and_(
                            connections.c.workspace_id == workspace_id,
                            connections.c.person_id == person,
                            connections.c.other_id.in_(ids),
                        )
                        for person, ids in others.items()
                    )
                )
            rows = await self._conn.execute(sa.select(connections).where(match))
            found.update(
                ((row.person_id, row.other_id), _connection(row))
                for row in rows
                if (row.person_id, row.other_id) in wanted
            )
        return found


_COPIED = ["workspace_id", "person_id", "other_id", "strength", "context", "created_at"]


def _values(connection: Connection) -> dict[str, Any]:
    return dict(
        workspace_id=connection.workspace_id,
        person_id=connection.person_id,
        other_id=connection.other_id,
        strength=connection.strength,
        context=connection.context,
        created_at=connection.created_at,
    )
