"""The hot paths' statements sent by asyncpg itself (`repositories/direct.py`) read
what SQLAlchemy reads, write inside the unit of work's transaction, stand alone
in a read-only unit, and fail as SQLAlchemy fails. On SQLite they go through
SQLAlchemy, so the same tests hold there."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.builder import NOW, Builder
from tests.integration.repositories.backends import POSTGRES_ONLY, SQL_ONLY
from warmintro.infra.repositories.direct import Direct
from warmintro.infra.tables import intro_requests, timers

_WS = sa.bindparam("ws", type_=intro_requests.c.workspace_id.type)
_ONE_REQUEST = Direct(
    sa.select(intro_requests).where(
        intro_requests.c.workspace_id == _WS, intro_requests.c.id == sa.bindparam("id")
    )
)
_ADD_TIMER = Direct(timers.insert())
_TIMERS = Direct(sa.select(timers.c.request_id).where(timers.c.workspace_id == _WS))


@SQL_ONLY
async def test_a_direct_read_returns_the_values_sqlalchemy_returns(
    build: Builder, engine: AsyncEngine
) -> None:
    asker, connector = await build.add_person(), await build.add_person()
    # JSON, nullable JSON, timestamps, ids and text, as the column types bind and read them.
    request = await build.add_request(asker.id, connector.id, "pricing pages")
    params = {"ws": build.workspace_id, "id": request.id}
    async with engine.connect() as conn:
        direct = await _ONE_REQUEST.rows(conn, params)
        through = (await conn.execute(_ONE_REQUEST.statement, params)).all()
    assert len(through) == 1
    assert [tuple(r) for r in direct] == [tuple(r) for r in through]
    assert [type(v) for v in direct[0]] == [type(v) for v in through[0]]


@SQL_ONLY
async def test_a_direct_write_commits_and_rolls_back_with_the_unit_of_work(
    build: Builder, engine: AsyncEngine
) -> None:
    kept, dropped = uuid.uuid4(), uuid.uuid4()
    for request_id, commit in ((kept, True), (dropped, False)):
        async with build.uow() as uow:
            # The first statement of the transaction, so it must begin it itself.
            await _ADD_TIMER.rows(_connection(uow), _timer(build, request_id))
            if commit:
                await uow.commit()
    async with engine.connect() as conn:
        stored = await _TIMERS.rows(conn, {"ws": build.workspace_id})
    assert [r[0] for r in stored] == [kept]


@POSTGRES_ONLY
async def test_direct_statements_share_a_write_units_transaction_and_not_a_readers(
    build: Builder,
) -> None:
    current = Direct(sa.select(sa.func.txid_current()))
    async with build.uow() as uow:
        first, second = [(await current.one(_connection(uow), {}))[0] for _ in range(2)]
    assert first == second
    async with build.uow(write=False) as uow:
        first, second = [(await current.one(_connection(uow), {}))[0] for _ in range(2)]
    assert first != second, "a read-only unit sends no BEGIN: each statement stands alone"


@SQL_ONLY
async def test_a_direct_statements_unique_violation_is_sqlalchemys_integrity_error(
    build: Builder, engine: AsyncEngine
) -> None:
    request_id = uuid.uuid4()
    async with build.uow() as uow:
        await _ADD_TIMER.rows(_connection(uow), _timer(build, request_id))
        await uow.commit()
    with pytest.raises(IntegrityError):
        async with build.uow() as uow:
            await _ADD_TIMER.rows(_connection(uow), _timer(build, request_id))
    # The failed transaction was rolled back and its connection is usable again.
    async with build.uow() as uow:
        await _ADD_TIMER.rows(_connection(uow), _timer(build, uuid.uuid4()))
        await uow.commit()
    async with engine.connect() as conn:
        assert len(await _TIMERS.rows(conn, {"ws": build.workspace_id})) == 2


@POSTGRES_ONLY
async def test_a_direct_statement_missing_a_value_is_refused_before_it_is_sent(
    build: Builder,
) -> None:
    # Compiled once with every column of the insert: none is left to its default.
    async with build.uow() as uow:
        half = {"workspace_id": build.workspace_id, "request_id": uuid.uuid4()}
        with pytest.raises(sa.exc.SQLAlchemyError, match="value is required for bind parameter"):
            await _ADD_TIMER.rows(_connection(uow), half)


def _timer(build: Builder, request_id: uuid.UUID) -> dict[str, Any]:
    return {"workspace_id": build.workspace_id, "request_id": request_id, "due_at": NOW}


def _connection(uow: Any) -> Any:
    """The SQL unit of work's connection, as its repositories hold it."""
    return uow._conn
