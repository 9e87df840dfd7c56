"""The whole benchmark, section by section, in one run (see performance.md's "How
to run and read it"). Each section lives in a module of its own; this one only
orders them, times the seeding and hands the results to the report."""

from __future__ import annotations

import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

import aiosqlite
import asyncpg

from bench import (
    databases,
    flatness,
    idle_cpu,
    machine,
    plot,
    profiles,
    report,
    servers,
    throughput,
)
from bench.api import Api
from bench.mail_latency import SETUPS, decision_to_email
from bench.options import Options
from bench.results import Results
from bench.scene import Scene, build_scene
from bench.seed_copy import CopyWriter
from bench.seed_requests import RequestSeeder
from bench.seed_sqlite import SqliteWriter
from bench.smtp_sink import Sink
from bench.worker_throughput import emails_per_second


async def run(options: Options) -> Results:
    started = time.perf_counter()
    logs = Path(tempfile.mkdtemp(prefix="warmintro-bench-logs-"))
    print(f"server logs in {logs}", flush=True)
    results = Results(connections=(options.sizes.pg_connections, options.sizes.sqlite_connections))
    if options.profile:
        shutil.rmtree(options.out / profiles.FOLDER, ignore_errors=True)  # a past run's
        results.profiled = True
    # One PostgreSQL database for every section: the mail and the idle processes then
    # run beside a million asks, as a live service's would.
    async with databases.postgres(options.postgres) as db:
        key = db.new_workspace()
        served_by = await _postgres_paths(options, db, key, logs, results)
        _section("SQLite creates")
        await throughput.sqlite_creates(options, logs, results)
        if options.sqlite_flatness:
            await _sqlite_flatness(options, logs, results)
        await _mail_and_idle(options, db, key, logs, results)
    version = await databases.server_version(options.postgres)
    results.machine = machine.describe(version, served_by)
    results.idle_seconds = options.sizes.idle_seconds
    minutes = (time.perf_counter() - started) / 60
    report.print_table(results)
    options.out.mkdir(parents=True, exist_ok=True)
    plot.draw(results, options.out / report.PLOT)
    command = "./scripts/bench " + shlex.join(sys.argv[1:])
    written = report.write(results, options.out, command.strip(), minutes)
    print(f"\n{written} written ({minutes:.1f} minutes)")
    return results


async def _postgres_paths(
    options: Options, db: databases.Database, key: str, logs: Path, results: Results
) -> str:
    """Seed, time the reads at the small size, load every path, grow, time again."""
    sizes = options.sizes
    app = await servers.serve("serve-postgres", db.env(), logs)
    api = Api(app.base, key)
    conn = await asyncpg.connect(db.raw)
    try:
        _section(f"PostgreSQL: seeding {sizes.people:,} people")
        step = time.perf_counter()
        writer = CopyWriter(conn)
        scene = await build_scene(api, writer, db, sizes.people, sizes.big_network, app.pid)
        results.seeding[f"{sizes.people:,} people and their connections"] = _since(step)
        try:
            await _grow(scene.requests, sizes.requests_small, results)
            _section(f"flatness at {sizes.requests_small:,} requests")
            results.flat_small = await _timings(scene, sizes.calls)
            _section("throughput (wrk), bare endpoints then warmintro")
            bare_by = await throughput.bare(options, db, logs, results)
            await throughput.warmintro_paths(options, app, scene, results)
            # The creates wrk just made queued mail that no worker sent (--no-worker):
            # count it as sent, so the claim below times an idle pass, as at the small size.
            await conn.execute("UPDATE outbox SET status = 'sent' WHERE status <> 'sent'")
            await _grow(scene.requests, sizes.requests_large, results)
            served_by = servers.served_by(app.pid)
            # The small size was timed on a server that had served only the seeding;
            # wrk has since grown its pool to every connection and its heap. Time the
            # large size on a server as fresh, so the two figures differ by the data.
            app.stop()
            app = await servers.serve("serve-postgres", db.env(), logs)
            scene.api, scene.server_pid = Api(app.base, key), app.pid
            _section(f"flatness at {sizes.requests_large:,} requests (a fresh server)")
            results.flat_large = await _timings(scene, sizes.calls)
            results.sizes = (sizes.requests_small, sizes.requests_large)
            return f"warmintro {served_by}, bare {bare_by}"
        finally:
            await scene.container.close()
            if scene.api is not api:
                await scene.api.close()
    finally:
        await api.close()
        await conn.close()
        app.stop()


async def _sqlite_flatness(options: Options, logs: Path, results: Results) -> None:
    """The same reads on the embedded database, seeded the same way (executemany)."""
    sizes = options.sizes
    db = databases.sqlite(logs, "flatness")
    key = db.new_workspace()
    app = await servers.serve("serve-sqlite-flatness", db.env(), logs)
    api = Api(app.base, key)
    conn = await aiosqlite.connect(db.raw.removeprefix("sqlite:///"))
    try:
        _section(f"SQLite: seeding {sizes.people:,} people")
        step = time.perf_counter()
        writer = SqliteWriter(conn)
        scene = await build_scene(api, writer, db, sizes.people, sizes.big_network, app.pid)
        results.seeding[f"SQLite: {sizes.people:,} people and their connections"] = _since(step)
        try:
            await _grow(scene.requests, sizes.requests_small, results, "SQLite: ")
            _section(f"SQLite: flatness at {sizes.requests_small:,} requests")
            results.sqlite_flat_small = await _timings(scene, sizes.calls)
            await _grow(scene.requests, sizes.requests_large, results, "SQLite: ")
            _section(f"SQLite: flatness at {sizes.requests_large:,} requests")
            results.sqlite_flat_large = await _timings(scene, sizes.calls)
        finally:
            await scene.container.close()
    finally:
        await api.close()
        await conn.close()
        app.stop()


async def _grow(requests: RequestSeeder, total: int, results: Results, db: str = "") -> None:
    step = time.perf_counter()
    added = await requests.grow_to(total)
    results.seeding[f"{db}{added:,} intro requests (to {total:,})"] = _since(step)
    print(f"  seeded {added:,} intro requests in {_since(step):.1f} s", flush=True)


async def _timings(scene: Scene, calls: int) -> dict[str, float]:
    found = await flatness.timings(scene, calls)
    for name, ms in found.items():
        print(f"  {name:<22} {ms:8.1f} ms", flush=True)
    return found


async def _mail_and_idle(
    options: Options, db: databases.Database, key: str, logs: Path, results: Results
) -> None:
    sizes = options.sizes
    with Sink() as sink:
        for setup in SETUPS:
            _section(f"decision to email, {setup}")
            found = await decision_to_email(db, key, sink, logs, setup, sizes.decisions)
            results.mail_ms[setup] = found
            print(f"  {len(found)} decisions, slowest {max(found):.0f} ms", flush=True)
        for workers in (1, 2):
            _section(f"worker throughput, {workers} worker(s)")
            rate = await emails_per_second(
                db, sink, logs, workers, sizes.outbox, sizes.drain_seconds
            )
            results.emails_per_second[f"{workers} worker(s) draining {sizes.outbox:,}"] = rate
            print(f"  {rate:.0f} emails/s", flush=True)
    _section(f"idle CPU over {sizes.idle_seconds:.0f} s")
    results.idle_core_share = await idle_cpu.idle_shares(db, logs, sizes.idle_seconds)
    for name, share in results.idle_core_share.items():
        print(f"  {name:<20} {share:.2%} of a core", flush=True)


_STARTED = time.perf_counter()


def _section(title: str) -> None:
    print(f"\n== {title}  (at {time.perf_counter() - _STARTED:.0f} s)", flush=True)


def _since(started: float) -> float:
    return time.perf_counter() - started
