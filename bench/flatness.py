"""Flat as the data grows: the same reads timed at the small and the large size.

Each figure is the median of several sequential calls (after one to warm up; a
read that takes over two seconds is timed once, and one call is cut off at 30 s), over
HTTP for what a user triggers and in this process for the worker's idle pass (its
queue claims, with nothing due). Sequential on purpose: this is the time of one
call on the data, not throughput.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from bench.scene import Scene
from bench.servers import quiet

SLOW_MS = 2000
"""A read slower than this the first time is timed once."""
LIMIT_S = 30
"""The longest one call is waited for, so the run stays bounded."""
READS = ("list 50 (busy asker)", "people search", "suggestions", "warm paths", "worker claim")


async def timings(scene: Scene, calls: int) -> dict[str, float]:
    """Each read's median time in ms."""
    api = scene.api

    def get(path: str, as_person: str | None = None) -> Callable[[], Awaitable[object]]:
        return lambda: api.call("GET", path, as_person=as_person)

    reads: dict[str, Callable[[], Awaitable[object]]] = {
        READS[0]: get("/v1/intro-requests?limit=50", scene.network.asker),
        READS[1]: get(scene.search_path),
        READS[2]: get(scene.suggestions_path),
        READS[3]: get(scene.warm_paths_path),
        READS[4]: scene.container.worker.run_once,
    }
    return {name: await _median_ms(read, calls, scene.server_pid) for name, read in reads.items()}


async def _median_ms(read: Callable[[], Awaitable[object]], calls: int, pid: int) -> float:
    first = await _timed(read, pid)
    if first > SLOW_MS:
        # More calls would only take longer to say the same: it is far off target.
        return first
    return statistics.median([await _timed(read, pid) for _ in range(calls)])


async def _timed(read: Callable[[], Awaitable[object]], pid: int) -> float:
    """One call's ms; a call cut off at LIMIT_S counts as LIMIT_S."""
    started = time.perf_counter()
    try:
        await asyncio.wait_for(read(), LIMIT_S)
    except TimeoutError:
        print(f"  (a call did not answer within {LIMIT_S} s)", flush=True)
        await quiet(pid, longest=60)  # the server is still at it: let the next call be
        return LIMIT_S * 1000
    return (time.perf_counter() - started) * 1000
