"""Clocks the tests move by hand: the wall clock of the app, and the worker loop's
monotonic clock and sleep."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta


class FakeClock:
    """A clock tests move by hand, so deadlines and expiry need no sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


class FakeTime:
    """The run loop's clock and sleep. Sleeping records the wait, moves the clock on
    by it (and `wall`, the app's clock, if given) and returns at once; `then[n]` runs
    after the n-th wait, and the loop is stopped after `waits_wanted` waits."""

    def __init__(
        self, stop: asyncio.Event, waits_wanted: int, wall: FakeClock | None = None
    ) -> None:
        self.stop = stop
        self.waits_wanted = waits_wanted
        self.wall = wall
        self.now = 1000.0
        self.waits: list[float] = []
        self.then: dict[int, Callable[[], Awaitable[None]]] = {}

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        if self.wall is not None:
            self.wall.advance(timedelta(seconds=seconds))
        step = self.then.get(len(self.waits))
        if step is not None:
            await step()
        if len(self.waits) >= self.waits_wanted:
            self.stop.set()
