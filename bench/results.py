"""What a run found: the figures of each section and the targets they are held to.

Each section fills in its part; `checks()` turns the figures into the rows of the
table (figure, target, pass or fail). Nothing here measures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.wrk import Load


@dataclass(frozen=True)
class PathLoad:
    """One path under wrk, beside the bare endpoint it is compared with."""

    name: str
    load: Load
    bare: Load
    bare_name: str
    least_ratio: float | None
    """The least share of the bare endpoint's req/s it must reach; None: no target."""

    @property
    def ratio(self) -> float:
        return self.load.per_second / self.bare.per_second if self.bare.per_second else 0.0


@dataclass(frozen=True)
class Check:
    section: str
    name: str
    figure: str
    target: str
    passed: bool


@dataclass
class Results:
    machine: dict[str, str] = field(default_factory=dict)
    bare: dict[str, Load] = field(default_factory=dict)
    """The baselines: `insert`/`read` on PostgreSQL, `sqlite insert`."""
    paths: list[PathLoad] = field(default_factory=list)
    sqlite_creates: Load | None = None
    sizes: tuple[int, int] = (0, 0)
    flat_small: dict[str, float] = field(default_factory=dict)
    flat_large: dict[str, float] = field(default_factory=dict)
    """Median ms of each read at the two sizes, PostgreSQL."""
    sqlite_flat_small: dict[str, float] = field(default_factory=dict)
    sqlite_flat_large: dict[str, float] = field(default_factory=dict)
    seeding: dict[str, float] = field(default_factory=dict)
    """Seconds each seeding step took."""
    mail_ms: dict[str, list[float]] = field(default_factory=dict)
    """Decision-to-email latencies (ms), by worker setup."""
    emails_per_second: dict[str, float] = field(default_factory=dict)
    idle_core_share: dict[str, float] = field(default_factory=dict)
    """Share of one core each idle process used (0.01 = 1%)."""
    idle_seconds: float = 0.0
    connections: tuple[int, int] = (0, 0)
    """wrk's connections: PostgreSQL paths, SQLite creates."""
    notes: list[str] = field(default_factory=list)
    profiled: bool = False
    """Flame graphs were recorded (--profile) under profiles/ beside the report."""

    def checks(self) -> list[Check]:
        return [
            *self._path_checks(),
            *self._sqlite_checks(),
            *self._flat_checks(),
            *self._mail_checks(),
            *self._idle_checks(),
        ]

    def _path_checks(self) -> list[Check]:
        found = []
        for p in self.paths:
            section = f"PostgreSQL, {self.connections[0]} connections"
            if p.load.requests == 0:
                # wrk counts only answers: a path slower than the run shows no figures.
                figure = f"none in {p.load.seconds:.0f} s"
                found.append(Check(section, f"{p.name} answers", figure, "> 0", False))
                continue
            if p.least_ratio is not None:
                found.append(
                    Check(
                        section,
                        f"{p.name} req/s vs bare {p.bare_name}",
                        f"{p.ratio:.2f}x",
                        f">= {p.least_ratio}x",
                        p.ratio >= p.least_ratio,
                    )
                )
            p99 = p.load.p99_ms / p.bare.p99_ms if p.bare.p99_ms else 0.0
            found.append(
                Check(
                    section,
                    f"{p.name} p99 vs bare {p.bare_name} p99",
                    f"{p.load.p99_ms:.0f} ms = {p99:.1f}x",
                    "<= 2x",
                    p99 <= 2,
                )
            )
            found.append(
                Check(section, f"{p.name} errors", str(p.load.errors), "0", p.load.errors == 0)
            )
        return found

    def _sqlite_checks(self) -> list[Check]:
        load = self.sqlite_creates
        if load is None:
            return []
        section = f"SQLite, {self.connections[1]} connections"
        return [
            Check(section, "creates/s", f"{load.per_second:.0f}", ">= 300", load.per_second >= 300),
            Check(
                section, "slowest create", f"{load.max_ms:.0f} ms", "< 1000 ms", load.max_ms < 1000
            ),
            Check(section, "create errors", str(load.errors), "0", load.errors == 0),
        ]

    def _flat_checks(self) -> list[Check]:
        small, large = self.sizes
        return [
            *self._flat("PostgreSQL", small, large, self.flat_small, self.flat_large),
            *self._flat("SQLite", small, large, self.sqlite_flat_small, self.sqlite_flat_large),
        ]

    @staticmethod
    def _flat(
        db: str, small: int, large: int, before_: dict[str, float], after_: dict[str, float]
    ) -> list[Check]:
        section = f"{db}, {small:,} -> {large:,} requests"
        found = []
        for name, before in before_.items():
            after = after_.get(name)
            if after is None:
                continue
            ratio = after / before if before else 0.0
            ok = after < 50 and ratio <= 1.5
            found.append(
                Check(
                    section,
                    name,
                    f"{before:.1f} -> {after:.1f} ms ({ratio:.2f}x)",
                    "< 50 ms, <= 1.5x",
                    ok,
                )
            )
        return found

    def _mail_checks(self) -> list[Check]:
        found = []
        for setup, times in self.mail_ms.items():
            median, p99 = percentile(times, 50), percentile(times, 99)
            found.append(
                Check(
                    "decision to email",
                    f"{setup}: median, p99",
                    f"{median:.0f} ms, {p99:.0f} ms",
                    "< 200 ms, < 1000 ms",
                    median < 200 and p99 < 1000,
                )
            )
        return found

    def _idle_checks(self) -> list[Check]:
        section = f"idle for {self.idle_seconds:.0f} s"
        return [
            Check(section, f"{name} CPU", f"{share:.2%} of a core", "< 1%", share < 0.01)
            for name, share in self.idle_core_share.items()
        ]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of values; 0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]
