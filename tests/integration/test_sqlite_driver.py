"""The SQLite driver hands each statement to aiosqlite's thread once, and the engine
still sees what a cursor tells: rows, row counts, the last row id, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiosqlite
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from warmintro.infra.database import make_engine


async def test_a_statement_is_one_hand_off_and_its_cursor_tells_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    hand_offs: list[object] = []
    execute: Any = aiosqlite.Connection._execute

    async def counted(
        self: aiosqlite.Connection, fn: object, *args: object, **kw: object
    ) -> object:
        hand_offs.append(fn)
        return await execute(self, fn, *args, **kw)

    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
            monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
            inserted = await conn.execute(sa.text("INSERT INTO t (name) VALUES ('a')"))
            assert len(hand_offs) == 1, hand_offs
            assert (inserted.lastrowid, inserted.rowcount) == (1, 1)

            await conn.execute(
                sa.text("INSERT INTO t (name) VALUES (:n)"), [{"n": "b"}, {"n": "c"}]
            )
            renamed = await conn.execute(sa.text("UPDATE t SET name = name || '!' WHERE id > 1"))
            assert renamed.rowcount == 2
            hand_offs.clear()
            rows = (await conn.execute(sa.text("SELECT id, name FROM t ORDER BY id"))).all()
            assert len(hand_offs) == 1, hand_offs
            assert [tuple(r) for r in rows] == [(1, "a"), (2, "b!"), (3, "c!")]
            nothing = await conn.execute(sa.text("SELECT id FROM t WHERE id > 9"))
            assert nothing.keys() == ["id"] and nothing.all() == []

            with pytest.raises(IntegrityError):
                await conn.execute(sa.text("INSERT INTO t (name) VALUES ('a')"))
    finally:
        await engine.dispose()
