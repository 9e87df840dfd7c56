"""Databases of the run: a fresh PostgreSQL database each (created on the admin
server, migrated with `warmintro migrate`, dropped at the end) or a SQLite file,
and the environment every warmintro process of the run gets."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bench import servers

SECRET_KEY = "bench-" + secrets.token_hex(24)
"""Signs the action links the seeder mints and the server verifies."""

ROOMY = "1000000/second"
"""A rate limit that never refuses: the load comes from one key and one address,
so any real limit would measure 429s instead of the service (the limiter still
counts every request, as it does in production)."""


@dataclass(frozen=True)
class Database:
    url: str
    """For warmintro (SQLAlchemy)."""
    raw: str
    """For asyncpg or aiosqlite directly (the seeder, the baseline)."""

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def env(self, **more: str) -> dict[str, str]:
        """Settings for a warmintro process on this database."""
        return {
            "DATABASE_URL": self.url,
            "SECRET_KEY": SECRET_KEY,
            "EMAIL_BACKEND": "console",
            "LOG_LEVEL": "WARNING",
            "RATE_LIMIT_PER_API_KEY": ROOMY,
            "RATE_LIMIT_PER_MEMBER": ROOMY,
            "RATE_LIMIT_PER_IP_LINKS": ROOMY,
            "RATE_LIMIT_AUTH_FAILURES_PER_IP": ROOMY,
            **more,
        }

    def migrate(self) -> None:
        servers.cli(self.env(), "migrate")

    def new_workspace(self, name: str = "bench") -> str:
        """A workspace; its API key."""
        return servers.cli(self.env(), "workspace", "create", name, "--quiet")


@asynccontextmanager
async def postgres(admin: str) -> AsyncIterator[Database]:
    """A fresh PostgreSQL database at the latest schema, dropped afterwards."""
    name = f"warmintro_bench_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    raw = f"{admin.rsplit('/', 1)[0]}/{name}"
    db = Database(raw.replace("postgresql://", "postgresql+asyncpg://", 1), raw)
    try:
        db.migrate()
        yield db
    finally:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


def sqlite(directory: Path, name: str) -> Database:
    path = directory / f"{name}.db"
    return Database(f"sqlite+aiosqlite:///{path}", f"sqlite:///{path}")


async def server_version(admin: str) -> str:
    conn = await asyncpg.connect(admin)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()
