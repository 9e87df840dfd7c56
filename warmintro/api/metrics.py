"""Prometheus metrics, in a registry of their own per app (never the global default),
so two apps in one process (the tests) count apart.

Every label takes a bounded set of values: the route's template, never the raw
path ("unmatched" when no route answered); one of a fixed list of methods, any
other as "other". A client that invents paths or methods therefore cannot grow
the scrape. The queues are read at scrape time with one query each, so every
process reports the same shared queues; what happens inside one process (sends,
deliveries, timers fired, the worker's passes) is counted where it happens.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from warmintro.api.problems import route_of
from warmintro.infra.repositories.outbox import OutboxHealth

log = logging.getLogger("warmintro.metrics")

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
EMAIL_OUTCOMES = ("sent", "retry", "failed", "skipped")
WEBHOOK_OUTCOMES = ("delivered", "retry", "failed", "held")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def method_label(method: str) -> str:
    """The method as a label: one of METHODS (as sent: methods are case-sensitive),
    anything else "other"."""
    return method if method in METHODS else "other"


class Metrics:
    """What `/metrics` shows. The outbox and timer gauges are read when scraped."""

    def __init__(
        self,
        outbox: Callable[[], Awaitable[OutboxHealth]] | None = None,
        timers_due: Callable[[], Awaitable[int]] | None = None,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._outbox = outbox
        self._timers_due = timers_due
        r = self.registry
        # The process's garbage collections by generation (`python_gc_*`).
        GCCollector(registry=r)
        self.requests = Counter(
            "warmintro_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "warmintro_http_request_seconds",
            "HTTP request latency by method, route template and status class.",
            ["method", "route", "status_class"],
            registry=r,
        )
        self.outbox_pending = Gauge(
            "warmintro_outbox_pending",
            "Emails waiting to be sent (pending or sending).",
            registry=r,
        )
        self.outbox_failed = Gauge(
            "warmintro_outbox_failed",
            "Emails that failed for good (see `outbox list`).",
            registry=r,
        )
        self.outbox_oldest = Gauge(
            "warmintro_outbox_oldest_pending_seconds",
            "Age of the oldest waiting email.",
            registry=r,
        )
        self.emails = Counter(
            "warmintro_outbox_sends",
            "Outbox rows this process handled, by outcome: sent, retry, failed, skipped.",
            ["outcome"],
            registry=r,
        )
        self.timers_due = Gauge(
            "warmintro_timers_due", "Timers whose time has come, not yet fired.", registry=r
        )
        self.timers_fired = Counter(
            "warmintro_timers_fired", "Timers this process fired.", registry=r
        )
        self.webhooks = Counter(
            "warmintro_webhook_deliveries",
            "Webhook delivery attempts this process made, by outcome: delivered, retry, "
            "failed, held.",
            ["outcome"],
            registry=r,
        )
        self.worker_success = Gauge(
            "warmintro_worker_last_success_timestamp_seconds",
            "When each stage of this process's worker last completed a pass (Unix time).",
            ["stage"],
            registry=r,
        )

        # Every outcome shows from the start, at 0, so a rate over it is never empty.
        for outcome in EMAIL_OUTCOMES:
            self.emails.labels(outcome)
        for outcome in WEBHOOK_OUTCOMES:
            self.webhooks.labels(outcome)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        m = method_label(method)
        self.requests.labels(m, route, str(status)).inc()
        self.latency.labels(m, route, f"{status // 100}xx").observe(seconds)

    def email_outcome(self, outcome: str) -> None:
        self.emails.labels(outcome).inc()

    def webhook_outcome(self, outcome: str) -> None:
        self.webhooks.labels(outcome).inc()

    def stage_succeeded(self, stage: str, at: datetime) -> None:
        self.worker_success.labels(stage).set(at.timestamp())

    async def scrape(self) -> bytes:
        """Everything, the queues read now. A database that cannot be read makes the
        queue gauges NaN (unknown) rather than failing the scrape: the request counts
        matter most during an outage."""
        if self._outbox is not None:
            try:
                health = await self._outbox()
                pending, failed = float(health.pending), float(health.failed)
                oldest = health.oldest_pending_age.total_seconds()
            except Exception as exc:
                log.warning("metrics: cannot read the outbox (%s)", type(exc).__name__)
                pending = failed = oldest = math.nan
            self.outbox_pending.set(pending)
            self.outbox_failed.set(failed)
            self.outbox_oldest.set(oldest)
        if self._timers_due is not None:
            try:
                due = float(await self._timers_due())
            except Exception as exc:
                log.warning("metrics: cannot read the timers (%s)", type(exc).__name__)
                due = math.nan
            self.timers_due.set(due)
        return generate_latest(self.registry)


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
