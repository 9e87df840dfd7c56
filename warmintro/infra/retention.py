"""The worker's retention stage: bounded batches, then a rest.

A sweep deletes one batch per worker pass while batches come back full, so a large
backlog drains without one long transaction and without starving the other stages;
once a batch comes back short the sweep rests for `every` (an hour).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from warmintro.domain.ports import Clock


class RetentionSweep:
    def __init__(
        self,
        purge: Callable[[int], Awaitable[int]],
        clock: Clock,
        *,
        batch: int = 500,
        every: timedelta = timedelta(hours=1),
    ) -> None:
        self._purge = purge
        self._clock = clock
        self._batch = batch
        self._every = every
        self._next: datetime | None = None

    async def run_once(self) -> int:
        """One batch if a sweep is due; answers how many rows went (0 at rest)."""
        now = self._clock.now()
        if self._next is not None and now < self._next:
            return 0
        deleted = await self._purge(self._batch)
        if deleted < self._batch:
            self._next = now + self._every
        return deleted
