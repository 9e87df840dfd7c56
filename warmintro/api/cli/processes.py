"""The long-running processes: `serve` (the API, with a worker unless told not to),
`worker` (mail, webhooks and timers; run many) and `migrate`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from warmintro.api.cli.configuration import migrate_database, safe_url, settings_or_exit
from warmintro.infra.settings import DEFAULT_HOST, DEFAULT_PORT, Settings, listening_address

if TYPE_CHECKING:
    from fastapi import FastAPI


SERVED_ON = {"loop": "asyncio", "http": "httptools"}
"""uvicorn's event loop and HTTP parser for `serve`, named rather than left to
uvicorn, which takes uvloop whenever it is installed. Under load uvloop left new
connections in the accept queue: with 64 clients connecting at once to a server
busy with the first of them, some waited 0.4-0.55 s (a read's p99 150-270 ms
against a p50 of 38; a bare uvicorn app spending 0.6 ms a request waited up to
1.25 s), while asyncio's loop accepted them at once, for 2-4% fewer requests a
second (docs/performance-analysis.md). httptools rather than h11: with it (and
uvloop) `/healthz` took 0.24 ms of CPU, against 0.32 on h11 and asyncio's loop."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="run the API (migrates an embedded SQLite database)")
    serve.add_argument("--host", default=DEFAULT_HOST)
    serve.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="links in emails point here unless PUBLIC_BASE_URL is set",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="serve from N processes sharing the port (PostgreSQL only; each runs its own "
        "in-process worker unless --no-worker)",
    )
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--no-access-log", dest="access_log", action="store_false")
    serve.add_argument(
        "--no-worker",
        dest="worker",
        action="store_false",
        help="do not send mail or fire timers in this process (run `warmintro worker`)",
    )
    serve.set_defaults(func=cmd_serve)

    work = sub.add_parser("worker", help="send queued mail and fire timers (run many)")
    work.add_argument(
        "--heartbeat",
        type=Path,
        metavar="FILE",
        help="touch FILE every 10 s while every stage of the worker keeps completing "
        "its passes (for a container healthcheck: older than 60 s means unhealthy)",
    )
    work.add_argument(
        "--metrics-port",
        type=int,
        metavar="PORT",
        help="serve this worker's /metrics on PORT (what it sent, delivered and fired)",
    )
    work.add_argument("--metrics-host", default="127.0.0.1", metavar="HOST")
    work.set_defaults(func=cmd_worker)

    mig = sub.add_parser("migrate", help="bring the database to the latest schema")
    mig.set_defaults(func=cmd_migrate)


def cmd_migrate(args: argparse.Namespace) -> None:
    settings = settings_or_exit()
    migrate_database(settings)
    print(f"database is at the latest schema ({safe_url(settings.database_url)})")


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    settings = settings_or_exit().serving_at(args.host, args.port)
    if args.workers < 1:
        sys.exit("warmintro: --workers must be 1 or more")
    if args.workers > 1 and settings.is_sqlite:
        sys.exit(
            "warmintro: --workers needs PostgreSQL: the embedded SQLite database takes one "
            "writer at a time, so more processes only queue for it (set DATABASE_URL)"
        )
    if settings.is_sqlite:
        migrate_database(settings)  # the embedded database migrates itself
    here = listening_address(args.host, args.port)
    print(f"warmintro serving on {here} (docs at {here}/docs)", flush=True)
    print(f"links in emails point to {settings.public_base_url}", flush=True)
    served = dict(
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=args.access_log,
        log_config=None,  # uvicorn's lines go through configure_logging's formatter
        **SERVED_ON,
    )
    if args.workers == 1:
        from warmintro.api.quiet_server import serve_quietly

        serve_quietly(_served_app(settings, args.worker), **served)
        return
    # Each process builds its own app (a pool, a rate-limit store and a worker of its
    # own) from the environment, which the children inherit with these additions.
    os.environ[_SERVE_AT] = f"{args.port} {args.host}"
    os.environ[_SERVE_WORKER] = "1" if args.worker else ""
    uvicorn.run(
        f"{__name__}:app_in_child",
        factory=True,
        workers=args.workers,
        **served,
    )


_SERVE_AT = "WARMINTRO_SERVE_AT"
_SERVE_WORKER = "WARMINTRO_SERVE_WORKER"


def _served_app(settings: Settings, run_worker: bool) -> FastAPI:
    from warmintro.api.app import create_app
    from warmintro.api.container import tune_garbage_collector

    app = create_app(settings, migrate_on_start=False, run_worker=run_worker)
    tune_garbage_collector()
    return app


def app_in_child() -> FastAPI:
    """The app of one of `serve --workers N`'s processes (uvicorn's factory)."""
    port, host = os.environ[_SERVE_AT].split(" ", 1)
    settings = settings_or_exit().serving_at(host, int(port))
    return _served_app(settings, bool(os.environ.get(_SERVE_WORKER)))


def cmd_worker(args: argparse.Namespace) -> None:
    import signal

    from warmintro.api.container import bootstrap, tune_garbage_collector

    settings = settings_or_exit()
    if settings.is_sqlite:
        migrate_database(settings)

    async def run() -> None:
        container = bootstrap(settings, worker_alone=True)
        tune_garbage_collector()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print(f"warmintro worker running ({settings.email_backend} email)", flush=True)
        print(f"links in emails point to {settings.public_base_url}", flush=True)
        if not settings.public_base_url_given:
            print(
                "warning: PUBLIC_BASE_URL is not set, so links point to serve's default "
                "address; set it to where people reach the API",
                file=sys.stderr,
                flush=True,
            )
        beside: list[asyncio.Task[None]] = []
        if args.heartbeat:
            from warmintro.api.heartbeat import heartbeat

            alive = heartbeat(args.heartbeat, container.metrics, container.clock, stop)
            beside.append(asyncio.create_task(alive))
        if args.metrics_port is not None:
            from warmintro.api.worker_metrics import serve_metrics

            scrape = serve_metrics(container.metrics, args.metrics_host, args.metrics_port, stop)
            beside.append(asyncio.create_task(scrape))
            here = listening_address(args.metrics_host, args.metrics_port)
            print(f"metrics at {here}/metrics", flush=True)
        try:
            await container.worker.run(stop)
        finally:
            stop.set()
            await asyncio.gather(*beside, return_exceptions=True)
            await container.close()

    asyncio.run(run())
