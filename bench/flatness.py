"""Flat as the data grows: the same reads timed at the small and the large size.

Each figure is the median of several sequential calls (after one to warm up), over
HTTP for what a user triggers and in this process for the worker's idle pass (its
queue claims, with nothing due). Sequential on purpose: this is the time of one
call on the data, not throughput.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable

from bench.scene import Scene

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
    return {name: await _median_ms(read, calls) for name, read in reads.items()}


async def _median_ms(read: Callable[[], Awaitable[object]], calls: int) -> float:
    await read()
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        await read()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)
