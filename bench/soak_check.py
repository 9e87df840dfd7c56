"""The soak's check: an SMTP sink that counts each Message-ID it accepts, the wait
for the outbox to drain, and the comparison of the outbox rows with what the sink
received (an outbox row's Message-ID is `<outbox id@domain>`)."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import Counter
from typing import Any

import asyncpg

MESSAGE_ID = re.compile(rb"^message-id:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)
OUTBOX_ID = re.compile(r"<([0-9a-f-]{36})@")


class Sink:
    """An SMTP server that keeps only how often it accepted each Message-ID (a soak
    sends tens of thousands of emails: their bodies are not kept)."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        head = bytes(raw).split(b"\r\n\r\n", 1)[0]
        found = MESSAGE_ID.search(head)
        with self._lock:
            self.seen[found.group(1).decode() if found else "(no Message-ID)"] += 1
        return "250 2.0.0 Ok: queued"

    def total(self) -> int:
        with self._lock:
            return sum(self.seen.values())


def compare(ids: set[str], sink: Sink) -> tuple[int, list[str], dict[str, int], int]:
    """(sent, lost, doubled, stray): received once or more, never received, received
    more than once, received but no such row."""
    received: Counter[str] = Counter()
    stray = 0
    for message_id, count in sink.seen.items():
        found = OUTBOX_ID.search(message_id)
        if found and found.group(1) in ids:
            received[found.group(1)] += count
        else:
            stray += count
    lost = sorted(ids - received.keys())
    doubled = {k: n for k, n in received.items() if n > 1}
    return len(received), lost, doubled, stray


async def drain(raw_url: str, sink: Sink, patience: float) -> tuple[int, float, bool]:
    """Wait until no email waits to be sent (and the sink has stopped counting).
    Returns how many waited at first, how long it took, and whether it drained."""
    started = time.monotonic()
    conn = await asyncpg.connect(raw_url)
    backlog = None
    try:
        while time.monotonic() - started < patience:
            waiting: int = await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
            )
            backlog = waiting if backlog is None else backlog
            if waiting == 0:
                before = sink.total()
                await asyncio.sleep(2)
                if sink.total() == before:
                    return backlog, time.monotonic() - started, True
            else:
                await asyncio.sleep(1)
    finally:
        await conn.close()
    return backlog or 0, time.monotonic() - started, False


async def outcome(raw_url: str, sink: Sink) -> tuple[int, dict[str, int], set[str]]:
    conn = await asyncpg.connect(raw_url)
    try:
        rows = await conn.fetch("SELECT id::text AS id, status FROM outbox")
    finally:
        await conn.close()
    statuses = Counter(r["status"] for r in rows)
    return len(rows), dict(statuses), {r["id"] for r in rows}
