"""Reading a `/metrics` scrape as Prometheus would, rather than matching its text."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample


def samples(text: str) -> list[Sample]:
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def value(text: str, name: str, **labels: str) -> float:
    """The one sample called `name` with exactly these labels; 0 when absent (as a
    counter that has not counted yet)."""
    found = [s.value for s in samples(text) if s.name == name and s.labels == labels]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else 0.0


def series(text: str) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    """Every series in the scrape, by name and labels."""
    return {(s.name, tuple(sorted(s.labels.items()))) for s in samples(text)}
