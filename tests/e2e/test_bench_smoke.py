"""The benchmark keeps working: `python -m bench --smoke` (what `./scripts/bench
--smoke` runs) on this machine, a second or so per section and little data,
writing to a temporary directory. It checks that every section produced its
figures, never what they are: a speed target belongs to the benchmark's report,
not to a test.

Needs wrk and PostgreSQL. Without wrk it skips, saying why, unless
WARMINTRO_REQUIRE_WRK=1 (CI) makes that a failure; without PostgreSQL likewise
with WARMINTRO_REQUIRE_POSTGRES=1.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.databases import PG_ADMIN, REQUIRE_PG, postgres_problem

ROOT = Path(__file__).resolve().parents[2]
REQUIRE_WRK = os.environ.get("WARMINTRO_REQUIRE_WRK") == "1"
PATHS = (
    "create", "read one", "list 50", "people search", "suggestions", "warm paths", "action page"
)  # fmt: skip
READS = ("list 50 (busy asker)", "people search", "suggestions", "warm paths", "worker claim")
IDLE = ("serve (SQLite)", "serve (PostgreSQL)", "worker (PostgreSQL)")
NUMBER = r"[0-9][0-9,.]*"


def needs_wrk_and_postgres() -> None:
    if shutil.which("wrk") is None:
        if REQUIRE_WRK:
            pytest.fail("WARMINTRO_REQUIRE_WRK=1 but wrk is not installed")
        pytest.skip("wrk is not installed (Debian: apt-get install wrk)")
    problem = asyncio.run(postgres_problem())
    if problem and REQUIRE_PG:
        pytest.fail(f"WARMINTRO_REQUIRE_POSTGRES=1 but {problem}")
    if problem:
        pytest.skip(problem)


@pytest.mark.postgres
def test_a_smoke_run_prints_and_records_every_section(tmp_path: Path) -> None:
    needs_wrk_and_postgres()
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--postgres", PG_ADMIN, "--out", str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    printed = run.stdout
    assert re.search(rf"{NUMBER} of {NUMBER} targets met", printed)
    report = (tmp_path / "performance.md").read_text()
    assert (tmp_path / "performance.png").stat().st_size > 0
    assert "](performance.png)" in report

    for name in ("bare insert", "bare read", "bare sqlite insert", "sqlite create", *PATHS):
        assert re.search(rf"  {re.escape(name)} +{NUMBER} req/s +p50", printed), name
    for name in PATHS:
        row = rf"\| {re.escape(name)} \| {NUMBER} \| {NUMBER} \| {NUMBER} \| {NUMBER} \|"
        assert re.search(row, report), name
    assert re.search(rf"SQLite, 8 connections: creates {NUMBER} req/s", report)
    for name in READS:
        assert re.search(rf"\| {re.escape(name)} \| {NUMBER} -> {NUMBER} ms", report), name
    for setup in ("in-process (serve)", "separate worker"):
        assert re.search(rf"decision to email, {re.escape(setup)}: median {NUMBER} ms", report)
    assert len(re.findall(rf"worker\(s\) draining {NUMBER}: {NUMBER} emails/s", report)) == 2
    for name in IDLE:
        assert re.search(rf"\| {re.escape(name)} CPU \| {NUMBER}% of a core", report), name
    for item in ("date", "CPU", "memory", "Python", "PostgreSQL", "HTTP server"):
        assert f"- {item}: " in report, item
