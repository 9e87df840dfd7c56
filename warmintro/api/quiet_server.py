"""uvicorn's server, which sleeps while no client is connected.

uvicorn's main loop wakes every 0.1 s, and all it does then is refresh the `date`
header (once a second) and look for a shutdown or the request limit. On an idle
machine each wake-up is dear: a vCPU woken from idle runs its first milliseconds
many times slower (a loop of 6 ms took 20 to 38 ms after a 2 s sleep here), so the
ticks were most of an idle `serve`'s CPU: ten a second about 8% of a core, one a
second still 1-2%. Here the loop ticks once a second while a connection is open,
which keeps the header exact to the second, and otherwise waits for a client or a
signal; a client arriving refreshes the header before it is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Callable
from email.utils import formatdate
from types import FrameType
from typing import Any

import uvicorn

STARTUP_FAILURE = 3
"""The status `uvicorn.run` exits with when the server could not start."""
LONGEST_NAP = 60.0
"""Seconds the loop sleeps at most with no client, for a `should_exit` set by hand
rather than by a signal."""


class _Connections(set[Any]):
    """uvicorn's set of open connections, telling the server when one opens."""

    def __init__(self, on_open: Callable[[], None]) -> None:
        super().__init__()
        self._on_open = on_open

    def add(self, connection: Any) -> None:
        if not self:
            self._on_open()
        super().add(connection)


class QuietServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._stirred = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        # Before any connection exists: each keeps a reference to this set.
        self.server_state.connections = _Connections(self._client_came)

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        while not await self.on_tick(0):  # tick 0: the date header is refreshed
            if self.server_state.connections:
                await asyncio.sleep(1)
                continue
            self._stirred.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(LONGEST_NAP):
                    await self._stirred.wait()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self._loop is not None:  # a signal handler: wake the loop the safe way
            self._loop.call_soon_threadsafe(self._stirred.set)

    def _client_came(self) -> None:
        # The first response is about to read the header, which may be minutes old.
        date = [(b"date", formatdate(time.time(), usegmt=True).encode())]
        headers = date if self.config.date_header else []
        self.server_state.default_headers = headers + self.config.encoded_headers
        self._stirred.set()


def serve_quietly(app: object, **options: object) -> None:
    """`uvicorn.run(app, **options)` for one process, on the quiet server: Ctrl-C
    ends it quietly, and a server that could not start (its port taken, say) exits
    with uvicorn's start-up failure status."""
    server = QuietServer(uvicorn.Config(app, **options))  # type: ignore[arg-type]
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
