"""Throughput and latency of the hot paths, against a bare baseline.

Runs each server as a subprocess on loopback, drives it with a bounded async load
from this process, and prints figures; it asserts nothing. On a 2-core machine the
server, database and load generator share the CPUs, so compare the ratios of one
run, not absolute numbers across machines.

    .venv/bin/python bench/api_bench.py                       # SQLite (embedded default)
    .venv/bin/python bench/api_bench.py --postgres postgresql://postgres@127.0.0.1:5432/postgres

The baseline is a bare FastAPI endpoint inserting (or reading) one row with raw
asyncpg (PostgreSQL) or aiosqlite (SQLite).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "bench" / "baseline_app.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        args, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def wait_up(base: str) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        for _ in range(200):
            try:
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"server at {base} did not come up")


async def load(
    name: str, client: httpx.AsyncClient, make, concurrency: int, seconds: float
) -> None:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def user(i: int) -> None:
        nonlocal errors
        n = 0
        while time.perf_counter() < deadline:
            method, url, body = make(i, n)
            n += 1
            t0 = time.perf_counter()
            r = await client.request(method, url, json=body)
            latencies.append(time.perf_counter() - t0)
            if r.status_code >= 400:
                errors += 1

    start_t = time.perf_counter()
    await asyncio.gather(*(user(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - start_t
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    print(
        f"{name:<34} {len(latencies) / elapsed:8.0f} req/s  p50 {p(0.5):6.1f} ms  "
        f"p99 {p(0.99):6.1f} ms  max {latencies[-1] * 1000:6.1f} ms  errors {errors}"
    )


async def bench_warmintro(db_url: str, concurrency: int, seconds: float) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # One key drives the whole load: its rate limit would measure 429s, not the service.
    env = {"DATABASE_URL": db_url, "EMAIL_BACKEND": "console", "RATE_LIMIT_PER_API_KEY": ""}
    subprocess.run(
        [sys.executable, "-m", "warmintro.api.cli", "migrate"],
        env={**os.environ, **env},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    key = subprocess.run(
        [sys.executable, "-m", "warmintro.api.cli", "workspace", "create", "bench", "--quiet"],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    server = start(
        [
            sys.executable,
            "-m",
            "warmintro.api.cli",
            "serve",
            "--port",
            str(port),
            "--no-worker",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env,
    )
    try:
        await wait_up(base)
        headers = {"Authorization": f"Bearer {key}"}
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(
            base_url=base, headers=headers, limits=limits, trust_env=False, timeout=30
        ) as client:
            people = []
            for i in range(concurrency + 1):
                r = await client.post(
                    "/v1/people",
                    json={
                        "email": f"p{i}-{secrets.token_hex(3)}@example.com",
                        "name": f"P{i}",
                        "preferences": {"ask_budget": 100},
                    },
                )
                people.append(r.json()["id"])
            await client.patch("/v1/workspace", json={"budgets": {"connector_open": 100}})
            connector = people[0]
            created: list[str] = []

            def create(i: int, n: int):
                return (
                    "POST",
                    "/v1/intro-requests",
                    {
                        "asker_id": people[i + 1],
                        "connector_id": people[(i + 2) % len(people)]
                        if (i + 2) % len(people) != i + 1
                        else connector,
                        "topic": f"topic {n}",
                        "message": "benchmark ask",
                    },
                )

            await load("warmintro create intro request", client, create, concurrency, seconds)
            r = await client.get("/v1/intro-requests", params={"limit": 100})
            created = [x["id"] for x in r.json()["items"]]

            def read(i: int, n: int):
                return ("GET", f"/v1/intro-requests/{created[(i + n) % len(created)]}", None)

            await load("warmintro read intro request", client, read, concurrency, seconds)
    finally:
        server.terminate()
        server.wait()


async def bench_baseline(db_url: str, concurrency: int, seconds: float) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.baseline_app:app",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        {"BASELINE_DB": db_url, "PYTHONPATH": str(ROOT)},
    )
    try:
        await wait_up(base)
        async with httpx.AsyncClient(
            base_url=base,
            trust_env=False,
            timeout=30,
            limits=httpx.Limits(max_connections=concurrency),
        ) as client:
            await load(
                "baseline insert one row",
                client,
                lambda i, n: ("POST", "/rows", {"topic": f"t{i}-{n}"}),
                concurrency,
                seconds,
            )
            await load(
                "baseline read one row",
                client,
                lambda i, n: ("GET", f"/rows/{1 + (i + n) % 50}", None),
                concurrency,
                seconds,
            )
    finally:
        server.terminate()
        server.wait()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    if args.postgres:
        name = f"warmintro_bench_{secrets.token_hex(4)}"
        admin = await asyncpg.connect(args.postgres)
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        base = args.postgres.rsplit("/", 1)[0]
        app_url = base.replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
        raw_url = f"{base}/{name}"
    else:
        tmp = tempfile.mkdtemp()
        app_url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        raw_url = f"sqlite:///{tmp}/baseline.db"
    print(
        f"concurrency {args.concurrency}, {args.seconds:.0f} s per run, "
        f"{'PostgreSQL' if args.postgres else 'SQLite'}"
    )
    try:
        await bench_baseline(raw_url, args.concurrency, args.seconds)
        await bench_warmintro(app_url, args.concurrency, args.seconds)
    finally:
        if args.postgres:
            admin = await asyncpg.connect(args.postgres)
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
