"""The Alembic history on a fresh SQLite file and a fresh PostgreSQL database:
every step goes up, down and up again; the head equals the tables in code;
and every key and index leads with workspace_id (the scale-out plan).

What the database keeps from other data is what the tables in code do not hold,
being different on each database (PostgreSQL: the `search` column and its GIN
index, `known_by`, `tag_phrases`; SQLite: the FTS5 table and its shadow tables):
these checks set it aside, and test_migration_0010.py, test_known_by.py and
test_migration_0016.py check it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.databases import BACKENDS
from warmintro.infra import migrate
from warmintro.infra.database import make_engine
from warmintro.infra.repositories.matching import KNOWN_BY
from warmintro.infra.repositories.search import (
    SEARCH_COLUMN,
    SEARCH_INDEX,
    SEARCH_TABLE,
    TAG_PHRASES,
)
from warmintro.infra.repositories.workspaces import SqlWorkspaces
from warmintro.infra.tables import connections, metadata, people, workspaces

WORKSPACE_KEYED = [t for t in metadata.sorted_tables if t.name != "workspaces"]
# Queue indexes: the worker drains every workspace at once, so its due-time index
# cannot lead with workspace_id (on Citus each shard keeps its own). The queue
# tables' keys still lead with workspace_id.
QUEUE_INDEXES = {"ix_outbox_due", "ix_timers_due", "ix_webhook_deliveries_due"}

# SQLAlchemy and Alembic cannot reflect SQLite's index on lower(name), and say so;
# `_sqlite_indexes` reads it from SQLite itself.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index"),
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based"),
]


def is_search_table(name: str) -> bool:
    """SQLite's FTS5 table of people and the shadow tables FTS5 keeps beside it."""
    return name == SEARCH_TABLE or name.startswith(f"{SEARCH_TABLE}_")


def is_derived(type_: str, name: str | None, parent: dict[str, str | None]) -> bool:
    """What the database keeps from other data, not in tables.py: PostgreSQL's
    people.search column and its index, people.known_by and people.tag_phrases, or
    SQLite's FTS5 tables."""
    if type_ == "table":
        return is_search_table(name or "")
    if type_ == "column":
        return parent.get("table_name") == "people" and name in (
            SEARCH_COLUMN,
            KNOWN_BY,
            TAG_PHRASES,
        )
    return type_ == "index" and name == SEARCH_INDEX


def history() -> list[tuple[str, str | Sequence[str] | None]]:
    """(revision, its down revision), oldest first; a merge would have several down
    revisions, which test_history_is_linear_and_starts_at_base refuses."""
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1, "the history must have a single head"
    steps = list(script.walk_revisions("base", "heads"))
    steps.reverse()
    return [(s.revision, s.down_revision) for s in steps]


@pytest.fixture
async def fresh_engine(fresh_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(fresh_database_url)
    yield engine
    await engine.dispose()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def table_names(engine: AsyncEngine) -> set[str]:
    """Every table but the search index's."""
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names())
    return {name for name in names if not is_search_table(name)}


async def test_history_is_linear_and_starts_at_base() -> None:
    steps = history()
    assert steps, "no migrations"
    assert steps[0][1] is None
    for (previous, _), (_, down) in pairwise(steps):
        assert down == previous


async def test_stairway_up_down_up_to_head_then_down_to_base(fresh_engine: AsyncEngine) -> None:
    assert await table_names(fresh_engine) == set()
    for revision, down_revision in history():
        await migrate.upgrade(fresh_engine, revision)
        assert await current_revision(fresh_engine) == revision
        await migrate.downgrade(fresh_engine, "-1")
        assert await current_revision(fresh_engine) == down_revision
        await migrate.upgrade(fresh_engine, revision)
        assert await current_revision(fresh_engine) == revision

    assert await table_names(fresh_engine) == {t.name for t in metadata.sorted_tables} | {
        "alembic_version"
    }
    await migrate.downgrade(fresh_engine, "base")
    assert await current_revision(fresh_engine) is None
    assert await table_names(fresh_engine) == {"alembic_version"}


def _differences(sync: Connection) -> list[object]:
    context = MigrationContext.configure(
        sync,
        opts={
            "compare_type": True,
            "render_as_batch": sync.dialect.name == "sqlite",
            "include_name": lambda name, type_, parent: not is_derived(type_, name, parent),
        },
    )
    return list(compare_metadata(context, metadata))


async def test_head_matches_the_tables_in_code(fresh_engine: AsyncEngine) -> None:
    await migrate.upgrade(fresh_engine)
    async with fresh_engine.connect() as conn:
        differences = await conn.run_sync(_differences)
    assert differences == []


def test_every_key_and_index_in_code_leads_with_workspace_id() -> None:
    assert {t.name for t in metadata.sorted_tables} - {t.name for t in WORKSPACE_KEYED} == {
        "workspaces"
    }
    for table in WORKSPACE_KEYED:
        assert table.primary_key.columns.keys()[0] == "workspace_id", table.name
        for constraint in table.constraints:
            if isinstance(constraint, sa.UniqueConstraint | sa.PrimaryKeyConstraint):
                assert constraint.columns.keys()[0] == "workspace_id", (table.name, constraint)
        for index in table.indexes:
            if index.name in QUEUE_INDEXES:
                continue
            first = index.expressions[0]
            assert isinstance(first, sa.Column) and first.name == "workspace_id", (
                table.name,
                index.name,
            )
    assert metadata.tables["workspaces"].primary_key.columns.keys() == ["workspace_id"]


def _leading_columns(sync: Connection) -> list[tuple[str, str, str | None]]:
    """(table, what, first column) of every key, unique constraint and index."""
    inspector = sa.inspect(sync)
    found: list[tuple[str, str, str | None]] = []
    for table in inspector.get_table_names():
        if table in ("alembic_version", "workspaces") or is_search_table(table):
            continue
        pk = inspector.get_pk_constraint(table)
        found.append((table, "primary key", pk["constrained_columns"][0]))
        for uq in inspector.get_unique_constraints(table):
            found.append((table, f"unique {uq['name']}", uq["column_names"][0]))
        if sync.dialect.name == "sqlite":
            # SQLAlchemy does not reflect SQLite's indexes on expressions: ask SQLite.
            found += _sqlite_indexes(sync, table)
            continue
        for ix in inspector.get_indexes(table):
            if ix.get("duplicates_constraint"):
                continue  # PostgreSQL's index behind a unique constraint, seen above
            found.append((table, f"index {ix['name']}", ix["column_names"][0]))
    return found


def _sqlite_indexes(sync: Connection, table: str) -> list[tuple[str, str, str | None]]:
    """(table, "index <name>", first column) of the table's own indexes (origin "c":
    CREATE INDEX, not a key's), expressions included (their column is None)."""
    found: list[tuple[str, str, str | None]] = []
    for row in sync.exec_driver_sql(f"PRAGMA index_list('{table}')").mappings():
        if row["origin"] != "c":
            continue
        first = sync.exec_driver_sql(f"PRAGMA index_xinfo('{row['name']}')").mappings().first()
        assert first is not None
        found.append((table, f"index {row['name']}", first["name"]))
    return found


async def test_every_key_and_index_in_the_database_leads_with_workspace_id(
    fresh_engine: AsyncEngine,
) -> None:
    await migrate.upgrade(fresh_engine)
    async with fresh_engine.connect() as conn:
        found = await conn.run_sync(_leading_columns)
    assert {t for t, _, _ in found} == {t.name for t in WORKSPACE_KEYED}
    # PostgreSQL's search index is one more, and leads with workspace_id too.
    expected_indexes = sum(len(t.indexes) for t in WORKSPACE_KEYED) + (
        fresh_engine.dialect.name == "postgresql"
    )
    assert sum(1 for _, what, _ in found if what.startswith("index ")) == expected_indexes
    assert [
        f
        for f in found
        if f[2] != "workspace_id" and f[1].removeprefix("index ") not in QUEUE_INDEXES
    ] == []
    assert {f[1].removeprefix("index ") for f in found} >= QUEUE_INDEXES


async def test_a_workspace_with_deadlines_past_thirty_days_keeps_working_after_0006(
    fresh_engine: AsyncEngine,
) -> None:
    """0006 gives asks a 30-day lifetime, which must cover every deadline: a workspace
    that already waited longer for its experts gets a lifetime as long as that."""
    await migrate.upgrade(fresh_engine, "0005")
    long, short = uuid.uuid4(), uuid.uuid4()
    days = 86_400
    async with fresh_engine.begin() as conn:
        for workspace_id, expert_deadline in ((long, 45 * days), (short, 7 * days)):
            await conn.execute(
                sa.text(
                    "INSERT INTO workspaces (workspace_id, name, connector_deadline_s,"
                    " connector_reminder_s, expert_deadline_s, expert_reminder_s,"
                    " connector_budget, expert_budget, created_at)"
                    " VALUES (:id, 'w', :cd, :cr, :ed, :er, 5, 3, :at)"
                ),
                dict(
                    id=workspace_id
                    if fresh_engine.dialect.name == "postgresql"
                    else workspace_id.hex,
                    cd=5 * days,
                    cr=3 * days,
                    ed=expert_deadline,
                    er=4 * days,
                    at=datetime(2026, 1, 1, tzinfo=UTC)
                    if fresh_engine.dialect.name == "postgresql"
                    else "2026-01-01 00:00:00",
                ),
            )
    await migrate.upgrade(fresh_engine)

    async with fresh_engine.connect() as conn:
        repo = SqlWorkspaces(conn)
        loaded_long, loaded_short = await repo.get(long), await repo.get(short)
    assert loaded_long is not None and loaded_short is not None
    assert loaded_long.timing.ask_lifetime == timedelta(days=45)
    assert loaded_short.timing.ask_lifetime == timedelta(days=30)


@pytest.mark.parametrize("fresh_database_url", BACKENDS[1:], indirect=True)
async def test_0014_fills_in_who_knows_each_person_from_the_connections_there(
    fresh_engine: AsyncEngine,
) -> None:
    await migrate.upgrade(fresh_engine, "0013")
    ws = uuid.uuid4()
    ada, bo, cy = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    at = datetime(2026, 1, 1, tzinfo=UTC)
    async with fresh_engine.begin() as conn:
        await conn.execute(
            workspaces.insert().values(
                workspace_id=ws,
                name="w",
                connector_deadline_s=1,
                connector_reminder_s=1,
                expert_deadline_s=1,
                expert_reminder_s=1,
                connector_budget=5,
                expert_budget=3,
                created_at=at,
            )
        )
        for person, name in ((ada, "Ada"), (bo, "Bo"), (cy, "Cy")):
            await conn.execute(
                people.insert().values(
                    workspace_id=ws,
                    id=person,
                    email=f"{name}@example.org",
                    email_key=f"{name}@example.org",
                    name=name,
                    expertise=[],
                    created_at=at,
                    updated_at=at,
                )
            )
        for who, whom in ((ada, cy), (bo, cy), (cy, ada)):
            await conn.execute(
                connections.insert().values(
                    workspace_id=ws,
                    person_id=who,
                    other_id=whom,
                    strength=3,
                    context="",
                    created_at=at,
                )
            )
    await migrate.upgrade(fresh_engine)

    async with fresh_engine.connect() as conn:
        rows = await conn.execute(sa.text(f"SELECT id, {KNOWN_BY} FROM people"))
        kept = {person: sorted(knowers) for person, knowers in rows}
    assert kept == {ada: [cy], bo: [], cy: sorted([ada, bo])}
