"""Stored responses for `Idempotency-Key`: the same key and body replay the first
response for 24 hours; the same key with another body is refused.

A key is claimed (a row with a short lock) before the use case runs and its
response stored after, so two concurrent retries cannot both run it. If the
process dies between the two, the lock lapses and a later retry runs again:
the use cases themselves are idempotent or duplicate-checked, so that re-run
is harmless.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from warmintro.domain.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from warmintro.domain.ports import Clock
from warmintro.infra.database import writing
from warmintro.infra.tables import idempotency_keys as t

LOCK = timedelta(seconds=60)
KEEP = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    body: Any


class IdempotencyStore:
    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    async def claim(
        self, workspace_id: uuid.UUID, principal: str, key: str, fingerprint: str
    ) -> StoredResponse | None:
        """None when the caller now owns the key; the stored response to replay otherwise."""
        now = self._clock.now()
        where = (t.c.workspace_id == workspace_id, t.c.principal == principal, t.c.key == key)
        async with writing(self._engine) as conn:
            try:
                async with conn.begin_nested():
                    await conn.execute(
                        t.insert().values(
                            workspace_id=workspace_id,
                            principal=principal,
                            key=key,
                            fingerprint=fingerprint,
                            locked_until=now + LOCK,
                            created_at=now,
                        )
                    )
                return None
            except IntegrityError:
                pass
            row = (await conn.execute(sa.select(t).where(*where))).one()
            if row.created_at <= now - KEEP:
                # Keys are kept for a day, as clients are told; after that a key is new.
                await conn.execute(
                    t.update()
                    .where(*where, t.c.created_at == row.created_at)
                    .values(
                        fingerprint=fingerprint,
                        status_code=None,
                        response=None,
                        locked_until=now + LOCK,
                        created_at=now,
                    )
                )
                return None
            if row.fingerprint != fingerprint:
                raise IdempotencyKeyReused(
                    "this Idempotency-Key was already used with a different request"
                )
            if row.status_code is not None:
                return StoredResponse(row.status_code, row.response)
            if row.locked_until is not None and row.locked_until > now:
                raise IdempotencyKeyInUse("a request with this Idempotency-Key is in progress")
            taken = await conn.execute(
                t.update()
                .where(
                    *where,
                    t.c.status_code.is_(None),
                    t.c.locked_until == row.locked_until,
                )
                .values(locked_until=now + LOCK)
            )
            if taken.rowcount != 1:
                raise IdempotencyKeyInUse("a request with this Idempotency-Key is in progress")
            return None

    async def complete(
        self, workspace_id: uuid.UUID, principal: str, key: str, status_code: int, body: Any
    ) -> None:
        async with writing(self._engine) as conn:
            await conn.execute(
                t.update()
                .where(
                    t.c.workspace_id == workspace_id,
                    t.c.principal == principal,
                    t.c.key == key,
                )
                .values(status_code=status_code, response=body, locked_until=None)
            )

    async def release(self, workspace_id: uuid.UUID, principal: str, key: str) -> None:
        async with writing(self._engine) as conn:
            await conn.execute(
                t.delete().where(
                    t.c.workspace_id == workspace_id,
                    t.c.principal == principal,
                    t.c.key == key,
                    t.c.status_code.is_(None),
                )
            )
