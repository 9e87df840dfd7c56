"""Reading and writing many rows at once: values split into parts small enough for
one statement, and `IN` lists written the way each database binds fastest."""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

T = TypeVar("T")

PART = 500
"""Values in one `IN (...)`: well inside what SQLite and asyncpg bind in one statement."""


def parts(values: list[T]) -> list[list[T]]:
    return [values[i : i + PART] for i in range(0, len(values), PART)]


def any_of(
    conn: AsyncConnection, column: sa.ColumnElement[T], values: list[T]
) -> sa.ColumnElement[bool]:
    """`column IN values`; on PostgreSQL as `= ANY(array)`, one parameter that
    asyncpg binds many times faster than a list of hundreds."""
    if conn.dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def in_bound(dialect: str, column: sa.ColumnElement[T], name: str) -> sa.ColumnElement[bool]:
    """`column IN :name` in a statement built once, the values given at each
    execution: on PostgreSQL `= ANY(:name)`, one array parameter, as `any_of`."""
    if dialect == "postgresql":
        return column == sa.any_(sa.bindparam(name, type_=ARRAY(column.type)))
    return column.in_(sa.bindparam(name, expanding=True))


def not_in_bound(dialect: str, column: sa.ColumnElement[T], name: str) -> sa.ColumnElement[bool]:
    """`column NOT IN :name`, as `in_bound` (`<> ALL(:name)` on PostgreSQL)."""
    if dialect == "postgresql":
        return column != sa.all_(sa.bindparam(name, type_=ARRAY(column.type)))
    return column.not_in(sa.bindparam(name, expanding=True))
