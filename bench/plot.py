"""The report's figure: req/s of each path beside its bare endpoint, and each
read's time at the small and the large size."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: render straight to a file
import matplotlib.pyplot as plt

from bench.results import Results


def draw(results: Results, path: Path) -> None:
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    names = [p.name for p in results.paths]
    x = range(len(names))
    left.bar(
        [i - 0.2 for i in x],
        [p.bare.per_second for p in results.paths],
        0.4,
        label="bare FastAPI + asyncpg",
        color="#bbbbbb",
    )
    left.bar(
        [i + 0.2 for i in x],
        [p.load.per_second for p in results.paths],
        0.4,
        label="warmintro",
        color="#d9480f",
    )
    for i, p in enumerate(results.paths):
        left.annotate(
            f"{p.ratio:.2f}x", (i + 0.2, p.load.per_second), ha="center", va="bottom", fontsize=8
        )
    left.set_xticks(list(x), names, rotation=30, ha="right")
    left.set_ylabel("requests per second")
    left.set_title(f"PostgreSQL, {results.connections[0]} connections (wrk)")
    left.legend()

    small, large = results.sizes
    reads = [n for n in results.flat_small if n in results.flat_large]
    y = range(len(reads))
    right.barh(
        [i + 0.2 for i in y],
        [results.flat_small[n] for n in reads],
        0.4,
        label=f"{small:,} requests",
        color="#74c0fc",
    )
    right.barh(
        [i - 0.2 for i in y],
        [results.flat_large[n] for n in reads],
        0.4,
        label=f"{large:,} requests",
        color="#1864ab",
    )
    right.axvline(50, color="#c92a2a", linestyle="--", label="50 ms target")
    right.set_yticks(list(y), reads)
    right.set_xlabel("ms (median of sequential calls)")
    right.set_title("Flat as the data grows")
    right.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
