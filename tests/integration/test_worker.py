"""The worker when the database fails: each failing stage says so once per outage,
waits longer while it keeps failing (from the poll interval up to MAX_WAIT), never
holds back the stages that work, and starts afresh once the database is back.

The failures are real. "Down" is a database nobody can reach (nothing listens on
loopback port 1; a SQLite file in a folder that does not exist); a stage that
breaks and mends is one whose table is renamed away and back on a real database.
The run loop is handed a fake clock and sleep, so the waits it chooses are read
rather than taken, and listens for no commits: only the test wakes it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.clock import FakeClock, FakeTime
from tests.databases import BACKENDS, discard_database, migrated_database
from tests.integration.outbox_rows import email_due_in
from warmintro.api.container import Container, bootstrap
from warmintro.infra.settings import Settings
from warmintro.infra.tables import outbox
from warmintro.infra.worker import MAX_WAIT

STAGES = ["email", "retention", "timers", "webhooks"]
# Every stage fails with these away: retention starts from the workspaces.
QUEUE_TABLES = ("timers", "outbox", "webhook_deliveries", "workspaces")


def container_on(database_url: str, clock: FakeClock | None = None) -> Container:
    # _env_file is pydantic-settings' init-only switch; mypy sees it only with the plugin.
    settings = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    container = bootstrap(settings, clock=clock)
    # Only the test wakes the worker: a commit it makes (renaming a table) must not.
    container.worker.wake_sources.clear()
    return container


@pytest.fixture(params=["sqlite", "postgres"])
async def unreachable(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Container]:
    """The app wired to a database that refuses every connection."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'no-such-folder' / 'warmintro.db'}"
    else:
        url = "postgresql+asyncpg://postgres@127.0.0.1:1/nothing"
    container = container_on(url)
    yield container
    await container.close()


@pytest.fixture(params=BACKENDS)
async def private(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Container]:
    """The app on a migrated database of its own: these tests rename its tables."""
    url = await migrated_database(request.param, tmp_path_factory, "worker")
    # The real time, moved by hand: the retention stage rests an hour between sweeps.
    container = container_on(url, FakeClock(datetime.now(UTC)))
    yield container
    await container.close()
    await discard_database(request.param, url)


async def run_worker(container: Container, time: FakeTime) -> None:
    await container.worker.run(time.stop, sleep=time.sleep, monotonic=time.monotonic)


def backing_off(poll: float, passes: int) -> list[float]:
    """The waits after `passes` failed passes in a row: doubling, capped."""
    return [min(MAX_WAIT, poll * 2**n) for n in range(passes)]


def worker_says(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    """The stage each of the worker's records at `level` is about, in order."""
    stages = []
    for record in caplog.records:
        if record.name == "warmintro.worker" and record.levelno == level:
            stage = re.search(r"the (\w+) stage", record.getMessage())
            assert stage, record.getMessage()
            stages.append(stage[1])
    return stages


async def rename(container: Container, tables: tuple[str, ...], *, away: bool) -> None:
    async with container.engine.begin() as conn:
        for table in tables:
            old, new = (table, f"{table}_away") if away else (f"{table}_away", table)
            await conn.execute(sa.text(f"ALTER TABLE {old} RENAME TO {new}"))


def woken(container: Container) -> Callable[[], Awaitable[None]]:
    async def wake() -> None:
        container.worker.wake()

    return wake


async def an_hour_later_tables_away(container: Container) -> None:
    """Retention, which rests an hour after a sweep, is due again and fails too."""
    assert isinstance(container.clock, FakeClock)
    container.clock.advance(timedelta(hours=1))
    await rename(container, QUEUE_TABLES, away=True)


# ---- the database is down ---------------------------------------------------------


async def test_with_the_database_down_each_stage_warns_once_however_many_passes_fail(
    unreachable: Container, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(25):
        assert await unreachable.worker.run_once() == 0, "a failing stage is not work done"

    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert sorted(worker_says(caplog, logging.WARNING)) == STAGES
    assert len(problems) == len(STAGES), "nothing else complains pass after pass"
    for record in problems:
        assert record.exc_info is not None and record.exc_info[1] is not None
        error = record.exc_info[1]
        assert f"{type(error).__name__}: {error}" in record.getMessage()


async def test_with_the_database_down_the_waits_double_from_the_poll_interval_to_the_cap(
    unreachable: Container, caplog: pytest.LogCaptureFixture
) -> None:
    time = FakeTime(asyncio.Event(), waits_wanted=14)
    await run_worker(unreachable, time)

    poll = unreachable.settings.worker_poll_seconds
    assert time.waits == pytest.approx(backing_off(poll, 14))
    assert time.waits[-4:] == pytest.approx([MAX_WAIT] * 4), "capped, and staying there"
    assert sorted(worker_says(caplog, logging.WARNING)) == STAGES


# ---- a stage that fails, then works -------------------------------------------------


async def test_after_an_outage_each_stage_says_once_it_recovered_and_backs_off_afresh(
    private: Container, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="warmintro.worker")
    await rename(private, QUEUE_TABLES, away=True)
    time = FakeTime(asyncio.Event(), waits_wanted=10)
    time.then[5] = lambda: rename(private, QUEUE_TABLES, away=False)
    time.then[7] = lambda: an_hour_later_tables_away(private)
    await run_worker(private, time)

    poll = private.settings.worker_poll_seconds
    # Back, the well stages find nothing: idle, their wait doubles from the poll interval.
    first_outage, well, second_outage = backing_off(poll, 5), [poll, 2 * poll], backing_off(poll, 3)
    assert time.waits == pytest.approx(first_outage + well + second_outage)
    assert sorted(worker_says(caplog, logging.WARNING)) == sorted(STAGES * 2), "once an outage"
    assert sorted(worker_says(caplog, logging.INFO)) == STAGES, "recovered, said once"
    in_order = [r.levelno for r in caplog.records if r.name == "warmintro.worker"]
    n = len(STAGES)
    assert in_order == [logging.WARNING] * n + [logging.INFO] * n + [logging.WARNING] * n


async def test_a_failing_timer_stage_sits_out_its_backoff_and_holds_back_nothing_else(
    private: Container, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="warmintro.worker")
    await rename(private, ("timers",), away=True)
    # Mail for a workspace that does not exist: the email stage settles it as undeliverable.
    row_id = await email_due_in(private, -60)
    time = FakeTime(asyncio.Event(), waits_wanted=8)
    # Commits keep waking the worker, as they do while people use the service.
    for n in range(1, 9):
        time.then[n] = woken(private)
    time.then[6] = lambda: rename(private, ("timers",), away=False)
    await run_worker(private, time)

    async with private.engine.connect() as conn:
        row = (await conn.execute(sa.select(outbox).where(outbox.c.id == row_id))).one()
    assert row.status == "skipped", "the email stage kept working"
    poll = private.settings.worker_poll_seconds
    assert time.waits == pytest.approx([poll] * 8), "woken, the well stages keep the poll interval"
    assert worker_says(caplog, logging.WARNING) == ["timers"]
    # Tried after 0, 1 and 3 poll intervals (its waits double), left out of the passes
    # between; the fourth try, after the table is back, works.
    [recovered] = [
        r.getMessage()
        for r in caplog.records
        if r.name == "warmintro.worker" and r.levelno == logging.INFO
    ]
    assert "the timers stage" in recovered and "after 3 failed passes" in recovered
