"""`warmintro worker --metrics-port PORT`: the worker's own `/metrics`.

A separate worker serves no API, yet what it does (emails sent, webhooks
delivered, timers fired, when each stage last completed a pass) is counted in its
process only. With a port it serves the same Prometheus text as the API's
`/metrics` (the shared queues read at scrape time, and this process's counters)
on that port, and nothing else: every other path is a 404. It listens on
127.0.0.1 unless told otherwise; the metrics are for the operator's scraper, not
the public.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from warmintro.api.metrics import CONTENT_TYPE, Metrics


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: the worker owns SIGINT and SIGTERM and sets
    its stop event, which this server follows."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def metrics_app(metrics: Metrics) -> Starlette:
    async def scrape(request: Request) -> Response:
        return Response(await metrics.scrape(), media_type=CONTENT_TYPE)

    return Starlette(routes=[Route("/metrics", scrape, methods=["GET"])])


async def serve_metrics(metrics: Metrics, host: str, port: int, stop: asyncio.Event) -> None:
    """Serve `/metrics` until `stop` is set."""
    config = uvicorn.Config(
        metrics_app(metrics), host=host, port=port, access_log=False, log_config=None
    )
    server = _Server(config)
    serving = asyncio.create_task(server.serve())
    await stop.wait()
    server.should_exit = True
    await serving
