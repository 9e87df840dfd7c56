"""The outbox relay: sends what the use cases queued, at least once, usually once.

A row is claimed with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so any
number of relays can run; SQLite's write lock serialises the claim), composed,
handed to the transport, then marked sent. A relay that dies after the
transport accepted but before the mark leaves the lease to run out; the row is
sent once more, with the same Message-ID and outbox id, so the duplicate is
recognisable.

A transient failure (the server is down or times out, SMTP 4xx, HTTP 408, 429 or
5xx) is retried with capped exponential backoff and full jitter for as long as the
workspace's `Timing.email_retry` (3 days by default) from when the row was
queued; only then, or at once on a permanent refusal (SMTP 5xx, another HTTP 4xx), does
the row become `failed`, to be seen with `warmintro outbox list` and sent again
with `warmintro outbox retry`. Errors are stored without addresses or link
tokens; each email handled is one log line (`email sent`, `email retry`, `email
failed`, `email skipped`) with its ids, template, transport, attempt and the
recipient's domain, and for a failure the error's class, never its text.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from warmintro.domain.errors import SendFailed
from warmintro.domain.people import Timing
from warmintro.domain.ports import Clock, Mailer
from warmintro.infra.database import reading, writing
from warmintro.infra.email.compose import Composer, OutboxItem, Undeliverable
from warmintro.infra.leased_queue import Claim, LeasedQueue, RetryPolicy, error_class, redact
from warmintro.infra.tables import outbox, workspaces

log = logging.getLogger("warmintro.relay")

LEASE = timedelta(minutes=2)
BASE_BACKOFF = 5.0
MAX_BACKOFF = 3600.0
DEFAULT_RETRY_WINDOW = Timing().email_retry


def backoff(attempt: int, rng: random.Random) -> float:
    """Seconds before try `attempt + 1`: full jitter under an exponential ceiling
    capped at an hour, never sooner than the base (a retry in the same pass would
    only meet the same outage)."""
    ceiling = min(MAX_BACKOFF, BASE_BACKOFF * 2.0 ** min(attempt - 1, 64))
    return rng.uniform(BASE_BACKOFF, max(BASE_BACKOFF, ceiling))


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
        on_outcome: Callable[[str], None] = lambda outcome: None,
        backend: str = "",
    ) -> None:
        """`on_outcome` hears how each claimed row ended: sent, retry, failed or skipped
        (the metrics count them); `backend` names the transport in the log lines."""
        self._engine = engine
        self._backend = backend
        self._outcome = on_outcome
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
            # No limit on tries: each row gets until its workspace's retry window ends.
            retry=RetryPolicy(None, lambda n: timedelta(seconds=backoff(n, rng))),
            lease=LEASE,
            batch=batch,
        )

    async def run_once(self) -> int:
        """Claim and deliver one batch; returns how many rows were claimed."""
        return await self._queue.work(self._deliver)

    async def seconds_to_next(self) -> float | None:
        """Until the next row falls due (a retry, say), or None: nothing waits."""
        return await self._queue.seconds_to_next()

    async def _deliver(self, claim: Claim[OutboxItem]) -> None:
        item = claim.item
        try:
            async with writing(self._engine) as conn:
                email = await self._composer.compose(conn, item)
        except Undeliverable as exc:
            await claim.finish(status="skipped", last_error=str(exc))
            self._settled(claim, "skipped")
            return
        except Exception as exc:  # a bug or an outage while composing: retry later
            log.exception("composing outbox row %s failed", item.id)
            await self._retry(claim, f"compose failed: {exc!r}", error=exc)
            return
        if not await claim.renew():
            log.warning("outbox row %s was claimed by another relay; not sending it", item.id)
            return
        domain = email.to.email.rpartition("@")[2]
        try:
            provider_id = await self._mailer.send(email)
        except SendFailed as exc:
            if exc.permanent:
                await claim.finish(status="failed", last_error=exc.reason)
                self._settled(claim, "failed", domain, exc)
            else:
                await self._retry(
                    claim, exc.reason, retry_after=exc.retry_after, error=exc, domain=domain
                )
            return
        except Exception as exc:  # a transport bug must not stall the batch behind it
            log.error("sending outbox row %s failed unexpectedly: %s", item.id, redact(repr(exc)))
            await self._retry(claim, f"send failed: {exc!r}", error=exc, domain=domain)
            return
        await claim.finish(
            status="sent",
            sent_at=self._clock.now(),
            message_id=email.message_id,
            provider_id=provider_id,
            last_error=None,
        )
        self._settled(claim, "sent", domain)

    def _settled(
        self,
        claim: Claim[OutboxItem],
        outcome: str,
        domain: str | None = None,
        error: BaseException | None = None,
    ) -> None:
        """One line per email handled, and its count: ids, the template, the
        recipient's domain (never the address), the error's class (never its text:
        the stored, redacted reason is in `warmintro outbox list`)."""
        item = claim.item
        fields = {
            "outbox_id": str(item.id),
            "workspace_id": str(item.workspace_id),
            "template": item.template,
            "backend": self._backend,
            "recipient_domain": domain,
            "attempt": claim.attempts,
            "outcome": outcome,
        }
        if error is not None:
            fields["error"] = error_class(error)
        log.log(
            logging.WARNING if outcome == "failed" else logging.INFO,
            "email %s",
            outcome,
            extra=fields,
        )
        self._outcome(outcome)

    async def _retry(
        self,
        claim: Claim[OutboxItem],
        reason: str,
        *,
        error: BaseException,
        retry_after: float | None = None,
        domain: str | None = None,
    ) -> None:
        """Again later, unless the row is older than its workspace's retry window."""
        window = await self._retry_window(claim.item.workspace_id)
        again = await claim.retry(reason, retry_after=retry_after, until=claim.created_at + window)
        self._settled(claim, "retry" if again else "failed", domain, error)

    async def _retry_window(self, workspace_id: uuid.UUID) -> timedelta:
        """The workspace's `Timing.email_retry`; the default if it cannot be read (the
        database may be what is failing), or if the workspace is gone."""
        try:
            async with reading(self._engine) as conn:
                seconds = await conn.scalar(
                    sa.select(workspaces.c.email_retry_s).where(
                        workspaces.c.workspace_id == workspace_id
                    )
                )
        except Exception:  # the row is settled below or left to its lease either way
            log.warning("could not read the email retry window of workspace %s", workspace_id)
            return DEFAULT_RETRY_WINDOW
        return timedelta(seconds=seconds) if seconds else DEFAULT_RETRY_WINDOW
