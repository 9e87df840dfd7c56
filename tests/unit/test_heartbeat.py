"""`warmintro worker --heartbeat FILE`: the file is touched while every stage of
the worker keeps completing passes, and left to age when one stops."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from tests.clock import FakeClock
from warmintro.api.heartbeat import FRESH, STAGES, heartbeat, stages_fresh
from warmintro.api.metrics import Metrics


def test_every_stage_must_have_completed_a_pass_within_a_minute() -> None:
    clock, metrics = FakeClock(), Metrics()
    now = clock.now().timestamp()
    assert not stages_fresh(metrics, now), "a worker that never passed"
    for stage in STAGES:
        metrics.stage_succeeded(stage, clock.now())
    assert stages_fresh(metrics, now)
    assert stages_fresh(metrics, now + FRESH)
    assert not stages_fresh(metrics, now + FRESH + 1), "all stopped"
    clock.advance(timedelta(seconds=FRESH + 1))
    for stage in STAGES[1:]:
        metrics.stage_succeeded(stage, clock.now())
    assert not stages_fresh(metrics, clock.now().timestamp()), "the timers stopped"


async def test_the_file_is_touched_only_while_the_stages_are_fresh(tmp_path: Path) -> None:
    clock, metrics, stop = FakeClock(), Metrics(), asyncio.Event()
    alive = tmp_path / "alive"
    beating = asyncio.create_task(heartbeat(alive, metrics, clock, stop, every=0.01))
    await asyncio.sleep(0.05)
    assert not alive.exists(), "no pass yet"
    for stage in STAGES:
        metrics.stage_succeeded(stage, clock.now())
    await asyncio.sleep(0.05)
    assert alive.exists()
    stop.set()
    await asyncio.wait_for(beating, 1)
