"""The outbox relay: sends what the use cases queued, at least once, usually once.

A row is claimed with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so any
number of relays can run; SQLite's write lock serialises the claim), composed,
handed to the transport, then marked sent. A relay that dies after the
transport accepted but before the mark leaves the lease to run out; the row is
sent once more, with the same Message-ID and outbox id, so the duplicate is
recognisable. Transient failures retry with exponential backoff and jitter;
permanent ones are recorded and not retried.
"""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from warmintro.domain.errors import SendFailed
from warmintro.domain.ports import Clock, Mailer
from warmintro.infra.email.compose import Composer, OutboxItem, Undeliverable
from warmintro.infra.leased_queue import LeasedQueue
from warmintro.infra.tables import outbox

log = logging.getLogger("warmintro.relay")

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8
BASE_BACKOFF = 5.0
MAX_BACKOFF = 3600.0


def backoff(attempt: int, rng: random.Random) -> float:
    """Seconds before try `attempt + 1`: exponential with full jitter, capped."""
    ceiling = min(MAX_BACKOFF, BASE_BACKOFF * 2.0 ** (attempt - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        composer: Composer,
        mailer: Mailer,
        clock: Clock,
        *,
        batch: int = 20,
        rng: random.Random | None = None,
    ) -> None:
        self._engine = engine
        self._composer = composer
        self._mailer = mailer
        self._clock = clock
        self._rng = rng or random.Random()
        self._queue = LeasedQueue(
            engine, outbox, outbox.c.available_at, clock, lease=LEASE, batch=batch
        )

    async def run_once(self) -> int:
        """Claim and deliver one batch; returns how many rows were claimed."""
        items = await self._claim()
        for item in items:
            await self._deliver(item)
        return len(items)

    async def _claim(self) -> list[OutboxItem]:
        return [
            OutboxItem(
                id=r.id,
                workspace_id=r.workspace_id,
                template=r.template,
                recipient_id=r.recipient_id,
                cc_ids=tuple(uuid.UUID(c) for c in r.cc_ids),
                request_id=r.request_id,
                event_id=r.event_id,
                attempts=r.attempts,
                lease=r.locked_until,
            )
            for r in await self._queue.claim()
        ]

    async def _deliver(self, item: OutboxItem) -> None:
        try:
            async with self._engine.begin() as conn:
                email = await self._composer.compose(conn, item)
        except Undeliverable as exc:
            await self._finish(item, status="skipped", last_error=str(exc))
            return
        except Exception as exc:  # a bug or an outage while composing: retry later
            log.exception("composing outbox row %s failed", item.id)
            await self._retry_or_fail(item, f"compose failed: {exc!r}", None)
            return
        renewed = await self._renew(item)
        if renewed is None:
            log.warning("outbox row %s was claimed by another relay; not sending it", item.id)
            return
        item = renewed
        try:
            provider_id = await self._mailer.send(email)
        except SendFailed as exc:
            if exc.permanent:
                log.warning("outbox row %s refused for good: %s", item.id, exc.reason)
                await self._finish(item, status="failed", last_error=exc.reason)
            else:
                await self._retry_or_fail(item, exc.reason, exc.retry_after)
            return
        except Exception as exc:  # a transport bug must not stall the batch behind it
            log.exception("sending outbox row %s failed unexpectedly", item.id)
            await self._retry_or_fail(item, f"send failed: {exc!r}", None)
            return
        await self._finish(
            item,
            status="sent",
            sent_at=self._clock.now(),
            message_id=email.message_id,
            provider_id=provider_id,
            last_error=None,
        )

    async def _retry_or_fail(
        self, item: OutboxItem, reason: str, retry_after: float | None
    ) -> None:
        if item.attempts >= MAX_ATTEMPTS:
            await self._finish(item, status="failed", last_error=f"gave up: {reason}")
            return
        delay = max(retry_after or 0.0, backoff(item.attempts, self._rng))
        await self._finish(
            item,
            status="pending",
            available_at=self._clock.now() + timedelta(seconds=delay),
            last_error=reason,
        )

    async def _renew(self, item: OutboxItem) -> OutboxItem | None:
        lease = await self._queue.renew(item.workspace_id, item.id, item.lease)
        return replace(item, lease=lease) if lease is not None else None

    async def _finish(self, item: OutboxItem, **values: Any) -> None:
        await self._queue.finish(item.workspace_id, item.id, item.lease, **values)
