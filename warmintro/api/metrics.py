"""A minimal Prometheus exposition: counts and latency sums per route and status.

Kept in-process and dependency-free; the route template (not the raw path) is
the label so ids never become label values.
"""

from __future__ import annotations

import time
from collections import defaultdict

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from warmintro.api.problems import route_of


class Metrics:
    def __init__(self) -> None:
        self.count: dict[tuple[str, str, int], int] = defaultdict(int)
        self.seconds: dict[tuple[str, str, int], float] = defaultdict(float)

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
