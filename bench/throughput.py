"""Throughput and latency under wrk: each warmintro path beside the bare endpoint
(bench/baseline_app.py) it is compared with, measured back to back in one run.

PostgreSQL: 64 connections (8 with --smoke); the bare insert and read on the same database server,
then create, read one, list 50, people search, suggestions, warm paths and the
connector's action page against `warmintro serve --no-worker` (its mail would
otherwise be sent by the same process during the load). SQLite: 32 connections (8),
the bare aiosqlite insert against creates on `warmintro serve` as a newcomer runs
it (its worker in the process).
"""

from __future__ import annotations

import json
from pathlib import Path

from bench import servers, wrk
from bench.api import Api
from bench.databases import Database
from bench.options import Options
from bench.profiles import profiling
from bench.results import PathLoad, Results
from bench.scene import Scene

BARE_INSERT = wrk.Target(["/rows"], "POST", ['{"topic": "bare {n}"}'])
BARE_READ = wrk.Target([f"/rows/{i}" for i in range(1, 51)])


async def bare(options: Options, db: Database, logs: Path, results: Results) -> str:
    """The bare insert and read on this database; which loop and parser served them."""
    server = await servers.baseline("baseline-postgres", db.raw, logs)
    try:
        for name, target in (("insert", BARE_INSERT), ("read", BARE_READ)):
            await servers.quiet(server.pid)
            results.bare[name] = _drive(options, server, target, options.sizes.pg_connections)
            _print(f"bare {name}", results.bare[name])
        return servers.served_by(server.pid)
    finally:
        server.stop()


async def warmintro_paths(
    options: Options, server: servers.HttpServer, scene: Scene, results: Results
) -> None:
    auth = scene.api.auth
    read_paths = await scene.read_paths()
    paths = [
        (
            "create",
            wrk.Target(["/v1/intro-requests"], "POST", scene.create_bodies(), auth),
            "insert",
            0.5,
        ),
        ("read one", wrk.Target(read_paths, auth=auth), "read", 0.7),
        ("list 50", wrk.Target(["/v1/intro-requests?limit=50"], auth=auth), "read", 0.5),
        ("people search", wrk.Target([scene.search_path], auth=auth), "read", None),
        ("suggestions", wrk.Target([scene.suggestions_path], auth=auth), "read", None),
        ("warm paths", wrk.Target([scene.warm_paths_path], auth=auth), "read", None),
        ("action page", wrk.Target([scene.link_path]), "read", None),
    ]
    for name, target, bare_name, least in paths:
        await servers.quiet(server.pid)
        with profiling(options, server.pid, name):
            load = _drive(options, server, target, options.sizes.pg_connections)
        _print(name, load)
        results.paths.append(PathLoad(name, load, results.bare[bare_name], bare_name, least))


async def sqlite_creates(options: Options, logs: Path, results: Results) -> None:
    bare_db = logs / "baseline.db"
    server = await servers.baseline("baseline-sqlite", f"sqlite:///{bare_db}", logs)
    try:
        results.bare["sqlite insert"] = _drive(
            options, server, BARE_INSERT, options.sizes.sqlite_connections
        )
        _print("bare sqlite insert", results.bare["sqlite insert"])
    finally:
        server.stop()
    db = Database(f"sqlite+aiosqlite:///{logs / 'warmintro.db'}", "")
    key = db.new_workspace()  # migrates the embedded database first
    server = await servers.serve("serve-sqlite", db.env(), logs, worker=True)
    api = Api(server.base, key)
    try:
        await api.roomy_budgets()
        people = [
            await api.person(f"Sqlite Person {i}") for i in range(options.sizes.sqlite_people)
        ]
        bodies = [
            json.dumps(
                {
                    "asker_id": a,
                    "connector_id": c,
                    "topic": "Bench ask {n}",
                    "message": "Could you introduce me?",
                }
            )
            for a in people
            for c in people
            if a != c
        ]
        target = wrk.Target(["/v1/intro-requests"], "POST", bodies, api.auth)
        results.sqlite_creates = _drive(options, server, target, options.sizes.sqlite_connections)
        _print("sqlite create", results.sqlite_creates)
    finally:
        await api.close()
        server.stop()


def _drive(
    options: Options, server: servers.HttpServer, target: wrk.Target, connections: int
) -> wrk.Load:
    return wrk.run(
        server.base,
        target,
        seconds=options.sizes.seconds,
        connections=connections,
        threads=options.threads,
        pid=server.pid,
    )


def _print(name: str, load: wrk.Load) -> None:
    print(
        f"  {name:<20} {load.per_second:8.0f} req/s  p50 {load.p50_ms:7.1f} ms  "
        f"p99 {load.p99_ms:7.1f} ms  max {load.max_ms:7.1f} ms  errors {load.errors:<5} "
        f"server CPU {load.cpu_ms_per_request:5.2f} ms/req",
        flush=True,
    )
