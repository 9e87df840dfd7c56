"""Idle cost: CPU time (utime + stime from /proc/PID/stat) of `serve` on an empty
SQLite database (a newcomer's default, worker included), `serve` and `worker` on
PostgreSQL, side by side over the same window, after they have settled."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bench import servers
from bench.databases import Database, sqlite

SETTLE = 50.0
"""Seconds to let start-up work (imports, migrations, first passes) finish, and the
worker's looks thin out to their idle pace (each wait doubles from 0.1 s to 30 s:
about 50 s); less for a short window: a smoke run only checks that the figures
come out."""


async def idle_shares(pg: Database, logs: Path, seconds: float) -> dict[str, float]:
    """Share of one core each process used while idle (0.01 is 1%)."""
    embedded = sqlite(logs, "idle")  # empty: `serve` migrates it as it starts
    serving = await asyncio.gather(
        servers.serve("idle-sqlite", embedded.env(), logs, worker=True),
        servers.serve("idle-pg", pg.env(), logs, worker=True),
    )
    started: dict[str, servers.Process] = {
        "serve (SQLite)": serving[0],
        "serve (PostgreSQL)": serving[1],
        "worker (PostgreSQL)": servers.Process(
            "idle-worker-pg", servers.warmintro("worker"), pg.env(), logs
        ),
    }
    try:
        await asyncio.sleep(SETTLE if seconds >= SETTLE else seconds / 5)
        before = {name: servers.cpu_seconds(p.pid) for name, p in started.items()}
        await asyncio.sleep(seconds)
        return {
            name: (servers.cpu_seconds(p.pid) - before[name]) / seconds
            for name, p in started.items()
        }
    finally:
        for process in started.values():
            process.stop()
