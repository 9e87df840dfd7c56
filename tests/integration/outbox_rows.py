"""Outbox rows written straight to the table, for the worker's tests."""

from __future__ import annotations

import uuid
from datetime import timedelta

from warmintro.api.container import Container
from warmintro.infra.tables import outbox


async def email_due_in(container: Container, seconds: float) -> uuid.UUID:
    """An email for a workspace that does not exist: when claimed, it is skipped."""
    row_id, now = uuid.uuid4(), container.clock.now()
    async with container.engine.begin() as conn:
        await conn.execute(
            outbox.insert().values(
                workspace_id=uuid.uuid4(),
                id=row_id,
                template="connector_ask",
                recipient_id=uuid.uuid4(),
                cc_ids=[],
                available_at=now + timedelta(seconds=seconds),
                created_at=now,
            )
        )
    return row_id
