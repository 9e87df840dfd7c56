"""The SQLite driver hands a statement to aiosqlite's thread at most once, runs the
statements of a write transaction (which holds the lock) and its commit with no
hand-off at all unless they are a bulk insert, checkpoints the log on the thread
every `CHECKPOINT_EVERY` writes, and the engine still sees what a cursor tells:
rows, row counts, the last row id, errors."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from warmintro.infra.database import make_engine, reading
from warmintro.infra.sqlite_driver import BULK, CHECKPOINT_EVERY, _commit_and_checkpoint


@pytest.fixture
def hand_offs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Each call handed to an aiosqlite connection's thread, as it is made."""
    made: list[object] = []
    execute: Any = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: object, *args: object, **kw: object) -> Any:
        made.append(fn)
        return await execute(self, fn, *args, **kw)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    yield made


async def test_a_write_hands_over_its_begin_and_a_read_each_statement(
    tmp_path: Path, hand_offs: list[object]
) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
        hand_offs.clear()
        async with engine.begin() as conn:
            inserted = await conn.execute(sa.text("INSERT INTO t (name) VALUES ('a')"))
            assert (inserted.lastrowid, inserted.rowcount) == (1, 1)
            await conn.execute(
                sa.text("INSERT INTO t (name) VALUES (:n)"), [{"n": "b"}, {"n": "c"}]
            )
            renamed = await conn.execute(sa.text("UPDATE t SET name = name || '!' WHERE id > 1"))
            assert renamed.rowcount == 2
            seen = (await conn.execute(sa.text("SELECT name FROM t ORDER BY id"))).scalars().all()
            assert seen == ["a", "b!", "c!"]
            assert len(hand_offs) == 1, f"only BEGIN goes to the thread: {hand_offs}"
        assert len(hand_offs) == 1, f"COMMIT on the loop, and no reset after it: {hand_offs}"

        hand_offs.clear()
        async with reading(engine) as conn:
            await conn.execute(sa.text("SELECT 1"))  # BEGIN DEFERRED, then the select
            before = len(hand_offs)
            rows = (await conn.execute(sa.text("SELECT id, name FROM t ORDER BY id"))).all()
            assert len(hand_offs) == before + 1, "a read's statement is one hand-off"
            assert [tuple(r) for r in rows] == [(1, "a"), (2, "b!"), (3, "c!")]
            nothing = await conn.execute(sa.text("SELECT id FROM t WHERE id > 9"))
            assert nothing.keys() == ["id"] and nothing.all() == []

        hand_offs.clear()
        async with engine.begin() as conn:
            bulk = [{"n": f"bulk {n}"} for n in range(BULK + 1)]
            await conn.execute(sa.text("INSERT INTO t (name) VALUES (:n)"), bulk)
        assert len(hand_offs) == 3, f"an import's rows go to the thread: {hand_offs}"
        assert hand_offs[-1] is _commit_and_checkpoint, "and its commit, with a checkpoint"

        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(sa.text("INSERT INTO t (name) VALUES ('z')"))
                await conn.execute(sa.text("INSERT INTO t (name) VALUES ('a')"))
        async with reading(engine) as conn:
            names = (await conn.execute(sa.text("SELECT name FROM t"))).scalars().all()
        assert "z" not in names, "the failed write was rolled back"
    finally:
        await engine.dispose()


async def test_every_so_many_writes_one_commits_on_the_thread_and_checkpoints_the_log(
    tmp_path: Path, hand_offs: list[object]
) -> None:
    # Commits on the loop never checkpoint (`wal_autocheckpoint=0`), so without the
    # driver's own checkpoints the log would grow by every write, for ever.
    path = tmp_path / "driver.db"
    log = tmp_path / "driver.db-wal"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as conn:  # the engine's first write
            await conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)")
        checkpointed_at = []
        for write in range(2, 4 * CHECKPOINT_EVERY + 1):
            hand_offs.clear()
            async with engine.begin() as conn:
                await conn.execute(sa.text("INSERT INTO t (body) VALUES (:b)"), {"b": bytes(3000)})
            if _commit_and_checkpoint in hand_offs:
                checkpointed_at.append(write)
            if write == CHECKPOINT_EVERY // 2:
                per_write = log.stat().st_size / write  # nothing checkpointed yet
        assert checkpointed_at == [CHECKPOINT_EVERY * n for n in (1, 2, 3, 4)]
        # The log is written again from its start after a checkpoint: it holds the
        # pages of the writes since the last one, not of all 400.
        assert log.stat().st_size < 1.5 * CHECKPOINT_EVERY * per_write
        async with reading(engine) as conn:
            count = (await conn.execute(sa.text("SELECT count(*) FROM t"))).scalar_one()
            automatic = (await conn.exec_driver_sql("PRAGMA wal_autocheckpoint")).scalar_one()
        assert count == 4 * CHECKPOINT_EVERY - 1
        assert automatic == 0, "a commit on the loop must not copy the log itself"
    finally:
        await engine.dispose()


def test_a_checkpoint_that_fails_leaves_the_write_committed_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "driver.db"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t DEFAULT VALUES")

        def no_checkpoint(action: int, name: str | None, *_: object) -> int:
            refused = action == sqlite3.SQLITE_PRAGMA and name == "wal_checkpoint"
            return sqlite3.SQLITE_DENY if refused else sqlite3.SQLITE_OK

        conn.set_authorizer(no_checkpoint)  # SQLite itself refuses the checkpoint
        with caplog.at_level(logging.WARNING, logger="warmintro.sqlite"):
            _commit_and_checkpoint(conn)
        assert "not checkpointed" in caplog.text
        assert not conn.in_transaction
    finally:
        conn.close()
    other = sqlite3.connect(path)
    try:
        assert other.execute("SELECT count(*) FROM t").fetchone() == (1,)
    finally:
        other.close()
