"""The run's results as a printed table and as performance.md beside its plot."""

from __future__ import annotations

from pathlib import Path

from bench.profiles import listed
from bench.results import Check, Results, percentile

PLOT = "performance.png"


WHY = "performance-analysis.md"
"""The hand-written reading of the figures, beside the report (not rewritten by it)."""


def print_table(results: Results) -> None:
    checks = results.checks()
    width = max((len(c.name) for c in checks), default=10)
    section = None
    print()
    for check in checks:
        if check.section != section:
            section = check.section
            print(f"== {section}")
        mark = "pass" if check.passed else "FAIL"
        print(f"  {check.name:<{width}}  {check.figure:<26} target {check.target:<18} {mark}")
    failed = sum(not c.passed for c in checks)
    print(f"\n{len(checks) - failed} of {len(checks)} targets met")


def write(results: Results, out: Path, command: str, minutes: float) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "performance.md"
    path.write_text("\n".join(_markdown(results, out, command, minutes)) + "\n")
    return path


def _markdown(results: Results, out: Path, command: str, minutes: float) -> list[str]:
    checks = results.checks()
    failed = sum(not c.passed for c in checks)
    lines = [
        "# Performance",
        "",
        f"Written by `{command}` on {results.machine.get('date', '?')}; the run took "
        f"{minutes:.1f} minutes. {len(checks) - failed} of {len(checks)} targets met. "
        "Do not edit by hand: run the benchmark again.",
        "",
        f"Why the missed targets are missed, with the profiles that show it: [{WHY}]({WHY}).",
        "",
        "## Machine",
        "",
        *(f"- {k}: {v}" for k, v in results.machine.items()),
        "",
        "## Targets",
        "",
        "| section | measure | figure | target | |",
        "|---|---|---|---|---|",
        *(_row(c) for c in checks),
        "",
        f"![req/s against the bare stack, and read times at two sizes]({PLOT})",
        "",
        "## Throughput under wrk",
        "",
        "| path | req/s | p50 ms | p99 ms | max ms | errors | server CPU ms/req "
        "| bare | bare req/s | bare p99 ms | ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *(
            f"| {p.name} | {p.load.per_second:.0f} | {p.load.p50_ms:.1f} | "
            f"{p.load.p99_ms:.1f} | {p.load.max_ms:.0f} | {p.load.errors} | "
            f"{p.load.cpu_ms_per_request:.2f} | {p.bare_name} | {p.bare.per_second:.0f} | "
            f"{p.bare.p99_ms:.1f} | {p.ratio:.2f}x |"
            for p in results.paths
        ),
        *_sqlite(results),
        "",
        "## Mail and the worker",
        "",
        *(
            f"- decision to email, {setup}: median {percentile(t, 50):.0f} ms, "
            f"p99 {percentile(t, 99):.0f} ms, slowest {max(t, default=0):.0f} ms "
            f"over {len(t)} decisions"
            for setup, t in results.mail_ms.items()
        ),
        *(f"- {name}: {rate:.0f} emails/s" for name, rate in results.emails_per_second.items()),
        "",
        "## Seeding",
        "",
        *(f"- {step}: {seconds:.1f} s" for step, seconds in results.seeding.items()),
    ]
    profiles = listed(out) if results.profiled else []
    if profiles:
        lines += ["", "## Flame graphs (py-spy, server process, one per path)", "", *profiles]
    if results.notes:
        lines += ["", "## Notes", "", *(f"- {n}" for n in results.notes)]
    return [*lines, "", *HOW_TO_READ]


def _row(check: Check) -> str:
    mark = "pass" if check.passed else "**fail**"
    return f"| {check.section} | {check.name} | {check.figure} | {check.target} | {mark} |"


def _sqlite(results: Results) -> list[str]:
    load, bare = results.sqlite_creates, results.bare.get("sqlite insert")
    if load is None or bare is None:
        return []
    return [
        "",
        f"SQLite, {results.connections[1]} connections: creates {load.per_second:.0f} req/s (p99 "
        f"{load.p99_ms:.0f} ms, slowest {load.max_ms:.0f} ms, {load.errors} errors, "
        f"{load.cpu_ms_per_request:.2f} ms CPU each) against the bare aiosqlite insert's "
        f"{bare.per_second:.0f} req/s (p99 {bare.p99_ms:.0f} ms).",
    ]


HOW_TO_READ = """## How to run and read it

```sh
./scripts/bench                 # the full run (five to ten minutes), rewrites this file
./scripts/bench --smoke         # seconds per section and little data; writes to a temp dir
./scripts/bench --profile       # also a py-spy flame graph of the server per path
./scripts/bench --sqlite-flatness   # also the reads at both sizes on SQLite (minutes more)
./scripts/bench --help          # sizes, durations, connections, --out
```

It needs wrk (Debian: `apt-get install wrk`) and a PostgreSQL server (`--postgres`,
default `WARMINTRO_TEST_POSTGRES` or the local one); each database it makes is
dropped at the end. Server, database and load generator share the machine's
cores, so the absolute figures depend on the machine and on what else runs on
it: read the ratios against the bare endpoints measured in the same run, and the
server CPU per request, which the other processes disturb least.

- **Throughput**: wrk drives each path for the same time at the same number of
  connections; the bare endpoints (`bench/baseline_app.py`: FastAPI, one raw
  asyncpg or aiosqlite statement) run under the same uvicorn, loop and parser.
- **Flat as the data grows**: the same calls, one at a time, with the small and
  the large number of intro requests in the workspace (people stay the same),
  on PostgreSQL (and SQLite with `--sqlite-flatness`), each size on a server
  that has served nothing but the seeding (the throughput runs between the two
  on PostgreSQL, so the large size gets a fresh server); the worker claim is one
  idle pass of the worker, in the benchmark's process. The rows are copies of
  what one real ask and one real person wrote (`bench/seed_*.py`: COPY on
  PostgreSQL, executemany on SQLite), not API calls.
- **Decision to email**: from an expert's accept returning to the introduction
  arriving at a real SMTP server on loopback.
- **Idle**: CPU time the process used over the window, as a share of one core.
- A failed target says by how much in its figure. For why, run with `--profile`:
  a flame graph of the server during each path, linked from the report (the
  sampling slows the server, so read its figures from a run without it).""".splitlines()
