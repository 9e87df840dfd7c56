"""A minimal Prometheus exposition: counts and latency sums per route and status,
and the state of the email queue.

Kept in-process and dependency-free; the route template (not the raw path) is
the label so ids never become label values. The queue is read at scrape time
with one query, so every process reports the same (shared) queue.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from warmintro.api.problems import route_of
from warmintro.infra.repositories.outbox import OutboxHealth


class Metrics:
    def __init__(self, outbox: Callable[[], Awaitable[OutboxHealth]] | None = None) -> None:
        self.count: dict[tuple[str, str, int], int] = defaultdict(int)
        self.seconds: dict[tuple[str, str, int], float] = defaultdict(float)
        self._outbox = outbox

    async def scrape(self) -> str:
        """Everything, the email queue read now."""
        if self._outbox is None:
            return self.render()
        health = await self._outbox()
        lines = [
            "# HELP warmintro_outbox_pending Emails waiting to be sent (pending or sending).",
            "# TYPE warmintro_outbox_pending gauge",
            f"warmintro_outbox_pending {health.pending}",
            "# HELP warmintro_outbox_failed Emails that failed for good (see `outbox list`).",
            "# TYPE warmintro_outbox_failed gauge",
            f"warmintro_outbox_failed {health.failed}",
            "# HELP warmintro_outbox_oldest_pending_seconds Age of the oldest waiting email.",
            "# TYPE warmintro_outbox_oldest_pending_seconds gauge",
            "warmintro_outbox_oldest_pending_seconds "
            f"{health.oldest_pending_age.total_seconds():.3f}",
        ]
        return self.render() + "\n".join(lines) + "\n"

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        self.count[key] += 1
        self.seconds[key] += seconds

    def render(self) -> str:
        lines = ["# TYPE warmintro_http_requests_total counter"]
        for (m, r, s), n in sorted(self.count.items()):
            lines.append(
                f'warmintro_http_requests_total{{method="{m}",route="{r}",status="{s}"}} {n}'
            )
        lines.append("# TYPE warmintro_http_request_seconds_sum counter")
        for (m, r, s), t in sorted(self.seconds.items()):
            lines.append(
                f'warmintro_http_request_seconds_sum{{method="{m}",route="{r}",'
                f'status="{s}"}} {t:.6f}'
            )
        return "\n".join(lines) + "\n"


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            self.metrics.observe(
                scope["method"], route_of(scope), status, time.perf_counter() - start
            )
