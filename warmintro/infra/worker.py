"""The worker loop: due timers, then email, then webhooks, polling briefly when idle.

`warmintro worker` runs one (run many against PostgreSQL); `warmintro serve`
runs one in-process, woken as soon as a transaction queues mail, so a decision
leaves as email within milliseconds rather than a polling interval.

Each stage fails alone: a bad timer never holds back email. A failing stage
(the database is down, a bug) is logged once per outage, with its error; while
it keeps failing it sits out a wait that doubles from the poll interval up to
MAX_WAIT, and the other stages keep their own pace. The first pass in which it
succeeds again ends the outage, and says so once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from warmintro.infra.outbox_relay import OutboxRelay
from warmintro.infra.webhook_relay import WebhookRelay

log = logging.getLogger("warmintro.worker")

MAX_WAIT = 30.0
"""The longest a failing stage waits between tries, in seconds."""
EARLY = 0.001
"""A sleep may end a hair before its time; a stage due within this many seconds is due."""


@dataclass(slots=True)
class _Stage:
    name: str
    run: Callable[[], Awaitable[int]]
    failures: int = 0
    """Failed passes in a row: 0 while the stage is well."""
    due_at: float = 0.0
    """On the loop's monotonic clock: a failing stage sits out passes before this."""


class Worker:
    def __init__(
        self,
        relay: OutboxRelay,
        webhooks: WebhookRelay,
        fire_timers: Callable[[], Awaitable[int]],
        *,
        retention: Callable[[], Awaitable[int]] | None = None,
        poll_seconds: float = 0.1,
        on_success: Callable[[str], None] = lambda stage: None,
    ) -> None:
        """`on_success` hears the name of each stage (timers, email, webhooks) that
        completes a pass: the metrics keep when, so a stuck worker shows."""
        self._webhooks = webhooks
        self._on_success = on_success
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._stages = (
            _Stage("timers", fire_timers),
            _Stage("email", relay.run_once),
            _Stage("webhooks", webhooks.run_once),
            *([_Stage("retention", retention)] if retention else []),
        )

    def wake(self) -> None:
        """Called after a commit that queued mail: skip the rest of the idle wait."""
        self._wake.set()

    async def run_once(self) -> int:
        """Fire due timers, send due mail, deliver due webhooks, whatever backoff a
        stage is in; returns how much work there was. A failing stage never stops
        the ones after it, and is logged once per outage, not once per pass."""
        return await self._pass(self._stages)

    async def close(self) -> None:
        await self._webhooks.close()

    async def run(
        self,
        stop: asyncio.Event,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Passes until `stop` is set: straight on while they find work, otherwise
        after an idle wait (cut short by `wake`). A failing stage is left out of the
        passes until its backoff is over. `sleep` and `monotonic` are the loop's
        sense of time; a test passes its own to see the waits without taking them."""
        while not stop.is_set():
            now = monotonic()
            due = [stage for stage in self._stages if stage.due_at <= now + EARLY]
            busy = await self._pass(due)
            now = monotonic()
            for stage in due:
                if stage.failures:
                    stage.due_at = now + self._backoff(stage.failures)
            if busy:
                continue
            self._wake.clear()
            await self._idle(self._next_wait(now), stop, sleep)

    async def _pass(self, stages: Sequence[_Stage]) -> int:
        done = 0
        for stage in stages:
            try:
                done += await stage.run()
            except Exception as exc:
                stage.failures += 1
                if stage.failures == 1:
                    log.warning(
                        "the %s stage of the worker failed (%s: %s); retrying with backoff,"
                        " silently until it recovers",
                        stage.name,
                        type(exc).__name__,
                        exc,
                        exc_info=exc,
                    )
                continue
            self._on_success(stage.name)
            if stage.failures:
                log.info(
                    "the %s stage of the worker recovered after %d failed passes",
                    stage.name,
                    stage.failures,
                )
                stage.failures = 0
        return done

    def _backoff(self, failures: int) -> float:
        # The exponent is bounded so that a days-long outage cannot overflow the float.
        return min(MAX_WAIT, self._poll * 2.0 ** min(failures - 1, 64))

    def _next_wait(self, now: float) -> float:
        """Until the soonest stage is due: a well stage polls, a failing one waits out
        its backoff."""
        waits = [stage.due_at - now if stage.failures else self._poll for stage in self._stages]
        return max(0.0, min(waits))

    async def _idle(
        self, seconds: float, stop: asyncio.Event, sleep: Callable[[float], Awaitable[None]]
    ) -> None:
        waits = {
            asyncio.ensure_future(sleep(seconds)),
            asyncio.ensure_future(self._wake.wait()),
            asyncio.ensure_future(stop.wait()),
        }
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
