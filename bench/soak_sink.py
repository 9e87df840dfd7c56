"""The soak's SMTP sink: counts each Message-ID it accepts, and compares that with
the outbox rows (an outbox row's Message-ID is `<outbox id@domain>`)."""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any

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
