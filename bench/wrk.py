"""wrk, driven through bench/load.lua, and what it reports.

wrk is a native load generator: on a 2-core machine a Python client would take a
core from the server it measures. The Lua script's done() prints the figures as
JSON, so nothing here scrapes wrk's human-readable text.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.servers import cpu_seconds

LUA = Path(__file__).with_name("load.lua")


@dataclass(frozen=True)
class Load:
    """One wrk run against one path."""

    requests: int
    seconds: float
    errors: int
    """Socket errors, timeouts and responses other than 2xx."""
    p50_ms: float
    p99_ms: float
    max_ms: float
    cpu_ms_per_request: float
    """The server process's CPU time over the run, per request answered."""

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Target:
    """What wrk sends: paths (and bodies) taken in turn."""

    paths: list[str]
    method: str = "GET"
    bodies: list[str] | None = None
    auth: str = ""


def wrk_installed() -> str | None:
    return shutil.which("wrk")


def run(
    base: str, target: Target, *, seconds: float, connections: int, threads: int, pid: int
) -> Load:
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        paths = Path(tmp) / "paths"
        paths.write_text("\n".join(target.paths) + "\n")
        env = {
            **os.environ,
            "BENCH_METHOD": target.method,
            "BENCH_PATHS": str(paths),
            "BENCH_AUTH": target.auth,
            "BENCH_THREADS": str(threads),
        }
        if target.bodies:
            bodies = Path(tmp) / "bodies"
            bodies.write_text("\n".join(target.bodies) + "\n")
            env["BENCH_BODIES"] = str(bodies)
        command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
        # A slow request must be measured, not dropped as a timeout at wrk's 2 s.
        command += ["--timeout", "10s", "-s", str(LUA), base]
        cpu_before = cpu_seconds(pid)
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        cpu = cpu_seconds(pid) - cpu_before
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no figures:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("BENCH "))
    requests = raw["requests"]
    return Load(
        requests=requests,
        seconds=raw["duration_us"] / 1e6,
        errors=raw["non2xx"] + raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        cpu_ms_per_request=cpu * 1000 / requests if requests else 0.0,
    )
