"""Applying the Alembic history from code (the CLI, `serve`, the tests)."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from warmintro.infra.database import reading

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    async with engine.connect() as conn:
        await conn.run_sync(lambda sync: command.upgrade(alembic_config(connection=sync), revision))
        await conn.commit()


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    async with engine.connect() as conn:
        await conn.run_sync(
            lambda sync: command.downgrade(alembic_config(connection=sync), revision)
        )
        await conn.commit()


@functools.cache
def head_revision() -> str:
    """The newest revision this code knows (read once from the migration scripts)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migration history is empty"
    return head


async def schema_unready(engine: AsyncEngine) -> str | None:
    """Why the database cannot serve this code, or None when it can: it must answer,
    and its schema must be at the migration head (older means `warmintro migrate`
    has not run; newer means this code is older than the schema)."""
    try:
        async with reading(engine) as conn:  # must not queue behind the writers
            revision = await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    except Exception as exc:
        return f"the database does not answer ({type(exc).__name__})"
    if revision != head_revision():
        return f"the schema is at revision {revision or 'none'}, not at {head_revision()}"
    return None
