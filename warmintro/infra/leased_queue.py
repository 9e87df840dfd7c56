"""A table used as a work queue, claimed with leases: the outbox and the webhook
deliveries both work this way.

A claim marks due rows `sending` with a lease (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, so any number of workers can claim; SQLite's write lock serialises
claims). The lease value is the claim's token: a worker renews it before each
send and finishes only a row whose lease is still its own, so a slower worker
never settles a row another has claimed since, and never starts sending one. A
send that itself outlasts the lease can still go out twice: delivery is at least
once, with the same Message-ID or webhook-id so the duplicate is recognisable.

Renewing and settling a claim ride out a short database outage (PostgreSQL
restarting): they try again, waiting a little longer each time, for as long as a
lease lasts, then give up and leave the row to its lease. An email the provider
took while the database was away is therefore marked sent when it is back, not
sent again; and the rest of a claimed batch goes on at once, rather than waiting
for its leases to run out.

A relay sees each row as a `Claim` of its own item type and keeps only what is
its own (composing, signing, sending); the queue's `RetryPolicy` decides when a
failed row goes again and when it is given up: after a number of tries (webhooks)
or once a deadline the relay gives per row has passed (email).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from warmintro.domain.ports import Clock
from warmintro.infra.database import reading, unavailable, writing

T = TypeVar("T")
log = logging.getLogger("warmintro.queue")

WAITING = ("pending", "sending")
"""The statuses of rows still to be worked: the predicate of each queue's due index."""
FIRST_WAIT = 0.1
LONGEST_WAIT = 2.0
"""Seconds between tries of a renewal or settlement while the database is away."""

_ADDRESS = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")
_LINK = re.compile(r"/a/[^\s<>\"']+")
_JWT = re.compile(r"\beyJ[\w-]*\.[\w-]+\.[\w-]+")


def redact(text: str) -> str:
    """Provider errors may quote addresses, and an error that quotes a message may
    quote a link: neither is stored or logged (erasure could not find an address;
    a link token is a credential)."""
    text = _LINK.sub("/a/[token]", text)
    text = _JWT.sub("[token]", text)
    return _ADDRESS.sub("[address]", text)[:2000]


def error_class(exc: BaseException) -> str:
    """What to log of an error: the class of what went wrong underneath
    (`ConnectionRefusedError`, `SMTPResponseException`, `ConnectError`), never its
    text, which may quote an address or a link."""
    return type(exc.__cause__ or exc.__context__ or exc).__name__


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When a failed row goes again. After attempt n (counting from 1) fails, the
    next one waits `wait(n)`, or longer if the receiver asked for longer
    (Retry-After). A row is given up once it has had `attempts` tries (None: no
    limit), or once it fails at or after the deadline (`until`) its relay gives it;
    the last wait before a deadline is cut short so that one try falls on it."""

    attempts: int | None
    wait: Callable[[int], timedelta]

    def __post_init__(self) -> None:
        if self.attempts is not None and self.attempts < 1:
            raise ValueError(f"a retry policy allows at least one attempt, not {self.attempts}")

    def next_try(
        self,
        attempt: int,
        failed_at: datetime,
        retry_after: float | None = None,
        until: datetime | None = None,
    ) -> datetime | None:
        """When attempt `attempt + 1` is due, or None: give up."""
        if self.attempts is not None and attempt >= self.attempts:
            return None
        if until is not None and failed_at >= until:
            return None
        due = failed_at + max(self.wait(attempt), timedelta(seconds=retry_after or 0))
        return min(due, until) if until is not None else due


class Claim(Generic[T]):
    """One claimed row: the relay's `item`, which try this is (`attempts`, this one
    counted), when the row was queued (`created_at`) and our lease, shown as proof
    that the row is still ours each time the claim is renewed or settled."""

    __slots__ = ("_key", "_lease", "_queue", "attempts", "created_at", "item")

    def __init__(self, queue: LeasedQueue[T], row: sa.Row[Any], item: T) -> None:
        self._queue = queue
        self._key: tuple[uuid.UUID, uuid.UUID] = (row.workspace_id, row.id)
        self._lease: datetime | None = row.locked_until
        self.attempts: int = row.attempts
        self.created_at: datetime = row.created_at
        self.item = item

    async def renew(self) -> bool:
        """A fresh lease for one more send. False when the row is no longer ours (our
        lease ran out and another worker claimed it): then it must not be sent."""
        lease = await self._queue._renew(self._key, self._lease)
        if lease is None:
            return False
        self._lease = lease
        return True

    async def finish(self, **values: Any) -> None:
        """Settle the row (a new status, what was sent, the error) if it is still
        ours; a row another worker claimed meanwhile is left to that worker."""
        await self._queue._settle(self._key, self._lease, values)

    async def retry(
        self,
        reason: str,
        *,
        retry_after: float | None = None,
        failed_at: datetime | None = None,
        until: datetime | None = None,
    ) -> bool:
        """This attempt failed for `reason`: the row goes back to `pending` at the
        policy's next try (True), or, with the tries used up or the deadline `until`
        passed, fails for good with "gave up: <reason>" (False)."""
        failed_at = failed_at or self._queue.clock.now()
        next_try = self._queue.retry.next_try(self.attempts, failed_at, retry_after, until)
        if next_try is None:
            await self.finish(status="failed", last_error=f"gave up: {reason}")
            return False
        await self.finish(status="pending", last_error=reason, **{self._queue.due.key: next_try})
        return True


class LeasedQueue(Generic[T]):
    """The rows of `table` whose `due` time has come, claimed in batches of `batch`
    under a lease of `lease`, each handed out as a `Claim` of `item(row)`."""

    def __init__(
        self,
        engine: AsyncEngine,
        table: sa.Table,
        due: sa.Column[Any],
        clock: Clock,
        *,
        item: Callable[[sa.Row[Any]], T],
        retry: RetryPolicy,
        lease: timedelta,
        batch: int,
    ) -> None:
        self._engine = engine
        self._t = table
        self.due = due
        self.clock = clock
        self._item = item
        self.retry = retry
        self._lease = lease
        self._batch = batch

    async def work(self, deliver: Callable[[Claim[T]], Awaitable[None]]) -> int:
        """Claim one batch and hand each claim to `deliver`, in order; returns how
        many rows were claimed."""
        claims = await self.claim()
        for claim in claims:
            await deliver(claim)
        return len(claims)

    async def claim(self) -> list[Claim[T]]:
        """Due rows, now `sending` under a fresh lease, attempts counted."""
        t, now = self._t, self.clock.now()
        due = (
            sa.select(t.c.workspace_id, t.c.id)
            .where(
                self._waiting(),
                self.due <= now,
                sa.or_(t.c.locked_until.is_(None), t.c.locked_until <= now),
            )
            .order_by(self.due)
            .limit(self._batch)
        )
        async with writing(self._engine) as conn:
            if conn.dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            rows = (
                await conn.execute(
                    t.update()
                    .where(sa.tuple_(t.c.workspace_id, t.c.id).in_(due))
                    .values(
                        status="sending",
                        locked_until=now + self._lease,
                        attempts=t.c.attempts + 1,
                    )
                    .returning(t)
                )
            ).all()
        return [Claim(self, row, self._item(row)) for row in rows]

    async def seconds_to_next(self) -> float | None:
        """How long until the soonest row no worker holds falls due (zero or less:
        one is due now), or None when none waits. A lease running out is not
        counted: it ends only when a worker died mid-send, and a poll finds it."""
        t = self._t
        soonest = (
            sa.select(self.due)
            .where(self._waiting(), t.c.locked_until.is_(None))
            .order_by(self.due)
            .limit(1)
        )
        async with reading(self._engine) as conn:
            due: datetime | None = await conn.scalar(soonest)
        return None if due is None else (due - self.clock.now()).total_seconds()

    def _waiting(self) -> sa.ColumnElement[bool]:
        # Literal statuses, as the partial due index's predicate spells them: SQLite
        # uses a partial index only for a WHERE that contains its predicate, which a
        # bound parameter never does, and scans the whole table instead.
        return self._t.c.status.in_([sa.literal(s, literal_execute=True) for s in WAITING])

    async def _renew(
        self, key: tuple[uuid.UUID, uuid.UUID], lease: datetime | None
    ) -> datetime | None:
        """A fresh lease for the row `key` (workspace id, id) held under `lease`, or
        None if the row is no longer ours."""
        new = self.clock.now() + self._lease
        statement = self._t.update().where(*self._ours(key, lease)).values(locked_until=new)
        return new if await self._riding_out(statement, key) == 1 else None

    async def _settle(
        self, key: tuple[uuid.UUID, uuid.UUID], lease: datetime | None, values: dict[str, Any]
    ) -> None:
        """Write `values` to the row `key` if we still hold it, and release the lease."""
        if values.get("last_error"):
            values = {**values, "last_error": redact(values["last_error"])}
        statement = self._t.update().where(*self._ours(key, lease))
        await self._riding_out(statement.values(locked_until=None, **values), key)

    async def _riding_out(self, statement: sa.Update, key: tuple[uuid.UUID, uuid.UUID]) -> int:
        """Run one update of our row in a transaction of its own; returns the rows it
        changed. While the database is out of reach it is tried again, for as long as
        a lease lasts: past that the row may be another worker's, and the lease check
        in the update would leave it alone anyway."""
        wait, give_up = FIRST_WAIT, time.monotonic() + self._lease.total_seconds()
        while True:
            try:
                async with writing(self._engine) as conn:
                    rowcount: int = (await conn.execute(statement)).rowcount
                    return rowcount
            except Exception as exc:
                if not unavailable(exc) or time.monotonic() >= give_up:
                    raise
                if wait == FIRST_WAIT:
                    log.warning(
                        "the database is out of reach (%s); %s row %s waits for it",
                        type(exc).__name__,
                        self._t.name,
                        key[1],
                    )
            await asyncio.sleep(wait)
            wait = min(LONGEST_WAIT, wait * 2)

    def _ours(self, key: tuple[uuid.UUID, uuid.UUID], lease: datetime | None) -> tuple[Any, ...]:
        t = self._t
        workspace_id, row_id = key
        return (
            t.c.workspace_id == workspace_id,
            t.c.id == row_id,
            t.c.status == "sending",
            t.c.locked_until == lease,
        )
