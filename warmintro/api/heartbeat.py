"""`warmintro worker --heartbeat FILE`: a file whose age says whether the worker works.

A separate worker serves no HTTP, so a container healthcheck cannot ask it how it
is; it can look at a file. While every stage of the worker (timers, email,
webhooks) has completed a pass within the last `FRESH` seconds, the file is
touched every `EVERY` seconds. A worker that is stuck, or that cannot reach its
database, stops touching it, and a healthcheck that finds the file older than
`FRESH` seconds (or missing) reports the container unhealthy (docker-compose.yml).
The stages' last passes are the ones `/metrics` shows as
`warmintro_worker_last_success_timestamp_seconds`.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from warmintro.api.metrics import Metrics
from warmintro.domain.ports import Clock

STAGES = ("timers", "email", "webhooks")
EVERY = 10.0
FRESH = 60.0
LAST_SUCCESS = "warmintro_worker_last_success_timestamp_seconds"


def stages_fresh(metrics: Metrics, now: float, fresh: float = FRESH) -> bool:
    """Whether each stage completed a pass within `fresh` seconds of `now` (Unix
    time); a stage that never did is not fresh."""
    for stage in STAGES:
        at = metrics.registry.get_sample_value(LAST_SUCCESS, {"stage": stage})
        if at is None or now - at > fresh:
            return False
    return True


async def heartbeat(
    path: Path, metrics: Metrics, clock: Clock, stop: asyncio.Event, every: float = EVERY
) -> None:
    """Touch `path` every `every` seconds while the stages are fresh, until `stop`."""
    while not stop.is_set():
        if stages_fresh(metrics, clock.now().timestamp()):
            await asyncio.to_thread(path.touch)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
