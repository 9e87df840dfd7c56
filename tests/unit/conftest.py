"""Fixtures for the unit tests: a world on the fakes (tests/unit/world.py), and its people."""

from __future__ import annotations

import pytest

from tests.unit.world import Cast, World


@pytest.fixture
def w() -> World:
    return World()


@pytest.fixture
def cast(w: World) -> Cast:
    return Cast(
        asker=w.person("Ada"),
        connector=w.person("Cyd"),
        expert=w.person("Eve"),
        other_expert=w.person("Ezra"),
        fallback=w.person("Flo"),
        stranger=w.person("Sam"),
    )
