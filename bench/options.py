"""What one run of the benchmark measures, and how big: the full run or `--smoke`."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = os.environ.get(
    "WARMINTRO_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@dataclass(frozen=True)
class Sizes:
    seconds: float
    """How long wrk drives each path."""
    people: int
    """People in the workspace (search, suggestions, warm paths)."""
    big_network: int
    """Connections of the busy connector and of the busy asker."""
    requests_small: int
    requests_large: int
    """Intro requests at the two sizes the flatness check compares."""
    calls: int
    """Sequential calls whose median is one flatness figure."""
    decisions: int
    """Decisions timed until their email arrives, per worker setup."""
    drain_seconds: float
    """Longest a worker-throughput run waits for the seeded outbox to drain."""
    outbox: int
    """Emails seeded for the worker-throughput runs."""
    idle_seconds: float
    pg_connections: int
    sqlite_connections: int
    sqlite_people: int
    """People the SQLite creates are spread over (each pair asks with its own topics)."""


FULL = Sizes(
    seconds=10,
    people=100_000,
    big_network=20_000,
    requests_small=10_000,
    requests_large=1_000_000,
    calls=7,
    decisions=30,
    drain_seconds=15,
    outbox=2_000,
    idle_seconds=60,
    pg_connections=64,
    sqlite_connections=32,
    sqlite_people=80,
)
SMOKE = Sizes(
    seconds=1,
    people=1_000,
    big_network=300,
    requests_small=500,
    requests_large=2_000,
    calls=3,
    decisions=2,
    drain_seconds=2,
    outbox=40,
    idle_seconds=5,
    # A second at 64 connections ends before a slow path answers its first request.
    pg_connections=8,
    sqlite_connections=8,
    sqlite_people=10,
)


@dataclass(frozen=True)
class Options:
    sizes: Sizes
    smoke: bool
    postgres: str
    out: Path
    """Where the report and the plot go (docs/ for a full run)."""
    threads: int
    profile: bool
    sqlite_flatness: bool
    """Also time the reads at both sizes on SQLite (several minutes more)."""
    """Record a py-spy flame graph of the server during each warmintro path."""


def parse(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="scripts/bench",
        description="Throughput, latency, flatness, mail latency and idle cost of "
        "warmintro against bare baselines, in one run; prints a table and writes "
        "performance.md with a plot.",
    )
    parser.add_argument("--smoke", action="store_true", help="seconds per path, little data")
    parser.add_argument("--seconds", type=float, help="wrk duration per path (default 10)")
    parser.add_argument("--requests", type=int, help="intro requests at the large size (1M)")
    parser.add_argument("--idle-seconds", type=float, help="idle CPU window (default 60)")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="admin URL of a server")
    parser.add_argument(
        "--out",
        type=Path,
        help="directory for performance.md and the plot (default docs/; with --smoke "
        "a temporary directory, so a smoke run never overwrites the docs)",
    )
    parser.add_argument("--connections", type=int, help="wrk, PostgreSQL paths (64)")
    parser.add_argument("--sqlite-connections", type=int, help="wrk, SQLite creates (32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="record a py-spy flame graph of the server during each warmintro path "
        "(under profiles/ beside the report; the sampling costs CPU, so the figures of "
        "such a run are lower)",
    )
    parser.add_argument(
        "--sqlite-flatness",
        action="store_true",
        help="also seed SQLite (executemany) and time the reads at both sizes there; "
        "several minutes more, so not in the default run",
    )
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    if args.seconds:
        sizes = replace(sizes, seconds=args.seconds)
    if args.requests:
        sizes = replace(sizes, requests_large=args.requests)
    if args.idle_seconds:
        sizes = replace(sizes, idle_seconds=args.idle_seconds)
    if args.connections:
        sizes = replace(sizes, pg_connections=args.connections)
    if args.sqlite_connections:
        sizes = replace(sizes, sqlite_connections=args.sqlite_connections)
    out = args.out
    if out is None:
        import tempfile

        out = Path(tempfile.mkdtemp(prefix="warmintro-bench-")) if args.smoke else ROOT / "docs"
    return Options(
        sizes=sizes,
        smoke=args.smoke,
        postgres=args.postgres,
        out=out,
        threads=args.threads,
        profile=args.profile,
        sqlite_flatness=args.sqlite_flatness,
    )
