"""Where the repositories under contract keep their data: in memory (the fakes in
tests/unit/fakes), SQLite or PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.databases import BACKENDS

KINDS = ["fake", *BACKENDS]

SQL_ONLY = pytest.mark.parametrize("backend", BACKENDS, indirect=True)
"""For the few tests that read what only SQL has (tables the ports never expose):
they run on SQLite and PostgreSQL, not on the fakes."""
POSTGRES_ONLY = pytest.mark.parametrize("backend", BACKENDS[1:], indirect=True)
"""For what only PostgreSQL has (its pool's backends, the columns its triggers keep)."""


@dataclass(frozen=True)
class Backend:
    kind: str
    engine: AsyncEngine | None
    """None for the fakes."""


def assert_utc(value: datetime | None) -> None:
    """A stored instant comes back aware, in UTC."""
    assert value is not None
    assert value.tzinfo is not None, "a naive datetime came back from the database"
    assert value.utcoffset() == timedelta(0)


async def rows(engine: AsyncEngine, query: sa.Select[Any]) -> list[sa.Row[Any]]:
    async with engine.connect() as conn:
        return list(await conn.execute(query))
