"""An SMTP server on loopback (aiosmtpd, in its own thread) that notes when each
message arrived and for whom; the bodies are not kept."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller

from bench.servers import free_port


@dataclass(frozen=True)
class Arrival:
    at: float
    """time.perf_counter() when the message was accepted."""
    recipients: tuple[str, ...]


class Sink:
    def __init__(self) -> None:
        self.port = free_port()
        self._arrivals: list[Arrival] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        arrival = Arrival(time.perf_counter(), tuple(a.lower() for a in envelope.rcpt_tos))
        with self._lock:
            self._arrivals.append(arrival)
        return "250 2.0.0 Ok: queued"

    def __enter__(self) -> Sink:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    def arrivals(self) -> list[Arrival]:
        with self._lock:
            return list(self._arrivals)

    def count(self) -> int:
        with self._lock:
            return len(self._arrivals)

    def env(self) -> dict[str, str]:
        """Settings that send warmintro's mail here."""
        return {"EMAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.port)}
