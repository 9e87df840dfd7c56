"""Flame graphs of the server under load (`--profile`): py-spy samples the server
process while wrk drives one path, and writes an SVG per path under profiles/
beside the report. Off by default: on two cores the sampler takes CPU from what
it measures."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.options import Options

FOLDER = "profiles"


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


@contextmanager
def profiling(options: Options, pid: int, name: str) -> Iterator[None]:
    spy = py_spy() if options.profile else None
    if spy is None:
        yield
        return
    out = options.out / FOLDER / f"{name.replace(' ', '-')}.svg"
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [spy, "record", "--pid", str(pid), "--output", str(out), "--nonblocking"]
    command += ["--rate", "50", "--duration", str(max(1, round(options.sizes.seconds)))]
    sampler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        sampler.wait(timeout=60)


def listed(out: Path) -> list[str]:
    """The report's lines linking the flame graphs of this run, if any."""
    found = sorted((out / FOLDER).glob("*.svg")) if (out / FOLDER).exists() else []
    return [f"- [{p.stem}]({FOLDER}/{p.name})" for p in found]
