"""How long an idle worker waits: longer after each pass that finds nothing, up to
the longest poll; never past the moment a retry or timer falls due; cut short,
and not lengthened, by a wake, even one that comes while a pass is under way.

The run loop is handed a fake clock and sleep that also move the app's clock, so
the waits it chooses are read rather than taken; it listens for no commits (the
wake sources are tested in test_wake_sources.py).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.clock import FakeClock, FakeTime
from tests.databases import database_of_its_own
from tests.integration.outbox_rows import email_due_in
from warmintro.api.container import Container
from warmintro.infra.email.compose import Composer
from warmintro.infra.outbox_relay import OutboxRelay
from warmintro.infra.tables import outbox, timers
from warmintro.infra.url_guard import UrlGuard
from warmintro.infra.webhook_relay import WebhookRelay
from warmintro.infra.worker import Worker

database_url, container = database_of_its_own("worker-waits")

DOUBLING = [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6]


async def run(worker: Worker, time: FakeTime) -> None:
    worker.wake_sources.clear()
    await worker.run(time.stop, sleep=time.sleep, monotonic=time.monotonic)


async def test_an_idle_worker_waits_twice_as_long_each_pass_up_to_the_longest_poll(
    container: Container, clock: FakeClock
) -> None:
    assert container.settings.worker_poll_seconds == 0.1
    assert container.settings.worker_max_poll_seconds == 30.0
    time = FakeTime(asyncio.Event(), waits_wanted=12, wall=clock)
    await run(container.worker, time)

    assert time.waits == pytest.approx([*DOUBLING, 30.0, 30.0, 30.0])


async def test_an_idle_wait_ends_when_a_retry_falls_due_then_the_waits_start_short(
    container: Container, clock: FakeClock
) -> None:
    row_id = await email_due_in(container, 2.5)
    time = FakeTime(asyncio.Event(), waits_wanted=7, wall=clock)
    await run(container.worker, time)

    # 0.1 + 0.2 + 0.4 + 0.8 = 1.5 s gone: the next wait is the second left, not 1.6;
    # the email goes, and after that work the waits start again from the poll interval.
    assert time.waits == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 0.1, 0.2])
    async with container.engine.connect() as conn:
        status = await conn.scalar(sa.select(outbox.c.status).where(outbox.c.id == row_id))
    assert status == "skipped"


async def test_a_timer_due_but_not_fired_is_looked_at_again_each_poll_never_in_a_spin(
    container: Container, clock: FakeClock
) -> None:
    # A timer whose request does not exist is never fired: it stays due.
    async with container.engine.begin() as conn:
        await conn.execute(
            timers.insert().values(
                workspace_id=uuid.uuid4(),
                request_id=uuid.uuid4(),
                due_at=clock.now() + timedelta(seconds=0.5),
            )
        )
    time = FakeTime(asyncio.Event(), waits_wanted=6, wall=clock)
    await run(container.worker, time)

    assert time.waits == pytest.approx([0.1, 0.2, 0.2, 0.1, 0.1, 0.1])


async def test_a_wake_cuts_the_wait_short_and_does_not_lengthen_the_next(
    container: Container, clock: FakeClock
) -> None:
    time = FakeTime(asyncio.Event(), waits_wanted=6, wall=clock)

    async def wake() -> None:
        container.worker.wake()

    time.then[3] = wake
    await run(container.worker, time)

    assert time.waits == pytest.approx([0.1, 0.2, 0.4, 0.4, 0.8, 1.6])


async def test_a_wake_during_a_pass_that_found_nothing_is_not_lost(
    container: Container, clock: FakeClock
) -> None:
    """A commit can land after a stage looked and before the pass ends: the wait
    after that pass must end at once, or the new email waits out the whole poll."""
    passes = 0

    async def fire_timers() -> int:
        nonlocal passes
        passes += 1
        if passes == 3:
            worker.wake()  # as a commit in the middle of the third pass would
        return 0

    engine = container.engine
    composer = Composer(container.links, clock, container.settings.email_from)
    worker = Worker(
        OutboxRelay(engine, composer, container.mailer, clock),
        WebhookRelay(engine, clock, UrlGuard(allow_private=False)),
        fire_timers,
    )
    time = FakeTime(asyncio.Event(), waits_wanted=5, wall=clock)
    try:
        await run(worker, time)
    finally:
        await worker.close()

    assert time.waits == pytest.approx([0.1, 0.2, 0.4, 0.4, 0.8])
