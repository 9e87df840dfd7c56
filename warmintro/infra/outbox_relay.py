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
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from warmintro.domain.errors import SendFailed
from warmintro.domain.ports import Clock, Mailer
from warmintro.infra.email.compose import Composer, OutboxItem, Undeliverable
from warmintro.infra.leased_queue import Claim, LeasedQueue, RetryPolicy
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


def _outbox_item(row: sa.Row[Any]) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        workspace_id=row.workspace_id,
        template=row.template,
        recipient_id=row.recipient_id,
        cc_ids=tuple(uuid.UUID(c) for c in row.cc_ids),
        also_to_ids=tuple(uuid.UUID(t) for t in row.also_to_ids),
        request_id=row.request_id,
        event_id=row.event_id,
    )


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
        rng = rng or random.Random()
        self._queue = LeasedQueue(
            engine,
            outbox,
            outbox.c.available_at,
            clock,
            item=_outbox_item,
            retry=RetryPolicy(MAX_ATTEMPTS, lambda n: timedelta(seconds=backoff(n, rng))),
            lease=LEASE,
            batch=batch,
        )

    async def run_once(self) -> int:
        """Claim and deliver one batch; returns how many rows were claimed."""
        return await self._queue.work(self._deliver)

    async def _deliver(self, claim: Claim[OutboxItem]) -> None:
        item = claim.item
        try:
            async with self._engine.begin() as conn:
                email = await self._composer.compose(conn, item)
        except Undeliverable as exc:
            await claim.finish(status="skipped", last_error=str(exc))
            return
        except Exception as exc:  # a bug or an outage while composing: retry later
            log.exception("composing outbox row %s failed", item.id)
            await claim.retry(f"compose failed: {exc!r}")
            return
        if not await claim.renew():
            log.warning("outbox row %s was claimed by another relay; not sending it", item.id)
            return
        try:
            provider_id = await self._mailer.send(email)
        except SendFailed as exc:
            if exc.permanent:
                log.warning("outbox row %s refused for good: %s", item.id, exc.reason)
                await claim.finish(status="failed", last_error=exc.reason)
            else:
                await claim.retry(exc.reason, retry_after=exc.retry_after)
            return
        except Exception as exc:  # a transport bug must not stall the batch behind it
            log.exception("sending outbox row %s failed unexpectedly", item.id)
            await claim.retry(f"send failed: {exc!r}")
            return
        await claim.finish(
            status="sent",
            sent_at=self._clock.now(),
            message_id=email.message_id,
            provider_id=provider_id,
            last_error=None,
        )
