"""`python -m bench` (what ./scripts/bench runs): the whole benchmark, one run."""

from __future__ import annotations

import asyncio
import sys

from bench import options, suite
from bench.wrk import wrk_installed


def main() -> None:
    chosen = options.parse()
    if not wrk_installed():
        sys.exit("the benchmark needs wrk (Debian: apt-get install wrk)")
    asyncio.run(suite.run(chosen))


if __name__ == "__main__":
    main()
