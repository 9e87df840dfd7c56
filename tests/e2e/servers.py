"""Real servers on loopback: the app under uvicorn, and free ports for the others."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

START_SECONDS = 10.0
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


def free_port() -> int:
    """A loopback port nobody listens on right now (for servers that take a port)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def loopback_socket() -> socket.socket:
    """A socket bound to a free loopback port, to hand to `serving`; binding first
    means the address is known (for PUBLIC_BASE_URL) before the app is built."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def base_url(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@asynccontextmanager
async def serving(
    app: FastAPI, sock: socket.socket, *, access_log: bool = False
) -> AsyncIterator[str]:
    """The app under uvicorn on the socket, in this event loop; yields its base URL.
    With `access_log`, uvicorn logs each request (at INFO) as `serve` has it do."""
    uvicorns = [logging.getLogger(name) for name in UVICORN_LOGGERS]
    before = [(logger.level, logger.propagate) for logger in uvicorns]
    config = uvicorn.Config(
        app,
        log_level="info" if access_log else "warning",
        access_log=access_log,
        lifespan="on",
        log_config=None,  # as `serve` runs it: its lines go to whatever logging is configured
    )
    # uvicorn sets its loggers' levels, and without an access log stops that logger
    # propagating, for the whole process: put them back, so that later tests log as
    # configured (the server checks `access_log` itself before writing a line).
    for logger, (level, propagate) in zip(uvicorns, before, strict=True):
        logger.setLevel(level)
        logger.propagate = propagate
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(int(START_SECONDS / 0.01)):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        if task.done():
            task.result()  # surface the startup error
        assert server.started, f"uvicorn did not start within {START_SECONDS} s"
        yield base_url(sock)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)
        sock.close()
