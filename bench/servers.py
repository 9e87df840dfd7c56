"""Server processes on loopback: warmintro (`serve`, `worker`) and the bare baseline,
started the same way, watched through /proc, stopped by their own pid.

Both HTTP servers run uvicorn on the event loop and parser `warmintro serve` names
(`SERVED_ON`: asyncio's loop, httptools), so the baseline pays for the same server;
which ones each process really loaded is read from its memory map (`served_by`).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.options import ROOT
from warmintro.api.cli.processes import SERVED_ON

TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_up(base: str, seconds: float = 30) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        for _ in range(int(seconds * 10)):
            try:
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"server at {base} did not come up")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


async def quiet(pid: int, longest: float = 30) -> None:
    """Wait until the process uses under a fifth of a core: a path's load stops with
    requests still in flight, and the next path must not pay for them."""
    deadline = time.monotonic() + longest
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        await asyncio.sleep(0.5)
        if cpu_seconds(pid) - before < 0.1:
            return


def served_by(pid: int) -> str:
    """The event loop and HTTP parser this process has loaded, e.g. "uvloop + httptools"."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    loop = "uvloop" if "/uvloop/" in maps else "asyncio"
    parser = "httptools" if "/httptools/" in maps else "h11"
    return f"{loop} + {parser}"


class Process:
    """One child process; its output goes to a log file beside the run."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log = logs / f"{name}.log"
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                args,
                env={**os.environ, "PYTHONPATH": str(ROOT), **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stop(self) -> None:
        self.popen.terminate()
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


class HttpServer(Process):
    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        super().__init__(name, [a.replace("{port}", str(self.port)) for a in args], env, logs)

    async def ready(self) -> HttpServer:
        await wait_up(self.base)
        return self


def warmintro(command: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "warmintro.api.cli", command, *args]


async def serve(name: str, env: dict[str, str], logs: Path, *, worker: bool = False) -> HttpServer:
    args = warmintro("serve", "--port", "{port}", "--no-access-log", "--log-level", "warning") + (
        [] if worker else ["--no-worker"]
    )
    return await HttpServer(name, args, env, logs).ready()


async def baseline(name: str, database: str, logs: Path) -> HttpServer:
    args = [sys.executable, "-m", "uvicorn", "bench.baseline_app:app", "--port", "{port}"]
    args += ["--loop", SERVED_ON["loop"], "--http", SERVED_ON["http"]]
    args += ["--no-access-log", "--log-level", "warning"]
    return await HttpServer(name, args, {"BASELINE_DB": database}, logs).ready()


def cli(env: dict[str, str], *args: str) -> str:
    """Run one `warmintro` command to completion; its output."""
    done = subprocess.run(
        warmintro(*args),
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return done.stdout.strip()
