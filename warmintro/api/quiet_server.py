"""uvicorn's server, waking once a second instead of ten times when nothing happens.

uvicorn's main loop sleeps 0.1 s between ticks, and all a tick does is refresh the
`date` header (once a second) and look for a shutdown or the request limit. On an
idle machine each wake-up is expensive: a vCPU woken from idle runs its first
milliseconds many times slower (a loop of 6 ms took 20 to 38 ms after a 2 s sleep
here), and ten a second were most of an idle `serve`'s CPU. One a second keeps the
header exact to the second and answers a shutdown within a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys

import uvicorn

STARTUP_FAILURE = 3
"""The status `uvicorn.run` exits with when the server could not start."""
TICKS_PER_WAKE = 10
"""uvicorn counts ticks of 0.1 s; one wake a second stands for ten of them."""


class QuietServer(uvicorn.Server):
    async def main_loop(self) -> None:
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + TICKS_PER_WAKE) % 864000
            await asyncio.sleep(TICKS_PER_WAKE / 10)
            should_exit = await self.on_tick(counter)


def serve_quietly(app: object, **options: object) -> None:
    """`uvicorn.run(app, **options)` for one process, on the quiet server: Ctrl-C
    ends it quietly, and a server that could not start (its port taken, say) exits
    with uvicorn's start-up failure status."""
    server = QuietServer(uvicorn.Config(app, **options))  # type: ignore[arg-type]
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
