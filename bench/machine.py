"""The machine a run measured: what a reader needs to compare two reports."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path

import uvicorn

from warmintro.api.cli.processes import SERVED_ON


def describe(postgres_version: str, served_by: str) -> dict[str, str]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "CPU": f"{os.cpu_count()} x {_cpu_model()}",
        "memory": f"{_memory_gib():.0f} GiB",
        "load before the run": f"{os.getloadavg()[0]:.2f} (1-minute average)",
        "Python": platform.python_version(),
        "PostgreSQL": postgres_version,
        "HTTP server": f"uvicorn {uvicorn.__version__} on the loop and parser `serve` names "
        f"({SERVED_ON['loop']} + {SERVED_ON['http']}), one process each; loaded: {served_by}",
    }


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0
