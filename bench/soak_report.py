"""What bench/soak.py measured, and the report it writes (docs/soak.md)."""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Phase:
    """One wrk run, as bench/soak.lua's done() reports it."""

    name: str
    target_rate: float | None
    requests: int
    seconds: float
    statuses: dict[str, int]
    errors: dict[str, int]
    latency_ms: dict[str, float]
    load_average: float = 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def created(self) -> int:
        return self.statuses.get("201", 0)

    @property
    def error_responses(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "201")

    @property
    def socket_errors(self) -> int:
        return sum(self.errors.values())


@dataclass
class Outcome:
    rows: int
    statuses: dict[str, int]
    sent: int
    lost: list[str]
    doubled: dict[str, int]
    stray: int
    backlog: int
    """Emails still waiting when the load stopped."""
    drain_seconds: float
    drained: bool
    phases: list[Phase] = field(default_factory=list)


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return f"{os.cpu_count()} cores ({model}), {pages / 2**30:.1f} GiB, Linux {platform.release()}"


def commit() -> str:
    """The commit the service runs (read at the start: the tree may move on)."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD"], cwd=ROOT).returncode != 0
    return (head.stdout.strip() or "unknown") + (" with local changes" if dirty else "")


def report(args: argparse.Namespace, result: Outcome, started: datetime, revision: str) -> str:
    saturation, hold = result.phases
    lines = [
        "# Soak: 80% of saturation, then every email exactly once",
        "",
        "Written by `bench/soak.py` (run with `./scripts/soak`); see",
        "[testing.md](testing.md#soak) for what it does.",
        "",
        f"- date: {started:%Y-%m-%d %H:%M} UTC, commit {revision}",
        f"- machine: {machine()}",
        f"- settings: PostgreSQL at {args.postgres.rsplit('@', 1)[-1]}, `warmintro serve`"
        " (API and in-process worker) plus one `warmintro worker`, SMTP to a sink in the"
        f" script; wrk {args.threads} threads, {args.connections} connections;"
        f" saturation {args.saturation_seconds:.0f} s, hold {args.duration:.0f} s at"
        f" {args.fraction:.0%} of it",
    ]
    if args.note:
        lines.append(f"- note: {args.note}")
    lines += [
        "",
        "| phase | target/s | achieved/s | requests | 201 | other responses | socket errors"
        " | p50 ms | p99 ms | max ms | peak load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in result.phases:
        target = f"{p.target_rate:.1f}" if p.target_rate else "as fast as it answers"
        others = ", ".join(f"{n} x {s}" for s, n in sorted(p.statuses.items()) if s != "201")
        lines.append(
            f"| {p.name} | {target} | {p.rate:.1f} | {p.requests} | {p.created} "
            f"| {p.error_responses}{f' ({others})' if others else ''} | {p.socket_errors} "
            f"| {p.latency_ms['p50']:.1f} | {p.latency_ms['p99']:.1f} | {p.latency_ms['max']:.1f} "
            f"| {p.load_average:.2f} |"
        )
    statuses = ", ".join(f"{s} {n}" for s, n in sorted(result.statuses.items()))
    lines += [
        "",
        "| outbox | |",
        "|---|---|",
        f"| rows | {result.rows} ({statuses}) |",
        f"| sent (received by the sink) | {result.sent} |",
        f"| lost (never received) | {len(result.lost)} |",
        f"| doubled (received more than once) | {len(result.doubled)} |",
        f"| received but no such row | {result.stray} |",
        f"| error responses (all phases) | {saturation.error_responses + hold.error_responses} |",
        f"| waiting when the load stopped | {result.backlog} |",
        f"| drained | {'yes' if result.drained else 'NO'}, {result.drain_seconds:.0f} s"
        " after the load stopped |",
        "",
    ]
    return "\n".join(lines)
