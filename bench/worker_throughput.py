"""Worker throughput: emails per second one and two `warmintro worker` processes
send from an outbox seeded with pending email, to the SMTP sink.

The seeded rows are copies of the introductions the decision-to-email section
sent (so they compose as real mail). The rate runs from the first arrival to the
last, so process start-up is left out; a run stops at `drain_seconds` and what
it left is set aside before the next.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg

from bench import servers
from bench.databases import Database
from bench.seed_copy import CopyWriter
from bench.smtp_sink import Sink
from warmintro.domain.ids import new_id


async def emails_per_second(
    db: Database, sink: Sink, logs: Path, workers: int, emails: int, drain_seconds: float
) -> float:
    conn = await asyncpg.connect(db.raw)
    try:
        await _seed(CopyWriter(conn), emails)
        seen = sink.count()
        env = db.env(**sink.env())
        started = [
            servers.Process(f"worker-{workers}-{i}", servers.warmintro("worker"), env, logs)
            for i in range(workers)
        ]
        try:
            deadline = time.perf_counter() + drain_seconds + 5  # start-up
            # The sink counts in its own thread: polling its count is the simple way.
            while sink.count() - seen < emails and time.perf_counter() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        finally:
            for worker in started:
                worker.stop()
        await conn.execute(
            "UPDATE outbox SET status = 'failed' WHERE status IN ('pending', 'sending')"
        )
    finally:
        await conn.close()
    arrived = sink.arrivals()[seen:]
    if len(arrived) < 2:
        return 0.0
    return (len(arrived) - 1) / (arrived[-1].at - arrived[0].at)


async def _seed(writer: CopyWriter, emails: int) -> None:
    """`emails` pending copies of the introductions sent last."""
    newest = await writer.conn.fetchval(
        "SELECT template FROM outbox WHERE status = 'sent' ORDER BY created_at DESC LIMIT 1"
    )
    rows = await writer.templates("outbox", "template", newest)
    rows = [r for r in rows if r["status"] == "sent"]
    copies = (
        {
            **rows[i % len(rows)],
            "id": new_id(),
            "status": "pending",
            "attempts": 0,
            "sent_at": None,
            "locked_until": None,
            "message_id": None,
            "provider_id": None,
            "last_error": None,
            "delivered_at": None,
            "opened_at": None,
        }
        for i in range(emails)
    )
    await writer.copy("outbox", copies)
