"""Soak: hold 80% of the create endpoint's saturation for ten minutes, then check
that every queued email went out exactly once.

    ./scripts/soak                      # 10 minutes, writes docs/soak.md
    ./scripts/soak --duration 60 --no-report

On a fresh PostgreSQL database (created on the server at --postgres, dropped at
the end) it runs `warmintro serve` (API and its in-process worker) and one more
`warmintro worker`, so two workers claim from the outbox, both sending by SMTP to
a sink in this process (aiosmtpd on loopback) that counts each Message-ID it
accepts. wrk (bench/soak.lua) first measures how many creates per second the
server answers flat out (saturation), then holds a fraction of that (0.8) for
--duration, paced by the script's delay(). Once the load stops it waits for the
outbox to drain and compares the rows in the database with what the sink
received: rows, sent, lost (a row never received), doubled (received more than
once) and error responses. Everything talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
from aiosmtpd.controller import Controller

from bench.servers import free_port, wait_up
from bench.soak_check import Sink, compare, drain, outcome
from bench.soak_report import Outcome, Phase, commit, report

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "soak.lua"
REPORT = ROOT / "docs" / "soak.md"
ASK_BUDGET = 100
"""The most open asks a connector may hold (the workspace budget's ceiling)."""


class Service:
    """`warmintro serve` and one `warmintro worker` on a database of their own."""

    def __init__(self, db_url: str, smtp_port: int, logs: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.logs = logs
        self.env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "EMAIL_BACKEND": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "PUBLIC_BASE_URL": self.base,
            # One key drives the whole load: its rate limit would measure 429s.
            "RATE_LIMIT_PER_API_KEY": "",
        }
        self.processes: list[subprocess.Popen[bytes]] = []

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "warmintro.api.cli", *args],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip()

    def start(self) -> None:
        serve = ["serve", "--port", str(self.port), "--no-access-log", "--log-level", "warning"]
        for name, args in (("serve", serve), ("worker", ["worker"])):
            log = (self.logs / f"{name}.log").open("wb")
            self.processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "warmintro.api.cli", *args],
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


async def add_people(client: httpx.AsyncClient, people: list[str], wanted: int) -> None:
    """Create people until there are `wanted`, sixteen requests at a time."""

    async def one(i: int) -> str:
        r = await client.post(
            "/v1/people",
            json={"email": f"soak-{i}-{secrets.token_hex(4)}@example.com", "name": f"Soak {i}"},
        )
        r.raise_for_status()
        person_id: str = r.json()["id"]
        return person_id

    while len(people) < wanted:
        batch = range(len(people), min(wanted, len(people) + 16))
        people += await asyncio.gather(*(one(i) for i in batch))


def run_wrk(
    name: str,
    base: str,
    key: str,
    people_file: Path,
    args: argparse.Namespace,
    seconds: float,
    rate: float | None,
) -> Phase:
    env = {
        **os.environ,
        "SOAK_PEOPLE": str(people_file),
        "SOAK_RUN": f"{name}-{secrets.token_hex(3)}",
        "SOAK_THREADS": str(args.threads),
        "SOAK_RATE": f"{rate or 0:.3f}",
    }
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{int(seconds)}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        "-H",
        f"Authorization: Bearer {key}",
        "-H",
        "Content-Type: application/json",
        base,
    ]
    print(f"-- {name}: wrk {' '.join(command[1:5])} at {f'{rate:.1f}/s' if rate else 'full speed'}")
    samples: list[float] = []
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    while process.poll() is None:
        samples.append(os.getloadavg()[0])
        time.sleep(min(10.0, seconds / 4))
    out = process.stdout.read() if process.stdout else ""
    line = next((x for x in out.splitlines() if x.startswith("SOAK ")), None)
    if process.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({process.returncode}):\n{out}")
    report = json.loads(line.removeprefix("SOAK "))
    phase = Phase(
        name=name,
        target_rate=rate,
        requests=report["requests"],
        seconds=report["duration_us"] / 1e6,
        statuses=report["statuses"],
        errors=report["errors"],
        latency_ms={k: v / 1000 for k, v in report["latency_us"].items()},
        load_average=max(samples, default=0.0),
    )
    print(
        f"   {phase.requests} requests, {phase.rate:.1f}/s, 201: {phase.created}, "
        f"other responses: {phase.error_responses}, socket errors: {phase.socket_errors}, "
        f"p50 {phase.latency_ms['p50']:.1f} ms, p99 {phase.latency_ms['p99']:.1f} ms"
    )
    return phase


async def soak(args: argparse.Namespace) -> Outcome:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    name = f"warmintro_soak_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(args.postgres)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    server_base = args.postgres.rsplit("/", 1)[0]
    raw_url = f"{server_base}/{name}"
    db_url = raw_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    work = Path(tempfile.mkdtemp(prefix="warmintro-soak-"))
    service = Service(db_url, smtp.port, work)
    try:
        service.cli("migrate")
        key = service.cli("workspace", "create", "soak", "--quiet")
        service.start()
        await wait_up(service.base)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(
            base_url=service.base, headers=headers, trust_env=False, timeout=30
        ) as client:
            r = await client.patch("/v1/workspace", json={"budgets": {"connector_open": 100}})
            r.raise_for_status()
            people: list[str] = []
            # Enough connectors for a flat-out run at up to 500 creates a second.
            await add_people(client, people, int(500 * args.saturation_seconds / ASK_BUDGET) + 2)
            people_file = work / "people.txt"
            people_file.write_text("\n".join(people))
            phases = [
                run_wrk(
                    "saturation",
                    service.base,
                    key,
                    people_file,
                    args,
                    args.saturation_seconds,
                    None,
                )
            ]
            target = phases[0].created / phases[0].seconds * args.fraction
            # Room for the hold at the target rate on top of the asks already open.
            wanted = int((target * args.duration * 1.2 + phases[0].created) / ASK_BUDGET) + 2
            await add_people(client, people, wanted)
            people_file.write_text("\n".join(people))
            phases.append(
                run_wrk("hold", service.base, key, people_file, args, args.duration, target)
            )
        print("-- waiting for the outbox to drain")
        backlog, drain_seconds, drained = await drain(raw_url, sink, args.drain_timeout)
        rows, statuses, ids = await outcome(raw_url, sink)
        sent, lost, doubled, stray = compare(ids, sink)
        return Outcome(
            rows, statuses, sent, lost, doubled, stray, backlog, drain_seconds, drained, phases
        )
    finally:
        service.stop()
        smtp.stop()
        admin = await asyncpg.connect(args.postgres)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
        print(f"(server and worker logs kept in {work})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "WARMINTRO_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="admin URL of the PostgreSQL server (a database is created and dropped)",
    )
    parser.add_argument("--duration", type=float, default=600, help="seconds at the held rate")
    parser.add_argument("--saturation-seconds", type=float, default=20)
    parser.add_argument("--fraction", type=float, default=0.8, help="of saturation, to hold")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--drain-timeout", type=float, default=1800)
    parser.add_argument("--report", type=Path, default=REPORT)
    parser.add_argument("--no-report", dest="write_report", action="store_false")
    parser.add_argument("--note", default="", help="a line for the report (what else ran)")
    args = parser.parse_args()
    started, revision = datetime.now(UTC), commit()
    result = asyncio.run(soak(args))
    text = report(args, result, started, revision)
    print(text)
    if args.write_report:
        args.report.write_text(text)
        print(f"written to {args.report}")
    if result.lost or result.doubled or result.stray or not result.drained:
        sys.exit(1)


if __name__ == "__main__":
    main()
