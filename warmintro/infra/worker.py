"""The worker loop: due timers, then email, then webhooks, quiet when idle.

`warmintro worker` runs one (run many against PostgreSQL); `warmintro serve`
runs one in-process. Work is noticed as it is committed rather than by polling
fast: a commit in the same process calls `wake`, and the wake sources the
composition root gives (LISTEN/NOTIFY on PostgreSQL, SQLite's data version)
call it for commits elsewhere. So a decision leaves as email within
milliseconds, and an idle worker costs next to nothing: while passes find
nothing its wait doubles from the poll interval up to the longest poll, never
past the moment the next timer or retry falls due.

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
from warmintro.infra.wake_sources import WakeSource
from warmintro.infra.webhook_relay import WebhookRelay

log = logging.getLogger("warmintro.worker")

MAX_WAIT = 30.0
"""The longest a failing stage waits between tries, in seconds."""
EARLY = 0.001
"""A sleep may end a hair before its time; a stage due within this many seconds is due."""

SecondsToNext = Callable[[], Awaitable[float | None]]
"""How long until a stage's next piece of work falls due; None: nothing waits."""


@dataclass(slots=True)
class _Stage:
    name: str
    run: Callable[[], Awaitable[int]]
    seconds_to_next: SecondsToNext | None = None
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
        next_timer: SecondsToNext | None = None,
        retention: Callable[[], Awaitable[int]] | None = None,
        poll_seconds: float = 0.1,
        max_poll_seconds: float = 30.0,
        wake_sources: Sequence[WakeSource] = (),
        on_success: Callable[[str], None] = lambda stage: None,
    ) -> None:
        """`next_timer` tells when the soonest timer falls due, so that an idle wait
        ends then. `on_success` hears the name of each stage (timers, email,
        webhooks) that completes a pass: the metrics keep when, so a stuck worker
        shows."""
        self._webhooks = webhooks
        self._on_success = on_success
        self._poll = poll_seconds
        self._max_poll = max(poll_seconds, max_poll_seconds)
        self.wake_sources = list(wake_sources)
        self._wake = asyncio.Event()
        self._stages = (
            _Stage("timers", fire_timers, next_timer),
            _Stage("email", relay.run_once, relay.seconds_to_next),
            _Stage("webhooks", webhooks.run_once, webhooks.seconds_to_next),
            *([_Stage("retention", retention)] if retention else []),
        )

    def wake(self) -> None:
        """Work may have been queued (a commit, here or elsewhere): end the idle wait."""
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
        after an idle wait (cut short by `wake`) that doubles while passes find
        nothing. A failing stage is left out of the passes until its backoff is
        over. The wake sources run meanwhile. `sleep` and `monotonic` are the loop's
        sense of time; a test passes its own to see the waits without taking them."""
        sources = [asyncio.create_task(source(self.wake, stop)) for source in self.wake_sources]
        idle = self._poll
        try:
            while not stop.is_set():
                # Cleared before the pass, not after: a commit that lands while the
                # pass is under way must still cut the coming wait short.
                self._wake.clear()
                now = monotonic()
                due = [stage for stage in self._stages if stage.due_at <= now + EARLY]
                failing = [stage for stage in due if stage.failures]
                busy = await self._pass(due)
                now = monotonic()
                for stage in due:
                    if stage.failures:
                        stage.due_at = now + self._backoff(stage.failures)
                if busy or any(not stage.failures for stage in failing):
                    idle = self._poll  # work, or a stage back: look again soon
                if busy:
                    continue
                wait = min(idle, await self._until_next_due())
                if not await self._idle(self._next_wait(now, wait), stop, sleep):
                    idle = min(self._max_poll, idle * 2)
        finally:
            for task in sources:
                task.cancel()
            await asyncio.gather(*sources, return_exceptions=True)

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

    async def _until_next_due(self) -> float:
        """Seconds until the soonest timer, email or webhook of a well stage falls
        due, at least one poll interval (one due already but not claimed, say locked
        by another worker, is looked at again soon, not in a spin); infinite when
        nothing waits or that cannot be read (a failing stage says why)."""
        soonest = float("inf")
        for stage in self._stages:
            if stage.seconds_to_next is None or stage.failures:
                continue
            try:
                seconds = await stage.seconds_to_next()
            except Exception:
                log.debug("could not read when the %s stage is next due", stage.name)
                continue
            if seconds is not None:
                soonest = min(soonest, max(self._poll, seconds))
        return soonest

    def _backoff(self, failures: int) -> float:
        # The exponent is bounded so that a days-long outage cannot overflow the float.
        return min(MAX_WAIT, self._poll * 2.0 ** min(failures - 1, 64))

    def _next_wait(self, now: float, idle: float) -> float:
        """Until the soonest stage is due: a well stage after the idle wait, a failing
        one once its backoff is over."""
        waits = [stage.due_at - now if stage.failures else idle for stage in self._stages]
        return max(0.0, min(waits))

    async def _idle(
        self, seconds: float, stop: asyncio.Event, sleep: Callable[[float], Awaitable[None]]
    ) -> bool:
        """Wait `seconds`, or less if woken or stopped; whether woken or stopped."""
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
        return self._wake.is_set() or stop.is_set()
