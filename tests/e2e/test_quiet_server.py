"""The quiet server (`serve` in one process): its loop sleeps while no client is
connected, ticks once a second while one is, dates the first answer after a sleep
correctly, and still stops at once when told to."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from email.utils import parsedate_to_datetime

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from warmintro.api.quiet_server import QuietServer


class CountingServer(QuietServer):
    ticks = 0

    async def on_tick(self, counter: int) -> bool:
        self.ticks += 1
        return await super().on_tick(counter)


def _app() -> Starlette:
    return Starlette(routes=[Route("/", lambda request: PlainTextResponse("ok"))])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_the_loop_sleeps_without_clients_and_answers_with_the_current_date() -> None:
    port = _free_port()
    # No log_config or log_level: uvicorn would set them on its loggers for the whole run.
    config = uvicorn.Config(_app(), host="127.0.0.1", port=port, log_config=None)
    server = CountingServer(config)
    # Off the main thread uvicorn installs no signal handlers: the test calls the handler.
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.01)
        time.sleep(2.5)
        assert server.ticks == 1, "the loop woke with nobody connected"

        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            answer = client.get("/")
            dated = parsedate_to_datetime(answer.headers["date"]).timestamp()
            assert abs(dated - time.time()) <= 1.5, "the first answer after a sleep is dated then"
            ticks = server.ticks
            time.sleep(2.5)  # the client keeps its connection open
            assert server.ticks - ticks >= 2, "no tick while a client was connected"
    finally:
        server.handle_exit(15, None)  # SIGTERM, as its handler would see it
        thread.join(timeout=5)
    assert not thread.is_alive(), "the server did not stop when told to"
