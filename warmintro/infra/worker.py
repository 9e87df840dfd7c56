"""The worker loop: due timers, then email, then webhooks, polling briefly when idle.

`warmintro worker` runs one (run many against PostgreSQL); `warmintro serve`
runs one in-process, woken as soon as a transaction queues mail, so a decision
leaves as email within milliseconds rather than a polling interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from warmintro.infra.outbox_relay import OutboxRelay
from warmintro.infra.webhook_relay import WebhookRelay

log = logging.getLogger("warmintro.worker")


class Worker:
    def __init__(
        self,
        relay: OutboxRelay,
        webhooks: WebhookRelay,
        fire_timers: Callable[[], Awaitable[int]],
        *,
        poll_seconds: float = 0.1,
    ) -> None:
        self._relay = relay
        self._webhooks = webhooks
        self._fire_timers = fire_timers
        self._poll = poll_seconds
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Called after a commit that queued mail: skip the rest of the idle wait."""
        self._wake.set()

    async def run_once(self) -> int:
        """Fire due timers, send due mail, deliver due webhooks; returns how much work
        there was. Each stage fails alone: a bad timer never holds back email."""
        done = 0
        stages: tuple[tuple[str, Callable[[], Awaitable[int]]], ...] = (
            ("timers", self._fire_timers),
            ("email", self._relay.run_once),
            ("webhooks", self._webhooks.run_once),
        )
        for name, stage in stages:
            try:
                done += await stage()
            except Exception:
                log.exception("the %s stage of a worker pass failed", name)
        return done

    async def close(self) -> None:
        await self._webhooks.close()

    async def run(self, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            try:
                busy = await self.run_once()
                failures = 0
            except Exception:
                failures += 1
                log.exception("worker pass failed (%d in a row)", failures)
                busy = 0
            if busy:
                continue
            self._wake.clear()
            wait = self._poll if not failures else min(30.0, self._poll * 2**failures)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._first(stop), timeout=wait)

    async def _first(self, stop: asyncio.Event) -> None:
        woken = asyncio.create_task(self._wake.wait())
        stopped = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({woken, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            stopped.cancel()
